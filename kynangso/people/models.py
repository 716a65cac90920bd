from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kynangso.core.models import TimeStampedModel

from .choices import AccountState, DataRequestKind, DataRequestStatus, LawfulBasis, Sex, TargetGroup
from .codes import person_code

ERR_CCCD_TAKEN = _("Another person already has this CCCD number.")


class Person(TimeStampedModel):
    """Someone the programme reaches: an official, a worker, a citizen, a pupil.

    The CCCD is kept encrypted (`cccd_encrypted`), unique through a keyed hash (`cccd_hash`) and shown
    masked (`cccd_masked`); reading the clear value goes through services.person_cccd_reveal, which audits.
    `search_text` and `sort_key` are derived from the name (kynangso.core.text) on every write."""

    full_name = models.CharField(_("full name"), max_length=120)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    # Only a year is known (a list's "Năm sinh", a CCCD's digits): kept while there is no date of birth, and
    # read only then (birth_year_known); it keeps namesakes born in other years apart (people.imports).
    birth_year = models.PositiveSmallIntegerField(_("year of birth"), null=True, blank=True, editable=False)
    sex = models.CharField(_("sex"), max_length=8, choices=Sex.choices, blank=True)
    cccd_encrypted = models.BinaryField(_("CCCD (encrypted)"), null=True, blank=True, editable=False)
    cccd_hash = models.CharField(
        max_length=64,
        null=True,
        blank=True,
        editable=False,
        error_messages={"unique": ERR_CCCD_TAKEN},
    )
    cccd_masked = models.CharField(_("CCCD"), max_length=12, blank=True, editable=False)
    phone = models.CharField(_("phone"), max_length=10, blank=True)
    email = models.EmailField(_("email"), blank=True)
    organisation = models.ForeignKey(
        "orgs.Organisation",
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="people",
    )
    position = models.CharField(_("position"), max_length=120, blank=True)
    lawful_basis = models.CharField(
        _("lawful basis"), max_length=24, choices=LawfulBasis.choices, default=LawfulBasis.LEGAL_OBLIGATION
    )
    consent_at = models.DateTimeField(_("consent given at"), null=True, blank=True)
    # No index: searches are LIKE '%word%', which a B-tree cannot serve (pg_trgm would: decision 0002).
    search_text = models.CharField(max_length=255, editable=False, default="")
    sort_key = models.CharField(max_length=255, editable=False, default="")
    created_by = models.ForeignKey(
        "people.User",
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["sort_key", "id"]
        # Every index on a random key (hash, name) costs the bulk import a random page write per row
        # (bench/README.md), so there are two: the CCCD hash and the name order. Lists of a whole province
        # walk person_sort_idx; a unit's list reads its people through the organisation index and sorts
        # them. Declared here rather than with unique=True / db_index=True so that PostgreSQL gets no
        # varchar_pattern_ops copy of each (for LIKE 'x%', which no query does).
        constraints = [models.UniqueConstraint(fields=["cccd_hash"], name="person_cccd_hash_uniq")]
        indexes = [models.Index(fields=["sort_key"], name="person_sort_idx")]

    def __str__(self) -> str:
        return self.full_name

    @property
    def birth_year_known(self) -> int | None:
        """The year of birth: the date's, or the year kept alone."""
        return self.date_of_birth.year if self.date_of_birth else self.birth_year

    @property
    def code(self) -> str:
        """The person's code on the platform (codes.py), as the export's last column gives it."""
        return person_code(self.pk)

    @property
    def year_alone(self) -> int | None:
        """The year kept alone, as it counts: none once there is a date (one set elsewhere may leave it)."""
        return None if self.date_of_birth else self.birth_year

    @property
    def target_group_codes(self) -> list[str]:
        return [g.group for g in self.target_groups.all()]


class PersonTargetGroup(models.Model):
    person = models.ForeignKey(
        Person,
        on_delete=models.CASCADE,
        related_name="target_groups",
        db_index=False,  # person_group_uniq
    )
    group = models.CharField(_("target group"), max_length=24, choices=TargetGroup.choices)

    class Meta:
        verbose_name = _("target group membership")
        verbose_name_plural = _("target group memberships")
        constraints = [models.UniqueConstraint(fields=["person", "group"], name="person_group_uniq")]
        indexes = [models.Index(fields=["group", "person"], name="persongroup_group_idx")]

    def __str__(self) -> str:
        return self.get_group_display()


class User(AbstractUser):
    """A login account. Learner accounts made in bulk start with an unusable password and a one-time
    activation code (stored as a keyed hash); the owner sets the password at first login."""

    person = models.OneToOneField(
        Person,
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="account",
    )
    # AbstractUser's field, unique through Meta.constraints instead of unique=True, for the same reason as
    # Person's CCCD hash: PostgreSQL would add a varchar_pattern_ops copy of the index, which no query
    # uses (about 1 s of a plain COPY of 200,000 accounts, bench/README.md).
    username = models.CharField(
        AbstractUser._meta.get_field("username").verbose_name,
        max_length=150,
        help_text=AbstractUser._meta.get_field("username").help_text,
        validators=[AbstractUser.username_validator],
        error_messages={"unique": AbstractUser._meta.get_field("username").error_messages["unique"]},
    )
    # Readable usernames: given name + initials ("annv"), then "annv2", "annv3" for namesakes; the last
    # number of each base is kept in UsernameSequence, so these two columns need no index.
    username_base = models.CharField(max_length=150, blank=True, editable=False)
    username_seq = models.PositiveIntegerField(default=1, editable=False)
    activation_code_hash = models.CharField(max_length=64, blank=True, editable=False)
    activation_expires_at = models.DateTimeField(_("activation code expires at"), null=True, blank=True)
    failed_logins = models.PositiveSmallIntegerField(_("failed logins in a row"), default=0)
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)

    class Meta:
        verbose_name = _("user account")
        verbose_name_plural = _("user accounts")
        constraints = [models.UniqueConstraint(fields=["username"], name="user_username_uniq")]

    def get_full_name(self) -> str:
        """Vietnamese order: family and middle names (last_name) before the given name (first_name)."""
        return f"{self.last_name} {self.first_name}".strip()

    @property
    def account_state(self) -> str:
        """Where the account stands (AccountState): activated, its code waiting, or its code expired. The same
        rule for a query: state_q."""
        if not self.activation_code_hash:
            return AccountState.ACTIVE
        expired = self.activation_expires_at is not None and self.activation_expires_at < timezone.now()
        return AccountState.EXPIRED if expired else AccountState.WAITING

    @staticmethod
    def state_q(state: str, *, via: str = "") -> models.Q:
        """The accounts in `state` (AccountState), as account_state decides it, for a query of accounts or,
        with `via` ("account__"), of what they belong to (NONE: those without one)."""
        code = models.Q(**{f"{via}activation_code_hash__gt": ""})  # a code given and not used yet
        expired = models.Q(**{f"{via}activation_expires_at__lt": timezone.now()})
        return {
            AccountState.NONE: models.Q(**{f"{via}pk__isnull": True}),
            AccountState.ACTIVE: models.Q(**{f"{via}pk__isnull": False, f"{via}activation_code_hash": ""}),
            AccountState.WAITING: code & ~expired,
            AccountState.EXPIRED: code & expired,
        }[state]


