from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from kynangso.core.http import XLSX_TYPE, xlsx_download
from kynangso.core.text import grouped

from . import permissions, selectors, services
from .choices import AccountState
from .forms import DataRequestForm, MyDataForm, PersonFilterForm, PersonForm
from .imports import services as import_services
from .imports.workbooks import activation_address, activation_url, address_elsewhere, qr_png_data_uri
from .models import Person, User

PAGE_SIZE = 50


def _accessible(request, pk: int, *, write: bool = False) -> Person:
    """A person from a URL id, through the actor's scope: out of scope is 404, as if absent."""
    try:
        return selectors.person_get(actor=request.user, pk=pk, write=write)
    except Person.DoesNotExist as exc:
        raise Http404 from exc


def _filters(request, data=None) -> tuple[PersonFilterForm, selectors.PersonFilters]:
    form = PersonFilterForm((request.GET if data is None else data) or None, actor=request.user)
    data = {}
    if form.is_bound:
        form.is_valid()  # a bad value (a unit outside the scope, a forged id) is dropped; the other filters stay
        data = form.cleaned_data
    return form, selectors.PersonFilters(
        q=data.get("q") or "",
        organisation_id=data.get("organisation"),
        target_group=data.get("target_group") or "",
        working_age=data.get("working_age"),
        account=data.get("account") or "",
    )


@login_required
def person_list(request):
    if not permissions.can_see_people(request.user):
        raise PermissionDenied
    form, filters = _filters(request)
    qs = selectors.person_list(actor=request.user, filters=filters).select_related("account")
    qs = qs.prefetch_related("target_groups")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page_obj": page,
        "query_string": query.urlencode(),
        # People whose account waits for its first login: new codes for them all, as a sheet (QA round 48)
        "new_codes": filters.account in (AccountState.WAITING, AccountState.EXPIRED)
        and not form.errors
        and page.paginator.count > 0
        and permissions.can_create_people(request.user),
        "new_codes_max": import_services.NEW_CODES_MAX,
        "site_address": address_elsewhere(request.get_host()),
        "filter_items": [(key, value) for key, values in query.lists() for value in values],
        "can_create": permissions.can_create_people(request.user),
        "can_export": permissions.can_export_people(request.user),
    }
    template = "people/person_list.html#results" if request.htmx else "people/person_list.html"
    return render(request, template, context)


@login_required
@require_POST
def person_activation_codes(request):
    """New activation codes for the people of the list as filtered (by "Account": not activated yet, or code
    expired), as an activation sheet or as the cards to cut out (`as=pdf`) to download; the codes handed out
    before stop working."""
    form, filters = _filters(request, request.POST)
    query = request.POST.copy()
    for name in ("csrfmiddlewaretoken", "confirm", "as", "shown"):
        query.pop(name, None)
    back = f"{reverse('people:list')}?{query.urlencode()}"  # the list as it was filtered
    if form.errors:  # a unit outside one's scope, dropped, would widen the list to all one's people (QA round 50)
        messages.error(request, _("A filter is not valid (see the list): no code was given."))
        return redirect(back)
    if request.POST.get("confirm") != "1":
        messages.error(
            request, _("Tick the box to confirm that the codes handed out before stop working. No code was given.")
        )
        return redirect(back)
    if request.POST.get("as") not in ("xlsx", "pdf"):
        messages.error(request, _("Choose the file to download: a sheet (.xlsx) or cards (.pdf). No code was given."))
        return redirect(back)
    cards = request.POST["as"] == "pdf"
    try:
        name, data, count = import_services.activation_codes_for_list(actor=request.user, filters=filters, cards=cards)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(back)
    # Shown on the next page: the download alone leaves this one as it was (QA round 52)
    given = ngettext(
        "%(n)s person was given a new code at %(time)s: it is in the file downloaded then (%(name)s).",
        "%(n)s people were given new codes at %(time)s: they are in the file downloaded then (%(name)s).",
        count,
    ) % {"n": grouped(count), "time": f"{timezone.localtime():%H:%M}", "name": name}
    shown = request.POST.get("shown", "")
    if shown.isdigit() and int(shown) != count:  # people moved, activated or were added since the page was shown
        given += " " + _(
            "The list had changed since the page showed it: %(shown)s people then, %(n)s when the codes were given."
        ) % {"shown": grouped(int(shown)), "n": grouped(count)}
    messages.success(request, given)
    content_type = "application/pdf" if cards else XLSX_TYPE
    return HttpResponse(
        data, content_type=content_type, headers={"Content-Disposition": content_disposition_header(True, name)}
    )


@login_required
def person_export(request):
    form, filters = _filters(request)
    if form.is_bound and form.errors:  # QA round 43: a forged unit was dropped and everyone exported
        messages.error(request, _("A filter is not valid (see the list): nothing was exported."))
        return redirect(f"{reverse('people:list')}?{request.GET.urlencode()}")
    try:
        return xlsx_download(*services.people_export(actor=request.user, filters=filters))
    except ValidationError as exc:  # more people than a sheet holds
        messages.error(request, " ".join(exc.messages))
        query = request.GET.urlencode()
        return redirect(f"{reverse('people:list')}?{query}" if query else reverse("people:list"))


def _detail_context(request, person: Person, **extra) -> dict:
    can_change = permissions.can_change_person(request.user, person)
    account = User.objects.filter(person=person).first() if can_change else None
    return {
        "person": person,
        "can_change": can_change,
        "account": account,
        "account_refusal": services.account_code_refusal(account) if account is not None else "",
        "now": timezone.now(),
        "can_reveal": permissions.can_reveal_cccd(request.user, person),
        "data_requests": person.data_requests.all()[:20],
        **extra,
    }


