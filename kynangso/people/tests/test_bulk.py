"""The bulk writers' helpers (imports/bulk.py) against the real database."""

from datetime import date

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kynangso.people import services
from kynangso.people.imports.bulk import bulk_insert, insert_rows, unsaved, upsert_rows
from kynangso.people.models import Person, User, UsernameSequence

pytestmark = pytest.mark.django_db


def _values(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def test_unsaved_makes_the_instance_the_constructor_makes(cast):
    values = {
        "organisation_id": cast.unit_a.pk,
        "date_of_birth": date(1990, 5, 17),
        "phone": "0912345678",
        **services.name_fields("Trần Thị Ánh"),
        **services.cccd_fields("001190012345"),
    }
    fast, built = unsaved(Person, values), Person(**values)
    assert fast._state.adding and fast._state.db is None and fast.pk is None
    assert _values(fast) == _values(built)
    assert fast.email == "" and fast.lawful_basis == built.lawful_basis  # defaults of fields not given

    user = unsaved(User, {"username": "anhtt", "person_id": cast.unit_a.pk})
    assert user.is_active and not user.is_staff and user.failed_logins == 0
    assert user.date_joined is not None  # a callable default is called per instance
    assert unsaved(User, {"username": "x"}).date_joined >= user.date_joined


def test_bulk_insert_writes_unsaved_instances_as_save_would(cast):
    people = [
        unsaved(Person, {"organisation_id": cast.unit_a.pk, **services.name_fields(name)})
        for name in ("Lê Văn Bình", "Phạm Thị Cúc")
    ]
    bulk_insert(Person, people)
    assert all(p.pk and not p._state.adding for p in people)
    stored = Person.objects.in_bulk([p.pk for p in people])
    for person in people:
        assert _values(stored[person.pk]) == _values(person)


def test_new_accounts_know_their_person_without_a_query_or_a_cycle(cast, django_assert_num_queries):
    [(user, _code)] = services.accounts_create(actor=cast.owner, people=[cast.person_a])
    with django_assert_num_queries(0):
        assert user.person is cast.person_a
    # Only the account points at the person: a pair pointing at each other would wait for the cycle
    # collector instead of being freed with the import's chunk.
    assert "account" not in cast.person_a._state.fields_cache
    assert User.objects.get(pk=user.pk).person_id == cast.person_a.pk


def test_upsert_rows_inserts_new_keys_and_updates_the_others():
    upsert_rows(UsernameSequence, "base", ["base", "last"], [("annv", 1), ("binhtt", 2)])
    upsert_rows(UsernameSequence, "base", ["base", "last"], [("annv", 5), ("cucpt", 1)])
    assert dict(UsernameSequence.objects.values_list("base", "last")) == {"annv": 5, "binhtt": 2, "cucpt": 1}
    upsert_rows(UsernameSequence, "base", ["base", "last"], [])  # nothing to write: no statement


def test_accounts_of_an_import_continue_each_username_sequence(cast):
    people = [services.person_create(actor=None, full_name="Nguyễn Văn An", organisation=cast.unit_a) for _ in range(3)]
    services.accounts_create(actor=cast.owner, people=people[:1])
    created = services.accounts_create(actor=cast.owner, people=people[1:], none_have_one=True)
    assert sorted(u.username for u, _code in created) == ["annv2", "annv3"]
    assert UsernameSequence.objects.get(base="annv").last == 3


def test_bulk_statements_are_logged_and_raise_django_errors(cast):
    """SQLite gets `?` placeholders from an execute wrapper (bulk._sqlite_execute): Django's query log
    must still format the statement, and a constraint must still raise Django's IntegrityError."""
    fields = ["organisation_id", "full_name", "search_text", "sort_key", "cccd_hash", "created_at", "updated_at"]
    fields += ["sex", "cccd_masked", "phone", "email", "position", "lawful_basis"]
    row = [cast.unit_a.pk, "Lê Văn Bình", "le van binh", "x", "h" * 64, timezone.now(), timezone.now()]
    row += ["", "", "", "", "", "consent"]
    with CaptureQueriesContext(connection) as queries:
        [pk] = insert_rows(Person, fields, [row])
    if connection.vendor == "sqlite":  # PostgreSQL sends the rows with COPY, which the log does not show
        inserts = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("INSERT")]
        assert len(inserts) == 1 and "'Lê Văn Bình'" in inserts[0]  # the values, formatted into the logged statement
    assert Person.objects.get(pk=pk).cccd_hash == "h" * 64
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_rows(Person, fields, [row])  # the same CCCD hash again
    assert Person.objects.filter(cccd_hash="h" * 64).count() == 1


def test_bulk_written_tables_keep_one_index_per_random_key():
    """Each index on a random key costs the import a random page write per row (bench/README.md): the
    CCCD hash, the name order and the username have one index each, and PostgreSQL gets no extra
    varchar_pattern_ops index for LIKE 'x%', which no query does. The username stays unique."""
    with connection.cursor() as cursor:
        indexes = {
            table: [
                c["columns"]
                for c in connection.introspection.get_constraints(cursor, table).values()
                if c["index"] or c["unique"]
            ]
            for table in (Person._meta.db_table, User._meta.db_table)
        }
    assert indexes[Person._meta.db_table].count(["cccd_hash"]) == 1
    assert indexes[Person._meta.db_table].count(["sort_key"]) == 1
    assert indexes[User._meta.db_table].count(["username"]) == 1
    User.objects.create(username="anhtt")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="anhtt")
