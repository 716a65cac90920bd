"""Reads of people, always through the actor's scope (kynangso.orgs.selectors.scope_q)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Q, QuerySet

from kynangso.core.text import fold
from kynangso.orgs.choices import PEOPLE_READ_ROLES, PEOPLE_WRITE_ROLES
from kynangso.orgs.selectors import scope_q

from . import rules
from .choices import Sex
from .models import DataRequest, Person


@dataclass(frozen=True)
class PersonFilters:
    q: str = ""
    organisation_id: int | None = None
    include_suborgs: bool = True
    target_group: str = ""
    working_age: bool | None = None  # True: of working age today, False: not


def _working_age_q(on: date) -> Q:
    q = Q()
    for sex in (Sex.MALE, Sex.FEMALE):
        earliest, latest = rules.working_age_birth_range(on, sex)
        q |= Q(sex=sex, date_of_birth__gte=earliest, date_of_birth__lte=latest)
    return q


def person_list(*, actor, filters: PersonFilters | None = None, write: bool = False) -> QuerySet[Person]:
    filters = filters or PersonFilters()
    roles = PEOPLE_WRITE_ROLES if write else PEOPLE_READ_ROLES
    qs = Person.objects.filter(scope_q(actor, roles=roles)).select_related("organisation")
    if filters.q:
        for word in fold(filters.q).split():
            qs = qs.filter(search_text__contains=word)
    if filters.organisation_id:
        from kynangso.orgs.models import Organisation

        org = Organisation.objects.filter(pk=filters.organisation_id).only("path").first()
        if org is None:
            return qs.none()
        qs = (
            qs.filter(organisation__path__startswith=org.path)
            if filters.include_suborgs
            else qs.filter(organisation=org)
        )
    if filters.target_group:
        qs = qs.filter(target_groups__group=filters.target_group)
    if filters.working_age is not None:
        bounds = _working_age_q(date.today())
        qs = qs.filter(bounds) if filters.working_age else qs.exclude(bounds).exclude(date_of_birth=None)
    return qs.order_by("sort_key", "id")


def person_get(*, actor, pk: int, write: bool = False) -> Person:
    """The person with this id if the actor may see (or, with write=True, change) them; otherwise
    Person.DoesNotExist, exactly as if there were no such person."""
    return person_list(actor=actor, write=write).prefetch_related("target_groups").get(pk=pk)


def data_request_list(*, actor) -> QuerySet[DataRequest]:
    return DataRequest.objects.filter(
        scope_q(actor, roles=PEOPLE_WRITE_ROLES, path_field="person__organisation__path")
    ).select_related("person", "person__organisation")
