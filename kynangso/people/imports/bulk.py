"""A faster `bulk_create` for large inserts of simple rows (people, target groups, accounts).

Django's bulk_create prepares every value of every row through the field API (about 2 µs per value)
and, on SQLite, sends at most 999 parameters per statement. For 40,000 people and 40,000 accounts that
is most of an import's time. `bulk_insert` converts values per column type once (strings, numbers,
booleans and bytes pass as they are; dates and datetimes are adapted as Django adapts them), sends
large statements — `INSERT … VALUES …, … RETURNING id` on SQLite; on PostgreSQL, the ids are taken
from the table's sequence in one query and the rows sent with COPY — and sets the new primary keys on
the instances. `insert_rows` does the same for rows of plain values, when nobody needs the instances
(building one costs about 6 µs: 0.4 s for the target groups of 40,000 people). Auto-now fields get
the current time in `bulk_insert`, like bulk_create. No signals are sent, like bulk_create. Other
backends fall back to bulk_create."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from functools import cache
from operator import attrgetter

from django.db import connection, connections, models, router
from django.db.models.base import ModelState
from django.db.models.expressions import RawSQL
from django.utils import timezone

SQLITE_MAX_PARAMS = 30_000  # SQLite ≥ 3.32 allows 32,766 (the 999 Django assumes is the pre-2020 default)

_PASS_THROUGH = frozenset(
    (
        "CharField",
        "TextField",
        "EmailField",
        "SlugField",
        "URLField",
        "BooleanField",
        "IntegerField",
        "BigIntegerField",
        "SmallIntegerField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
        "PositiveBigIntegerField",
        "AutoField",
        "BigAutoField",
        "ForeignKey",
        "OneToOneField",
    )
)


def _converter(field: models.Field, connection) -> Callable | None:
    """A function turning the attribute value into the database value, or None when it passes as is."""
    kind = field.get_internal_type()
    if kind in _PASS_THROUGH:
        return None
    if connection.vendor == "postgresql" and kind in ("DateField", "DateTimeField", "BinaryField"):
        return None  # psycopg adapts date, aware datetime and bytes itself
    if connection.vendor == "sqlite" and kind == "BinaryField":
        return None
    return lambda value, field=field, connection=connection: field.get_db_prep_save(value, connection)


@cache
def _defaults(model: type[models.Model]) -> tuple[dict, list[models.Field]]:
    """Each concrete field's default: the constant ones as a dict, the fields with a callable default apart."""
    constant, called = {}, []
    for f in model._meta.concrete_fields:
        if f.has_default() and callable(f.default):
            called.append(f)
        else:
            constant[f.attname] = f.get_default()
    return constant, called


def unsaved(model: type[models.Model], values: dict) -> models.Model:
    """An unsaved instance of `model` from attribute values ("organisation_id", not "organisation"), the
    other fields at their defaults, as `model(**values)` makes it but without `Model.__init__`'s work per
    field: 0.7 µs instead of about 10 for a person or an account, 0.8 s of a 40,000-row import. No
    pre_init/post_init signal is sent (no model written in bulk has a receiver)."""
    constant, called = _defaults(model)
    obj = model.__new__(model)
    attrs = obj.__dict__
    attrs.update(constant)
    for f in called:
        attrs[f.attname] = f.get_default()
    attrs.update(values)
    obj._state = ModelState()
    return obj


