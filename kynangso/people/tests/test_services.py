import re
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from kynangso.core import crypto
from kynangso.core.models import AuditLog
from kynangso.people import services
from kynangso.people.models import ERR_CCCD_TAKEN, Person, User

pytestmark = pytest.mark.django_db


def test_cccd_is_encrypted_hashed_and_masked(cast):
    person = Person.objects.get(pk=cast.person_a.pk)
    assert b"086085001234" not in bytes(person.cccd_encrypted)
    assert person.cccd_hash == crypto.keyed_hash("086085001234")
    assert person.cccd_masked == "0*********34"
    assert services.person_cccd_reveal(actor=cast.owner, person=person) == "086085001234"
    assert AuditLog.objects.filter(action="person.cccd_reveal", object_id=str(person.pk)).count() == 1


def test_username_base_is_readable():
    assert services.username_base("Nguyễn Văn An") == "annv"
    assert services.username_base("Đặng Thị Ánh Tuyết") == "tuyetdta"
    assert services.username_base("Lê") == "le"
    assert services.username_base("Admin") == "hvadmin"  # not an administrator's name (QA round 17)


def test_accounts_get_unique_usernames_and_activation_codes(cast):
    namesakes = [
        services.person_create(actor=None, full_name="Nguyễn Văn An", organisation=cast.unit_a) for _ in range(2)
    ]
    created = services.accounts_create(actor=cast.owner, people=[cast.person_a, *namesakes])
    assert sorted(u.username for u, _code in created) == ["annv", "annv2", "annv3"]
    assert all(not u.has_usable_password() for u, _code in created)
    assert services.accounts_create(actor=cast.owner, people=[cast.person_a]) == []  # already has one


