"""The job row of a bulk import of people: who, when, which file, the options, the live progress and the
outcome (counts, error workbook, activation sheets). The runner is in `services.py`."""

from django.core.files.storage import default_storage
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from kynangso.core.models import TimeStampedModel

from .choices import (
    FINISHED_STATUSES,
    ActivationJob,
    ActivationOutcome,
    ImportMode,
    ImportPhase,
    ImportSource,
    ImportStatus,
)

UPLOAD_TO = "people-imports/%Y/%m/"


class PersonImport(TimeStampedModel):
    """One upload of a people workbook.

    Counts: every data row read ends in exactly one of created / updated / unchanged / rejected (for a dry
    run, or an all-or-nothing import refused because of bad rows, these say what *would* have happened and
    `rows_written` stays 0). `rows_written` counts the rows whose data were actually committed."""

    created_by = models.ForeignKey(
        "people.User", verbose_name=_("created by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    organisation = models.ForeignKey(
        "orgs.Organisation", verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="+"
    )
    # Empty: an import made before this was recorded (services.person_import_create always sets it).
    source = models.CharField(_("started from"), max_length=8, choices=ImportSource.choices, blank=True, default="")
    status = models.CharField(
        _("status"), max_length=16, choices=ImportStatus.choices, default=ImportStatus.QUEUED, db_index=True
    )
    phase = models.CharField(_("phase"), max_length=16, choices=ImportPhase.choices, blank=True)
    mode = models.CharField(_("mode"), max_length=16, choices=ImportMode.choices, default=ImportMode.COMMIT_VALID)
    dry_run = models.BooleanField(_("dry run (check only)"), default=False)
    create_accounts = models.BooleanField(_("create learner accounts"), default=False)
    language = models.CharField(_("language of the messages"), max_length=8, default="vi")

    file = models.FileField(_("file"), upload_to=UPLOAD_TO, max_length=255)
    original_name = models.CharField(_("original file name"), max_length=255)
    unknown_columns = models.JSONField(_("ignored columns"), default=list, blank=True)

    rows_total = models.PositiveIntegerField(_("rows in the file (estimate)"), null=True, blank=True)
    rows_read = models.PositiveIntegerField(_("rows read"), default=0)
    rows_valid = models.PositiveIntegerField(_("valid rows"), default=0)
    rows_written = models.PositiveIntegerField(_("rows written"), default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    unchanged_count = models.PositiveIntegerField(_("unchanged"), default=0)
    rejected_count = models.PositiveIntegerField(_("rejected"), default=0)
    accounts_created = models.PositiveIntegerField(_("accounts created"), default=0)

    error_report = models.FileField(_("error workbook"), upload_to=UPLOAD_TO, max_length=255, blank=True)
    activation_sheet = models.FileField(_("activation sheet (Excel)"), upload_to=UPLOAD_TO, max_length=255, blank=True)
    activation_pdf = models.FileField(_("activation sheet (PDF)"), upload_to=UPLOAD_TO, max_length=255, blank=True)
    # When the sheet's codes were last given anew (activation_codes_renew): they expire counting from then.
    codes_renewed_at = models.DateTimeField(_("activation codes renewed at"), null=True, blank=True)
    # Accounts of these files given a newer code elsewhere since the files were made (the people list's new
    # codes, a person's page): their codes here no longer work (services.activation_files_outdated)
    codes_replaced = models.PositiveIntegerField(_("codes replaced since"), default=0)
    codes_replaced_at = models.DateTimeField(_("codes last replaced at"), null=True, blank=True)
    # Making the activation files again (services.activation_files_request), waiting for or done by its task,
    # and how the last time ended: the accounts on the new sheet, and those of the list left out.
    activation_job = models.CharField(
        _("activation files job"), max_length=8, choices=ActivationJob.choices, blank=True
    )
    activation_outcome = models.CharField(
        _("activation files outcome"), max_length=16, choices=ActivationOutcome.choices, blank=True
    )
    activation_listed = models.PositiveIntegerField(_("accounts on the activation sheet"), default=0)
    activation_left_out = models.PositiveIntegerField(_("accounts left off the activation sheet"), default=0)

    message = models.TextField(_("message"), blank=True)
    # The first messages of the error workbook, shown on the page and in the API (all are in the workbook).
    first_errors = models.JSONField(_("first error messages"), default=list, blank=True)
    error_messages = models.PositiveIntegerField(_("error messages"), default=0)  # all of them, in the error report
    task_id = models.CharField(_("task id"), max_length=64, blank=True)
    # The form's one-time key (or an API client's Idempotency-Key): a double submit finds the first import.
    submission_key = models.CharField(_("submission key"), max_length=64, blank=True, default="", editable=False)
    cancel_requested = models.BooleanField(_("cancel requested"), default=False)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("people import")
        verbose_name_plural = _("people imports")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organisation", "-created_at"], name="personimport_org_idx")]
        constraints = [
            models.UniqueConstraint(  # each user's keys are their own
                fields=["created_by", "submission_key"],
                condition=~Q(submission_key=""),
                name="personimport_user_submission_uniq",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=[ImportStatus.DONE, ImportStatus.REFUSED])
                | Q(rows_read=F("created_count") + F("updated_count") + F("unchanged_count") + F("rejected_count")),
                name="personimport_counts_add_up",
                violation_error_message=_("The counts of a finished import must add up to the rows read."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED_STATUSES

    @property
    def hypothetical(self) -> bool:
        """The counts say what the import would do, or would have done: nothing was written. A check, an
        all-or-nothing import refused for bad rows, and a cancelled import that wrote nothing (all or
        nothing rolls everything back) — whose counts are of the rows checked before the cancel; not one
        cancelled before it read a row (QA round 27: its zeros are not what an import would do)."""
        if not self.rows_read:  # queued, or cancelled before it read a row: no counts to speak of (QA round 29)
            return False
        return (
            self.dry_run
            or self.status == ImportStatus.REFUSED
            or (self.status == ImportStatus.CANCELLED and not self.rows_written)
        )

    @property
    def account_only(self) -> int:
        """Rows written only for their account: people already stored, unchanged, given a learner account."""
        return 0 if self.hypothetical else max(self.rows_written - self.created_count - self.updated_count, 0)

    @property
    def worth_importing(self) -> bool:
        """A finished check that an import of its file would write rows from: at least one accepted row
        and, with all or nothing, none rejected."""
        return (
            self.dry_run
            and self.status == ImportStatus.DONE
            and self.rows_accepted > 0
            and not (self.mode == ImportMode.ALL_OR_NOTHING and self.rejected_count)
        )

    @property
    def rows_accepted(self) -> int:
        return self.created_count + self.updated_count + self.unchanged_count

    @property
    def live_counts_name(self) -> str:
        """Storage name of the rows read and checked so far, written by the runner after every chunk while
        its transaction is open (the database shows counts only from the last commit: on SQLite the
        import holds the one write lock). Read by `selectors.person_import_get`; deleted at the end."""
        return f"imports/live/{self.pk}.json"

    @property
    def cancel_marker_name(self) -> str:
        """Storage name of a cancel request. The request is also written to the database when it can be;
        the file reaches a runner whose transaction holds SQLite's one write lock (all or nothing writes
        a whole file in one transaction), which the database write would wait for. Deleted at the end."""
        return f"imports/live/{self.pk}.cancel"

    @property
    def accounts_list_name(self) -> str:
        """Storage name of the usernames of every account the import made, one a line, written with the
        first activation sheet and kept: remade sheets leave out the activated, and giving new codes to
        everyone not activated (`activation_files_request(renew=True)`) starts again from this list."""
        return f"imports/accounts/{self.pk}.txt"

    @property
    def cancelling(self) -> bool:
        """A cancel was asked for and the runner has not stopped yet."""
        return not self.is_finished and (self.cancel_requested or default_storage.exists(self.cancel_marker_name))

    @property
    def percent(self) -> int:
        if self.status in (ImportStatus.DONE, ImportStatus.REFUSED):
            return 100
        if self.phase == ImportPhase.WRITING and self.rows_valid:  # all or nothing, after its check pass
            return min(100, round(100 * self.rows_written / self.rows_valid))
        if not self.rows_total:
            return 0
        return min(100, round(100 * self.rows_read / self.rows_total))
