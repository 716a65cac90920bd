from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from kynangso.core.services import audit_record
from kynangso.core.text import fold

from .choices import Role
from .models import AdminUnit, Organisation, RoleGrant, Space

ERR_ORG_HAS_DEPENDANTS = _("This organisation still has sub-units or people; move or remove them first.")
ERR_ROOT_TAKEN = _("This organisation already owns a space.")


@transaction.atomic
def organisation_create(
    *,
    actor=None,
    code: str,
    name: str,
    org_type: str,
    parent: Organisation | None = None,
    admin_unit: AdminUnit | None = None,
) -> Organisation:
    org = Organisation(
        code=code.strip().upper(),
        name=name.strip(),
        org_type=org_type,
        parent=parent,
        admin_unit=admin_unit,
        space=parent.space if parent else None,
        search_text=fold(f"{code} {name}"),
    )
    org.full_clean(exclude=["path"])
    org.save()
    # Zero-padded ids: ordering by path lists a node's children in creation order under it.
    org.path = f"{parent.path if parent else '/'}{org.pk:08d}/"
    org.depth = parent.depth + 1 if parent else 0
    org.save(update_fields=["path", "depth"])
    if actor is not None:
        audit_record(actor=actor, action="organisation.create", obj=org)
    return org


@transaction.atomic
def organisation_delete(*, actor, org: Organisation) -> None:
    if org.children.exists() or org.people.exists():
        raise ValidationError(ERR_ORG_HAS_DEPENDANTS)
    audit_record(actor=actor, action="organisation.delete", obj=org, code=org.code)
    org.delete()


@transaction.atomic
def space_create(
    *,
    actor=None,
    name: str,
    kind: str,
    root: Organisation,
    learner_quota: int | None = None,
    admin_unit: AdminUnit | None = None,
) -> Space:
    if Space.objects.filter(root=root).exists():
        raise ValidationError(ERR_ROOT_TAKEN)
    space = Space(name=name, kind=kind, root=root, admin_unit=admin_unit)
    if learner_quota is not None:
        space.learner_quota = learner_quota
    space.full_clean()
    space.save()
    # The subtree belongs to the new space (one UPDATE, whatever its size).
    Organisation.objects.filter(path__startswith=root.path).update(space=space)
    root.space = space
    if actor is not None:
        audit_record(actor=actor, action="space.create", obj=space, kind=kind)
    return space


def role_grant(*, actor=None, user, role: str, organisation: Organisation) -> RoleGrant:
    """Give a role. A role beyond a learner's cancels the account's pending activation code, if any: the code
    is printed on an import's sheet, and whoever holds the sheet must not be able to claim the account."""
    from kynangso.people.services import activation_code_cancel

    grant, created = RoleGrant.objects.get_or_create(user=user, role=role, organisation=organisation)
    if created and role != Role.LEARNER:
        activation_code_cancel(user)
    if created and actor is not None:
        audit_record(actor=actor, action="role.grant", obj=grant, role=role, user_id=user.pk)
    user.__dict__.pop("_grants_cache", None)
    return grant