def test_activation_sets_the_password_once(cast, client):
    [(user, code)] = services.accounts_create(actor=cast.owner, people=[cast.person_a])
    with pytest.raises(ValidationError):
        services.account_activate(username=user.username, code="WRONGCODE1", password="Mật-khẩu-2026")
    response = client.post(
        "/activate/",
        {
            "username": user.username,
            "code": f" {code[:4].lower()} {code[4:8]}–{code[8:]}. ",  # copied with spaces, an en dash, a dot
            "password1": "Mat-khau-2026!",
            "password2": "Mat-khau-2026!",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Mat-khau-2026!")
    with pytest.raises(ValidationError) as used:  # the code is single-use, and the message says what to do
        services.account_activate(username=user.username, code=code, password="Khac-2026!x")
    assert "hãy đăng nhập bằng mật khẩu đó" in " ".join(used.value.messages)


def test_an_activation_code_typed_at_the_login_says_so_and_does_not_lock_the_account(cast, client, settings):
    settings.LOGIN_MAX_FAILURES = 2
    [(user, code)] = services.accounts_create(actor=cast.owner, people=[cast.person_a])
    for _ in range(3):
        body = client.post("/login/", {"username": user.username, "password": code}).content.decode()
        assert "Đây là mã kích hoạt của tài khoản mới, không phải mật khẩu" in body
    user.refresh_from_db()
    assert (user.failed_logins, user.locked_until) == (0, None)


def test_a_learner_logs_in_with_a_capital_first_letter_changes_the_password_and_sees_all_their_data(cast, client):
    person = services.person_create(
        actor=None, full_name="Nguyễn Văn Hùng", organisation=cast.unit_a, target_groups=["citizen"]
    )
    [(user, code)] = services.accounts_create(actor=cast.owner, people=[person])
    page = client.get(f"/activate/?username={user.username}&code={code}").content.decode()
    assert 'autocomplete="one-time-code"' in page and 'autocapitalize="none"' in page
    refused = client.post(  # the name typed without accents or spaces is no password
        "/activate/",
        {"username": user.username, "code": code, "password1": "nguyenvanhung", "password2": "nguyenvanhung"},
    ).content.decode()
    assert "Mật khẩu quá giống họ và tên của bạn" in refused
    client.post(
        "/activate/",
        {"username": user.username, "code": code, "password1": "Giao-Long-2026", "password2": "Giao-Long-2026"},
    )
    assert client.get("/activate/").url == "/"  # back to the form once logged in: home instead
    client.post("/logout/")
    typed = user.username.capitalize()  # a phone's keyboard capitalises the first letter
    assert client.post("/login/", {"username": typed, "password": "Giao-Long-2026"}).status_code == 302
    changed = client.post(
        "/password/",
        {"old_password": "Giao-Long-2026", "new_password1": "Long-Ho-2027!", "new_password2": "Long-Ho-2027!"},
        follow=True,
    ).content.decode()
    assert "Đã đổi mật khẩu." in changed and user.username in changed and "Người dân" in changed
    user.refresh_from_db()
    assert user.check_password("Long-Ho-2027!")
    # A learner has no staff lists, whatever the address typed.
    assert (client.get("/people/").status_code, client.get("/organisations/").status_code) == (403, 403)


def test_activation_lifts_a_lock_left_by_wrong_passwords(cast, client, settings):
    settings.LOGIN_MAX_FAILURES = 2
    [(user, code)] = services.accounts_create(actor=cast.owner, people=[cast.person_a])
    for _ in range(2):
        client.post("/login/", {"username": user.username, "password": "doan-bua-1"})
    assert services.is_locked(user.username)
    admin = Client()
    admin.force_login(cast.owner)
    assert "Đang bị khóa đến" in admin.get(f"/people/{cast.person_a.pk}/").content.decode()  # and why, and the way out
    services.account_activate(username=user.username, code=code, password="Mat-khau-2026!")
    assert not services.is_locked(user.username)
    assert client.post("/login/", {"username": user.username, "password": "Mat-khau-2026!"}).status_code == 302


def test_the_password_rules_are_in_vietnamese_before_and_after_a_try(cast, client):
    assert "Ít nhất 8 ký tự." in client.get("/activate/").content.decode()
    [(user, code)] = services.accounts_create(actor=cast.owner, people=[cast.person_a])
    form = {"username": user.username, "code": code, "password1": "Ab1", "password2": "Ab1"}
    assert "Mật khẩu quá ngắn: cần ít nhất 8 ký tự." in client.post("/activate/", form).content.decode()


def test_expired_activation_code_is_refused(cast):
    [(user, code)] = services.accounts_create(actor=cast.owner, people=[cast.person_a])
    User.objects.filter(pk=user.pk).update(activation_expires_at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(ValidationError):
        services.account_activate(username=user.username, code=code, password="Mat-khau-2026!")


def test_quota_overflow_is_refused_and_nothing_is_created(cast):
    cast.space.learner_quota = 1
    cast.space.save(update_fields=["learner_quota"])
    with pytest.raises(ValidationError) as err:
        services.accounts_create(actor=cast.owner, people=[cast.person_a, cast.person_b])
    assert "Tỉnh Vĩnh Long" in str(err.value) and "1" in str(err.value)
    assert not User.objects.filter(person__isnull=False).exists()
    assert len(services.accounts_create(actor=cast.owner, people=[cast.person_a])) == 1
    assert services.space_free_accounts(cast.space) == 0


def test_a_tally_counts_the_accounts_made_elsewhere_between_two_calls(cast):
    third = services.person_create(actor=None, full_name="Trần Thị Ba", organisation=cast.unit_a)
    cast.space.learner_quota = 2
    cast.space.save(update_fields=["learner_quota"])
    tally = services.AccountTally()
    assert services.accounts_used([cast.space.pk], tally) == {cast.space.pk: 0}
    services.accounts_create(actor=cast.owner, people=[cast.person_a], tally=tally)
    assert tally.used == {cast.space.pk: 1}
    services.accounts_create(actor=cast.owner, people=[cast.person_b])  # another import, without this tally
    with pytest.raises(ValidationError):  # the tally sees the second account: the quota of 2 is full
        services.accounts_create(actor=cast.owner, people=[third], tally=tally)
    assert tally.used == {cast.space.pk: 2}
    assert User.objects.filter(person__isnull=False).count() == 2


def test_person_update_writes_only_changed_fields_and_audits(cast):
    services.person_update(actor=cast.owner, person=cast.person_a, full_name="Nguyễn Văn Ân")
    person = Person.objects.get(pk=cast.person_a.pk)
    assert person.search_text == "nguyen van an"
    entry = AuditLog.objects.filter(action="person.update").latest("at")
    assert entry.details["fields"] == ["full_name"]


def test_a_year_of_birth_alone_follows_the_cccd_and_gives_way_to_a_date(cast):
    from kynangso.people.imports.testing import make_cccd

    cccd = make_cccd(date(1987, 1, 1), "female", 4)
    person = services.person_create(actor=None, full_name="Đỗ Thị Mơ", organisation=cast.unit_a, cccd=cccd)
    assert (person.date_of_birth, person.birth_year, person.birth_year_known) == (None, 1987, 1987)
    services.person_update(actor=cast.owner, person=person, position="Kế toán")  # other fields: kept
    assert Person.objects.get(pk=person.pk).birth_year == 1987
    services.person_update(actor=cast.owner, person=person, date_of_birth=date(1987, 9, 9))
    person.refresh_from_db()
    assert (person.date_of_birth, person.birth_year, person.birth_year_known) == (date(1987, 9, 9), None, 1987)
    assert AuditLog.objects.filter(action="person.update").latest("at").details["fields"] == ["date_of_birth"]


def test_erase_removes_person_and_account(cast):
    services.accounts_create(actor=cast.owner, people=[cast.person_a])
    request = services.data_request_create(person=cast.person_a, kind="deletion", message="Xin xóa dữ liệu")
    pk = cast.person_a.pk
    services.person_erase(actor=cast.owner, person=cast.person_a)
    assert not Person.objects.filter(pk=pk).exists()
    assert not User.objects.filter(username="annv").exists()
    request.refresh_from_db()
    assert request.status == "done" and request.person is None and request.person_name == "Nguyễn Văn An"


def test_working_age_filter(cast):
    from kynangso.people.selectors import PersonFilters, person_list

    services.person_create(
        actor=None,
        full_name="Võ Văn Già",
        organisation=cast.unit_a,
        sex="male",
        date_of_birth=date(1950, 1, 1),
    )
    names = set(
        person_list(actor=cast.space_admin, filters=PersonFilters(working_age=True)).values_list("full_name", flat=True)
    )
    assert names == {"Nguyễn Văn An", "Trần Thị Bình"}
    old = person_list(actor=cast.space_admin, filters=PersonFilters(working_age=False))
    assert list(old.values_list("full_name", flat=True)) == ["Võ Văn Già"]


@pytest.mark.parametrize("name", ["Nguyễn Văn Út (Bé)", "Trần Văn Hai 2", "123"])
def test_the_form_and_the_api_refuse_the_names_the_import_refuses(cast, name):
    """One name rule everywhere: a name the form took would not re-import from the export."""
    from kynangso.people.imports.validation import RowValidator

    with pytest.raises(ValidationError) as err:
        services.person_create(actor=None, full_name=name, organisation=cast.unit_a)
    assert list(err.value.message_dict) == ["full_name"]
    assert not RowValidator(column=lambda name, _row: name, organisations={}).parse(2, [name, *[None] * 8]).ok


def test_a_name_typed_in_capitals_on_the_form_or_the_api_is_stored_in_the_usual_case(cast):
    person = services.person_create(actor=None, full_name="LÊ  VĂN TÁM", organisation=cast.unit_a)
    assert (person.full_name, person.search_text) == ("Lê Văn Tám", "le van tam")


def test_people_are_sorted_in_vietnamese_order(cast):
    from kynangso.people.selectors import person_list

    for name in ("Lê Văn Bình", "Phạm Thị Ánh", "Đỗ Văn An"):
        services.person_create(actor=None, full_name=name, organisation=cast.unit_a)
    names = list(person_list(actor=cast.owner).values_list("full_name", flat=True))
    assert names == ["Đỗ Văn An", "Nguyễn Văn An", "Phạm Thị Ánh", "Lê Văn Bình"]


def test_username_numbers_continue_across_runs_and_respect_older_accounts(cast):
    from kynangso.people.models import UsernameSequence

    User.objects.create(username="annv", username_base="annv", username_seq=1)  # made before any sequence row
    User.objects.create(username="annv3")  # made by hand: no base, no sequence
    [(first, _)] = services.accounts_create(actor=cast.owner, people=[cast.person_a])
    assert first.username == "annv2"
    assert UsernameSequence.objects.get(base="annv").last == 2
    namesakes = [
        services.person_create(actor=None, full_name="Nguyễn Văn An", organisation=cast.unit_b) for _ in range(2)
    ]
    created = services.accounts_create(actor=cast.owner, people=namesakes)
    assert sorted(user.username for user, _ in created) == ["annv4", "annv5"]
    assert UsernameSequence.objects.get(base="annv").last == 5


def test_a_cccd_taken_between_the_check_and_the_save_is_the_same_clear_error(cast, monkeypatch):
    # Another transaction takes the number after full_clean() looked: here, full_clean() sees nothing.
    monkeypatch.setattr(Person, "full_clean", lambda self, **kwargs: None)
    before = Person.objects.count()
    with pytest.raises(ValidationError) as created:
        services.person_create(actor=None, full_name="Người Khác", organisation=cast.unit_a, cccd="086085001234")
    with pytest.raises(ValidationError) as updated:
        services.person_update(
            actor=None,
            person=cast.person_b,
            cccd="086085001234",
            sex=cast.person_a.sex,
            date_of_birth=cast.person_a.date_of_birth,
        )
    for raised in (created, updated):
        assert raised.value.message_dict == {"cccd": [str(ERR_CCCD_TAKEN)]}
    assert Person.objects.count() == before
    assert Person.objects.get(pk=cast.person_b.pk).cccd_hash != crypto.keyed_hash("086085001234")


def test_a_new_activation_code_is_given_from_the_persons_page_once_and_the_old_one_stops(cast, login):
    owner = login(cast.owner)
    # No account yet: the page makes one, and shows its code once, with a QR code, not to be cached
    response = owner.post(f"/people/{cast.person_a.pk}/activation-code/", follow=True)
    page = response.content.decode()
    assert response.redirect_chain == [(f"/people/{cast.person_a.pk}/activation-code/", 302)]
    assert response["Cache-Control"] == "no-store"
    user = User.objects.get(person=cast.person_a)
    first = re.search(r'id="issued-code" class="code">(\w+)<', page)[1]
    assert user.username in page and 'src="data:image/png;base64,' in page
    # Reloading the page shows no code again, and gives none: the printed one still works
    again = owner.get(f"/people/{cast.person_a.pk}/activation-code/", follow=True).content.decode()
    assert "chỉ hiện một lần" in again and first not in again
    assert services.is_activation_code(username=user.username, code=first)
    # Lost card: a box to tick first (the first code stops working; no JavaScript needed), then the browser
    # goes to the new code. Unticked (a browser ignoring `required`), nothing changes.
    person_page = owner.get(f"/people/{cast.person_a.pk}/").content.decode()
    assert 'name="confirm" value="1" required id="activation-code-confirm"' in person_page
    assert "Tôi hiểu rằng mã đã đưa trước đây sẽ hết hiệu lực." in person_page
    before = User.objects.get(pk=user.pk).activation_code_hash
    unticked = owner.post(f"/people/{cast.person_a.pk}/activation-code/", follow=True).content.decode()
    assert "Hãy đánh dấu vào ô để xác nhận" in unticked and 'id="issued-code"' not in unticked
    assert User.objects.get(pk=user.pk).activation_code_hash == before
    assert services.is_activation_code(username=user.username, code=first)
    sent = owner.post(f"/people/{cast.person_a.pk}/activation-code/", {"confirm": "1"}, headers={"HX-Request": "true"})
    assert sent.status_code == 200 and sent["HX-Redirect"] == f"/people/{cast.person_a.pk}/activation-code/"
    page = owner.get(sent["HX-Redirect"]).content.decode()
    second = re.search(r'id="issued-code" class="code">(\w+)<', page)[1]
    assert second != first and User.objects.filter(person=cast.person_a).count() == 1
    with pytest.raises(ValidationError):
        services.account_activate(username=user.username, code=first, password="Mat-khau-2026!")
    services.account_activate(username=user.username, code=second, password="Mat-khau-2026!")
    assert "đã đặt mật khẩu" in owner.get(f"/people/{cast.person_a.pk}/").content.decode()
    assert AuditLog.objects.filter(action="people.account.code_issue", object_id=str(cast.person_a.pk)).count() == 2
    assert not AuditLog.objects.filter(details__icontains=second).exists()  # the code itself is never logged
    # A read-only colleague, and another unit's admin, cannot
    assert login(cast.readonly).post(f"/people/{cast.person_a.pk}/activation-code/").status_code == 404
    assert login(cast.outsider).post(f"/people/{cast.person_a.pk}/activation-code/").status_code == 404


def test_no_activation_code_for_an_account_that_holds_a_role(cast, login):
    """Otherwise a unit admin could take over a colleague admin's account (or their own superior's)."""
    from kynangso.orgs.choices import Role
    from kynangso.orgs.services import role_grant

    [(user, _code)] = services.accounts_create(actor=cast.owner, people=[cast.person_a])
    role_grant(user=user, role=Role.UNIT_ADMIN, organisation=cast.unit_a)
    before = User.objects.get(pk=user.pk).activation_code_hash
    response = login(cast.owner).post(f"/people/{cast.person_a.pk}/activation-code/", {"confirm": "1"}, follow=True)
    assert "giữ một vai trò" in response.content.decode()
    assert User.objects.get(pk=user.pk).activation_code_hash == before
    page = login(cast.owner).get(f"/people/{cast.person_a.pk}/").content.decode()
    assert 'id="activation-code"' not in page and "giữ một vai trò" in page  # no button, and why


def test_a_learners_role_does_not_stop_a_new_code_but_a_disabled_account_does(cast, login):
    from kynangso.orgs.choices import Role
    from kynangso.orgs.services import role_grant

    [(user, _code)] = services.accounts_create(actor=cast.owner, people=[cast.person_a])
    role_grant(user=user, role=Role.LEARNER, organisation=cast.unit_a)
    code_url = f"/people/{cast.person_a.pk}/activation-code/"
    page = login(cast.owner).post(code_url, {"confirm": "1"}, follow=True).content.decode()
    assert 'id="issued-code"' in page
    User.objects.filter(pk=user.pk).update(is_active=False)
    code = re.search(r'id="issued-code" class="code">(\w+)<', page)[1]
    assert not services.is_activation_code(username=user.username, code=code)  # a disabled account: no activation
    page = login(cast.owner).post(code_url, {"confirm": "1"}, follow=True).content.decode()
    assert "đã bị vô hiệu hóa" in page and 'id="issued-code"' not in page


def test_a_code_works_to_the_end_of_the_day_the_sheets_print(cast):
    [(user, _code)] = services.accounts_create(actor=cast.owner, people=[cast.person_a])
    last_day = timezone.localdate() + timedelta(days=services.ACTIVATION_DAYS)
    expires = timezone.localtime(User.objects.get(pk=user.pk).activation_expires_at)
    assert (expires.date(), expires.hour, expires.minute) == (last_day, 23, 59)


def test_a_role_beyond_a_learners_cancels_the_pending_activation_code(cast):
    """The code is on an import's sheet: whoever holds the sheet must not claim an author's or admin's account."""
    from kynangso.orgs.choices import Role
    from kynangso.orgs.services import role_grant

    [(user, code)] = services.accounts_create(actor=cast.owner, people=[cast.person_a])
    role_grant(user=user, role=Role.LEARNER, organisation=cast.unit_a)
    assert services.is_activation_code(username=user.username, code=code)
    role_grant(user=user, role=Role.AUTHOR, organisation=cast.unit_a)
    assert not services.is_activation_code(username=user.username, code=code)


def test_the_admin_login_counts_wrong_passwords_and_keeps_the_lock(cast, client, settings):
    settings.LOGIN_MAX_FAILURES = 3
    staff = User.objects.create_user(username="qt.he.thong", password="Dung-Mat-Khau-2026!", is_staff=True)
    for _ in range(3):
        page = client.post("/admin/login/", {"username": staff.username, "password": "doan-bua-1"})
        assert page.status_code == 200  # the form again, with its error
    assert services.is_locked(staff.username)
    refused = client.post("/admin/login/", {"username": staff.username, "password": "Dung-Mat-Khau-2026!"})
    assert refused.status_code == 200 and "tạm thời bị khóa" in refused.content.decode()
    assert client.post("/login/", {"username": staff.username, "password": "Dung-Mat-Khau-2026!"}).status_code == 200
    # Unlocked, the right password opens the admin; a learner's right password there is not counted as wrong
    User.objects.filter(pk=staff.pk).update(locked_until=None)
    right = {"username": staff.username, "password": "Dung-Mat-Khau-2026!"}
    assert client.post("/admin/login/", right).status_code == 302
    learner = User.objects.create_user(username="hoc.vien.a", password="Dung-Mat-Khau-2026!")
    for _ in range(3):
        Client().post("/admin/login/", {"username": learner.username, "password": "Dung-Mat-Khau-2026!"})
    assert not services.is_locked(learner.username)


def test_wrong_activation_codes_are_limited_alike_for_known_and_unknown_usernames(cast, client, settings):
    settings.ACTIVATION_MAX_FAILURES = 3
    [(user, code)] = services.accounts_create(actor=cast.owner, people=[cast.person_a])
    answers = {}
    for username in (user.username, "khongco.ai"):
        answers[username] = []
        for attempt in range(4):
            form = {"username": username, "code": f"SAI{attempt}SAI{attempt}", "password1": "Mat-khau-2026!"}
            form["password2"] = form["password1"]
            page = client.post("/activate/", form).content.decode()
            answers[username].append("Nhập sai mã kích hoạt quá nhiều lần" in page)
    assert answers[user.username] == answers["khongco.ai"] == [False, False, False, True]
    # While it lasts, even the right code waits at that address (the test client's); afterwards it works
    with pytest.raises(ValidationError):
        services.account_activate(username=user.username, code=code, password="Mat-khau-2026!", address="127.0.0.1")
    from django.core.cache import cache

    cache.clear()  # LOGIN_LOCK_MINUTES later
    services.account_activate(username=user.username, code=code, password="Mat-khau-2026!", address="127.0.0.1")


def test_wrong_codes_from_one_address_do_not_lock_the_owner_elsewhere(cast, settings):
    """Someone who knows a username types wrong codes until refused: the owner, on another network, still
    activates. Ten addresses at the limit refuse the username everywhere (no guessing from many)."""
    settings.ACTIVATION_MAX_FAILURES = 2
    [(user, code)] = services.accounts_create(actor=cast.owner, people=[cast.person_a])
    [(other, other_code)] = services.accounts_create(actor=cast.owner, people=[cast.person_b])

    def post(username, code, address):
        form = {"username": username, "code": code, "password1": "Mat-khau-2026!", "password2": "Mat-khau-2026!"}
        return Client(REMOTE_ADDR=address).post("/activate/", form)

    for attempt in range(3):
        page = post(user.username, f"SAI{attempt}SAI{attempt}", "203.0.113.9").content.decode()
    assert "Nhập sai mã kích hoạt quá nhiều lần" in page
    assert "Nhập sai mã kích hoạt quá nhiều lần" in post(user.username, code, "203.0.113.9").content.decode()
    assert post(user.username, code, "198.51.100.7").status_code == 302  # the owner, from home
    user.refresh_from_db()
    assert user.has_usable_password() and not user.activation_code_hash

    for address in range(services.ADDRESSES_BEFORE_LOCK):
        for attempt in range(2):
            post(other.username, f"SAI{attempt}SAI{attempt}", f"192.0.2.{address}")
    page = post(other.username, other_code, "198.51.100.8").content.decode()
    assert "Nhập sai mã kích hoạt quá nhiều lần" in page
    other.refresh_from_db()
    assert other.activation_code_hash and not other.has_usable_password()


def test_behind_a_proxy_the_client_address_comes_from_the_named_header(rf, settings):
    from kynangso.core.http import client_address

    request = rf.get("/activate/", REMOTE_ADDR="10.0.0.1", HTTP_X_REAL_IP="203.0.113.5")
    assert client_address(request) == "10.0.0.1"
    settings.CLIENT_ADDRESS_HEADER = "HTTP_X_REAL_IP"
    assert client_address(request) == "203.0.113.5"
    assert client_address(rf.get("/", REMOTE_ADDR="10.0.0.1")) == "10.0.0.1"  # a request the proxy did not mark


def test_an_unknown_username_is_locked_as_long_as_an_account(client, settings, monkeypatch):
    """The lock of a username nobody has lasts LOGIN_LOCK_MINUTES after the failure that reached the limit,
    as an account's does (a lock that ended sooner would tell which usernames exist)."""
    import time

    settings.LOGIN_MAX_FAILURES = 2
    now = [time.time()]
    monkeypatch.setattr(time, "time", lambda: now[0])  # the cache's clock
    for _ in range(3):  # the third is refused unchecked, and not counted
        client.post("/login/", {"username": "khong.ai", "password": "doan-bua-1"})
    now[0] += settings.LOGIN_LOCK_MINUTES * 60 - 30  # past the cache's default 5 minutes
    page = client.post("/login/", {"username": "khong.ai", "password": "doan-bua-1"}).content.decode()
    assert "Nhập sai mật khẩu quá nhiều lần" in page
    now[0] += 60
    page = client.post("/login/", {"username": "khong.ai", "password": "doan-bua-1"}).content.decode()
    assert "Nhập sai mật khẩu quá nhiều lần" not in page and "Tên đăng nhập hoặc mật khẩu không đúng." in page


def test_the_wrong_code_counts_are_shared_by_the_web_processes_and_the_workers():
    """A renewal runs in a worker: the count it clears must be the one the web process reads."""
    import os
    import subprocess
    import sys

    services.attempt_failed("activate", "ai.do")
    other_process = (
        "import django; django.setup(); from kynangso.people import services as s; "
        "assert s.attempts_exhausted('activate', 'ai.do', 1); s.attempts_forget(['ai.do'])"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    subprocess.run([sys.executable, "-c", other_process], check=True, env=env, timeout=60)  # noqa: S603 (our own code)
    assert not services.attempts_exhausted("activate", "ai.do", 1)


@pytest.mark.parametrize("how", ["one", "renew"])
def test_a_new_code_from_the_admin_lifts_the_wrong_code_limit(cast, settings, how):
    settings.ACTIVATION_MAX_FAILURES = 2
    [(user, _code)] = services.accounts_create(actor=cast.owner, people=[cast.person_a])
    for attempt in range(2):
        with pytest.raises(ValidationError):
            services.account_activate(username=user.username, code=f"SAI{attempt}", password="Mat-khau-2026!")
    if how == "one":
        _user, code = services.account_code_issue(actor=cast.owner, person=cast.person_a)
    else:
        [(_user, code)] = services.activation_codes_renew(actor=cast.owner, usernames=[user.username])
    assert services.account_activate(username=user.username, code=code, password="Mat-khau-2026!").has_usable_password()


def test_an_unknown_username_is_locked_like_a_known_one(cast, client, settings):
    settings.LOGIN_MAX_FAILURES = 2
    [(user, _code)] = services.accounts_create(actor=cast.owner, people=[cast.person_a])
    user.set_password("Mat-khau-2026!")
    user.save()
    pages = {}
    for username in (user.username, "khongco.ai"):
        pages[username] = [
            "tạm thời bị khóa" in client.post("/login/", {"username": username, "password": "sai-1"}).content.decode()
            for _ in range(3)
        ]
    assert pages[user.username] == pages["khongco.ai"] == [False, False, True]


def test_a_new_date_or_sex_must_agree_with_the_stored_cccd(cast, client):
    """QA round 13, findings 1-2: an edit that keeps the CCCD checks it against the new date; removing the
    date brings back the CCCD's year."""
    from kynangso.people.imports.testing import make_cccd

    person = services.person_create(
        actor=None, full_name="Lê Thị Hà", organisation=cast.unit_a, cccd=make_cccd(date(1990, 1, 1), "female", 7)
    )
    with pytest.raises(ValidationError) as refused:
        services.person_update(actor=cast.owner, person=person, date_of_birth=date(1975, 5, 6))
    assert list(refused.value.message_dict) == ["date_of_birth"]
    person.refresh_from_db()
    assert (person.date_of_birth, person.birth_year) == (None, 1990)
    services.person_update(actor=cast.owner, person=person, date_of_birth=date(1990, 5, 6))
    services.person_update(actor=cast.owner, person=person, date_of_birth=None)
    person.refresh_from_db()
    assert (person.date_of_birth, person.birth_year) == (None, 1990)


def test_a_new_sex_that_the_stored_cccd_contradicts_is_refused_under_the_sex(cast):
    with pytest.raises(ValidationError) as refused:  # the form sends the unchanged date too
        services.person_update(
            actor=cast.owner, person=cast.person_a, sex="female", date_of_birth=cast.person_a.date_of_birth
        )
    assert list(refused.value.message_dict) == ["sex"]
    assert Person.objects.get(pk=cast.person_a.pk).sex == "male"


@pytest.mark.parametrize("given", ["ǅan", "ſon", "Ｈà", "An"])
def test_a_username_is_as_the_login_form_reads_it(given):
    """QA round 15: the login form's username field applies NFKC to what is typed ("ǆannv" → "džannv"), so
    an account named without it could be activated but never logged in to."""
    import unicodedata

    from kynangso.people.services import _username_base

    base = _username_base("Nguyễn Văn", given)
    assert base == unicodedata.normalize("NFKC", base) and base.endswith("nv")
