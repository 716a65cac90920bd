from django import forms
from django.utils.translation import gettext_lazy as _

from kynangso.orgs.choices import PEOPLE_WRITE_ROLES
from kynangso.orgs.selectors import organisation_list

from . import rules
from .choices import AccountState, DataRequestKind, LawfulBasis, Sex, TargetGroup

ERR_EMAIL_INVALID = _("Not a valid email address (for example ten@gmail.com).")


class PersonFilterForm(forms.Form):
    label_suffix = ""
    q = forms.CharField(
        label=_("Search by name"),
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("e.g. nguyen van an")}),
    )
    organisation = forms.TypedChoiceField(label=_("Organisation"), required=False, coerce=int, empty_value=None)
    target_group = forms.ChoiceField(
        label=_("Target group"), required=False, choices=[("", _("All")), *TargetGroup.choices]
    )
    working_age = forms.TypedChoiceField(
        label=_("Working age"),
        required=False,
        empty_value=None,
        coerce=lambda v: {"yes": True, "no": False}.get(v),
        choices=[("", _("Everyone")), ("yes", _("Of working age")), ("no", _("Not of working age"))],
    )
    account = forms.ChoiceField(
        label=_("Account"), required=False, choices=[("", _("Everyone")), *AccountState.choices]
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        orgs = organisation_list(actor=actor).values_list("pk", "name", "depth")[:500]
        self.fields["organisation"].choices = [("", _("All"))] + [
            (pk, "\u00a0\u00a0" * depth + name) for pk, name, depth in orgs
        ]


class PersonForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=120)
    date_of_birth = forms.DateField(
        label=_("Date of birth"), required=False, widget=forms.DateInput(attrs={"placeholder": "dd/mm/yyyy"})
    )
    sex = forms.ChoiceField(label=_("Sex"), required=False, choices=[("", "—"), *Sex.choices])
    cccd = forms.CharField(
        label=_("CCCD number"),
        required=False,
        max_length=14,
        help_text=_("12 digits. Leave empty to keep the stored number."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    phone = forms.CharField(
        label=_("Mobile phone"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel"}),
    )
    email = forms.EmailField(label=_("Email"), required=False, error_messages={"invalid": ERR_EMAIL_INVALID})
    organisation = forms.ModelChoiceField(label=_("Organisation"), queryset=None)
    position = forms.CharField(label=_("Position"), required=False, max_length=120)
    target_groups = forms.MultipleChoiceField(
        label=_("Target groups"),
        required=False,
        choices=TargetGroup.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    lawful_basis = forms.ChoiceField(
        label=_("Lawful basis for processing"),
        choices=LawfulBasis.choices,
        help_text=_("Law 91/2025/QH15 on personal data protection."),
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisation_list(actor=actor, roles=PEOPLE_WRITE_ROLES)

    # The rules of a field on its own, here too, so that one wrong field (a date) does not hide the others'
    # errors until the next try; the values go to the services as typed, which apply every rule again,
    # the CCCD's agreement with the birth date and sex included.
    def _rule(self, name: str, check) -> str:
        value = self.cleaned_data.get(name) or ""
        if value:
            try:
                check(value)
            except rules.RuleError as exc:
                raise forms.ValidationError(exc.message) from None
        return value

    def clean_full_name(self) -> str:
        return self._rule("full_name", rules.check_name)

    def clean_cccd(self) -> str:
        return self._rule("cccd", rules.clean_cccd)

    def clean_phone(self) -> str:
        return self._rule("phone", rules.clean_phone)


class MyDataForm(forms.Form):
    """What a person may correct themselves; the rest goes through a correction request."""

    phone = forms.CharField(
        label=_("Mobile phone"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    email = forms.EmailField(
        label=_("Email"),
        required=False,
        error_messages={"invalid": ERR_EMAIL_INVALID},
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class DataRequestForm(forms.Form):
    kind = forms.ChoiceField(label=_("Request"), choices=DataRequestKind.choices)
    message = forms.CharField(label=_("Details"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
