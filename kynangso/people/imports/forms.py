import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import ImportMode
from .selectors import importable_organisations
from .services import ERR_FILE_EMPTY

DRY_RUN = "dry_run"
MODE_CHOICES = [
    (DRY_RUN, _("Check only: show the errors, write nothing")),
    (ImportMode.COMMIT_VALID.value, _("Import the valid rows and give me the others in an error file")),
    (ImportMode.ALL_OR_NOTHING.value, _("Import everything or nothing: stop if any row has an error")),
]


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("File (.xlsx, .xls, .ods or .csv)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xls,.ods,.csv"}),
        help_text=_("Up to 200 MB. Title rows above the header, blank rows and extra columns are fine."),
        error_messages={"empty": ERR_FILE_EMPTY},
    )
    organisation = forms.ModelChoiceField(
        label=_("Import into"),
        queryset=None,
        empty_label=None,
        help_text=_(
            "New people of rows without a unit code go here (people already stored keep their unit); unit codes "
            "in the file must lie inside it."
        ),
    )
    mode = forms.ChoiceField(
        label=_("What to do"), choices=MODE_CHOICES, initial=ImportMode.COMMIT_VALID.value, widget=forms.RadioSelect
    )
    submission = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)  # one per page shown
    create_accounts = forms.BooleanField(
        label=_("Create learner accounts for the imported people (within the space's quota)"),
        required=False,
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["submission"].initial = uuid.uuid4().hex
        self.fields["organisation"].queryset = importable_organisations(actor=actor)
        self.fields["organisation"].label_from_instance = lambda org: (
            f"{chr(0xA0) * 2 * org.depth}{org.name} ({org.code})"
        )

    def options(self) -> dict:
        mode = self.cleaned_data["mode"]
        return {
            "organisation": self.cleaned_data["organisation"],
            "dry_run": mode == DRY_RUN,
            "mode": ImportMode.COMMIT_VALID if mode == DRY_RUN else mode,
            "create_accounts": self.cleaned_data["create_accounts"],
            "submission_key": self.cleaned_data["submission"],
        }
