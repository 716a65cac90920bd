"""Pages of the bulk import: upload, the list of imports, one import with its live progress, downloads."""

import hashlib

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from django_htmx.http import reswap, retarget

from . import permissions, selectors, services
from .forms import ImportForm
from .models import PersonImport
from .workbooks import address_elsewhere, template_workbook

PAGE_SIZE = 25
PANEL_STATE = (  # the _context entries that change the import panel's buttons and links
    "polling",
    "waiting_pdf",
    "remaking",
    "activation_outcome",
    "stale",
    "stale_pdf",
    "can_cancel",
    "can_import_for_real",
    "can_remake",
)
MSG_CONFIRM_RENEW = _("Tick the box to confirm that the codes already handed out stop working.")


def _accessible(request, pk: int) -> PersonImport:
    """An import from a URL id, through the actor's scope: out of scope is 404, as if absent."""
    try:
        return selectors.person_import_get(actor=request.user, pk=pk)
    except PersonImport.DoesNotExist as exc:
        raise Http404 from exc


@login_required
def import_list(request):
    if not permissions.can_import_people(request.user):
        raise PermissionDenied
    form = ImportForm(request.POST or None, request.FILES or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            imp = services.person_import_create(
                actor=request.user, file=upload, original_name=upload.name, **form.options()
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            return redirect("people:imports:detail", pk=imp.pk)
    page = Paginator(selectors.person_import_list(actor=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    quotas = selectors.quota_overview(actor=request.user)
    context = {"form": form, "page_obj": page, "query_string": "", "quotas": quotas}
    return render(request, "people/imports/import_list.html", context)


@login_required
def template_download(request):
    if not permissions.can_import_people(request.user):
        raise PermissionDenied
    orgs = selectors.importable_organisations(actor=request.user).values_list("code", "name")
    return FileResponse(template_workbook(organisations=orgs), as_attachment=True, filename="mau-danh-sach.xlsx")


def _context(request, imp: PersonImport) -> dict:
    waiting_pdf = bool(imp.activation_sheet) and not imp.activation_pdf
    stale, stale_pdf = services.is_stale(imp), services.pdf_is_stale(imp)
    remaking = services.activation_job_pending(imp)
    context = {
        "imp": imp,
        "polling": (not imp.is_finished and not stale) or (waiting_pdf and not stale_pdf) or remaking,
        "waiting_pdf": waiting_pdf,
        "remaking": remaking,
        "activation_outcome": services.activation_outcome_message(imp),
        "stale": stale,
        "stale_pdf": stale_pdf,
        "would": imp.hypothetical,
        "errors_all_shown": len(imp.first_errors) == imp.error_messages,
        "can_cancel": permissions.can_cancel_import(request.user, imp, stale=stale),
        "can_import_for_real": permissions.can_import_for_real(request.user, imp),  # a check: one click imports it
        "can_remake": permissions.can_remake_activation(request.user, imp, pdf_stale=stale_pdf, remaking=remaking),
        "expires": services.activation_expiry(imp) if imp.activation_sheet else None,
        "today": timezone.localdate(),
        # The address the sheet and the cards carry (SITE_URL), when the page is open at another one: every QR
        # code would lead elsewhere, and nothing said so (QA round 49)
        "site_address": address_elsewhere(request.get_host()) if imp.activation_sheet else "",
    }
    # What the panel shows besides its counts: while it stays the same, the page's poll swaps the counts alone.
    shown = [imp.status, imp.cancelling, imp.error_report.name, imp.activation_sheet.name, imp.activation_pdf.name]
    shown += [context[name] for name in PANEL_STATE]
    context["state"] = hashlib.blake2s(repr(shown).encode(), digest_size=6).hexdigest()
    return context


@login_required
def import_detail(request, pk: int):
    imp = _accessible(request, pk)
    context = _context(request, imp)
    template = "people/imports/import_detail.html"
    if not request.htmx:
        return render(request, template, context)
    if request.GET.get("state") == context["state"]:  # the page's poll, nothing but counts changed
        return render(request, f"{template}#live", context)
    # Buttons or links changed (the run ended, a cancel was asked …): the whole panel, swapped in place
    # of the polled counts' panel. Buttons are never swapped under a finger about to tap them otherwise.
    return retarget(reswap(render(request, f"{template}#progress", context), "outerHTML"), "#import-progress-panel")


@login_required
@require_POST
def import_cancel(request, pk: int):
    imp = _accessible(request, pk)
    stale = services.is_stale(imp)
    if not imp.is_finished and (stale or not imp.cancelling):  # asked twice (two tabs): the same answer
        if not permissions.can_cancel_import(request.user, imp, stale=stale):
            raise PermissionDenied
        services.person_import_cancel(actor=request.user, person_import=imp)
        imp = _accessible(request, pk)  # with the live counts of a running import, as the page shows them
    if request.htmx:
        return render(request, "people/imports/import_detail.html#progress", _context(request, imp))
    return redirect("people:imports:detail", pk=imp.pk)


@login_required
@require_POST
def import_requeue(request, pk: int):
    imp = _accessible(request, pk)
    if not permissions.can_import_into(request.user, imp.organisation):
        raise PermissionDenied
    services.person_import_requeue(actor=request.user, person_import=imp)
    return redirect("people:imports:detail", pk=imp.pk)


@login_required
@require_POST
def import_from_check(request, pk: int):
    check = _accessible(request, pk)
    accounts = request.POST.get("create_accounts") == "1" if request.POST.get("accounts_chosen") else None
    try:
        imp = services.person_import_from_check(actor=request.user, check=check, create_accounts=accounts)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("people:imports:detail", pk=check.pk)
    return redirect("people:imports:detail", pk=imp.pk)


@login_required
@require_POST
def activation_pdf_requeue(request, pk: int):
    imp = _accessible(request, pk)
    if not permissions.can_import_into(request.user, imp.organisation):
        raise PermissionDenied
    services.activation_pdf_requeue(actor=request.user, person_import=imp)
    return redirect("people:imports:detail", pk=imp.pk)


@login_required
@require_POST
def activation_remake(request, pk: int, renew: bool = False):
    imp = _accessible(request, pk)
    if renew and not request.POST.get("confirm"):  # the form's box, ticked: every code handed out is replaced
        messages.error(request, MSG_CONFIRM_RENEW)
        return redirect("people:imports:detail", pk=imp.pk)
    try:
        services.activation_files_request(actor=request.user, person_import=imp, renew=renew)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("people:imports:detail", pk=imp.pk)


def _download(request, pk: int, field: str, filename: str | None = None):
    imp = _accessible(request, pk)
    try:
        stored = services.import_file_open(actor=request.user, person_import=imp, field=field)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("people:imports:detail", pk=imp.pk)
    return FileResponse(stored, as_attachment=True, filename=filename or imp.original_name or f"danh-sach-{pk}")


@login_required
def error_report_download(request, pk: int):
    return _download(request, pk, "error_report", f"loi-nhap-{pk}.xlsx")


@login_required
def activation_sheet_download(request, pk: int):
    return _download(request, pk, "activation_sheet", f"tai-khoan-{pk}.xlsx")


@login_required
def activation_pdf_download(request, pk: int):
    return _download(request, pk, "activation_pdf", f"tai-khoan-{pk}.pdf")


@login_required
def original_file_download(request, pk: int):
    return _download(request, pk, "file")
