"""Time remaking and renewing an import's activation files (services.activation_files_remake, the task
that services.activation_files_request queues), in the SQLite database a `bench_import.py --db sqlite
--rows 40000` run leaves in var/bench/ (its first import, with one learner account a row).

    .venv/bin/python bench/bench_import.py --db sqlite --rows 40000 && .venv/bin/python bench/bench_activation.py
"""

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"


def main() -> int:
    os.environ["DATABASE_URL"] = f"sqlite:///{BENCH_DIR / 'bench.sqlite3'}"
    os.environ["MEDIA_ROOT"] = str(BENCH_DIR / "media")
    os.environ["TASKS_BACKEND"] = "django_tasks.backends.dummy.DummyBackend"  # the PDF cards are not timed
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from kynangso.people.imports import services
    from kynangso.people.imports.models import PersonImport

    imp = PersonImport.objects.exclude(activation_sheet="").order_by("-pk").first()
    if imp is None:
        print("no import with accounts in var/bench/bench.sqlite3: run bench_import.py first", file=sys.stderr)
        return 1
    for renew in (False, True):
        PersonImport.objects.filter(pk=imp.pk).update(activation_pdf="made.pdf")  # as if its cards were made
        imp.refresh_from_db()
        imp = services.activation_files_request(actor=None, person_import=imp, renew=renew)  # the web request
        started = time.perf_counter()
        imp = services.activation_files_remake(import_id=imp.pk, actor_id=None)  # its task
        seconds = time.perf_counter() - started
        print(f"{'renew' if renew else 'remake'}: {imp.activation_listed:,} accounts in {seconds:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
