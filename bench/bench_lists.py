"""Benchmark of the people list (the page /people/ through Django's test client) in a large database.

    python bench/bench_lists.py                    # SQLite and PostgreSQL, after a 200,000-row import
    python bench/bench_lists.py --db sqlite --reuse  # the database of the previous run of this script

The database is made as bench_import.py makes it (a province of 40 communes, BX-001 … BX-040, the
200,000-row bench file imported with accounts), then a unit of 12 people, an empty unit and their unit admins are added,
with admins of the province and of one commune. Each list is fetched once to warm the caches,
then `--repeat` times (median milliseconds, and the number of queries of one request). PostgreSQL's tables
are vacuumed and analysed first, as autovacuum leaves them about a minute after a bulk load (see
bench/README.md for the lists right after the import). Prints one JSON line per database."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_import import BENCH_DIR, PG_URL, ROOT, data_file, fresh_database, measure, yardsticks  # noqa: E402

LISTS = [  # (label, admin of, query string)
    ("province, page 1", "BT-ROOT", ""),
    ("province, page 2,001", "BT-ROOT", "page=2001"),
    ("province, search 'nguyen van'", "BT-ROOT", "q=nguyen+van"),
    ("province, one commune filtered", "BT-ROOT", "organisation={commune}"),
    ("commune, page 1", "BX-001", ""),
    ("commune, page 101", "BX-001", "page=101"),
    ("commune, search 'thi'", "BX-001", "q=thi"),
    ("unit of 12 people", "BX-SMALL", ""),
    ("empty unit", "BX-EMPTY", ""),
]


def child(repeat: int) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from kynangso.orgs.choices import OrgType, Role
    from kynangso.orgs.models import Organisation
    from kynangso.orgs.services import organisation_create, role_grant
    from kynangso.people.models import Person, User
    from kynangso.people.services import person_create

    root = Organisation.objects.get(code="BT-ROOT")
    if not Organisation.objects.filter(code="BX-EMPTY").exists():
        organisation_create(code="BX-EMPTY", name="Đơn vị trống", org_type=OrgType.OTHER, parent=root)
        small = organisation_create(code="BX-SMALL", name="Tổ công nghệ số", org_type=OrgType.OTHER, parent=root)
        for family in ("Trần Văn", "Lê Thị", "Phạm Minh"):
            for given in ("Bình", "Hoa", "Đức", "Lan"):
                person_create(actor=None, full_name=f"{family} {given}", organisation=small)
    commune = Organisation.objects.get(code="BX-001")
    users = {}
    for code in ("BT-ROOT", "BX-001", "BX-SMALL", "BX-EMPTY"):
        user, _ = User.objects.get_or_create(username=f"bench-{code.lower()}")
        role_grant(user=user, role=Role.UNIT_ADMIN, organisation=Organisation.objects.get(code=code))
        users[code] = user
    if connection.vendor == "postgresql":  # as autovacuum leaves the tables a minute after a bulk load
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    result = {"db": connection.vendor, "people": Person.objects.count(), "commune_people": commune.people.count()}
    for label, code, query in LISTS:
        client = Client()
        client.force_login(users[code])
        url = "/people/?" + query.format(commune=commune.pk)
        assert client.get(url).status_code == 200
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
        result[label] = {"ms": round(statistics.median(times), 1), "queries": len(queries)}
    print(json.dumps(result, ensure_ascii=False))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--reuse", action="store_true", help="keep the database of the previous run")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.repeat)
        return 0
    print(f"# {yardsticks()}", file=sys.stderr)
    for db in ("sqlite", "postgres") if args.db == "both" else (args.db,):
        if args.reuse:
            url = f"sqlite:///{BENCH_DIR / 'lists.sqlite3'}" if db == "sqlite" else f"{PG_URL}_lists"
        else:
            url = fresh_database(db, name="lists")
            imported = measure(url, data_file(args.rows), extra=[])
            assert imported["created"] == args.rows, imported
        env = {**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "WARNING"}
        out = subprocess.run(  # noqa: S603 (our own script)
            [sys.executable, __file__, "--child", "--repeat", str(args.repeat)],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        print(out.stdout.strip().splitlines()[-1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
