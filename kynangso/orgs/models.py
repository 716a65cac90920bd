from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kynangso.core.models import TimeStampedModel

from .choices import AdminLevel, OrgType, Role, SpaceKind

ERR_ORG_CYCLE = _("An organisation cannot be placed under itself or one of its own sub-units.")
ERR_ORG_CODE_TAKEN = _("This organisation code is already used.")


class AdminUnit(models.Model):
    """An administrative unit (province, district, commune) as it existed between valid_from and valid_to.

    The 2025 reform reused codes, so a code identifies a unit only together with its validity: the
    pre-2025 commune 00004 (Phường Trúc Bạch) and the current 00004 (Phường Ba Đình) are two rows.
    `successors` links an old unit to the unit(s) that replaced it; an unchanged unit is its own row
    with an open valid_to."""

    code = models.CharField(_("code"), max_length=10)
    level = models.CharField(_("level"), max_length=10, choices=AdminLevel.choices)
    name = models.CharField(_("name"), max_length=120)
    full_name = models.CharField(_("full name"), max_length=160)
    name_en = models.CharField(_("English name"), max_length=160, blank=True)
    unit_type = models.CharField(_("unit type"), max_length=60, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    province_code = models.CharField(_("province code"), max_length=2, db_index=True)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True, help_text=_("Last day of validity."))
    successors = models.ManyToManyField(
        "self",
        verbose_name=_("successors"),
        symmetrical=False,
        blank=True,
        related_name="predecessors",
        through="AdminUnitSuccession",
    )

    class Meta:
        verbose_name = _("administrative unit")
        verbose_name_plural = _("administrative units")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["level", "code", "valid_from"], name="adminunit_level_code_from_uniq"),
        ]
        indexes = [models.Index(fields=["level", "valid_from", "valid_to"], name="adminunit_valid_idx")]

    def __str__(self) -> str:
        return self.full_name


class AdminUnitSuccession(models.Model):
    predecessor = models.ForeignKey(AdminUnit, on_delete=models.CASCADE, related_name="+")
    successor = models.ForeignKey(AdminUnit, on_delete=models.CASCADE, related_name="+")
    partial = models.BooleanField(_("partial"), default=False, help_text=_("Only part of the old unit went here."))

    class Meta:
        verbose_name = _("succession")
        verbose_name_plural = _("successions")
        constraints = [
            models.UniqueConstraint(fields=["predecessor", "successor"], name="adminunit_succession_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.predecessor_id} → {self.successor_id}"


class Organisation(TimeStampedModel):
    """A node of the organisation tree. `path` ("/00000001/00000005/") holds the zero-padded ids from the
    root, so a subtree is one indexed prefix query; `space` is the tenant the node belongs to (copied down
    from the root)."""

    code = models.CharField(_("code"), max_length=40, unique=True, error_messages={"unique": ERR_ORG_CODE_TAKEN})
    name = models.CharField(_("name"), max_length=255)
    org_type = models.CharField(_("type"), max_length=32, choices=OrgType.choices, default=OrgType.OTHER)
    admin_unit = models.ForeignKey(
        AdminUnit,
        verbose_name=_("administrative unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="organisations",
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    space = models.ForeignKey(
        "Space",
        verbose_name=_("space"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="organisations",
    )
    path = models.CharField(_("path"), max_length=255, db_index=True, editable=False, default="")
    depth = models.PositiveSmallIntegerField(_("depth"), default=0, editable=False)
    search_text = models.CharField(max_length=255, editable=False, default="")

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.pk and self.parent_id:
            node = self.parent
            while node is not None:
                if node.pk == self.pk:
                    raise ValidationError({"parent": ERR_ORG_CYCLE})
                node = node.parent

    def subtree_q(self, prefix: str = "") -> Q:
        return Q(**{f"{prefix}path__startswith": self.path})


class Space(TimeStampedModel):
    """A tenant: the nation, a province or a ministry. It owns the subtree under `root` and a quota of
    learner accounts."""

    name = models.CharField(_("name"), max_length=255)
    kind = models.CharField(_("kind"), max_length=16, choices=SpaceKind.choices)
    root = models.OneToOneField(
        Organisation,
        verbose_name=_("root organisation"),
        on_delete=models.PROTECT,
        related_name="owned_space",
    )
    admin_unit = models.ForeignKey(
        AdminUnit,
        verbose_name=_("province"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    learner_quota = models.PositiveIntegerField(_("learner account quota"), default=settings.SPACE_DEFAULT_QUOTA)

    class Meta:
        verbose_name = _("space")
        verbose_name_plural = _("spaces")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class RoleGrant(TimeStampedModel):
    """A role given to a user on an organisation node; it covers the node's whole subtree."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="grants"
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.CASCADE, related_name="grants"
    )

    class Meta:
        verbose_name = _("role grant")
        verbose_name_plural = _("role grants")
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "organisation"], name="rolegrant_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.organisation}"
