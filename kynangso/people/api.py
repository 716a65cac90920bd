from datetime import date

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import ConfigDict

from kynangso.core.api import Pages
from kynangso.core.http import xlsx_download
from kynangso.orgs.choices import PEOPLE_READ_ROLES, PEOPLE_WRITE_ROLES
from kynangso.orgs.selectors import organisation_list

from . import permissions, selectors, services
from .choices import AccountState, LawfulBasis, Sex, TargetGroup
from .models import Person

router = Router(tags=["people"])


class PersonOut(Schema):
    id: int
    code: str  # the export's "Mã hồ sơ KNS" (people/codes.py): a list importing it finds the person by it
    full_name: str
    date_of_birth: date | None
    birth_year: int | None  # the year of birth: the date's, or the year known alone (Person.birth_year)
    sex: str
    cccd_masked: str
    phone: str
    email: str
    organisation_id: int
    organisation_code: str
    position: str
    target_groups: list[str]
    lawful_basis: str

    @staticmethod
    def resolve_birth_year(obj: Person) -> int | None:
        return obj.birth_year_known

    @staticmethod
    def resolve_organisation_code(obj: Person) -> str:
        return obj.organisation.code

    @staticmethod
    def resolve_target_groups(obj: Person) -> list[str]:
        return [g.group for g in obj.target_groups.all()]


class PersonIn(Schema):
    model_config = ConfigDict(extra="forbid")
    full_name: str
    organisation_code: str
    date_of_birth: date | None = None
    sex: Sex | None = None
    cccd: str = ""
    phone: str = ""
    email: str = ""
    position: str = ""
    target_groups: list[TargetGroup] = []
    lawful_basis: LawfulBasis = LawfulBasis.LEGAL_OBLIGATION


class PersonPatch(Schema):
    model_config = ConfigDict(extra="forbid")
    full_name: str | None = None
    organisation_code: str | None = None
    date_of_birth: date | None = None
    sex: Sex | None = None
    cccd: str | None = None
    phone: str | None = None
    email: str | None = None
    position: str | None = None
    target_groups: list[TargetGroup] | None = None


class PersonQuery(Schema):
    q: str = ""
    organisation: int | None = None
    organisation_code: str = ""  # the unit as elsewhere in the API (QA round 43: a code was "not an integer")
    target_group: TargetGroup | None = None
    working_age: bool | None = None
    account: AccountState | None = None  # none, waiting (not activated yet), expired (its code), active


def _person_filters(request, query: PersonQuery) -> selectors.PersonFilters:
    organisation = query.organisation
    if code := query.organisation_code.strip().upper():
        org = organisation_list(actor=request.user, roles=PEOPLE_READ_ROLES).filter(code=code).first()
        if org is None or organisation not in (None, org.pk):
            raise DjangoValidationError({"organisation_code": [_("Unknown organisation code, or outside your scope.")]})
        organisation = org.pk
    return selectors.PersonFilters(
        q=query.q,
        organisation_id=organisation,
        target_group=query.target_group or "",
        working_age=query.working_age,
        account=query.account or "",
    )


def _writable_org(request, code: str):
    org = organisation_list(actor=request.user, roles=PEOPLE_WRITE_ROLES).filter(code=code.strip().upper()).first()
    if org is None:
        raise DjangoValidationError({"organisation_code": [_("Unknown organisation code, or outside your scope.")]})
    return org


@router.get("", response=list[PersonOut], summary="People in your scope (accent-insensitive search)")
@paginate(Pages, page_size=50)
def person_list(request, filters: Query[PersonQuery]):
    if not permissions.can_see_people(request.user):  # as the page: learners, authors, examiners have no list
        raise PermissionDenied
    return selectors.person_list(
        actor=request.user,
        filters=_person_filters(request, filters),
    ).prefetch_related("target_groups")


@router.get(
    "/export.xlsx",
    url_name="person_export",
    summary="People in your scope as an .xlsx in the import template's layout (export → edit → import)",
    description="The same filters as the list. The file re-imports through `POST /api/v1/people/imports`: rows "
    "left as they were come out unchanged, edited rows update their person (matched by CCCD).",
)
def person_export(request, filters: Query[PersonQuery]):
    return xlsx_download(*services.people_export(actor=request.user, filters=_person_filters(request, filters)))


@router.get("/{int:person_id}", response=PersonOut)
def person_detail(request, person_id: int):
    return selectors.person_get(actor=request.user, pk=person_id)


@router.post("", response={201: PersonOut})
def person_create(request, payload: PersonIn):
    if not permissions.can_create_people(request.user):
        raise PermissionDenied
    data = payload.dict()
    org = _writable_org(request, data.pop("organisation_code"))
    person = services.person_create(actor=request.user, organisation=org, **{**data, "sex": data["sex"] or ""})
    return Status(201, selectors.person_get(actor=request.user, pk=person.pk))


@router.patch("/{int:person_id}", response=PersonOut)
def person_update(request, person_id: int, payload: PersonPatch):
    person = selectors.person_get(actor=request.user, pk=person_id)
    if not permissions.can_change_person(request.user, person):
        raise PermissionDenied
    changes = payload.dict(exclude_unset=True)
    if "organisation_code" in changes:
        changes["organisation"] = _writable_org(request, changes.pop("organisation_code"))
    for key in ("full_name", "phone", "email", "position", "sex"):
        if key in changes and changes[key] is None:
            changes[key] = ""
    services.person_update(actor=request.user, person=person, **changes)
    return selectors.person_get(actor=request.user, pk=person.pk)
