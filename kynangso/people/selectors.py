"""Reads of people, always through the actor's scope (kynangso.orgs.selectors.scope_q)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Q, QuerySet, Value
from django.db.models.functions import Coalesce

from kynangso.core.text import fold
from kynangso.orgs.choices import PEOPLE_READ_ROLES, PEOPLE_WRITE_ROLES
from kynangso.orgs.selectors import scope_q

from . import rules
from .choices import Sex
from .models import DataRequest, Person, User


@dataclass(frozen=True)
class PersonFilters:
    q: str = ""
    organisation_id: int | None = None
    include_suborgs: bool = True
    target_group: str = ""
    working_age: bool | None = None  # True: of working age today, False: not
    account: str = ""  # an AccountState, or "" for everyone


def _working_age_q(on: date) -> Q:
    q = Q()
    for sex in (Sex.MALE, Sex.FEMALE):
        earliest, latest = rules.working_age_birth_range(on, sex)
        q |= Q(sex=sex, date_of_birth__gte=earliest, date_of_birth__lte=latest)
    return q


# A list of people is in name order. Walking the name index (person_sort_idx) gives a page at once when
# the list holds a good share of the platform's people; for a small unit in a large database both
# planners walk it until a page of the unit's people turns up, the whole index for a unit of a dozen people
# (152 ms on SQLite and on PostgreSQL among 200,000 people; bench/README.md), because a scope given by
# organisation paths does not tell them how many people it holds. So the list first asks whether its
# units hold more than SMALL_LIST people, reading at most that many entries of the organisation index
# (0.2 ms for a dozen people, 0.7-2 ms for 200,000); if not, it reads their people that way and sorts
# them, by an ORDER BY the name index cannot serve.
SMALL_LIST = 20_000


def person_list(*, actor, filters: PersonFilters | None = None, write: bool = False) -> QuerySet[Person]:
    """The people the actor may see (or change, with write=True) that match `filters`, in name order."""
    from kynangso.orgs.models import Organisation

    filters = filters or PersonFilters()
    roles = PEOPLE_WRITE_ROLES if write else PEOPLE_READ_ROLES
    in_units = scope_q(actor, roles=roles)  # people, through their organisation's path
    units = scope_q(actor, roles=roles, path_field="path")  # the same, on organisations
    if filters.organisation_id:
        org = Organisation.objects.filter(pk=filters.organisation_id).only("path").first()
        if org is None:
            return Person.objects.none()
        if filters.include_suborgs:
            in_units &= Q(organisation__path__startswith=org.path)
            units &= Q(path__startswith=org.path)
        else:
            in_units &= Q(organisation=org)
            units &= Q(pk=org.pk)
    if units:  # not everyone
        through_units = Person.objects.filter(organisation__in=Organisation.objects.filter(units).values("pk"))
        if not through_units.values("organisation_id")[SMALL_LIST : SMALL_LIST + 1].exists():
            return _matching(through_units, filters).order_by(Coalesce("sort_key", Value("")), "id")
    return _matching(Person.objects.filter(in_units), filters).order_by("sort_key", "id")


def _matching(qs: QuerySet[Person], filters: PersonFilters) -> QuerySet[Person]:
    qs = qs.select_related("organisation")
    if filters.q:
        for word in fold(filters.q).split():
            qs = qs.filter(search_text__contains=word)
    if filters.target_group:
        qs = qs.filter(target_groups__group=filters.target_group)
    if filters.working_age is not None:
        bounds = _working_age_q(date.today())
        qs = qs.filter(bounds) if filters.working_age else qs.exclude(bounds).exclude(date_of_birth=None)
    if filters.account:  # QA round 48: an expired code was shown as waiting
        qs = qs.filter(User.state_q(filters.account, via="account__"))
    return qs


def person_get(*, actor, pk: int, write: bool = False) -> Person:
    """The person with this id if the actor may see (or, with write=True, change) them; otherwise
    Person.DoesNotExist, exactly as if there were no such person."""
    roles = PEOPLE_WRITE_ROLES if write else PEOPLE_READ_ROLES
    return (
        Person.objects.filter(scope_q(actor, roles=roles))
        .select_related("organisation")
        .prefetch_related("target_groups")
        .get(pk=pk)
    )


def data_request_list(*, actor) -> QuerySet[DataRequest]:
    return DataRequest.objects.filter(
        scope_q(actor, roles=PEOPLE_WRITE_ROLES, path_field="person__organisation__path")
    ).select_related("person", "person__organisation")
