"""Time importing the people's export back, with their codes ("Mã hồ sơ KNS", people/codes.py) and without,
in a copy of the SQLite database a `bench_import.py --db sqlite --rows 40000` run leaves in var/bench/ (the
copy is imported into, so the run can be repeated). Commit-valid, no accounts; every row comes back unchanged.

    .venv/bin/python bench/bench_import.py --db sqlite --rows 40000 --first-only
    .venv/bin/python bench/bench_codes.py
"""

import os
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
COPY = BENCH_DIR / "codes.sqlite3"


def main() -> int:
    source = BENCH_DIR / "bench.sqlite3"
    if not source.exists():
        print("no var/bench/bench.sqlite3: run bench_import.py first", file=sys.stderr)
        return 1
    for suffix in ("", "-wal", "-shm"):
        Path(f"{COPY}{suffix}").unlink(missing_ok=True)
    shutil.copy(source, COPY)
    os.environ["DATABASE_URL"] = f"sqlite:///{COPY}"
    os.environ["MEDIA_ROOT"] = str(BENCH_DIR / "media-codes")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.files import File

    from kynangso.orgs.models import Organisation
    from kynangso.people.exports import people_workbook
    from kynangso.people.imports import services
    from kynangso.people.imports.choices import ImportMode
    from kynangso.people.models import Person

    root = Organisation.objects.filter(parent__isnull=True).order_by("pk").first()
    people = Person.objects.filter(organisation__path__startswith=root.path).order_by("pk")
    files = {}
    for codes in (True, False):
        files[codes] = BENCH_DIR / f"export-{'codes' if codes else 'plain'}.xlsx"
        files[codes].write_bytes(people_workbook(people, codes=codes).getvalue())
    for codes in (True, False, True, False):  # taking turns
        with files[codes].open("rb") as fh:
            imp = services.person_import_create(
                actor=None,
                organisation=root,
                file=File(fh, name=files[codes].name),
                original_name=files[codes].name,
                create_accounts=False,
                mode=ImportMode.COMMIT_VALID,
                dry_run=False,
                enqueue=False,
            )
        started = time.perf_counter()
        imp = services.person_import_run(import_id=imp.pk)
        seconds = time.perf_counter() - started
        matching = imp.timings.get("match against the database", 0.0)
        print(
            f"{'with codes' if codes else 'without'}: {imp.rows_read:,} rows in {seconds:.2f} s (matching "
            f"{matching:.2f} s), unchanged {imp.unchanged_count:,}, rejected {imp.rejected_count:,}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
