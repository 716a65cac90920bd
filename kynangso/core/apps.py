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
        checks.register(site_url_check, deploy=True)


MIN_KEY_LENGTH = 32


def dev_keys_check(app_configs, **kwargs) -> list:
    """`manage.py check --deploy`: the built-in keys are public (they are in this repository), and a
    FIELD_ENCRYPTION_KEY left to default to SECRET_KEY ties the CCCD numbers to a key that gets rotated; a
    short key, or the placeholder of .env.example, can be guessed."""
    if settings.DEV_KEYS_IN_USE:
        return [
            checks.Error(
                "SECRET_KEY or FIELD_ENCRYPTION_KEY is the development key, which is public: CCCD numbers would be "
                "encrypted with a known key.",
                hint="Set both (different, random, kept safe) and REQUIRE_SECRET_KEY=1; see docs/operations.md.",
                id="kynangso.E001",
            )
        ]
    weak = [
        name
        for name in ("SECRET_KEY", "FIELD_ENCRYPTION_KEY")
        if len(getattr(settings, name)) < MIN_KEY_LENGTH or "change-me" in getattr(settings, name).lower()
    ]
    if weak:
        return [
            checks.Error(
                f"{' and '.join(weak)}: shorter than {MIN_KEY_LENGTH} characters, or the placeholder of "
                ".env.example: such a key can be guessed.",
                hint="Set a random value, e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))'.",
                id="kynangso.E003",
            )
        ]
    if settings.FIELD_ENCRYPTION_KEY == settings.SECRET_KEY:
        return [
            checks.Error(
                "FIELD_ENCRYPTION_KEY is not set apart from SECRET_KEY: changing SECRET_KEY (after a leak, say) "
                "would leave every stored CCCD number unreadable.",
                hint="Set FIELD_ENCRYPTION_KEY to its own random value before the first person is stored; see "
                "docs/operations.md.",
                id="kynangso.E002",
            )
        ]
    return []


LOCAL_HOSTS = ("localhost", "127.0.0.1", "[::1]", "0.0.0.0")  # noqa: S104 (names compared, nothing bound)


def site_url_check(app_configs, **kwargs) -> list:
    """`manage.py check --deploy`: SITE_URL left at a local address while the site answers to others. The
    activation sheets and the QR codes of the cards carry it, and nothing else tells (QA round 47: every card
    of an import pointed at 127.0.0.1)."""
    from urllib.parse import urlsplit

    host = urlsplit(settings.SITE_URL).hostname or ""
    served = [h for h in settings.ALLOWED_HOSTS if h.strip(".") and h.strip(".") not in LOCAL_HOSTS]
    if (host in LOCAL_HOSTS or f"[{host}]" in LOCAL_HOSTS) and served:
        return [
            checks.Warning(
                f"SITE_URL is {settings.SITE_URL}, a local address, while the site is served as {served[0]}: the "
                "activation sheets and the QR codes on the cards would point at the machine that reads them.",
                hint="Set SITE_URL to the address people reach the site at (https://…) before the first import with "
                "accounts; see docs/operations.md.",
                id="kynangso.W001",
            )
        ]
    return []