@login_required
def person_detail(request, pk: int):
    person = _accessible(request, pk)
    return render(request, "people/person_detail.html", _detail_context(request, person))


@login_required
@require_POST
@never_cache  # the CCCD in full: not kept by the browser or a proxy
def person_cccd(request, pk: int):
    person = _accessible(request, pk)
    if not permissions.can_reveal_cccd(request.user, person):
        raise PermissionDenied
    clear = services.person_cccd_reveal(actor=request.user, person=person)
    template = "people/person_detail.html#cccd" if request.htmx else "people/person_detail.html"
    return render(request, template, _detail_context(request, person, cccd_clear=clear))


@login_required
@require_http_methods(["GET", "POST"])
def person_activation_code(request, pk: int):
    """POST: a new activation code (and the account, if there is none), then a redirect to GET, which shows
    it once with its QR code: reloading the page, or going back to it, gives no second code and does not
    cancel the one just printed. The code waits in the session until shown."""
    person = _accessible(request, pk, write=True)
    key = f"activation-code:{person.pk}"
    if request.method == "POST":
        if not request.POST.get("confirm") and User.objects.filter(person=person).exists():
            # The form's box, ticked: the code handed out before stops working (no JavaScript needed)
            messages.error(request, _("Tick the box to confirm that the code handed out before stops working."))
            return _go(request, "people:detail", pk=person.pk)
        try:
            user, code = services.account_code_issue(actor=request.user, person=person)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return _go(request, "people:detail", pk=person.pk)
        import_services.activation_files_outdated([(user, code)])
        request.session[key] = [user.username, code]
        return _go(request, "people:activation_code", pk=person.pk)
    issued = request.session.pop(key, None)
    account = User.objects.filter(person=person).first()
    if issued is None or account is None or account.username != issued[0]:
        messages.info(request, _("An activation code is shown once. To give another, use the button below."))
        return redirect("people:detail", pk=person.pk)
    code = issued[1]
    context = {
        "person": person,
        "account": account,
        "code": code,
        "address": activation_address(),
        "qr": qr_png_data_uri(activation_url(account.username, code)),
    }
    response = render(request, "people/activation_code.html", context)
    response["Cache-Control"] = "no-store"  # the code is shown once: not kept by the browser or a proxy
    return response


def _go(request, view: str, **kwargs):
    """A redirect; to a form sent by htmx (one that asked for a confirmation first: hx-confirm), one the
    browser follows as a whole page."""
    if request.htmx:
        return HttpResponseClientRedirect(reverse(view, kwargs=kwargs))
    return redirect(view, **kwargs)


def _save_person(request, form: PersonForm, person: Person | None):
    data = dict(form.cleaned_data)
    cccd = data.pop("cccd") or None
    try:
        if person is None:
            person = services.person_create(actor=request.user, cccd=cccd or "", **data)
        else:
            services.person_update(actor=request.user, person=person, cccd=cccd, **data)
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return None
    return person


@login_required
def person_create(request):
    if not permissions.can_create_people(request.user):
        raise PermissionDenied
    form = PersonForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        person = _save_person(request, form, None)
        if person is not None:
            messages.success(request, _("The person was added."))
            return redirect("people:detail", pk=person.pk)
    return render(request, "people/person_form.html", {"form": form, "person": None})


@login_required
def person_edit(request, pk: int):
    person = _accessible(request, pk)
    if not permissions.can_change_person(request.user, person):
        raise PermissionDenied
    initial = {
        "full_name": person.full_name,
        "date_of_birth": person.date_of_birth,
        "sex": person.sex,
        "phone": person.phone,
        "email": person.email,
        "organisation": person.organisation,
        "position": person.position,
        "target_groups": person.target_group_codes,
        "lawful_basis": person.lawful_basis,
    }
    form = PersonForm(request.POST or None, actor=request.user, initial=initial)
    if request.method == "POST" and form.is_valid() and _save_person(request, form, person) is not None:
        messages.success(request, _("The changes were saved."))
        return redirect("people:detail", pk=person.pk)
    return render(request, "people/person_form.html", {"form": form, "person": person})


@login_required
@require_POST
def person_erase(request, pk: int):
    person = _accessible(request, pk)
    if not permissions.can_change_person(request.user, person):
        raise PermissionDenied
    services.person_erase(actor=request.user, person=person)
    messages.success(request, _("The person's data was deleted."))
    return redirect("people:list")


@login_required
def my_data(request):
    """A person sees their own data, corrects contact details and asks for correction or deletion."""
    person = request.user.person
    if person is None:
        return render(request, "people/my_data.html", {"person": None})
    contact = MyDataForm(
        request.POST if "save_contact" in request.POST else None,
        initial={"phone": person.phone, "email": person.email},
    )
    ask = DataRequestForm(request.POST if "send_request" in request.POST else None)
    if request.method == "POST":
        if "save_contact" in request.POST and contact.is_valid():
            try:
                services.person_update(actor=request.user, person=person, **contact.cleaned_data)
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    contact.add_error(field if field in contact.fields else None, errors)
            else:
                messages.success(request, _("Your contact details were saved."))
                return redirect("people:me")
        if "send_request" in request.POST and ask.is_valid():
            services.data_request_create(person=person, **ask.cleaned_data)
            messages.success(request, _("Your request was sent to your unit's administrator."))
            return redirect("people:me")
    return render(
        request,
        "people/my_data.html",
        {
            "person": person,
            "contact": contact,
            "ask": ask,
            "requests": person.data_requests.all()[:20],
        },
    )
