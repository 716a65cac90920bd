"""/api/v1/people/imports: upload a people file (202, runs in the background), follow it, fetch its files."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import FileResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, File, Form, Header, Router, Schema
from ninja.errors import HttpError
from ninja.files import UploadedFile
from ninja.pagination import paginate
from ninja.responses import Status

from kynangso.core.api import Pages

from . import permissions, selectors, services
from .choices import ActivationJob, ActivationOutcome, ImportMode, ImportSource, ImportStatus
from .models import PersonImport
from .workbooks import template_workbook

router = Router(tags=["people imports"])


class ImportLinks(Schema):
    self: str
    page: str
    errors: str | None
    activation_sheet: str | None
    activation_pdf: str | None


class ImportOut(Schema):
    id: int
    status: ImportStatus
    phase: str
    mode: ImportMode
    dry_run: bool
    create_accounts: bool
    organisation_code: str
    source: str = Field(
        description="Where it was started: `web` (its page), `api`, `command` (manage.py); empty for an import "
        "made before December 2026, when this was not recorded."
    )
    original_name: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    rows_total: int | None
    rows_read: int
    rows_valid: int
    rows_written: int
    created: int
    updated: int
    unchanged: int
    rejected: int
    accounts_created: int
    hypothetical: bool = Field(
        description="The counts say what the import would do or would have done; nothing was written "
        "(a check, an all-or-nothing import refused or cancelled)."
    )
    unknown_columns: list[str]
    stale: bool = Field(
        description="Running, but it has not moved for 10 minutes: its worker stopped. `POST …/requeue` runs it "
        "again (safe: a run never writes half a chunk, and rows already written come out unchanged)."
    )
    cancelling: bool = Field(
        description="A cancel was asked and the run has not stopped yet (it stops before its next chunk)."
    )
    message: str
    activation_job: ActivationJob | None = Field(
        description="The activation files are being made again (`…/activation/remake` or `…/renew`, in the "
        "background); until it ends the sheet and cards links are null and their addresses answer 409."
    )
    activation_outcome: ActivationOutcome | None = Field(
        description="How the last making-again ended; `activation_message` says it in words."
    )
    activation_message: str
    codes_replaced: int = Field(
        description="Accounts on the activation files given a newer code since (from the people list or a "
        "person's page): their codes in the files no longer work until the files are made again."
    )
    first_errors: list[str] = Field(description="The first messages of the error report (all are in errors.xlsx).")
    error_messages: int = Field(description="How many messages the error report holds in all.")
    links: ImportLinks

    @staticmethod
    def resolve_cancelling(obj: PersonImport) -> bool:
        return obj.cancelling

    @staticmethod
    def resolve_organisation_code(obj: PersonImport) -> str:
        return obj.organisation.code

    @staticmethod
    def resolve_created(obj: PersonImport) -> int:
        return obj.created_count

    @staticmethod
    def resolve_updated(obj: PersonImport) -> int:
        return obj.updated_count

    @staticmethod
    def resolve_unchanged(obj: PersonImport) -> int:
        return obj.unchanged_count

    @staticmethod
    def resolve_rejected(obj: PersonImport) -> int:
        return obj.rejected_count

    @staticmethod
    def resolve_activation_job(obj: PersonImport) -> str | None:
        return obj.activation_job or None

    @staticmethod
    def resolve_activation_outcome(obj: PersonImport) -> str | None:
        return obj.activation_outcome or None

    @staticmethod
    def resolve_activation_message(obj: PersonImport) -> str:
        return services.activation_outcome_message(obj)

    @staticmethod
    def resolve_stale(obj: PersonImport) -> bool:
        return services.is_stale(obj)

    @staticmethod
    def resolve_links(obj: PersonImport) -> dict:
        def api(name: str) -> str:
            return reverse(f"api:{name}", kwargs={"import_id": obj.pk})

        remaking = services.activation_job_pending(obj)  # the files stored are about to be replaced
        return {
            "self": api("person_import_detail"),
            "page": reverse("people:imports:detail", kwargs={"pk": obj.pk}),
            "errors": api("person_import_errors") if obj.error_report else None,
            "activation_sheet": api("person_import_activation_xlsx") if obj.activation_sheet and not remaking else None,
            "activation_pdf": api("person_import_activation_pdf") if obj.activation_pdf and not remaking else None,
        }


def _get(request, import_id: int) -> PersonImport:
    return selectors.person_import_get(actor=request.user, pk=import_id)


@router.post(
    "",
    response={202: ImportOut},
    url_name="person_import_create",
    summary="Upload a people file (.xlsx, .xls, .ods or .csv); the import runs in the background",
    description="An `Idempotency-Key` header (each user's own, at most 64 characters) makes a retried request "
    "(the same key, file name, size and options) return the import the first one made instead of starting a "
    "second one; the same key with another file or other options is refused (400).",
)
def person_import_create(
    request,
    file: File[UploadedFile],
    organisation_code: Form[str],
    mode: Literal["commit_valid", "all_or_nothing", "dry_run"] = Form(
        "commit_valid",
        description="`dry_run` (the web form's third choice) is `commit_valid` with `dry_run=true`: a check only.",
    ),
    dry_run: Form[bool] = False,
    create_accounts: Form[bool] = False,
    idempotency_key: str = Header(
        "",
        alias="Idempotency-Key",
        description="Any string of up to 64 characters, new for each import (a UUID, say); the same again on a retry.",
    ),
):
    if not permissions.can_import_people(request.user):
        raise PermissionDenied
    org = selectors.importable_organisations(actor=request.user).filter(code=organisation_code.strip().upper()).first()
    if org is None:
        raise DjangoValidationError({"organisation_code": [_("Unknown organisation code, or outside your scope.")]})
    if mode == "dry_run":  # the web form's three choices, as it names them (QA round 27)
        mode, dry_run = ImportMode.COMMIT_VALID, True
    imp = services.person_import_create(
        actor=request.user,
        organisation=org,
        file=file,
        original_name=file.name,
        mode=mode,
        dry_run=dry_run,
        create_accounts=create_accounts,
        submission_key=(idempotency_key or "").strip(),
        key_reuse_refused=True,
        source=ImportSource.API,
    )
    imp.refresh_from_db()
    return Status(202, imp)


@router.get("", response=list[ImportOut], url_name="person_import_list", summary="Imports in your scope")
@paginate(Pages, page_size=25)
def person_import_list(request):
    if not permissions.can_import_people(request.user):  # as the page
        raise PermissionDenied
    return selectors.person_import_list(actor=request.user)


@router.get("/template.xlsx", url_name="person_import_template", summary="The empty people template")
def person_import_template(request):
    if not permissions.can_import_people(request.user):
        raise PermissionDenied
    orgs = selectors.importable_organisations(actor=request.user).values_list("code", "name")
    return FileResponse(template_workbook(organisations=orgs), as_attachment=True, filename="mau-danh-sach.xlsx")


@router.get("/{int:import_id}", response=ImportOut, url_name="person_import_detail")
def person_import_detail(request, import_id: int):
    return _get(request, import_id)


@router.post("/{int:import_id}/cancel", response=ImportOut, url_name="person_import_cancel")
def person_import_cancel(request, import_id: int):
    imp = _get(request, import_id)
    stale = services.is_stale(imp)
    if not imp.is_finished and (stale or not imp.cancelling):  # asked twice: the same answer
        if not permissions.can_cancel_import(request.user, imp, stale=stale):
            raise PermissionDenied
        services.person_import_cancel(actor=request.user, person_import=imp)
        imp = _get(request, import_id)  # with the live counts of a running import, as a GET shows them
    return imp


@router.post(
    "/{int:import_id}/requeue",
    response=ImportOut,
    url_name="person_import_requeue",
    summary="Run again an import whose worker stopped (`stale`); otherwise nothing changes",
)
def person_import_requeue(request, import_id: int):
    return services.person_import_requeue(actor=request.user, person_import=_get(request, import_id))


@router.post(
    "/{int:import_id}/import",
    response={202: ImportOut},
    url_name="person_import_from_check",
    summary="Import for real the file of a finished check (dry run), with its options",
    description="A retried request returns the import the first one made.",
)
def person_import_from_check(request, import_id: int):
    return Status(
        202,
        services.person_import_from_check(actor=request.user, check=_get(request, import_id), source=ImportSource.API),
    )


@router.post(
    "/{int:import_id}/activation/remake",
    response={202: ImportOut},
    url_name="person_import_activation_remake",
    summary="Make the activation sheet and the PDF cards again, with the site's address as it is now",
    description="In the background: `activation_job` is `remake` until it ends, then `activation_outcome` and "
    "`activation_message` say how. The usernames and activation codes stay the same; `activation_pdf` is null "
    "until the new cards are made. Asked again before it ends (or while the first PDF cards are made): 409.",
)
def person_import_activation_remake(request, import_id: int):
    return _activation_request(request, import_id, renew=False)


@router.post(
    "/{int:import_id}/activation/renew",
    response={202: ImportOut},
    url_name="person_import_activation_renew",
    summary="Give new activation codes to the accounts of this import not activated yet (old codes stop working)",
    description="In the background: `activation_job` is `renew` until it ends, then `activation_outcome` and "
    "`activation_message` say how. A new activation sheet lists them; `activation_pdf` is null until the new "
    "cards are made. Asked again before it ends (or while the first PDF cards are made): 409.",
)
def person_import_activation_renew(request, import_id: int):
    return _activation_request(request, import_id, renew=True)


def _activation_request(request, import_id: int, *, renew: bool):
    try:
        imp = services.activation_files_request(actor=request.user, person_import=_get(request, import_id), renew=renew)
    except DjangoValidationError as exc:
        if exc.code == services.BUSY:
            raise HttpError(409, " ".join(exc.messages)) from exc
        raise
    return Status(202, imp)


# QA round 55: a plain "not found" could not be told from a wrong id, or another unit's import
ERR_NO_FILE = {
    "error_report": gettext_lazy(
        "This import has no error report: no row was rejected, the file was refused as a whole (see its message), "
        "or it has not finished."
    ),
    "activation_sheet": gettext_lazy(
        "This import has no activation sheet: it created no account, or it has not finished (see its links)."
    ),
    "activation_pdf": gettext_lazy(
        "This import has no activation cards (PDF): it created no account, or the cards are not made yet (see "
        "its links)."
    ),
}


def _file(request, import_id: int, field: str, filename: str):
    imp = _get(request, import_id)
    if not getattr(imp, field):
        raise HttpError(404, str(ERR_NO_FILE[field]))
    try:
        stored = services.import_file_open(actor=request.user, person_import=imp, field=field)
    except DjangoValidationError as exc:
        raise HttpError(409, " ".join(exc.messages)) from exc
    return FileResponse(stored, as_attachment=True, filename=filename)


@router.get(
    "/{int:import_id}/errors.xlsx",
    url_name="person_import_errors",
    summary="The rejected rows with the bad cells highlighted and a message column",
)
def person_import_errors(request, import_id: int):
    return _file(request, import_id, "error_report", f"loi-nhap-{import_id}.xlsx")


@router.get(
    "/{int:import_id}/activation.xlsx",
    url_name="person_import_activation_xlsx",
    summary="The activation sheet: usernames and codes (409 while it is being made again)",
)
def person_import_activation_xlsx(request, import_id: int):
    return _file(request, import_id, "activation_sheet", f"tai-khoan-{import_id}.xlsx")


@router.get(
    "/{int:import_id}/activation.pdf",
    url_name="person_import_activation_pdf",
    summary="The activation cards with QR codes (409 while they are being made again)",
)
def person_import_activation_pdf(request, import_id: int):
    return _file(request, import_id, "activation_pdf", f"tai-khoan-{import_id}.pdf")
