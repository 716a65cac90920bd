"""Two transactions creating accounts at the same time, on PostgreSQL (SQLite serialises writers itself).

These tests commit for real (transactional_db), so the database is emptied after each one; the
`admin_units_reloaded` fixture puts the session's administrative units back for the tests after it."""

import threading
import time

import pytest
from django.core.management import call_command
from django.db import connection, connections, transaction

from kynangso.orgs.choices import OrgType, SpaceKind
from kynangso.orgs.services import organisation_create, space_create
from kynangso.people import services
from kynangso.people.models import User

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrent writers: PostgreSQL only (SQLite has one writer at a time)"
)


@pytest.fixture
def admin_units_reloaded(django_db_blocker):
    yield  # set up before transactional_db, so this runs after its flush
    with django_db_blocker.unblock():
        call_command("load_admin_units", verbosity=0)


def _province_with_person(code: str):
    root = organisation_create(code=code, name=f"UBND tỉnh {code}", org_type=OrgType.PEOPLES_COMMITTEE)
    space_create(name=f"Tỉnh {code}", kind=SpaceKind.PROVINCE, root=root, learner_quota=10)
    root.refresh_from_db()
    return services.person_create(actor=None, full_name="Nguyễn Văn An", organisation=root)


def _waiting_for_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
        return cursor.fetchone()[0] > 0


def test_namesakes_in_two_provinces_get_different_usernames_when_created_at_once(
    admin_units_reloaded, transactional_db
):
    first, second = _province_with_person("T-A"), _province_with_person("T-B")
    results, errors = {}, []
    first_done = threading.Event()
    second_started = threading.Event()

    def create(name, person, before_commit=None):
        try:
            with transaction.atomic():
                [(user, _code)] = services.accounts_create(actor=None, people=[person])
                results[name] = user.username
                if before_commit:
                    before_commit()
        except Exception as exc:  # reported below, with the thread's name
            errors.append((name, exc))
        finally:
            connections.close_all()

    def hold_until_the_second_waits():
        first_done.set()
        second_started.wait(5)
        deadline = time.monotonic() + 5
        while not _waiting_for_a_lock() and time.monotonic() < deadline:
            time.sleep(0.02)

    a = threading.Thread(target=create, args=("first", first, hold_until_the_second_waits))
    a.start()
    assert first_done.wait(5)
    second_started.set()
    b = threading.Thread(target=create, args=("second", second))
    b.start()
    a.join(15)
    b.join(15)
    assert errors == []
    assert sorted(results.values()) == ["annv", "annv2"]
    assert sorted(User.objects.values_list("username", flat=True)) == ["annv", "annv2"]