def bulk_insert(model: type[models.Model], objs: Sequence[models.Model]) -> Sequence[models.Model]:
    """Insert unsaved instances of `model` (every concrete field but the auto primary key), set their pks."""
    if not objs:
        return objs
    db = router.db_for_write(model)
    if connections[db].vendor not in ("sqlite", "postgresql"):
        return model.objects.using(db).bulk_create(objs)
    now = timezone.now()
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            for obj in objs:
                if getattr(obj, f.attname) is None or getattr(f, "auto_now", False):
                    setattr(obj, f.attname, now)
    attnames = [f.attname for f in fields]
    values = attrgetter(*attnames) if len(attnames) > 1 else (lambda obj: (getattr(obj, attnames[0]),))
    ids = insert_rows(model, attnames, [values(obj) for obj in objs])
    for obj, pk in zip(objs, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = db
    return objs


def insert_rows(model: type[models.Model], attnames: Sequence[str], rows: Sequence[Sequence]) -> list:
    """Insert rows of plain values, one per name in `attnames` (fields' attribute names: "person_id"),
    without building a model instance per row; returns the new primary keys in order. The fields left
    out get no default: name every field that has no database default."""
    if not rows:
        return []
    db = router.db_for_write(model)
    connection = connections[db]
    meta = model._meta
    by_attname = {f.attname: f for f in meta.concrete_fields}
    fields = [by_attname[name] for name in attnames]
    if connection.vendor not in ("sqlite", "postgresql"):
        objs = model.objects.using(db).bulk_create([model(**dict(zip(attnames, row, strict=True))) for row in rows])
        return [obj.pk for obj in objs]
    rows = _converted(fields, rows, connection)
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    column_sql = ", ".join(quote(f.column) for f in fields)
    pk_column = quote(meta.pk.column)
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            ids: list = []
            per = max(1, SQLITE_MAX_PARAMS // len(fields))
            row_sql = "(" + ", ".join(["%s"] * len(fields)) + ")"
            for start in range(0, len(rows), per):
                batch = rows[start : start + per]
                # Table and column names come from the model and are quoted; values are parameters.
                sql = (
                    f"INSERT INTO {table} ({column_sql}) VALUES {', '.join([row_sql] * len(batch))} "  # noqa: S608
                    f"RETURNING {pk_column}"
                )
                _sqlite_execute(cursor, sql, [v for row in batch for v in row])
                ids.extend(r[0] for r in cursor.fetchall())
        else:
            # Take the ids from the table's sequence in one query, then COPY the rows with them. The
            # sequence is named, not looked up in the query: pg_get_serial_sequence() in it ran once a
            # row (14 ms for 5,000 ids instead of 1.5).
            cursor.execute(
                "SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [_sequence(cursor, meta), len(rows)]
            )
            ids = [r[0] for r in cursor.fetchall()]
            # COPY does not pass through Django's execute: its errors are made Django's here.
            with (
                connection.wrap_database_errors,
                cursor.copy(f"COPY {table} ({pk_column}, {column_sql}) FROM STDIN") as copy,
            ):
                for pk, row in zip(ids, rows, strict=True):
                    copy.write_row((pk, *row))
    return ids


def upsert_rows(model: type[models.Model], key: str, attnames: Sequence[str], rows: Sequence[Sequence]) -> None:
    """Insert rows of plain values like insert_rows; a row whose `key` (a unique field's attribute name,
    one of `attnames`) exists already updates that row's other fields instead. What bulk_create with
    update_conflicts does, without an instance and the field API per value (the 3,400 username sequences
    of an import's chunk: 6-11 ms on SQLite and 35-40 ms on PostgreSQL, against 52-96 ms and 71-130 ms)."""
    if not rows:
        return
    db = router.db_for_write(model)
    connection = connections[db]
    by_attname = {f.attname: f for f in model._meta.concrete_fields}
    fields = [by_attname[name] for name in attnames]
    if connection.vendor not in ("sqlite", "postgresql"):
        others = [name for name in attnames if name != key]
        model.objects.using(db).bulk_create(
            [model(**dict(zip(attnames, row, strict=True))) for row in rows],
            update_conflicts=True,
            unique_fields=[key],
            update_fields=others,
        )
        return
    rows = _converted(fields, rows, connection)
    quote = connection.ops.quote_name
    into = f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)})"
    updates = ", ".join(f"{quote(f.column)} = excluded.{quote(f.column)}" for f in fields if f.attname != key)
    conflict = f"ON CONFLICT ({quote(by_attname[key].column)}) DO UPDATE SET {updates}"
    # Table and column names come from the model and are quoted; values are parameters.
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One array a column: for the 3,400 rows of a chunk, 35-40 ms; a VALUES list of them, 65 ms.
            arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in fields)
            columns = [[row[i] for row in rows] for i in range(len(fields))]
            cursor.execute(f"{into} SELECT * FROM unnest({arrays}) {conflict}", columns)  # noqa: S608
            return
        row_sql = "(" + ", ".join(["%s"] * len(fields)) + ")"
        per = max(1, SQLITE_MAX_PARAMS // len(fields))
        for start in range(0, len(rows), per):
            batch = rows[start : start + per]
            _sqlite_execute(
                cursor,
                f"{into} VALUES {', '.join([row_sql] * len(batch))} {conflict}",  # noqa: S608
                [v for row in batch for v in row],
            )


def _sqlite_execute(cursor, sql: str, params: list) -> None:
    """cursor.execute(sql, params) for a statement of this module, with SQLite's own `?` placeholders.

    Django's SQLite cursor turns each `%s` into `?` with a regular expression: 4.6 ms for a statement of
    30,000 values, about 0.5 s of a 40,000-row import. This module's statements hold no `%` but their
    placeholders, so `str.replace` does it (0.6 ms). It is done in an execute wrapper, innermost, so
    Django's query log and the other wrappers still see the `%s` statement, and database errors are
    still Django's (IntegrityError…); the wrapper does what Django's own last step does."""

    def qmarks(_execute, sql, params, _many, context):
        db = context["connection"]
        db.validate_no_broken_transaction()
        with db.wrap_database_errors:
            return sqlite3.Cursor.execute(context["cursor"].cursor, sql.replace("%s", "?"), params)

    with cursor.db.execute_wrapper(qmarks):
        cursor.execute(sql, params)


def _converted(fields: Sequence[models.Field], rows: Sequence[Sequence], connection) -> Sequence[Sequence]:
    """The rows with their values as the database takes them (see _converter)."""
    converters = [_converter(f, connection) for f in fields]
    convert_at = [(i, convert) for i, convert in enumerate(converters) if convert is not None]
    if not convert_at:
        return rows
    memo: dict = {}  # the same value (say, the insert time) is converted once
    converted_rows = []
    for row in rows:
        values = list(row)
        for i, convert in convert_at:
            value = values[i]
            if value is not None:
                key = (i, value)
                converted = memo.get(key)
                if converted is None:
                    converted = memo[key] = convert(value)
                values[i] = converted
        converted_rows.append(values)
    return converted_rows


def _sequence(cursor, meta) -> str:
    """The PostgreSQL sequence of a table's primary key ("public.people_person_id_seq")."""
    cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [meta.db_table, meta.pk.column])
    return cursor.fetchone()[0]


def any_of(values: Iterable, sql_type: str = "text") -> list | RawSQL:
    """A large set of keys for an `__in` look-up (`filter(cccd_hash__in=any_of(hashes))`).

    PostgreSQL plans `col IN (5,000 values)` as a scan of the whole table once the table holds a few
    times more rows than the list, so an import's look-ups grew with the square of its size: 5,000 CCCD
    hashes took 51 ms against 200,000 people (18 ms a chunk on average over a 40,000 import).
    `col IN (SELECT unnest(array))` is planned as one index probe per key: 18 ms against 200,000.
    SQLite probes the index for an IN list anyway: there it is the list."""
    values = list(values)
    if connection.vendor == "postgresql":
        return RawSQL(f"SELECT unnest(%s::{sql_type}[])", [values])  # noqa: S611 (the type is ours; values are a parameter)
    return values