class UsernameSequence(models.Model):
    """The last number given to a username base ("annv" → 3 means annv, annv2, annv3 exist), so a bulk
    import finds the next free usernames by reading one row per base, however many accounts there are."""

    base = models.CharField(max_length=150, primary_key=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("username sequence")
        verbose_name_plural = _("username sequences")

    def __str__(self) -> str:
        return f"{self.base}:{self.last}"


class ApiToken(TimeStampedModel):
    """A bearer token for the API; only its keyed hash is stored, the clear token is shown once."""

    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=80)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(_("prefix"), max_length=8, editable=False)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class DataRequest(TimeStampedModel):
    """A data subject's request to correct or delete their data (Law 91/2025/QH15)."""

    person = models.ForeignKey(
        Person, verbose_name=_("person"), null=True, on_delete=models.SET_NULL, related_name="data_requests"
    )
    person_name = models.CharField(_("person's name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=16, choices=DataRequestKind.choices)
    message = models.TextField(_("message"), blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=DataRequestStatus.choices, default=DataRequestStatus.OPEN
    )
    handled_by = models.ForeignKey(
        User, verbose_name=_("handled by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("data request")
        verbose_name_plural = _("data requests")
        ordering = ["-created_at"]


from .imports.models import PersonImport  # noqa: E402,F401  (the bulk import's job rows live in people.imports)
