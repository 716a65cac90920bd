from django.apps import AppConfig
from django.conf import settings
from django.core import checks
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "kynangso.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        checks.register(dev_keys_check, checks.Tags.security, deploy=True)


def dev_keys_check(app_configs, **kwargs) -> list:
    """`manage.py check --deploy`: the built-in keys are public (they are in this repository)."""
    if not settings.DEV_KEYS_IN_USE:
        return []
    return [
        checks.Error(
            "SECRET_KEY or FIELD_ENCRYPTION_KEY is the development key, which is public: CCCD numbers would be "
            "encrypted with a known key.",
            hint="Set both (different, random, kept safe) and REQUIRE_SECRET_KEY=1; see docs/operations.md.",
            id="kynangso.E001",
        )
    ]
