from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", pgettext_lazy("import status", "Done")
    REFUSED = "refused", _("Not imported: some rows have errors")  # all or nothing, and a row was rejected
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


class ImportSource(models.TextChoices):
    """Where an import was started: the importer of an import from the command line without --user is
    the system, not a person."""

    WEB = "web", _("web page")
    API = "api", _("API")
    COMMAND = "command", _("command line")


class ImportMode(models.TextChoices):
    COMMIT_VALID = "commit_valid", _("Import the valid rows and report the others")
    ALL_OR_NOTHING = "all_or_nothing", _("Import everything or nothing")


class ImportPhase(models.TextChoices):
    """What a running import is doing, for the progress line."""

    READING = "reading", _("Reading and checking rows")
    IMPORTING = "importing", _("Reading, checking and writing rows")
    WRITING = "writing", _("Writing")
    FINISHING = "finishing", _("Preparing the reports")


class ActivationJob(models.TextChoices):
    """Work on an import's activation files asked for from its page or the API, done by a task."""

    REMAKE = "remake", _("Making the activation files again")
    RENEW = "renew", _("Giving new activation codes")


class ActivationOutcome(models.TextChoices):
    """How the last ActivationJob ended (the page and the API word it: services.activation_outcome_message)."""

    REMADE = "remade", _("Made again")
    RENEWED = "renewed", _("New codes given")
    NO_CODE_LEFT = "no_code_left", _("No code of the sheet still works")
    ALL_ACTIVATED = "all_activated", _("No account left to give a new code to")
    NOT_ALLOWED = "not_allowed", _("Not allowed")
    FAILED = "failed", _("Failed")
    STALE = "stale", _("Not done: the background worker did not run it in time")


FINISHED_STATUSES = (ImportStatus.DONE, ImportStatus.REFUSED, ImportStatus.FAILED, ImportStatus.CANCELLED)
