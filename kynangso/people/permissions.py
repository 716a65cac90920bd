"""Object rules: predicates called by views, the API and templates alike."""

from kynangso.orgs.choices import PEOPLE_READ_ROLES, PEOPLE_WRITE_ROLES, Role
from kynangso.orgs.selectors import has_role, user_grants


def _covers(user, path: str, roles) -> bool:
    if user.is_superuser:
        return True
    return any(g.role in roles and path.startswith(g.organisation.path) for g in user_grants(user)) or (
        Role.NATIONAL_ADMIN in roles and any(g.role == Role.NATIONAL_ADMIN for g in user_grants(user))
    )


def can_change_person(user, person) -> bool:
    return user.is_authenticated and _covers(user, person.organisation.path, PEOPLE_WRITE_ROLES)


def can_see_people(user) -> bool:
    """The people and organisation lists: admins and viewers, not learners, authors or examiners."""
    return has_role(user, PEOPLE_READ_ROLES)


def can_create_people(user) -> bool:
    return has_role(user, PEOPLE_WRITE_ROLES)


def can_reveal_cccd(user, person) -> bool:
    """Only admins who may change the person see the clear CCCD, and every look is audited."""
    return can_change_person(user, person)


def can_export_people(user) -> bool:
    return has_role(user, PEOPLE_WRITE_ROLES)
