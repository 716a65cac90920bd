from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from kynangso.people import services

ERR_LOCKED = _("Too many wrong passwords: this account is locked for a few minutes. Try again later.")


class LoginForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("Wrong username or password."),
        "locked": ERR_LOCKED,
        "not_activated": _(
            "This is the activation code of a new account, not its password. Set your password first on the "
            "page “Activate your account” below."
        ),
    }

    def clean_username(self):
        return services.username_as_stored(self.cleaned_data.get("username") or "")

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        if username and (
            services.is_locked(username) or services.attempts_exhausted("login", username, settings.LOGIN_MAX_FAILURES)
        ):
            raise forms.ValidationError(self.error_messages["locked"], code="locked")
        try:
            return super().clean()
        except forms.ValidationError:
            if username and self.user_cache is None:  # a wrong password (not an inactive or non-staff account)
                # Not counted as a wrong password: the owner holds the code, and the lock would outlast it.
                if services.is_activation_code(username=username, code=self.cleaned_data.get("password") or ""):
                    raise forms.ValidationError(self.error_messages["not_activated"], code="not_activated") from None
                services.login_failure_record(username=username)
            raise


class AdminLoginForm(LoginForm, AdminAuthenticationForm):
    """The Django admin's login (/admin/login/): the same lockout as the site's, and staff only."""

    error_messages = {**AdminAuthenticationForm.error_messages, **LoginForm.error_messages}


_NEW_PASSWORD = forms.PasswordInput(attrs={"autocomplete": "new-password"})


class ActivateForm(forms.Form):
    # Phones: no capital first letter, no autocorrect; password managers offer to save the new password.
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "autocapitalize": "none", "autocorrect": "off", "spellcheck": "false"}
        ),
    )
    code = forms.CharField(
        label=_("Activation code"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autocapitalize": "characters"}),
    )
    password1 = forms.CharField(label=_("New password"), widget=_NEW_PASSWORD, strip=False)
    password2 = forms.CharField(label=_("Repeat the new password"), widget=_NEW_PASSWORD, strip=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The rules before the first try, not only after: "At least 8 characters. …"
        self.fields["password1"].help_text = " ".join(password_validation.password_validators_help_texts())

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password1") != data.get("password2"):
            raise forms.ValidationError(_("The two passwords differ."))
        return data
