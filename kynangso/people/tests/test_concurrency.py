"""Two writers at the same time on PostgreSQL (SQLite serialises writers itself): imports, accounts, a cancel.

These tests commit for real (transactional_db), so the database is emptied after each one; the
`admin_units_reloaded` fixture (conftest.py) puts the session's administrative units back for the tests after it."""

import threading
import time
from datetime import date

import pytest
from django.core.files import File
from django.db import connection, connections, transaction

from kynangso.core import crypto
from kynangso.orgs.choices import OrgType, SpaceKind
from kynangso.orgs.services import organisation_create, space_create
from kynangso.people import services
from kynangso.people.imports import services as import_services
from kynangso.people.imports.choices import ImportStatus
from kynangso.people.imports.testing import make_cccd, read_rows, run_import, write_xlsx
from kynangso.people.imports.workbooks import ERROR_MESSAGE_HEADER
from kynangso.people.models import Person, User

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrent writers: PostgreSQL only (SQLite has one writer at a time)"
)


def _province_with_person(code: str):
    root = organisation_create(code=code, name=f"UBND tỉnh {code}", org_type=OrgType.PEOPLES_COMMITTEE)
    space_create(name=f"Tỉnh {code}", kind=SpaceKind.PROVINCE, root=root, learner_quota=10)
    root.refresh_from_db()
    return services.person_create(actor=None, full_name="Nguyễn Văn An", organisation=root)


def _waiting_for_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
        return cursor.fetchone()[0] > 0


def _until_another_transaction_waits() -> None:
    deadline = time.monotonic() + 5
    while not _waiting_for_a_lock() and time.monotonic() < deadline:
        time.sleep(0.02)


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
        _until_another_transaction_waits()

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


def test_the_same_person_in_two_imports_at_once_is_written_once_and_both_imports_finish(
    admin_units_reloaded, transactional_db, tmp_path, settings, monkeypatch
):
    settings.MEDIA_ROOT = tmp_path / "media"
    first, second = (_province_with_person(code).organisation for code in ("T-A", "T-B"))
    birth = date(1988, 3, 14)
    cccd = make_cccd(birth, "female", 424242)
    files = {}
    for org, name in ((first, "Trần Thị Mai"), (second, "Trần Thị Mai")):
        row = [name, birth, "Nữ", cccd, "", "", org.code, "", "Người dân"]
        files[org.code] = write_xlsx(tmp_path / f"{org.code}.xlsx", [row])
    real_write = import_services._Runner._write_people
    first_wrote = threading.Event()

    def write_then_hold(runner, plan):  # the first import keeps its transaction open until the second waits
        result = real_write(runner, plan)
        if threading.current_thread().name == "first":
            first_wrote.set()
            _until_another_transaction_waits()
        return result

    monkeypatch.setattr(import_services._Runner, "_write_people", write_then_hold)
    imports, errors = {}, []

    def run(org):
        try:
            imports[org.code] = run_import(actor=None, organisation=org, path=files[org.code])
        except Exception as exc:  # reported below, with the unit
            errors.append((org.code, exc))
        finally:
            connections.close_all()

    a = threading.Thread(target=run, args=(first,), name="first")
    a.start()
    assert first_wrote.wait(10)
    b = threading.Thread(target=run, args=(second,), name="second")
    b.start()
    a.join(20)
    b.join(20)
    assert errors == []
    done_first, done_second = imports[first.code], imports[second.code]
    assert (done_first.status, done_first.created_count) == (ImportStatus.DONE, 1)
    # Its only row refused (the number is now someone's in another province): nothing imported, it ends so.
    assert (done_second.status, done_second.created_count, done_second.rejected_count) == (ImportStatus.FAILED, 0, 1)
    report = read_rows(done_second.error_report)
    assert report[1][report[0].index(ERROR_MESSAGE_HEADER)].endswith(str(import_services.ERR_CCCD_ELSEWHERE))
    assert Person.objects.filter(cccd_hash=crypto.keyed_hash(cccd)).count() == 1


def test_a_cancel_answers_at_once_while_the_import_holds_its_transaction_open(
    admin_units_reloaded, transactional_db, tmp_path, settings, monkeypatch
):
    settings.MEDIA_ROOT = tmp_path / "media"
    monkeypatch.setattr(import_services, "CHUNK_SIZE", 5)
    monkeypatch.setattr(import_services, "TRANSACTION_ROWS", 20)
    org = _province_with_person("T-A").organisation
    birth = date(1990, 5, 1)
    rows = [
        [f"Trần Thị Mai {chr(65 + i)}", birth, "Nữ", make_cccd(birth, "female", 700 + i), "", "", org.code, "", ""]
        for i in range(30)
    ]
    path = write_xlsx(tmp_path / "cancel.xlsx", rows)
    with path.open("rb") as fh:
        imp = import_services.person_import_create(
            actor=None, organisation=org, file=File(fh, name=path.name), original_name=path.name, enqueue=False
        )
    real_write = import_services._Runner._write_people
    holding, cancel_answered = threading.Event(), threading.Event()
    answered_while_open = []

    def write_then_hold(runner, plan):  # the second chunk of the first 20-row transaction waits for the cancel
        result = real_write(runner, plan)
        if runner.written == 5:
            holding.set()
            answered_while_open.append(cancel_answered.wait(5))
        return result

    monkeypatch.setattr(import_services._Runner, "_write_people", write_then_hold)
    errors = []

    def run():
        try:
            import_services.person_import_run(import_id=imp.pk)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    def cancel():
        try:
            import_services.person_import_cancel(actor=None, person_import=imp)
            cancel_answered.set()
        finally:
            connections.close_all()

    worker = threading.Thread(target=run)
    worker.start()
    assert holding.wait(10)
    canceller = threading.Thread(target=cancel)
    canceller.start()
    worker.join(20)
    canceller.join(20)
    assert errors == [] and answered_while_open == [True]
    imp.refresh_from_db()
    assert (imp.status, imp.rows_written) == (ImportStatus.CANCELLED, 10)  # the two chunks done, kept whole
    assert Person.objects.filter(organisation=org, full_name__startswith="Trần Thị Mai").count() == 10


