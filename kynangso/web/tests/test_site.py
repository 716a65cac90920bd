import pytest

from kynangso.core.testing import PASSWORD, make_user

pytestmark = pytest.mark.django_db


def test_healthz_checks_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_login_page_is_vietnamese_by_default_with_csp(client):
    response = client.get("/login/")
    assert response.status_code == 200
    assert '<html lang="vi">' in response.content.decode()
    assert "Đăng nhập" in response.content.decode()
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp


def test_a_post_sent_after_the_session_ended_lands_on_the_login_page_saying_it_was_not_received(client):
    """QA round 42: an upload sent from a tab whose session had ended in another landed on the login page with
    no word of it; the form was empty after logging in and nothing said the file was not uploaded."""
    response = client.post("/people/imports/", {"mode": "commit_valid"}, follow=True)
    assert response.redirect_chain[-1][0].startswith("/login/?next=")
    assert "nội dung đó chưa được nhận: hãy gửi lại sau khi đăng nhập" in response.content.decode()
    assert "chưa được nhận" not in client.get("/login/").content.decode()


def test_language_switch_to_english(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/login/"}, follow=True)
    body = response.content.decode()
    assert '<html lang="en">' in body and "Log in" in body


def test_lockout_after_repeated_failures(client, settings):
    settings.LOGIN_MAX_FAILURES = 3
    user = make_user("canbo")
    for _ in range(3):
        assert client.post("/login/", {"username": "canbo", "password": "sai"}).status_code == 200
    response = client.post("/login/", {"username": "canbo", "password": PASSWORD})
    assert response.status_code == 200  # locked: even the right password is refused for now
    assert "khóa" in response.content.decode() or "locked" in response.content.decode()
    user.refresh_from_db()
    assert user.locked_until is not None


def test_successful_login_resets_failures(client):
    make_user("canbo2")
    client.post("/login/", {"username": "canbo2", "password": "sai"})
    response = client.post("/login/", {"username": "canbo2", "password": PASSWORD})
    assert response.status_code == 302


def test_home_shows_space_and_counts(login, cast):
    body = login(cast.owner).get("/").content.decode()
    assert "Tỉnh Vĩnh Long" in body and "UBND xã Long Hồ" in body


def test_org_tree_shows_counts_in_scope(login, cast):
    body = login(cast.space_admin).get("/organisations/").content.decode()
    assert "UBND xã Long Hồ" in body and "UBND phường Trà Vinh" in body
    body = login(cast.outsider).get("/organisations/").content.decode()
    assert "UBND xã Long Hồ" not in body and "UBND phường Trà Vinh" in body


def test_people_list_htmx_returns_the_fragment(login, cast):
    response = login(cast.owner).get("/people/", {"q": "nguyen"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert 'id="results"' in body and "<html" not in body and "Nguyễn Văn An" in body


def test_people_list_query_count_is_bounded(login, cast, django_assert_max_num_queries):
    from kynangso.people.models import Person
    from kynangso.people.services import name_fields

    Person.objects.bulk_create([Person(organisation=cast.unit_a, **name_fields(f"Lê Văn {i}")) for i in range(60)])
    client = login(cast.owner)
    with django_assert_max_num_queries(12):
        assert client.get("/people/").status_code == 200


def test_my_data_page_lets_a_person_correct_and_ask_deletion(client, cast):
    user = make_user("hocvien", person=cast.person_a)
    client.force_login(user)
    assert "0*********34" in client.get("/people/me/").content.decode()
    client.post("/people/me/", {"save_contact": "1", "phone": "0987 654 321", "email": "an@vl.gov.vn"})
    cast.person_a.refresh_from_db()
    assert cast.person_a.phone == "0987654321"
    client.post("/people/me/", {"send_request": "1", "kind": "deletion", "message": "Tôi nghỉ hưu"})
    assert cast.person_a.data_requests.filter(kind="deletion").exists()


def test_pages_stay_vietnamese_for_an_english_browser(client):
    body = client.get("/login/", headers={"Accept-Language": "en-US,en;q=0.9"}).content.decode()
    assert '<html lang="vi">' in body


def test_api_errors_follow_accept_language(client):
    english = client.get("/api/v1/people", headers={"Accept-Language": "en"}).json()
    vietnamese = client.get("/api/v1/people").json()
    assert english["error"]["message"] == "Log in or send a valid API token."
    assert vietnamese["error"]["message"] != english["error"]["message"]


def test_not_found_page_is_the_sites_own_in_vietnamese(login, cast):
    response = login(cast.outsider).get(f"/people/{cast.person_a.pk}/")
    body = response.content.decode()
    assert response.status_code == 404
    assert "Nguyễn Văn An" not in body and 'lang="vi"' in body and "Kỹ Năng Số" in body


def test_activation_link_from_a_qr_code_prefills_the_form(client):
    response = client.get("/activate/", {"username": "annv", "code": "ABCD234567"})
    body = response.content.decode()
    assert 'value="annv"' in body and 'value="ABCD234567"' in body
    assert "no-store" in response["Cache-Control"]  # the code: not kept by the browser or a proxy


def test_learner_home_greets_in_vietnamese_order_without_admin_cards(client, cast):
    user = make_user("hv", person=cast.person_a, first_name="An", last_name="Nguyễn Văn")
    client.force_login(user)
    body = client.get("/").content.decode()
    assert "Nguyễn Văn An" in body
    assert "/people/me/" in body and 'href="/organisations/"' not in body


@pytest.mark.django_db
def test_a_form_sent_without_its_csrf_token_gets_a_vietnamese_page():
    """A real server checks CSRF (the test client only when asked): a login form left open while the user
    logged in elsewhere, or cookies blocked, must not end on Django's English 'CSRF verification failed'."""
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(
        "/login/", {"username": "owner_a", "password": "x"}, HTTP_ACCEPT_LANGUAGE="vi"
    )
    assert response.status_code == 403
    page = response.content.decode()
    assert '<html lang="vi">' in page and "Trang đã hết hạn" in page and "verification failed" not in page
    assert 'href="/login/"' in page  # open the form again


def test_check_deploy_warns_of_a_local_site_url_on_a_served_site(settings):
    """QA round 47: every activation card of an import pointed at 127.0.0.1:8000, and nothing had said so."""
    from kynangso.core.apps import site_url_check

    settings.SITE_URL, settings.ALLOWED_HOSTS = "http://127.0.0.1:8000", ["kynangso.vinhlong.gov.vn", "localhost"]
    assert [w.id for w in site_url_check(None)] == ["kynangso.W001"]
    settings.SITE_URL = "https://kynangso.vinhlong.gov.vn"
    assert site_url_check(None) == []
    settings.SITE_URL, settings.ALLOWED_HOSTS = "http://127.0.0.1:8000", ["127.0.0.1", "localhost"]
    assert site_url_check(None) == []  # a machine of one's own: the demo


def test_check_deploy_refuses_the_public_development_keys(settings):
    from kynangso.core.apps import dev_keys_check

    settings.DEV_KEYS_IN_USE = True
    assert [e.id for e in dev_keys_check(None)] == ["kynangso.E001"]
    settings.DEV_KEYS_IN_USE = False
    settings.SECRET_KEY = settings.FIELD_ENCRYPTION_KEY = "only-one-key-set-for-both-0123456789abcdef"
    assert [e.id for e in dev_keys_check(None)] == ["kynangso.E002"]  # a rotated SECRET_KEY would lose the CCCDs
    settings.FIELD_ENCRYPTION_KEY = "a-key-of-its-own-0123456789abcdef-0123456789"
    assert dev_keys_check(None) == []
    for weak in ("", "change-me-too", "short-key"):  # empty in the environment; .env.example's placeholder
        settings.FIELD_ENCRYPTION_KEY = weak
        assert [e.id for e in dev_keys_check(None)] == ["kynangso.E003"], weak
