"""Reads of imports, scoped like people: an import is visible to the holders of a write role on its
organisation's subtree (kynangso.orgs.selectors.scope_q); any other id answers as if absent."""

from __future__ import annotations

from django.db.models import QuerySet

from kynangso.orgs.choices import PEOPLE_WRITE_ROLES
from kynangso.orgs.models import Organisation
from kynangso.orgs.selectors import organisation_list, scope_q

from .models import PersonImport


def person_import_list(*, actor) -> QuerySet[PersonImport]:
    return (
        PersonImport.objects.filter(scope_q(actor, roles=PEOPLE_WRITE_ROLES))
        .select_related("organisation", "created_by")
        .order_by("-created_at", "-id")
    )


def person_import_get(*, actor, pk: int) -> PersonImport:
    """The import if the actor may see it; otherwise PersonImport.DoesNotExist, as for a missing id."""
    return person_import_list(actor=actor).get(pk=pk)


def importable_organisations(*, actor) -> QuerySet[Organisation]:
    return organisation_list(actor=actor, roles=PEOPLE_WRITE_ROLES)
