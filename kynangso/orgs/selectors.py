"""Reads of organisations and the one scoping primitive every app uses.

`scope_q(user, roles=…, path_field=…)` turns the user's role grants into a queryset filter over an
organisation path: a grant on a node covers its whole subtree. Pages, API, exports and fragments all
filter through it, so they cannot disagree."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count, Q, QuerySet

from .choices import PEOPLE_READ_ROLES, Role
from .models import Organisation, RoleGrant, Space

NOTHING = Q(pk__in=[])


def user_grants(user) -> list[RoleGrant]:
    """The user's grants with their organisation paths, read once per request (cached on the user)."""
    if not user.is_authenticated:
        return []
    cached = getattr(user, "_grants_cache", None)
    if cached is None:
        cached = list(RoleGrant.objects.filter(user=user).select_related("organisation", "organisation__space"))
        user._grants_cache = cached
    return cached


def has_role(user, roles: Iterable[str]) -> bool:
    roles = set(roles)
    return user.is_authenticated and (user.is_superuser or any(g.role in roles for g in user_grants(user)))


def is_national(user) -> bool:
    return user.is_authenticated and (
        user.is_superuser or any(g.role == Role.NATIONAL_ADMIN for g in user_grants(user))
    )


def scope_q(user, *, roles: Iterable[str] = PEOPLE_READ_ROLES, path_field: str = "organisation__path") -> Q:
    """A filter selecting rows whose organisation lies in a subtree the user holds one of `roles` on."""
    if not user.is_authenticated:
        return NOTHING
    roles = set(roles)
    if user.is_superuser or (Role.NATIONAL_ADMIN in roles and is_national(user)):
        return Q()
    paths = sorted({g.organisation.path for g in user_grants(user) if g.role in roles})
    # Drop paths already covered by an ancestor path.
    kept: list[str] = []
    for path in paths:
        if not any(path.startswith(k) for k in kept):
            kept.append(path)
    if not kept:
        return NOTHING
    q = Q()
    for path in kept:
        q |= Q(**{f"{path_field}__startswith": path})
    return q


def organisation_list(*, actor, roles: Iterable[str] = PEOPLE_READ_ROLES, q: str = "") -> QuerySet[Organisation]:
    from kynangso.core.text import fold

    qs = Organisation.objects.filter(scope_q(actor, roles=roles, path_field="path")).select_related(
        "admin_unit", "space"
    )
    if q:
        qs = qs.filter(search_text__contains=fold(q))
    return qs.order_by("path")


def subtree_people_counts(*, actor, nodes: list[Organisation]) -> tuple[dict[int, int], dict[int, int]]:
    """(people directly in each node, people in each node's whole subtree) for the given nodes.

    One grouped query over the people in scope under these nodes; sums are made along the paths."""
    from kynangso.people.models import Person

    if not nodes:
        return {}, {}
    under = Q()
    for node in nodes:
        if not any(node.path.startswith(other.path) and other is not node for other in nodes):
            under |= Q(organisation__path__startswith=node.path)
    rows = (
        Person.objects.filter(scope_q(actor))
        .filter(under)
        .values("organisation_id", "organisation__path")
        .annotate(n=Count("id"))
        .order_by()
    )
    wanted = {n.pk for n in nodes}
    direct: dict[int, int] = {}
    total: dict[int, int] = dict.fromkeys(wanted, 0)
    for row in rows:
        direct[row["organisation_id"]] = row["n"]
        for part in row["organisation__path"].strip("/").split("/"):
            if int(part) in wanted:
                total[int(part)] += row["n"]
    return direct, total


def current_space(user) -> Space | None:
    """The space shown in the header: the one of the user's first grant (national users: none)."""
    for grant in user_grants(user):
        if grant.organisation.space_id:
            return grant.organisation.space
    return None


def primary_organisation(user) -> Organisation | None:
    grants = user_grants(user)
    if grants:
        return min(grants, key=lambda g: g.organisation.depth).organisation
    person = getattr(user, "person", None)
    return person.organisation if person is not None else None
