"""Benchmark of the people import: the real services against a fresh database, with account creation.

    python bench/bench_import.py                       # SQLite and PostgreSQL, 40,000 and 200,000 rows
    python bench/bench_import.py --db sqlite --rows 40000
    python bench/bench_import.py --pdf                 # also time the PDF activation cards (a separate task)
    python bench/bench_import.py --export              # also time the export of the imported people (.xlsx)
    python bench/bench_import.py --errors 1 --dry-run  # every row rejected: the error workbook's cost

Phases (seconds, from the runner's own timers): "chunk transactions (total)" is the whole time spent on
the chunks' matching, writing and accounts (not the commits, timed apart), so it overlaps the phases it
contains. "queries (all)" is the time spent inside the database driver's execute calls, commits apart (on
SQLite the library's own work, on PostgreSQL the round trips to the server). Each measured run is a child
process (so peak RSS is the import's own) on a freshly migrated database:
SQLite in var/bench/, PostgreSQL at $BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432/kynangso_bench,
dropped and created again). End to end = storing the upload + reading + checking + matching + writing
people, groups and accounts + the error and activation workbooks (person_import_create + person_import_run).
A second run of the same file measures the idempotent re-import (every row unchanged)."""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/kynangso_bench")
UNITS = 40  # communes the rows are spread over


def unit_codes(other: bool = False) -> list[str]:
    """The communes of the measured province (BX-…) or, with --populated, of the other one (BY-…)."""
    return [f"{'BY' if other else 'BX'}-{i:03d}" for i in range(1, UNITS + 1)]


def data_file(rows: int, suffix: str = ".xlsx", *, errors: float = 0.0) -> Path:
    sys.path.insert(0, str(ROOT / "bench"))
    from gen_people import write

    path = BENCH_DIR / (f"people-{rows}{suffix}" if not errors else f"people-{rows}-errors{errors:g}{suffix}")
    if not path.exists():
        started = time.perf_counter()
        write(path, rows, codes=unit_codes(), seed=rows, errors=errors)
        print(f"  generated {path.name} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return path


def fresh_database(db: str, *, name: str = "bench", template: str | None = None) -> str:
    """A migrated database: empty, or a copy of `template` (a database made by populated_template)."""
    shutil.rmtree(BENCH_DIR / "media", ignore_errors=True)
    if db == "sqlite":
        path = BENCH_DIR / f"{name}.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        if template:
            shutil.copyfile(BENCH_DIR / f"{template}.sqlite3", path)
        url = f"sqlite:///{path}"
    else:
        url = PG_URL if name == "bench" else f"{PG_URL}_{name}"
        dbname = url.rsplit("/", 1)[1]
        host_args = ["-h", "127.0.0.1", "-U", "postgres"]
        subprocess.run(["dropdb", *host_args, "--if-exists", dbname], check=True)  # noqa: S603,S607
        copy = ["-T", f"{PG_URL.rsplit('/', 1)[1]}_{template}"] if template else []
        subprocess.run(["createdb", *host_args, *copy, dbname], check=True)  # noqa: S603,S607
    env = {**os.environ, "DATABASE_URL": url, "MEDIA_ROOT": str(BENCH_DIR / "media")}
    subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True)  # noqa: S603
    return url


