from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView, PasswordChangeView
from django.contrib.messages.views import SuccessMessageMixin
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from kynangso.core.http import client_address
from kynangso.orgs.choices import PEOPLE_READ_ROLES
from kynangso.orgs.selectors import has_role, organisation_list
from kynangso.people import services
from kynangso.people.selectors import person_list

from .forms import ActivateForm, LoginForm


class _Login(LoginView):
    form_class = LoginForm
    template_name = "web/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        services.login_success_record(user=form.get_user())
        return super().form_valid(form)


login_view = _Login.as_view()


class _PasswordChange(SuccessMessageMixin, PasswordChangeView):
    template_name = "web/password_change.html"
    success_url = reverse_lazy("people:me")
    success_message = gettext_lazy("Your password was changed.")


password_change = _PasswordChange.as_view()


@require_POST
def logout_view(request):
    logout(request)
    return redirect("web:login")


@login_required
def home(request):
    person = request.user.person
    context = {"display_name": person.full_name if person else request.user.get_full_name() or request.user.username}
    if has_role(request.user, PEOPLE_READ_ROLES):
        context["people_count"] = person_list(actor=request.user).count()
        context["org_count"] = organisation_list(actor=request.user).count()
    return render(request, "web/home.html", context)


@never_cache  # the card's QR code brings the code in the address: not kept by the browser or a proxy
def activate(request):
    # The QR code on an activation card opens /activate/?username=…&code=…: the form comes pre-filled.
    if request.method == "GET" and request.user.is_authenticated:  # back from the home page after activating
        return redirect("web:home")
    form = ActivateForm(request.POST or None, initial={k: request.GET.get(k, "") for k in ("username", "code")})
    if request.method == "POST" and form.is_valid():
        try:
            user = services.account_activate(
                username=form.cleaned_data["username"],
                code=form.cleaned_data["code"],
                password=form.cleaned_data["password1"],
                address=client_address(request),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Your password is set. Welcome!"))
            return redirect("web:home")
    return render(request, "web/activate.html", {"form": form})
