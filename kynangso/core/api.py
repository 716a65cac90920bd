"""The one NinjaAPI instance, its authentication and the one error envelope of the whole API.

Every error answers {"error": {"code": "...", "message": "...", "fields": {...}}} with a Vietnamese (or,
with Accept-Language: en, English) message: 422 "invalid" when the request does not have the documented
shape (a missing field, a value of the wrong type), 400 "invalid" when its values break the platform's
rules (an unknown organisation, a CCCD that fails its checks), 401, 403, 404 and 405 for the rest, also
for a path or method no route has (`json_errors_for_api`). App routers are mounted under /api/v1/ in
config/urls.py."""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.pagination import PageNumberPagination
from ninja.security import HttpBearer, SessionAuth

MAX_PAGE = 1_000_000


class Pages(PageNumberPagination):
    """`?page=N` of every list of the API; a page number past MAX_PAGE is refused (422) like any other value
    out of range, not passed to the database (which cannot take a 20-digit offset)."""

    class Input(Schema):
        page: int = Field(1, ge=1, le=MAX_PAGE)
        page_size: int | None = Field(None, ge=1)


class TokenAuth(HttpBearer):
    def authenticate(self, request, token):
        from kynangso.core import crypto
        from kynangso.people.models import ApiToken

        row = ApiToken.objects.select_related("user").filter(key_hash=crypto.keyed_hash(token, "api")).first()
        if row is None or not row.user.is_active:
            return None
        if row.last_used_at is None or (timezone.now() - row.last_used_at).total_seconds() > 300:
            ApiToken.objects.filter(pk=row.pk).update(last_used_at=timezone.now())
        request.user = row.user
        return row.user


class CookieAuth(SessionAuth):
    """A logged-in browser's session (the API docs page, a user trying the API): a request with the
    session cookie needs the CSRF token too, and its absence answers in the envelope's language rather
    than django-ninja's English."""

    def _get_key(self, request):
        if settings.SESSION_COOKIE_NAME not in request.COOKIES:
            return None  # no session to protect: unauthenticated (401), not a CSRF failure
        try:
            return super()._get_key(request)
        except HttpError as exc:
            raise HttpError(403, _("The page has expired: reload it and try again.")) from exc


api = NinjaAPI(
    title="Kỹ Năng Số API",
    version="1",
    description=(
        "Scoped exactly as the pages are: a user sees only the organisation subtrees their roles cover.\n\n"
        "**Authentication:** `Authorization: Bearer TOKEN` (a token from `python manage.py create_api_token "
        "USERNAME`), or a logged-in browser's session with its CSRF token.\n\n"
        '**Errors** all have one shape, `{"error": {"code": …, "message": …, "fields": {…}}}`, the '
        "message in Vietnamese (or English with `Accept-Language: en`): 400 `invalid` (a value breaks a rule: an "
        "unknown organisation code, a CCCD that fails its checks; `fields` names them), 401 `unauthenticated`, "
        "403 `forbidden`, 404 `not_found` (also for what lies outside your scope), 405 `method_not_allowed`, "
        "422 `invalid` (the request is not in the documented shape)."
    ),
    # The token first: a request with "Authorization: Bearer" carries no cookie, needs no CSRF token and
    # must not be stopped by the session check (django-ninja's cookie auth refuses a POST without one).
    auth=[TokenAuth(), CookieAuth()],
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)


def error(request, status: int, code: str, message: str, fields: dict | None = None):
    body = {"error": {"code": code, "message": message}}
    if fields:
        body["error"]["fields"] = fields
    return api.create_response(request, body, status=status)


@api.exception_handler(DjangoValidationError)
def _django_validation(request, exc: DjangoValidationError):
    if hasattr(exc, "error_dict"):
        fields = {k: [str(m) for e in v for m in e.messages] for k, v in exc.error_dict.items()}
        return error(request, 400, "invalid", _("Some values are not valid."), fields)
    return error(request, 400, "invalid", " ".join(str(m) for m in exc.messages))


def _field_message(err: dict) -> str:
    """A pydantic error in the request's language (pydantic's own messages are English only)."""
    kind = err.get("type", "")
    if kind == "missing":
        return _("This field is required.")
    if kind in ("enum", "literal_error"):
        expected = re.findall(r"'([^']*)'", str(err.get("ctx", {}).get("expected", "")))  # "'a' or 'b'"
        return _("Choose one of: %(expected)s.") % {"expected": ", ".join(expected)}
    if kind.startswith("bool_"):
        return _("Must be true or false.")
    if kind.startswith("int_"):
        return _("Enter a whole number.")
    if kind.startswith("date_"):
        return _("Enter a valid date.")
    if kind.startswith("datetime_"):
        return _("Enter a valid date/time.")
    if kind == "extra_forbidden":
        return _("This field is not known here.")
    return _("Enter a valid value.")


@api.exception_handler(NinjaValidationError)
def _ninja_validation(request, exc: NinjaValidationError):
    fields: dict[str, list[str]] = {}
    for err in exc.errors:
        loc = ".".join(str(p) for p in err.get("loc", [])[1:]) or "body"
        fields.setdefault(loc, []).append(_field_message(err))
    return error(request, 422, "invalid", _("The request is not in the expected form."), fields)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    response = error(request, 401, "unauthenticated", _("Log in or send a valid API token."))
    response["WWW-Authenticate"] = 'Bearer realm="api"'  # RFC 9110: a 401 names the scheme it wants
    return response


@api.exception_handler(PermissionDenied)
def _forbidden(request, exc):
    return error(request, 403, "forbidden", _("You do not have the right to do this."))


@api.exception_handler(Http404)
def _http404(request, exc):
    return error(request, 404, "not_found", _("Not found."))


@api.exception_handler(ObjectDoesNotExist)
def _does_not_exist(request, exc):
    return error(request, 404, "not_found", _("Not found."))


ERROR_CODES = {
    400: "invalid",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
}


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    return error(request, exc.status_code, ERROR_CODES.get(exc.status_code, "error"), str(exc))


def json_errors_for_api(get_response):
    """Middleware: a path under /api/ that no route matches (`/api/v1/people/imports/abc`), or a method
    a route does not take, answers in the envelope too, not with Django's HTML page or a plain-text 405."""

    def middleware(request):
        response = get_response(request)
        if (
            request.path.startswith("/api/")
            and response.status_code in (404, 405)
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            if response.status_code == 404:
                return error(request, 404, "not_found", _("Not found."))
            allowed = response.get("Allow", "")
            message = _("This address does not take %(method)s requests; it takes: %(allowed)s.")
            reply = error(request, 405, "method_not_allowed", message % {"method": request.method, "allowed": allowed})
            reply["Allow"] = allowed
            return reply
        return response

    return middleware


def register_routers() -> None:
    from kynangso.orgs.api import router as orgs_router
    from kynangso.people.api import router as people_router
    from kynangso.people.imports.api import router as people_imports_router

    api.add_router("/v1/", orgs_router)
    api.add_router("/v1/people/imports", people_imports_router)
    api.add_router("/v1/people", people_router)
