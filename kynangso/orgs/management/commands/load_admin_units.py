"""Load or refresh the Vietnamese administrative units (see kynangso/orgs/admin_units.py)."""

from django.utils.translation import gettext as _

from kynangso.core import commands
from kynangso.orgs.admin_units import LoadReport, load_admin_units
from kynangso.orgs.choices import AdminLevel


def _codes(items) -> str:
    return ", ".join(item if isinstance(item, str) else " → ".join(item) for item in items) or "—"


class Command(commands.Command):
    help = (  # argparse needs a plain str; Django's own commands leave help untranslated
        "Load the administrative units from before and after the 2025 reform, with their successions. "
        "Safe to run again."
    )

    def handle(self, *args, **options) -> None:
        report = load_admin_units()
        if options["verbosity"] > 0:
            self.stdout.write(summary(report))


def summary(report: LoadReport) -> str:
    lines = [_("Administrative units loaded in %(seconds)s s.") % {"seconds": report.seconds}]
    versions = {
        "pre-2025": _("until 30 June 2025"),
        "2025": _("from 1 July 2025"),
        "2026": _("from 30 April 2026 (renamed)"),
    }
    lines += [
        f"  {AdminLevel(level).label} {versions.get(version, version)}: {count}"
        for (version, level), count in report.units.items()
    ]
    lines.append(
        _("Rows created: %(created)s, updated: %(updated)s.") % {"created": report.created, "updated": report.updated}
    )
    lines.append(
        _("Successions: %(total)s (created %(created)s, updated %(updated)s, removed %(deleted)s).")
        % {
            "total": report.successions,
            "created": report.successions_created,
            "updated": report.successions_updated,
            "deleted": report.successions_deleted,
        }
    )
    anomalies = [
        (_("Old communes in the mapping but not in the pre-2025 list"), report.mapping_only),
        (_("Pre-2025 communes missing from the mapping"), report.source_only),
        (_("New codes in the mapping matched by name (mapping → list)"), report.resolved_by_name),
        (_("New codes in the mapping not found (old → new)"), report.unknown_successors),
        (_("New communes with no old commune in the mapping"), report.without_predecessor),
        (_("Old communes mapped into another province (old → new)"), report.cross_province),
    ]
    for label, items in anomalies:
        lines.append(f"{label} ({len(items)}): {_codes(items)}")
    return "\n".join(lines)