def child(args) -> None:
    """One measured import, in this (fresh) process."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.files import File
    from django.db import connection

    from kynangso.orgs.choices import OrgType, SpaceKind
    from kynangso.orgs.models import Organisation
    from kynangso.orgs.services import organisation_create, space_create
    from kynangso.people.imports import services
    from kynangso.people.imports.choices import ImportMode

    if args.chunk:
        services.CHUNK_SIZE = args.chunk
    root_code, province = ("BO-ROOT", "Tỉnh Khác") if args.other else ("BT-ROOT", "Tỉnh Bench")
    root = Organisation.objects.filter(code=root_code).first()
    if root is None:
        root = organisation_create(code=root_code, name=province, org_type=OrgType.PEOPLES_COMMITTEE)
        space_create(name=province, kind=SpaceKind.PROVINCE, root=root, learner_quota=1_000_000)
        root.refresh_from_db()
        for code in unit_codes(args.other):
            organisation_create(code=code, name=f"UBND xã {code}", org_type=OrgType.COMMUNE_OFFICE, parent=root)
    path = Path(args.child)
    load_before = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    with path.open("rb") as fh:
        imp = services.person_import_create(
            actor=None,
            organisation=root,
            file=File(fh, name=path.name),
            original_name=path.name,
            create_accounts=not args.no_accounts,
            mode=ImportMode.ALL_OR_NOTHING if args.all_or_nothing else ImportMode.COMMIT_VALID,
            dry_run=args.dry_run,
            enqueue=False,
        )
    stored = time.perf_counter() - started
    in_driver = [0.0]

    def timed_query(execute, sql, params, many, context):
        began = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            in_driver[0] += time.perf_counter() - began

    class PhasesPerChunk(list):
        """The runner's chunk_seconds, also keeping its phase timers as they stand after each chunk."""

        def __init__(self, runner) -> None:
            super().__init__()
            self.runner, self.timers = runner, []

        def append(self, seconds: float) -> None:
            super().append(seconds)
            self.timers.append({**self.runner.timings, "queries (all)": in_driver[0]})

    runners = []
    runner_init = services._Runner.__init__

    def recording_init(runner, imp) -> None:
        runner_init(runner, imp)
        runner.chunk_seconds = PhasesPerChunk(runner)
        runners.append(runner)

    services._Runner.__init__ = recording_init
    with connection.execute_wrapper(timed_query):
        if args.profile:
            import cProfile

            with cProfile.Profile() as profile:
                imp = services.person_import_run(import_id=imp.pk)
            profile.dump_stats(args.profile)
        else:
            imp = services.person_import_run(import_id=imp.pk)
    total = time.perf_counter() - started
    per_40k = max(40_000 // services.CHUNK_SIZE, 1)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result = {
        "db": connection.vendor,
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime - before.ru_utime - before.ru_stime, 2),
        "load_before": round(load_before, 2),
        "file": path.name,
        "status": imp.status,
        "seconds": round(total, 2),
        "store_upload": round(stored, 2),
        "rows": imp.rows_read,
        "created": imp.created_count,
        "updated": imp.updated_count,
        "unchanged": imp.unchanged_count,
        "rejected": imp.rejected_count,
        "accounts": imp.accounts_created,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "phases": {k: round(v, 2) for k, v in sorted(imp.timings.items(), key=lambda kv: -kv[1])},
        # The chunks' own time (reading, checking, matching, writing, commits), summed per 40,000 rows in
        # file order: whether the 200,000th row costs what the first did, within one run. (All or nothing:
        # the checking pass's chunks, then the writing pass's.)
        "chunks per 40,000 rows": [
            round(sum(imp.chunk_seconds[i : i + per_40k]), 2) for i in range(0, len(imp.chunk_seconds), per_40k)
        ],
        "queries (all)": round(in_driver[0], 2),
    }
    if runners and len(runners[-1].chunk_seconds.timers) > per_40k:
        # Each phase's seconds per 40,000 rows in file order (the phases that grow within one run)
        timers = runners[-1].chunk_seconds.timers
        ends = [timers[min(i + per_40k, len(timers)) - 1] for i in range(0, len(timers), per_40k)]
        starts = [{}, *ends[:-1]]
        result["phases per 40,000 rows"] = {
            phase: [
                round(end.get(phase, 0.0) - start.get(phase, 0.0), 2) for start, end in zip(starts, ends, strict=True)
            ]
            for phase in ends[-1]
            if ends[-1][phase] >= 0.1
        }
    if args.pdf and imp.activation_sheet:
        started = time.perf_counter()
        services.activation_pdf_build(import_id=imp.pk)
        result["pdf_seconds"] = round(time.perf_counter() - started, 2)
        result["peak_rss_mb_with_pdf"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    if args.export:  # what the people page's export does, for everyone the import wrote
        from kynangso.people.exports import people_stream
        from kynangso.people.models import Person

        started = time.perf_counter()
        chunks = people_stream(
            Person.objects.filter(organisation__path__startswith=root.path).order_by("sort_key", "id")
        )
        size = len(next(chunks))
        result["export_first_bytes_seconds"] = round(time.perf_counter() - started, 3)
        size += sum(len(chunk) for chunk in chunks)
        result["export_seconds"] = round(time.perf_counter() - started, 2)
        result["export_kib"] = size // 1024
    print(json.dumps(result, ensure_ascii=False))


def populated_template(db: str, people: int, *, avoid: list[int], excel: bool) -> str:
    """A database holding `people` people with accounts in another province (communes BY-…), imported
    from a CSV whose CCCD numbers are not in the measured files: the state of a platform in use, where
    every index already holds a province or two."""
    sys.path.insert(0, str(ROOT / "bench"))
    from gen_people import HEADERS, people_rows

    taken = {row[3] for n in avoid for row in people_rows(n, codes=unit_codes(), seed=n, excel=excel)}
    path = BENCH_DIR / f"populated-{people}.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, delimiter=";")
        writer.writerow(HEADERS)
        rows = people_rows(people * 2, codes=unit_codes(other=True), seed=7, excel=False)
        writer.writerows(itertools.islice((r for r in rows if r[3] not in taken), people))
    name = f"populated{people}"
    url = fresh_database(db, name=name)
    result = measure(url, path, extra=["--other"])
    assert result["created"] == people, result
    if db == "sqlite":
        for suffix in ("-wal", "-shm"):
            assert not Path(f"{BENCH_DIR / name}.sqlite3{suffix}").exists(), "the template was not closed"
    return name


def measure(url: str, path: Path, *, extra: list[str]) -> dict:
    # The previous run's writes (a 200,000-row database is 170 MB) would otherwise reach the disk during
    # this one, which would then pay for them.
    os.sync()
    env = {**os.environ, "DATABASE_URL": url, "MEDIA_ROOT": str(BENCH_DIR / "media"), "LOG_LEVEL": "WARNING"}
    out = subprocess.run(  # noqa: S603 (our own script)
        [sys.executable, __file__, "--child", str(path), *extra],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def yardsticks() -> str:
    """Two fixed workloads, to compare the machines figures come from: an interpreter loop (CPU speed, best
    of three) and a pointer chase through 16 MB in random order (the memory latency of a working set that
    a server CPU's L3 cache holds when the VM gets its share of it). On the slow day in bench/README.md
    ("Machine and date") the first was normal and the import 2.5x slower: read it against the second."""
    import array
    import random

    def loop() -> float:
        started = time.perf_counter()
        total = 0
        for i in range(10_000_000):
            total += i
        return time.perf_counter() - started

    cells = 16 * 1024 * 1024 // 8
    order = list(range(cells))
    random.Random(1).shuffle(order)
    following = array.array("q", bytes(8 * cells))
    for i in range(cells):  # one cycle through every cell, in shuffled order
        following[order[i]] = order[(i + 1) % cells]
    del order
    steps, position = 2_000_000, 0
    started = time.perf_counter()
    for _ in range(steps):
        position = following[position]
    chase_ns = (time.perf_counter() - started) / steps * 1e9
    return f"yardsticks: loop {min(loop() for _ in range(3)):.2f} s, 16 MB chase {chase_ns:.0f} ns a step"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--rows", type=int, nargs="*", default=[40_000, 200_000])
    parser.add_argument("--csv", action="store_true", help="use a CSV file instead of .xlsx")
    parser.add_argument("--pdf", action="store_true", help="also build the PDF activation cards")
    parser.add_argument("--export", action="store_true", help="also export the imported people to .xlsx")
    parser.add_argument("--errors", type=float, default=0.0, help="share of invalid rows in the generated file")
    parser.add_argument("--no-accounts", action="store_true")
    parser.add_argument("--dry-run", action="store_true")
    parser.add_argument("--all-or-nothing", action="store_true")
    parser.add_argument("--first-only", action="store_true", help="skip the second import of the same file")
    parser.add_argument("--chunk", type=int, help="rows per chunk (default: the service's CHUNK_SIZE)")
    parser.add_argument(
        "--populated",
        type=int,
        default=0,
        metavar="N",
        help="import into a database that already holds N people with accounts, of another province",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        metavar="N",
        help="measure every size N times, sizes taking turns, and print the medians and their ratio",
    )
    parser.add_argument("--profile", metavar="OUT", help="cProfile the first import of each run into OUT-<db>-<rows>")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--other", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return 0
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    print(
        f"# {platform.node()} · {os.cpu_count()} CPUs · Python {platform.python_version()} · "
        f"{time.strftime('%Y-%m-%d %H:%M')} · {yardsticks()}",
        file=sys.stderr,
    )
    flags = (
        ("--pdf", args.pdf),
        ("--export", args.export),
        ("--no-accounts", args.no_accounts),
        ("--dry-run", args.dry_run),
        ("--all-or-nothing", args.all_or_nothing),
    )
    extra = [flag for flag, on in flags if on] + ([f"--chunk={args.chunk}"] if args.chunk else [])
    for db in ["sqlite", "postgres"] if args.db == "both" else [args.db]:
        template = (
            populated_template(db, args.populated, avoid=args.rows, excel=not args.csv) if args.populated else None
        )
        if template:
            print(json.dumps({"run": "populated", "db": db, "people": args.populated}), file=sys.stderr)
        seconds: dict[int, list[float]] = {rows: [] for rows in args.rows}
        for _ in range(args.repeat):  # sizes take turns, so a slow spell of the machine hits each of them
            for rows in args.rows:
                path = data_file(rows, ".csv" if args.csv else ".xlsx", errors=args.errors)
                url = fresh_database(db, template=template)
                profile = [f"--profile={args.profile}-{db}-{rows}"] if args.profile else []
                first = measure(url, path, extra=extra + profile)
                print(json.dumps({"run": "first import", **first}, ensure_ascii=False))
                seconds[rows].append(first["seconds"])
                if not args.first_only:
                    again = measure(url, path, extra=[e for e in extra if e not in ("--pdf", "--export")])
                    print(json.dumps({"run": "same file again", **again}, ensure_ascii=False))
        if args.repeat > 1:
            medians = {rows: statistics.median(runs) for rows, runs in seconds.items()}
            smallest, largest = min(medians), max(medians)
            summary = {"run": "medians of first imports", "db": db, "runs": args.repeat, "seconds": medians}
            if largest != smallest:
                summary[f"ratio {largest} / {smallest}"] = round(medians[largest] / medians[smallest], 2)
            print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
