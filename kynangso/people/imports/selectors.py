"""Reads of imports, scoped like people: an import is visible to the holders of a write role on its
organisation's subtree (kynangso.orgs.selectors.scope_q); any other id answers as if absent."""

from __future__ import annotations

import json

from django.core.files.storage import default_storage
from django.db.models import QuerySet

from kynangso.orgs.choices import PEOPLE_WRITE_ROLES
from kynangso.orgs.models import Organisation, Space
from kynangso.orgs.selectors import organisation_list, scope_q

from .choices import ImportStatus
from .models import PersonImport


def person_import_list(*, actor) -> QuerySet[PersonImport]:
    return (
        PersonImport.objects.filter(scope_q(actor, roles=PEOPLE_WRITE_ROLES))
        .select_related("organisation", "created_by")
        .order_by("-created_at", "-id")
    )


def person_import_get(*, actor, pk: int) -> PersonImport:
    """The import if the actor may see it; otherwise PersonImport.DoesNotExist, as for a missing id. While
    it runs, its counts include the chunks of the open transaction (`live_counts_name`); once it has stalled
    (its worker died, and with it that transaction), only the committed counts."""
    from .services import is_stale

    imp = person_import_list(actor=actor).get(pk=pk)
    if imp.status == ImportStatus.RUNNING and imp.started_at is not None and not is_stale(imp):
        try:
            with default_storage.open(imp.live_counts_name, "rb") as fh:
                live = json.load(fh)
        except (OSError, ValueError):
            # None yet, or being replaced: the committed counts stand. Or the run has just ended, between
            # reading the row and the file: the runner deletes the file after saving the final counts.
            return person_import_list(actor=actor).get(pk=pk)
        if live.get("started_at") == imp.started_at.isoformat():  # not left over from an earlier run
            # The larger of each: all or nothing's write pass counts again what its check pass saved.
            for name, value in live.items():  # the runner's progress_fields()
                if name != "started_at":
                    setattr(imp, name, max(getattr(imp, name), value))
    return imp


def importable_organisations(*, actor) -> QuerySet[Organisation]:
    return organisation_list(actor=actor, roles=PEOPLE_WRITE_ROLES)


QUOTA_SPACES_SHOWN = 10


def quota_overview(*, actor) -> list[tuple[Space, int, int]]:
    """(space, accounts used, accounts left) for the spaces the actor may import into, at most
    QUOTA_SPACES_SHOWN of them (a national admin's dozens are on the spaces' own pages)."""
    from kynangso.people.services import accounts_used

    spaces = list(
        Space.objects.filter(pk__in=importable_organisations(actor=actor).values("space"))[:QUOTA_SPACES_SHOWN]
    )
    used = accounts_used(s.pk for s in spaces)
    return [(s, used[s.pk], max(s.learner_quota - used[s.pk], 0)) for s in spaces]
