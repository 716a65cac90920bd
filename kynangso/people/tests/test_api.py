import pytest

from kynangso.people.models import Person

pytestmark = pytest.mark.django_db


def test_openapi_lists_the_foundation_endpoints(client):
    paths = client.get("/api/openapi.json").json()["paths"]
    for path in (
        "/api/v1/admin-units",
        "/api/v1/organisations",
        "/api/v1/people",
        "/api/v1/people/{person_id}",
    ):
        assert path in paths, path
    assert set(paths["/api/v1/people"]) >= {"get", "post"}
    assert set(paths["/api/v1/people/{person_id}"]) >= {"get", "patch"}


def test_api_docs_page_is_served_without_any_cdn(client):
    response = client.get("/api/docs")
    assert response.status_code == 200
    body = response.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in body
    assert "http://" not in body and "https://" not in body
    assert "script-src 'self';" in response["Content-Security-Policy"]
    assert client.get("/api/v1/docs").url == "/api/docs"  # where people look for them first


def test_search_without_diacritics_finds_nguyen(login, cast):
    client = login(cast.space_admin)
    for q in ("nguyen", "Nguyen Van An", "NGUYỄN văn", "van an"):
        body = client.get("/api/v1/people", {"q": q}).json()
        assert [p["full_name"] for p in body["items"]] == ["Nguyễn Văn An"], q
        assert body["count"] == 1


def test_search_d_finds_dd(login, cast):
    from kynangso.people.services import person_create

    person_create(actor=None, full_name="Đặng Văn Đạt", organisation=cast.unit_a)
    body = login(cast.space_admin).get("/api/v1/people", {"q": "dang dat"}).json()
    assert [p["full_name"] for p in body["items"]] == ["Đặng Văn Đạt"]


def test_list_is_paginated_with_count_and_items(login, cast, django_assert_max_num_queries):
    from kynangso.people.services import name_fields

    Person.objects.bulk_create([Person(organisation=cast.unit_a, **name_fields(f"Lê Văn Số {i}")) for i in range(70)])
    client = login(cast.space_admin)
    with django_assert_max_num_queries(8):
        body = client.get("/api/v1/people", {"page": 2}).json()
    assert body["count"] == 72
    assert len(body["items"]) == 22


