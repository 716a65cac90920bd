from datetime import date

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.errors import HttpError
from ninja.pagination import paginate

from kynangso.core.api import Pages

from . import admin_units
from .choices import PEOPLE_READ_ROLES, AdminLevel
from .selectors import has_role, organisation_list

router = Router(tags=["organisations"])


class AdminUnitOut(Schema):
    id: int
    code: str
    level: str
    name: str
    full_name: str
    province_code: str
    parent_id: int | None
    valid_from: date
    valid_to: date | None


class AdminUnitFilters(Schema):
    level: AdminLevel | None = None
    on: date | None = None
    province: str | None = None


@router.get("/admin-units", response=list[AdminUnitOut], auth=None, summary="Administrative units valid on a date")
@paginate(Pages, page_size=100)
def admin_unit_list(request, filters: Query[AdminUnitFilters]):
    """Units valid on `on` (today by default). Public reference data: no login needed."""
    if filters.on is not None and not (date(1945, 1, 1) <= filters.on <= date(2100, 1, 1)):
        raise HttpError(400, _("The date is out of range."))
    qs = admin_units.units_valid_on(filters.on or date.today(), filters.level)
    if filters.province:
        qs = qs.filter(province_code=filters.province)
    return qs.order_by("level", "code")


class OrganisationOut(Schema):
    id: int
    code: str
    name: str
    org_type: str
    parent_id: int | None
    admin_unit_id: int | None
    space_id: int | None
    depth: int


@router.get("/organisations", response=list[OrganisationOut], summary="Organisations in your scope")
@paginate(Pages, page_size=100)
def organisation_list_api(request, q: str = ""):
    if not has_role(request.user, PEOPLE_READ_ROLES):  # as the page (orgs/views.tree)
        raise PermissionDenied
    return organisation_list(actor=request.user, q=q)
