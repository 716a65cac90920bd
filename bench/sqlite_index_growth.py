"""How SQLite's own insert cost grows with the table, without Django or the importer.

    python bench/bench_import.py --db sqlite --rows 200000      # leaves var/bench/bench.sqlite3
    python bench/sqlite_index_growth.py [SOURCE.sqlite3]

Copies the people rows of SOURCE (in id order) into a fresh database with the same `people_person`
table, inserting them the way the importer does: chunks of 5,000 rows, each one prepared single-row
INSERT stepped per row with the ids taken first (`imports/bulk.py:insert_rows`), a commit every 40,000
rows, the importer's pragmas. It prints, for several index sets, the time of the first 40,000 rows,
the time of all of them, and the ratio (5.0 would be linear). Before the eighth session the importer
sent statements of 1,700 rows, which made SQLite journal every page they changed (bench/README.md)."""

from __future__ import annotations

import sqlite3
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TABLE = "people_person"
UNIQUE = ', CONSTRAINT "person_cccd_hash_uniq" UNIQUE ("cccd_hash")'
VARIANTS = {
    "as migrated (CCCD unique, sort key, organisation, created by)": lambda ddl: ddl,
    "without the sort-key index": lambda ddl: [d for d in ddl if "person_sort_idx" not in d],
    "the CCCD unique index only": lambda ddl: [d for d in ddl if "CREATE INDEX" not in d],
    "no index at all": lambda ddl: [d.replace(UNIQUE, "") for d in ddl if "CREATE INDEX" not in d],
}


def run(rows: list[tuple], columns: list[str], ddl: list[str], path: Path) -> list[float]:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    db = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "cache_size=-98304", "wal_autocheckpoint=20000"):
        db.execute(f"PRAGMA {pragma}")
    for statement in ddl:
        db.execute(statement)
    sql = f"INSERT INTO {TABLE} (id, {','.join(columns)}) VALUES ({','.join('?' * (len(columns) + 1))})"  # noqa: S608 (our columns)
    seconds = []
    for start in range(0, len(rows), 5000):
        started = time.perf_counter()
        if start % 40000 == 0:
            db.execute("BEGIN IMMEDIATE")
        db.executemany(sql, [(start + i + 1, *row) for i, row in enumerate(rows[start : start + 5000])])
        if start % 40000 == 35000 or start + 5000 >= len(rows):
            db.execute("COMMIT")
        seconds.append(time.perf_counter() - started)
    db.close()
    return seconds


def main() -> None:
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "var" / "bench" / "bench.sqlite3"
    src = sqlite3.connect(source)
    ddl = [
        sql.replace("REFERENCES", "/*").replace("DEFERRED", "*/") if "CREATE TABLE" in sql else sql
        for (sql,) in src.execute("SELECT sql FROM sqlite_master WHERE tbl_name = ? AND sql IS NOT NULL", (TABLE,))
    ]
    columns = [name for _cid, name, *_ in src.execute(f"PRAGMA table_info({TABLE})") if name != "id"]
    rows = src.execute(f"SELECT {','.join(columns)} FROM {TABLE} ORDER BY id").fetchall()  # noqa: S608
    print(f"{len(rows):,} people from {source}")
    for label, pick in VARIANTS.items():
        seconds = run(rows, columns, pick(ddl), ROOT / "var" / "bench" / "index-growth.sqlite3")
        first, total = sum(seconds[:8]), sum(seconds)
        print(f"  {label:62s} first 40,000: {first:5.2f} s  all: {total:5.2f} s  ratio {total / first:4.2f}")


if __name__ == "__main__":
    main()