def test_an_activation_code_submitted_twice_at_once_opens_the_account_once(
    admin_units_reloaded, transactional_db, monkeypatch
):
    from django.contrib.auth import password_validation

    person = _province_with_person("T-C")
    [(user, code)] = services.accounts_create(actor=None, people=[person])
    checking = threading.Event()
    real_validate = password_validation.validate_password

    def validate_while_the_other_waits(password, user=None):
        if not checking.is_set():  # the first submit, holding the account's row
            checking.set()
            _until_another_transaction_waits()
        real_validate(password, user)

    monkeypatch.setattr(password_validation, "validate_password", validate_while_the_other_waits)
    outcomes = []

    def activate(password):
        try:
            services.account_activate(username=user.username, code=code, password=password)
            outcomes.append(("opened", password))
        except Exception as exc:  # noqa: BLE001 (the refusal, or a defect, is what the test reads)
            outcomes.append((type(exc).__name__, password))
        finally:
            connections.close_all()

    first = threading.Thread(target=activate, args=("Giao-Long-2026!",))
    first.start()
    assert checking.wait(5)
    second = threading.Thread(target=activate, args=("Phu-Khuong-2026!",))
    second.start()
    first.join(15)
    second.join(15)
    assert sorted(outcomes) == [("ValidationError", "Phu-Khuong-2026!"), ("opened", "Giao-Long-2026!")]
    user.refresh_from_db()
    assert user.check_password("Giao-Long-2026!") and user.activation_code_hash == ""


def test_wrong_passwords_sent_at_once_are_all_counted(admin_units_reloaded, transactional_db, settings):
    """Each wrong password counts, even while another request's count is not committed yet (the
    second waits for the first's row lock, then adds to its count instead of overwriting it)."""
    person = _province_with_person("T-A")
    user = services.accounts_create(actor=None, people=[person])[0][0]
    first_counted, errors = threading.Event(), []

    def first():
        try:
            with transaction.atomic():
                services.login_failure_record(username=user.username)
                first_counted.set()
                _until_another_transaction_waits()
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    a = threading.Thread(target=first)
    a.start()
    assert first_counted.wait(10)
    services.login_failure_record(username=user.username)  # waits for the first, then counts
    a.join(10)
    assert errors == []
    user.refresh_from_db()
    assert user.failed_logins == 2


def test_new_codes_for_a_list_asked_twice_at_once_are_given_once(admin_units_reloaded, transactional_db, monkeypatch):
    """QA round 52: three identical requests sent at the same moment each returned a file of different codes,
    and only the last one's worked: the check against a repeat and its record were not taken together."""
    from django.core.exceptions import ValidationError

    from kynangso.core.testing import make_user
    from kynangso.orgs.choices import Role
    from kynangso.orgs.services import role_grant
    from kynangso.people.choices import AccountState
    from kynangso.people.selectors import PersonFilters

    person = _province_with_person("T-D")
    services.accounts_create(actor=None, people=[person])
    admin = make_user("admin_td")
    role_grant(user=admin, role=Role.UNIT_ADMIN, organisation=person.organisation)
    renewing = threading.Event()
    real_outdated = import_services.activation_files_outdated

    def outdated_while_the_other_waits(renewed):
        if not renewing.is_set():  # the first request, its codes given, before its commit
            renewing.set()
            _until_another_transaction_waits()
        return real_outdated(renewed)

    monkeypatch.setattr(import_services, "activation_files_outdated", outdated_while_the_other_waits)
    outcomes = []

    def ask(name):
        try:
            filters = PersonFilters(account=AccountState.WAITING)
            import_services.activation_codes_for_list(actor=admin, filters=filters)
            outcomes.append(("given", name))
        except ValidationError:
            outcomes.append(("refused", name))
        except Exception as exc:  # noqa: BLE001 (a defect is what the test reads)
            outcomes.append((type(exc).__name__, name))
        finally:
            connections.close_all()

    first = threading.Thread(target=ask, args=("first",))
    first.start()
    assert renewing.wait(5)
    second = threading.Thread(target=ask, args=("second",))
    second.start()
    first.join(15)
    second.join(15)
    assert sorted(outcomes) == [("given", "first"), ("refused", "second")]