def test_create_person_validates_and_masks(login, cast):
    client = login(cast.owner)
    response = client.post(
        "/api/v1/people",
        {
            "full_name": "  Lê   Thị Hồng ",
            "organisation_code": "x-a",
            "sex": "female",
            "date_of_birth": "1992-04-30",
            "cccd": "083192001122",
            "phone": "+84 988 111 222",
            "target_groups": ["official", "teacher"],
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["full_name"] == "Lê Thị Hồng"
    assert data["cccd_masked"] == "0*********22"
    assert data["phone"] == "0988111222"
    assert sorted(data["target_groups"]) == ["official", "teacher"]
    assert "cccd" not in data
    assert data["code"] == Person.objects.get(pk=data["id"]).code  # the export's "Mã hồ sơ KNS"


def test_create_person_with_bad_cccd_answers_envelope_and_writes_nothing(login, cast):
    before = Person.objects.count()
    response = login(cast.owner).post(
        "/api/v1/people",
        {
            "full_name": "Lê Thị Hồng",
            "organisation_code": "X-A",
            "sex": "female",
            "date_of_birth": "1992-04-30",
            "cccd": "083092001122",
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and "cccd" in error["fields"]
    assert Person.objects.count() == before


def test_duplicate_cccd_is_refused(login, cast):
    response = login(cast.owner).post(
        "/api/v1/people",
        {
            "full_name": "Người Khác",
            "organisation_code": "X-A",
            "cccd": "086085001234",
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"cccd": ["Số CCCD này đã được dùng cho một người khác."]}
    # Trying numbers one by one shows in the audit log (the refused transaction does not take it back)
    from kynangso.core.models import AuditLog

    assert AuditLog.objects.filter(action="person.cccd_elsewhere", actor=cast.owner).count() == 1


def test_unknown_field_is_a_422_envelope(login, cast):
    response = login(cast.owner).post(
        "/api/v1/people",
        {"full_name": "A B", "organisation_code": "X-A", "salary": 1},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid"


def test_patch_changes_only_given_fields(login, cast):
    client = login(cast.owner)
    response = client.patch(
        f"/api/v1/people/{cast.person_a.pk}",
        {"position": "Chủ tịch UBND xã"},
        content_type="application/json",
    )
    assert response.status_code == 200
    cast.person_a.refresh_from_db()
    assert cast.person_a.position == "Chủ tịch UBND xã"
    assert cast.person_a.phone == "0912345678"
    assert cast.person_a.cccd_masked == "0*********34"


def test_admin_units_by_level_and_date(client, db):
    provinces = client.get("/api/v1/admin-units", {"level": "province"}).json()
    assert provinces["count"] == 34
    old = client.get("/api/v1/admin-units", {"level": "province", "on": "2025-06-30"}).json()
    assert old["count"] == 63
    assert client.get("/api/v1/admin-units", {"level": "district"}).json()["count"] == 0
    communes = client.get("/api/v1/admin-units", {"level": "commune", "on": "2026-11-25"}).json()
    assert communes["count"] == 3321


def test_field_errors_are_in_the_request_language_not_pydantic_english(login, cast):
    client = login(cast.owner)
    form = {"organisation_code": "X-A", "dry_run": "maybe", "mode": "sometimes"}
    fields = client.post("/api/v1/people/imports", form).json()["error"]["fields"]
    assert fields["file"] == ["Trường này là bắt buộc."] and fields["dry_run"] == ["Phải là true hoặc false."]
    assert fields["mode"] == ["Hãy chọn một trong các giá trị: commit_valid, all_or_nothing, dry_run."]
    english = client.post("/api/v1/people/imports", {"organisation_code": "X-A"}, HTTP_ACCEPT_LANGUAGE="en").json()
    assert english["error"]["fields"]["file"] == ["This field is required."]


def test_a_path_or_method_no_route_takes_answers_in_the_envelope(login, cast):
    client = login(cast.owner)
    for path in ("/api/v1/people/imports/abc", "/api/v1/nope", f"/api/v1/people/{cast.person_a.pk}/x"):
        response = client.get(path)
        assert (response.status_code, response.json()["error"]["code"]) == (404, "not_found"), path
    response = client.delete("/api/v1/people/imports/1")
    assert (response.status_code, response.json()["error"]["code"]) == (405, "method_not_allowed")
    assert response["Allow"] == "GET" and "DELETE" in response.json()["error"]["message"]
    assert client.get("/people/nope/").status_code == 404  # pages keep their own 404 page


def test_admin_units_bad_level_is_422(client, db):
    response = client.get("/api/v1/admin-units", {"level": "hamlet"})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid"


def test_organisations_are_scoped(login, cast):
    codes = [o["code"] for o in login(cast.outsider).get("/api/v1/organisations").json()["items"]]
    assert codes == ["X-B"]


def test_create_api_token_command_prints_a_working_token(client, cast):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("create_api_token", "owner_a", stdout=out, stderr=StringIO())
    token = out.getvalue().strip()
    response = client.get("/api/v1/people", headers={"Authorization": f"Bearer {token}"})
    assert [p["full_name"] for p in response.json()["items"]] == ["Nguyễn Văn An"]


def test_a_session_write_without_its_csrf_token_is_refused_in_vietnamese(cast):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.owner)
    response = client.post(
        "/api/v1/people", {"full_name": "Phùng Văn Khải"}, content_type="application/json", HTTP_ACCEPT_LANGUAGE="vi"
    )
    assert response.status_code == 403
    assert response.json()["error"]["message"].startswith("Trang đã hết hạn")
    assert not Person.objects.filter(full_name="Phùng Văn Khải").exists()


def test_an_anonymous_write_is_unauthenticated_not_a_csrf_failure(cast):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post("/api/v1/people", {}, content_type="application/json")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


@pytest.mark.parametrize("page", ["99999999999999999999", "9223372036854775807", "1000001", "0"])
def test_a_page_number_out_of_range_is_a_422_envelope_on_every_list(login, cast, page):
    client = login(cast.owner)
    for path in ("/api/v1/people", "/api/v1/people/imports", "/api/v1/organisations", "/api/v1/admin-units"):
        response = client.get(path, {"page": page})
        assert response.status_code == 422, (path, response.status_code)
        assert response.json()["error"]["code"] == "invalid" and "page" in response.json()["error"]["fields"]
    assert client.get("/api/v1/people", {"page": "1000000"}).json()["items"] == []  # the last page allowed


def test_a_learner_gets_403_on_the_lists_of_the_api_as_on_the_pages(client, cast):
    from kynangso.core.testing import make_user

    client.force_login(make_user("hv.api", person=cast.person_a))
    for path in ("/api/v1/people", "/api/v1/people/imports", "/api/v1/organisations"):
        response = client.get(path)
        assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden", path
    assert client.get("/api/v1/admin-units").status_code == 200  # public reference data


def test_the_organisation_tree_keeps_its_search_in_the_page_links(login, cast, monkeypatch):
    from kynangso.orgs import views

    monkeypatch.setattr(views, "PAGE_SIZE", 1)
    page = login(cast.space_admin).get("/organisations/", {"q": "UBND"}).content.decode()
    assert 'href="?q=UBND&page=2"' in page  # two units match: a second page, the search kept
    page = login(cast.space_admin).get("/organisations/", {"q": "ubnd"}).content.decode()
    assert 'href="?q=ubnd&page=2"' in page
    response = login(cast.space_admin).get("/organisations/", {"q": "UBND & co #2"})
    assert response.context["query_string"] == "q=UBND+%26+co+%232"  # a raw & or # would cut the search
