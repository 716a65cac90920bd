"""A faster `bulk_create` for large inserts of simple rows (people, target groups, accounts).

Django's bulk_create prepares every value of every row through the field API (about 2 µs per value)
and, on SQLite, sends at most 999 parameters per statement. For 40,000 people and 40,000 accounts that
is most of an import's time. `bulk_insert` converts values per column type once (strings, numbers,
booleans and bytes pass as they are; dates and datetimes are adapted as Django adapts them), takes
the ids in one query (after the table's last id on SQLite, from its sequence on PostgreSQL), sends the
rows (one prepared single-row INSERT stepped per row on SQLite, COPY on PostgreSQL) and sets the new
primary keys on the instances. `insert_rows` does the same for rows of plain values, when nobody needs
the instances (building one costs about 6 µs: 0.4 s for the target groups of 40,000 people). Auto-now
fields get the current time in `bulk_insert`, like bulk_create. No signals are sent, like bulk_create.
Other backends fall back to bulk_create."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from functools import cache
from operator import attrgetter

from django.db import connection, connections, models, router, transaction
from django.db.models.base import ModelState
from django.db.models.expressions import RawSQL
from django.utils import timezone

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
    # In the caller's transaction, or one of its own; never a savepoint: on SQLite, a savepoint (like a
    # statement that may fail halfway, such as a multi-row INSERT) makes it copy every page it then
    # changes into a sub-journal first, and on the random-key indexes that is nearly a page a row once
    # they outgrow a statement: multi-row INSERTs of 1,700 people made 274,000 page copies for 200,000
    # people against 17,000 for 40,000 (bench/README.md).
    with connection.cursor() as cursor, transaction.atomic(using=db, savepoint=False):
        if connection.vendor == "sqlite":
            # The ids after the table's last one (AUTOINCREMENT's counter, or the highest id), read under
            # the write lock this transaction holds (Django's SQLite transactions begin IMMEDIATE); then
            # one single-row INSERT, prepared once and stepped per row.
            last = f"coalesce((SELECT max({pk_column}) FROM {table}), 0)"  # noqa: S608 (quoted names of the model)
            counter = "coalesce((SELECT seq FROM sqlite_sequence WHERE name = %s), 0)"
            cursor.execute(f"SELECT max({counter}, {last})", [meta.db_table])  # noqa: S608
            first = cursor.fetchone()[0] + 1
            ids = list(range(first, first + len(rows)))
            placeholders = ", ".join(["%s"] * (len(fields) + 1))
            cursor.executemany(
                f"INSERT INTO {table} ({pk_column}, {column_sql}) VALUES ({placeholders})",  # noqa: S608
                [(pk, *row) for pk, row in zip(ids, rows, strict=True)],
            )
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
    of an import's chunk: about 5 ms on SQLite and 35-40 ms on PostgreSQL, against 52-96 ms and 71-130 ms)."""
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
        # One single-row statement stepped per row: see insert_rows.
        placeholders = ", ".join(["%s"] * len(fields))
        cursor.executemany(f"{into} VALUES ({placeholders}) {conflict}", rows)  # noqa: S608


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
