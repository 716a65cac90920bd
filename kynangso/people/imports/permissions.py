"""Who may import people: the write roles on the target organisation (kynangso.orgs.choices)."""

from kynangso.orgs.choices import PEOPLE_WRITE_ROLES
from kynangso.orgs.selectors import has_role, organisation_list


def can_import_people(user) -> bool:
    """May import into at least one organisation (shows the page and the menu link)."""
    return has_role(user, PEOPLE_WRITE_ROLES)


def can_import_into(user, organisation) -> bool:
    return (
        user.is_authenticated
        and organisation_list(actor=user, roles=PEOPLE_WRITE_ROLES).filter(pk=organisation.pk).exists()
    )


def can_cancel_import(user, person_import, *, stale: bool = False) -> bool:
    """A running or queued import not yet asked to stop; asked, but stalled (its worker died): the cancel
    ends it (services.person_import_cancel)."""
    return (
        (stale or not person_import.cancelling)
        and not person_import.is_finished
        and can_import_into(user, person_import.organisation)
    )


def can_import_for_real(user, person_import) -> bool:
    """A finished check whose valid rows an import would write (all or nothing: only without bad rows)."""
    return person_import.worth_importing and can_import_into(user, person_import.organisation)


def can_remake_activation(user, person_import, *, pdf_stale: bool, remaking: bool) -> bool:
    """An import whose activation files exist (the PDF made, or overdue) and are not being made again, for a
    user who may import there."""
    return (
        bool(person_import.activation_sheet)
        and (bool(person_import.activation_pdf) or pdf_stale)
        and not remaking
        and can_import_into(user, person_import.organisation)
    )
