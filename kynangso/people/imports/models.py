from django.db import models
from django.utils.translation import gettext_lazy as _

from kynangso.core.models import TimeStampedModel


class PersonImport(TimeStampedModel):
    """One upload of a people workbook: who, when, which file, the options, progress and the counts.
    (Placeholder fields; the import module owns and extends this model.)"""

    created_by = models.ForeignKey("people.User", verbose_name=_("created by"), null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    organisation = models.ForeignKey("orgs.Organisation", verbose_name=_("organisation"),
                                     on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("people import")
        verbose_name_plural = _("people imports")
