"""Scope isolation: a commune's admin cannot list, read, change or export another commune's people,
by page, by API or by guessing ids. Matrix: anonymous → login/401; outsider → 404; read-only → 403 on
writes; owner → works."""

import io
from datetime import date

import pytest
from openpyxl import load_workbook

from kynangso.core.models import AuditLog
from kynangso.people.exports import HEADERS

pytestmark = pytest.mark.django_db


def test_people_list_requires_login(client, cast):
    response = client.get("/people/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_owner_lists_only_own_commune(login, cast):
    body = login(cast.owner).get("/people/").content.decode()
    assert "Nguyễn Văn An" in body
    assert "Trần Thị Bình" not in body


def test_outsider_lists_only_own_commune(login, cast):
    body = login(cast.outsider).get("/people/").content.decode()
    assert "Trần Thị Bình" in body
    assert "Nguyễn Văn An" not in body


def test_space_admin_sees_whole_province(login, cast):
    body = login(cast.space_admin).get("/people/").content.decode()
    assert "Trần Thị Bình" in body and "Nguyễn Văn An" in body


@pytest.mark.parametrize(
    "suffix,method", [("", "get"), ("edit/", "get"), ("edit/", "post"), ("cccd/", "post"), ("erase/", "post")]
)
def test_outsider_gets_404_for_another_communes_person(login, cast, suffix, method):
    client = login(cast.outsider)
    response = getattr(client, method)(f"/people/{cast.person_a.pk}/{suffix}")
    assert response.status_code == 404
    cast.person_a.refresh_from_db()
    assert cast.person_a.full_name == "Nguyễn Văn An"


def test_guessed_id_that_does_not_exist_is_404_too(login, cast):
    assert login(cast.owner).get("/people/999999/").status_code == 404


def test_readonly_colleague_reads_but_may_not_change(login, cast):
    client = login(cast.readonly)
    assert client.get(f"/people/{cast.person_a.pk}/").status_code == 200
    assert client.get(f"/people/{cast.person_a.pk}/edit/").status_code == 403
    assert client.post(f"/people/{cast.person_a.pk}/cccd/").status_code == 403
    assert client.post(f"/people/{cast.person_a.pk}/erase/").status_code == 403
    assert client.get("/people/export.xlsx").status_code == 403


def test_owner_edits_own_person(login, cast):
    client = login(cast.owner)
    response = client.post(
        f"/people/{cast.person_a.pk}/edit/",
        {
            "full_name": "Nguyễn Văn An",
            "date_of_birth": "02/03/1985",
            "sex": "male",
            "cccd": "",
            "phone": "+84 912 345 679",
            "email": "an@example.vn",
            "organisation": cast.unit_a.pk,
            "position": "Công chức văn phòng",
            "target_groups": ["official", "leader"],
            "lawful_basis": "legal_obligation",
        },
    )
    assert response.status_code == 302
    cast.person_a.refresh_from_db()
    assert cast.person_a.phone == "0912345679"
    assert sorted(cast.person_a.target_group_codes) == ["leader", "official"]
    assert cast.person_a.cccd_masked == "0*********34"  # empty CCCD field keeps the stored number


def test_the_person_form_shows_every_wrong_field_at_once(login, cast):
    """A wrong date does not hide a wrong CCCD, phone or name until the next try; nothing is saved."""
    form = {
        "full_name": "Nguyễn Văn An 2",
        "date_of_birth": "31/02/1990",
        "cccd": "123",
        "phone": "12345",
        "organisation": cast.unit_a.pk,
        "lawful_basis": "legal_obligation",
    }
    page = login(cast.owner).post(f"/people/{cast.person_a.pk}/edit/", form).content.decode()
    for field in ("full_name", "date_of_birth", "cccd", "phone"):
        assert f'id="id_{field}_error"' in page, field
    cast.person_a.refresh_from_db()
    assert cast.person_a.full_name == "Nguyễn Văn An" and cast.person_a.phone != "12345"


def test_a_new_date_that_the_stored_cccd_contradicts_is_refused_under_the_date(login, cast):
    """The CCCD field left empty keeps the stored number, which must still agree with the new date."""
    form = {
        "full_name": "Nguyễn Văn An",
        "date_of_birth": "06/05/1975",  # the stored CCCD 086 0 85 …: born in 1985
        "sex": "male",
        "organisation": cast.unit_a.pk,
        "lawful_basis": "legal_obligation",
    }
    page = login(cast.owner).post(f"/people/{cast.person_a.pk}/edit/", form).content.decode()
    assert 'id="id_date_of_birth_error"' in page and "Không khớp với số CCCD đã lưu" in page
    cast.person_a.refresh_from_db()
    assert cast.person_a.date_of_birth == date(1985, 3, 2)


def test_owner_cannot_move_a_person_into_another_commune(login, cast):
    client = login(cast.owner)
    response = client.post(
        f"/people/{cast.person_a.pk}/edit/",
        {
            "full_name": "Nguyễn Văn An",
            "organisation": cast.unit_b.pk,
            "lawful_basis": "legal_obligation",
        },
    )
    assert response.status_code == 200  # the form answers with an error: B is not a choice for A's admin
    cast.person_a.refresh_from_db()
    assert cast.person_a.organisation_id == cast.unit_a.pk


def test_export_contains_only_own_commune_and_is_audited(login, cast):
    response = login(cast.owner).get("/people/export.xlsx")
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    rows = list(wb.active.iter_rows(values_only=True))
    assert rows[0][0] == "Họ và tên"
    names = [r[0] for r in rows[1:]]
    assert names == ["Nguyễn Văn An"]
    entry = AuditLog.objects.get(action="people.export", actor=cast.owner)
    assert entry.details["people"] == 1  # how many people's full CCCD numbers left in the file


def test_a_unit_filter_that_is_no_unit_of_the_scope_exports_nothing_and_the_api_takes_codes(login, cast):
    """QA round 43: "export.xlsx?organisation=<another commune>" dropped the filter and exported the user's
    whole scope; the API took units by id only ("organisation=X-B": "not an integer")."""
    client = login(cast.owner)
    response = client.get("/people/export.xlsx", {"organisation": cast.unit_b.pk}, follow=True)
    assert response.redirect_chain == [(f"/people/?organisation={cast.unit_b.pk}", 302)]
    assert "không xuất dữ liệu nào" in response.content.decode()
    assert not AuditLog.objects.filter(action="people.export").exists()
    client = login(cast.space_admin)
    names = [p["full_name"] for p in client.get("/api/v1/people", {"organisation_code": "x-b"}).json()["items"]]
    assert names == ["Trần Thị Bình"]
    refused = login(cast.owner).get("/api/v1/people", {"organisation_code": "X-B"})
    assert refused.status_code == 400 and "ngoài phạm vi" in refused.json()["error"]["fields"]["organisation_code"][0]


def test_an_export_larger_than_an_excel_sheet_is_refused_with_what_to_do(login, cast, monkeypatch):
    """Excel leaves out the rows after its last (1,048,576): a file that loses people silently is refused."""
    from kynangso.people import services

    monkeypatch.setattr(services, "EXCEL_MAX_ROWS", 1)  # the header row alone: one person is too many
    client = login(cast.owner)
    response = client.get("/people/export.xlsx", {"q": "an"}, follow=True)
    assert response.redirect_chain == [("/people/?q=an", 302)]
    assert client.get("/people/export.xlsx").url == "/people/"
    assert "Excel" in response.content.decode() and "Chọn một đơn vị" in response.content.decode()
    api = client.get("/api/v1/people/export.xlsx")
    assert api.status_code == 400 and "Excel" in api.json()["error"]["message"]
    assert not AuditLog.objects.filter(action="people.export").exists()  # nothing left the platform


def test_the_export_has_the_templates_drop_down_lists(login, cast):
    """Export → edit → import: whoever edits the export chooses the sex, groups and unit codes from lists, as
    in the import template (the unit codes the user may import into)."""
    data = b"".join(login(cast.owner).get("/people/export.xlsx").streaming_content)
    template = b"".join(login(cast.owner).get("/people/imports/template.xlsx").streaming_content)
    found, made = {}, {}
    for name, content in (("export", data), ("template", template)):
        wb = load_workbook(io.BytesIO(content))
        lists = wb["Danh mục"]
        assert lists.sheet_state == "hidden"
        # The same workbook (QA round 27: the export had no guide, no date hint, no units' names)
        made[name] = (
            wb.sheetnames,
            sorted(
                (dv.type, str(dv.sqref), dv.prompt or dv.error)
                for dv in wb["Danh sách"].data_validations.dataValidation
            ),
            [[c.value for c in column if c.value] for column in lists.iter_cols()],
            [row[0] for row in wb["Hướng dẫn"].iter_rows(values_only=True)],
            [c.number_format for c in wb["Danh sách"][1]],
        )
        found[name] = {
            str(dv.sqref)[0]: (
                dv.showErrorMessage,
                dv.error if dv.showErrorMessage else dv.prompt,
                [c.value for c in lists[dv.formula1.split("!")[1].replace("$", "").split(":")[0][0]] if c.value],
            )
            for dv in wb["Danh sách"].data_validations.dataValidation
            if dv.type == "list"
        }
    assert found["export"] == found["template"] and made["export"][:4] == made["template"][:4]
    names, validations, columns, guide, formats = made["export"]
    assert formats[:-1] == made["template"][4] and len(formats) == len(HEADERS) + 1  # and the people's codes
    headers = [c.value for c in load_workbook(io.BytesIO(data))["Danh sách"][1]]
    assert headers == [*HEADERS, "Mã hồ sơ KNS"]
    assert [c.value for c in load_workbook(io.BytesIO(template))["Danh sách"][1]] == HEADERS
    assert names == ["Danh sách", "Danh mục", "Hướng dẫn"] and len(guide) == 11
    assert ("date", "B2:B1048576", "dd/mm/yyyy, hoặc chỉ ghi năm (1990)") in validations, validations
    assert columns[2:] == [["X-A"], ["UBND xã Long Hồ"]]  # the unit codes, their names beside them
    assert found["export"]["C"] == (True, "Chọn Nam hoặc Nữ trong danh sách.", ["Nam", "Nữ"])
    assert found["export"]["G"][2] == ["X-A"] and found["export"]["I"][0] is False
    assert "Cán bộ, công chức, viên chức" in found["export"]["I"][2]


def test_cccd_reveal_shows_clear_number_and_audits(login, cast):
    client = login(cast.owner)
    body = client.get(f"/people/{cast.person_a.pk}/").content.decode()
    assert "0*********34" in body and "086085001234" not in body
    response = client.post(f"/people/{cast.person_a.pk}/cccd/")
    assert "086085001234" in response.content.decode()
    assert "no-store" in response["Cache-Control"]  # not kept by the browser or a proxy
    entry = AuditLog.objects.get(action="person.cccd_reveal")
    assert entry.actor == cast.owner and entry.object_id == str(cast.person_a.pk)


# --- the same through the API -----------------------------------------------------------------


def test_api_requires_authentication(client, cast):
    response = client.get("/api/v1/people")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_api_outsider_cannot_list_read_or_change(login, cast):
    client = login(cast.outsider)
    listed = client.get("/api/v1/people").json()
    assert [p["full_name"] for p in listed["items"]] == ["Trần Thị Bình"]
    assert client.get(f"/api/v1/people/{cast.person_a.pk}").status_code == 404
    response = client.patch(f"/api/v1/people/{cast.person_a.pk}", {"full_name": "X"}, content_type="application/json")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    cast.person_a.refresh_from_db()
    assert cast.person_a.full_name == "Nguyễn Văn An"


def test_api_outsider_cannot_create_in_another_commune(login, cast):
    client = login(cast.outsider)
    response = client.post(
        "/api/v1/people",
        {"full_name": "Lê Văn Cường", "organisation_code": "X-A"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "organisation_code" in response.json()["error"]["fields"]


def test_api_readonly_gets_403_on_patch(login, cast):
    response = login(cast.readonly).patch(
        f"/api/v1/people/{cast.person_a.pk}", {"position": "X"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


def test_api_token_is_scoped_like_the_session(client, cast):
    from kynangso.people.services import api_token_create

    _token, clear = api_token_create(user=cast.outsider, name="test")
    response = client.get("/api/v1/people", headers={"Authorization": f"Bearer {clear}"})
    assert response.status_code == 200
    assert [p["full_name"] for p in response.json()["items"]] == ["Trần Thị Bình"]
    assert (
        client.get(f"/api/v1/people/{cast.person_a.pk}", headers={"Authorization": f"Bearer {clear}"}).status_code
        == 404
    )
    refused = client.get("/api/v1/people", headers={"Authorization": "Bearer wrong"})
    assert (refused.status_code, refused["WWW-Authenticate"]) == (401, 'Bearer realm="api"')


def test_a_forged_unit_in_the_list_filter_drops_that_filter_only(login, cast):
    client = login(cast.space_admin)
    response = client.get("/people/", {"q": "binh", "organisation": "999999"})
    page = response.content.decode()
    assert "Trần Thị Bình" in page and "Nguyễn Văn An" not in page  # the search still applies
    assert (
        "Hãy chọn một lựa chọn hợp lệ" in page
        and 'id="id_organisation_error"' in page
        and 'aria-describedby="id_organisation_error"' in page
    )  # said to be wrong
