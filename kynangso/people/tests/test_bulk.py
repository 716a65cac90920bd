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


def _person_row(org_id: int, cccd_hash: str) -> tuple[list[str], list]:
    fields = ["organisation_id", "full_name", "search_text", "sort_key", "cccd_hash", "created_at", "updated_at"]
    fields += ["sex", "cccd_masked", "phone", "email", "position", "lawful_basis"]
    row = [org_id, "Lê Văn Bình", "le van binh", "x", cccd_hash, timezone.now(), timezone.now()]
    row += ["", "", "", "", "", "consent"]
    return fields, row


def test_bulk_statements_raise_django_errors_and_write_nothing(cast):
    fields, row = _person_row(cast.unit_a.pk, "h" * 64)
    [pk] = insert_rows(Person, fields, [row])
    assert Person.objects.get(pk=pk).cccd_hash == "h" * 64
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_rows(Person, fields, [_person_row(cast.unit_a.pk, "k" * 64)[1], row])  # the second: same CCCD hash
    assert Person.objects.filter(cccd_hash__in=["h" * 64, "k" * 64]).count() == 1


def test_bulk_ids_are_new_ids_never_reused(cast):
    """SQLite: the ids are taken after the table's last one; one deleted at the end is not given again
    (AUTOINCREMENT's rule, which PostgreSQL's sequences follow too)."""
    fields, row = _person_row(cast.unit_a.pk, "a" * 64)
    [first] = insert_rows(Person, fields, [row])
    Person.objects.filter(pk=first).delete()
    ids = insert_rows(Person, fields, [row, _person_row(cast.unit_a.pk, "b" * 64)[1]])
    assert ids[0] > first and ids[1] == ids[0] + 1
    assert sorted(Person.objects.filter(pk__in=ids).values_list("cccd_hash", flat=True)) == ["a" * 64, "b" * 64]
    made = services.person_create(actor=None, full_name="Trần Văn Cường", organisation=cast.unit_a)
    assert made.pk > ids[1]  # the database's own next id comes after them


def test_bulk_writes_open_no_savepoint(cast):
    """Inside the import's transaction the bulk writes (people, groups, accounts) add no savepoint: on
    SQLite a savepoint makes every page changed after it be copied to a sub-journal first, nearly a page
    a row on the random-key indexes of a large table (bench/README.md)."""
    people = [
        unsaved(Person, {"organisation_id": cast.unit_a.pk, **services.name_fields(name)})
        for name in ("Lê Văn Bình", "Phạm Thị Cúc")
    ]
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        bulk_insert(Person, people)
        services.accounts_create(actor=cast.owner, people=people, none_have_one=True)
    assert User.objects.filter(person__in=people).count() == 2
    assert not [q["sql"] for q in queries.captured_queries if "SAVEPOINT" in q["sql"].upper()]


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
