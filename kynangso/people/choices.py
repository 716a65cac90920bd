from django.db import models
from django.utils.translation import gettext_lazy as _


class Sex(models.TextChoices):
    MALE = "male", _("Male")
    FEMALE = "female", _("Female")


class TargetGroup(models.TextChoices):
    LEADER = "leader", _("Leader")
    OFFICIAL = "official", _("Cadre, civil servant or public employee")
    DX_SPECIALIST = "dx_specialist", _("Digital transformation or IT specialist")
    WORKER = "worker", _("Worker")
    CITIZEN = "citizen", _("Citizen")
    STUDENT = "student", _("Pupil or student")
    TEACHER = "teacher", _("Teacher")
    DX_EXPERT = "dx_expert", _("Digital transformation expert")
    COMMUNITY_TEAM = "community_team", _("Community digital technology team member")


class LawfulBasis(models.TextChoices):
    """Law 91/2025/QH15: every processing of personal data has consent or a basis in law."""

    LEGAL_OBLIGATION = "legal_obligation", _("Legal obligation (mandatory training of officials)")
    CONSENT = "consent", _("Consent of the person")
    CONTRACT = "contract", _("Contract (employment or enrolment)")
    PUBLIC_TASK = "public_task", _("Public task of the agency")


class DataRequestKind(models.TextChoices):
    CORRECTION = "correction", _("Correction")
    DELETION = "deletion", _("Deletion")


class DataRequestStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    REFUSED = "refused", _("Refused")


class AccountState(models.TextChoices):
    """Where a person's learner account stands, as the people list filters it (QA round 47: nobody could
    see who had not activated the account an import made)."""

    NONE = "none", _("No account")
    WAITING = "waiting", _("Not activated yet")
    EXPIRED = "expired", _("Code expired")  # not activated, the code too old: it needs a new one
    ACTIVE = "active", _("Activated")
