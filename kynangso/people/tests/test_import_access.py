"""Who may import, and scope isolation of imports: an import made in commune A is invisible to commune B's
admin by page, by API and by guessed id. Matrix: anonymous → login/401; outsider → 404; read-only → 403;
owner → works."""

import re
from datetime import date

import pytest
from django.core.files import File
from django.test import override_settings

from kynangso.people import services as people_services
from kynangso.people.exports import HEADERS
from kynangso.people.imports.choices import ImportStatus
from kynangso.people.imports.models import PersonImport
from kynangso.people.imports.testing import make_cccd, run_import, write_xlsx
from kynangso.people.models import Person

pytestmark = pytest.mark.django_db
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def rows(n=3, bad=1):
    out = []
    for i in range(n):
        birth = date(1980 + i, 5, 6)
        out.append(
            [
                f"Đặng Thị Lan {chr(65 + i)}",
                birth,
                "Nữ",
                make_cccd(birth, "female", 500 + i),
                "",
                "",
                "",
                "",
                "Người dân",
            ]
        )
    for row in out[:bad]:
        row[4] = "123"
    return out


@pytest.fixture
def import_a(cast, tmp_path):
    return run_import(
        actor=cast.owner, organisation=cast.unit_a, path=write_xlsx(tmp_path / "a.xlsx", rows()), create_accounts=True
    )


PAGES = ["", "errors.xlsx", "activation.xlsx", "file"]


def test_import_pages_require_login(client, cast, import_a):
    assert client.get("/people/imports/").status_code == 302
    assert client.get(f"/people/imports/{import_a.pk}/").status_code == 302


def test_readonly_colleague_may_not_import(login, cast):
    client = login(cast.readonly)
    assert client.get("/people/imports/").status_code == 403
    assert client.get("/people/imports/template.xlsx").status_code == 403


@pytest.mark.parametrize("suffix", PAGES)
def test_outsider_gets_404_for_another_communes_import(login, cast, import_a, suffix):
    assert login(cast.outsider).get(f"/people/imports/{import_a.pk}/{suffix}").status_code == 404


def test_outsider_cannot_cancel_another_communes_import(login, cast, import_a):
    PersonImport.objects.filter(pk=import_a.pk).update(status=ImportStatus.RUNNING)
    assert login(cast.outsider).post(f"/people/imports/{import_a.pk}/cancel/").status_code == 404
    assert not PersonImport.objects.get(pk=import_a.pk).cancel_requested


def test_readonly_colleague_gets_404_for_an_import_of_their_own_unit(login, cast, import_a):
    assert login(cast.readonly).get(f"/people/imports/{import_a.pk}/").status_code == 404


def test_guessed_import_id_is_404(login, cast):
    assert login(cast.owner).get("/people/imports/999999/").status_code == 404


def test_imports_list_shows_only_own_scope(login, cast, import_a):
    assert "a.xlsx" in login(cast.owner).get("/people/imports/").content.decode()
    assert "a.xlsx" not in login(cast.outsider).get("/people/imports/").content.decode()
    assert "a.xlsx" in login(cast.space_admin).get("/people/imports/").content.decode()


@pytest.mark.parametrize("suffix", PAGES)
def test_owner_downloads_the_files(login, cast, import_a, suffix):
    response = login(cast.owner).get(f"/people/imports/{import_a.pk}/{suffix}")
    assert response.status_code == 200
    if suffix:
        assert response["Content-Disposition"].startswith("attachment")


def test_detail_page_has_the_stable_hooks_and_a_progress_fragment(login, cast, import_a):
    client = login(cast.owner)
    page = client.get(f"/people/imports/{import_a.pk}/").content.decode()
    for hook in (
        'id="import-progress"',
        'id="import-status"',
        'id="error-report-link"',
        'id="activation-xlsx-link"',
        'id="count-created"',
        'data-status="done"',
    ):
        assert hook in page
    fragment = client.get(f"/people/imports/{import_a.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert fragment.lstrip().startswith('<section class="card" id="import-progress-panel"')
    assert "<html" not in fragment


def test_a_running_import_polls_and_can_be_cancelled_without_javascript(login, cast, import_a):
    PersonImport.objects.filter(pk=import_a.pk).update(status=ImportStatus.RUNNING, rows_total=10, rows_read=4)
    client = login(cast.owner)
    page = client.get(f"/people/imports/{import_a.pk}/").content.decode()
    assert 'hx-trigger="every 1s"' in page and 'id="refresh-link"' in page and 'value="40"' in page
    assert 'id="cancel-import"' in page and "hx-confirm=" in page
    response = client.post(f"/people/imports/{import_a.pk}/cancel/")
    assert response.status_code == 302
    assert PersonImport.objects.get(pk=import_a.pk).cancel_requested
    # Until the runner stops: "Đang hủy…" and no second cancel button.
    page = client.get(f"/people/imports/{import_a.pk}/").content.decode()
    assert 'id="import-cancelling">Đang hủy…' in page and 'id="cancel-import"' not in page


def test_the_answer_to_a_cancel_shows_the_running_imports_counts_so_far(login, cast, import_a):
    """A running import's counts since its last commit are in its live-counts file: the cancel's answer
    (API and page) shows them, as a GET does, not the committed zeros."""
    import json

    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from django.utils import timezone

    started = timezone.now()
    PersonImport.objects.filter(pk=import_a.pk).update(
        status=ImportStatus.RUNNING, started_at=started, rows_read=0, rows_written=0, created_count=0
    )
    live = {"started_at": started.isoformat(), "rows_read": 7, "rows_valid": 7, "rows_written": 5, "created_count": 5}
    default_storage.save(import_a.live_counts_name, ContentFile(json.dumps(live).encode()))
    client = login(cast.owner)
    body = client.post(f"/api/v1/people/imports/{import_a.pk}/cancel").json()
    assert (body["status"], body["cancelling"], body["rows_read"], body["created"]) == ("running", True, 7, 5)
    # Asked again from another tab: the same answer, not an error.
    fragment = client.post(f"/people/imports/{import_a.pk}/cancel/", HTTP_HX_REQUEST="true").content.decode()
    assert 'id="count-read">7' in fragment and 'id="import-cancelling"' in fragment
    PersonImport.objects.filter(pk=import_a.pk).update(cancel_requested=False)
    default_storage.delete(import_a.cancel_marker_name)
    fragment = client.post(f"/people/imports/{import_a.pk}/cancel/", HTTP_HX_REQUEST="true").content.decode()
    assert 'id="count-read">7' in fragment and 'id="import-cancelling"' in fragment
    assert PersonImport.objects.get(pk=import_a.pk).cancel_requested


def test_the_pages_poll_swaps_the_counts_alone_until_the_buttons_change(login, cast, import_a):
    """A button swapped every second can lose a tap: the poll brings the counts only, and the whole panel
    (retargeted) when what it offers changes, as when the run ends."""
    PersonImport.objects.filter(pk=import_a.pk).update(status=ImportStatus.RUNNING, rows_total=10)
    client = login(cast.owner)
    page = client.get(f"/people/imports/{import_a.pk}/").content.decode()
    poll = re.search(r'<div id="import-live"[^>]*hx-get="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert (
        'id="cancel-import"' in page
        and 'id="cancel-import"' not in page.split('id="import-live"')[1].split("</div>")[0]
    )
    imp = PersonImport.objects.get(pk=import_a.pk)
    PersonImport.objects.filter(pk=imp.pk).update(rows_read=imp.rows_read + 1, rejected_count=imp.rejected_count + 1)
    response = client.get(poll, HTTP_HX_REQUEST="true")
    fragment = response.content.decode()
    assert fragment.lstrip().startswith('<div id="import-live"')
    assert f'id="count-read">{imp.rows_read + 1} / ~10<' in fragment
    # QA round 65: past its estimate (the file's rows counted before reading), no "60.000 / ~59.917"
    PersonImport.objects.filter(pk=imp.pk).update(rows_total=imp.rows_read)
    assert f'id="count-read">{imp.rows_read + 1}<' in client.get(poll, HTTP_HX_REQUEST="true").content.decode()
    assert "cancel-import" not in fragment and "HX-Retarget" not in response
    PersonImport.objects.filter(pk=import_a.pk).update(status=ImportStatus.DONE)  # the run ends
    response = client.get(poll, HTTP_HX_REQUEST="true")
    assert response["HX-Retarget"] == "#import-progress-panel" and response["HX-Reswap"] == "outerHTML"
    fragment = response.content.decode()
    assert fragment.lstrip().startswith('<section class="card" id="import-progress-panel"')
    assert 'id="activation-xlsx-link"' in fragment and "cancel-import" not in fragment  # the downloads, no cancel
    assert poll.split("state=")[1] not in fragment  # it polls on (for the PDF cards) from the new state


def test_a_queued_import_says_it_waits_for_the_worker(login, cast, tmp_path):
    client = login(cast.owner)
    with open(write_xlsx(tmp_path / "q.xlsx", rows()), "rb") as fh:
        response = client.post("/people/imports/", {"file": fh, "organisation": cast.unit_a.pk, "mode": "commit_valid"})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert 'id="import-queued"' in page and 'data-status="queued"' in page


def test_upload_form_has_stable_ids_and_offers_only_the_users_units(login, cast):
    page = login(cast.owner).get("/people/imports/").content.decode()
    for hook in (
        'id="import-form"',
        'id="id_file"',
        'id="id_organisation"',
        'id="id_mode_0"',
        'id="id_mode_1"',
        'id="id_mode_2"',
        'id="id_create_accounts"',
        'id="import-submit"',
        'id="template-link"',
    ):
        assert hook in page
    assert "X-A" in page and "X-B" not in page


@override_settings(TASKS=IMMEDIATE)
def test_uploading_through_the_page_runs_the_import(login, cast, tmp_path, django_capture_on_commit_callbacks):
    client = login(cast.owner)
    with django_capture_on_commit_callbacks(execute=True), open(write_xlsx(tmp_path / "p.xlsx", rows()), "rb") as fh:
        response = client.post("/people/imports/", {"file": fh, "organisation": cast.unit_a.pk, "mode": "dry_run"})
    imp = PersonImport.objects.get()
    assert response["Location"] == f"/people/imports/{imp.pk}/"
    assert (imp.status, imp.dry_run, imp.created_count, imp.rejected_count) == (ImportStatus.DONE, True, 2, 1)


def test_a_double_submit_of_the_form_makes_one_import(login, cast, tmp_path):
    client = login(cast.owner)
    key = re.search(r'name="submission" value="(\w+)"', client.get("/people/imports/").content.decode())[1]
    path = write_xlsx(tmp_path / "p.xlsx", rows())
    locations = []
    for _click in range(2):
        with open(path, "rb") as fh:
            form = {"file": fh, "organisation": cast.unit_a.pk, "mode": "commit_valid", "submission": key}
            locations.append(client.post("/people/imports/", form)["Location"])
    imp = PersonImport.objects.get()
    assert locations == [f"/people/imports/{imp.pk}/"] * 2
    # The same key with another file (a page brought back by the browser's Back button) is a new import.
    with open(write_xlsx(tmp_path / "other.xlsx", rows()[:1]), "rb") as fh:
        client.post(
            "/people/imports/", {"file": fh, "organisation": cast.unit_a.pk, "mode": "commit_valid", "submission": key}
        )
    assert PersonImport.objects.count() == 2
    # The first upload's file gone from storage (a clean-up): the same key makes a new import, not an error.
    imp.file.storage.delete(imp.file.name)
    with open(path, "rb") as fh:
        form = {"file": fh, "organisation": cast.unit_a.pk, "mode": "commit_valid", "submission": key}
        assert client.post("/people/imports/", form).status_code == 302
    assert PersonImport.objects.count() == 3


def test_a_corrected_file_of_the_same_name_and_size_is_not_taken_for_the_first(login, cast, tmp_path):
    """31/02/1990 corrected to 28/02/1990: the same name and byte count, sent from a page brought back by
    the browser (the same submission key), is a new import; through the API the reused key is refused."""
    client = login(cast.owner)
    key = re.search(r'name="submission" value="(\w+)"', client.get("/people/imports/").content.decode())[1]
    path = tmp_path / "ds.csv"
    path.write_text("Họ và tên;Ngày sinh;Mã đơn vị\nTrần Thị Lan;31/02/1990;X-A\n", encoding="utf-8")
    first_size = path.stat().st_size
    for _ in range(2):
        with open(path, "rb") as fh:
            client.post(
                "/people/imports/",
                {"file": fh, "organisation": cast.unit_a.pk, "mode": "commit_valid", "submission": key},
            )
    assert PersonImport.objects.count() == 1  # a double click
    path.write_text("Họ và tên;Ngày sinh;Mã đơn vị\nTrần Thị Lan;28/02/1990;X-A\n", encoding="utf-8")
    assert path.stat().st_size == first_size
    with open(path, "rb") as fh:
        client.post(
            "/people/imports/", {"file": fh, "organisation": cast.unit_a.pk, "mode": "commit_valid", "submission": key}
        )
    assert PersonImport.objects.count() == 2
    assert "28/02/1990" in PersonImport.objects.latest("pk").file.read().decode()
    # The API: the same Idempotency-Key with other bytes of the same size is refused
    with open(path, "rb") as fh:
        sent = client.post(
            "/api/v1/people/imports", {"file": fh, "organisation_code": "X-A"}, HTTP_IDEMPOTENCY_KEY="k-9"
        )
    assert sent.status_code == 202
    path.write_text("Họ và tên;Ngày sinh;Mã đơn vị\nTrần Thị Lan;27/02/1990;X-A\n", encoding="utf-8")
    with open(path, "rb") as fh:
        reused = client.post(
            "/api/v1/people/imports", {"file": fh, "organisation_code": "X-A"}, HTTP_IDEMPOTENCY_KEY="k-9"
        )
    assert reused.status_code == 400 and "Idempotency-Key" in reused.json()["error"]["message"]
    assert PersonImport.objects.count() == 3


def test_an_api_upload_retried_with_its_idempotency_key_makes_one_import(login, cast, tmp_path):
    client = login(cast.owner)
    first = api_upload(client, tmp_path, HTTP_IDEMPOTENCY_KEY="k-1").json()
    again = api_upload(client, tmp_path, HTTP_IDEMPOTENCY_KEY="k-1").json()
    other = api_upload(client, tmp_path, HTTP_IDEMPOTENCY_KEY="k-2").json()
    assert first["id"] == again["id"] != other["id"] and PersonImport.objects.count() == 2
    # The same key with other options is another request: refused, not answered with the first import.
    reused = api_upload(client, tmp_path, HTTP_IDEMPOTENCY_KEY="k-1", dry_run="true")
    assert reused.status_code == 400 and "Idempotency-Key" in reused.json()["error"]["message"]
    too_long = api_upload(client, tmp_path, HTTP_IDEMPOTENCY_KEY="k" * 65)
    assert too_long.status_code == 400 and "64" in too_long.json()["error"]["message"]
    # Keys are each user's own: another admin's "k-1" is a new import of theirs.
    theirs = api_upload(login(cast.outsider), tmp_path, org="X-B", HTTP_IDEMPOTENCY_KEY="k-1")
    assert theirs.status_code == 202 and theirs.json()["id"] not in (first["id"], other["id"])
    assert PersonImport.objects.count() == 3


def test_an_idempotency_key_raced_by_another_upload_is_compared_as_a_reused_one(login, cast, tmp_path, monkeypatch):
    """QA round 55: two uploads with the same Idempotency-Key at the same moment: the one whose row lost the
    race got the other's import (202, its id) whatever its file and options, and its own file was dropped."""
    from kynangso.people.imports import reading
    from kynangso.people.imports import services as import_services

    client = login(cast.owner)
    suffix, racing = reading.file_suffix, []  # (path, name, key, dry run) of the upload saved meanwhile

    def rival_saved_meanwhile(name):  # runs after the key was looked up and found free
        if racing:
            path, rival_name, key, dry_run = racing.pop()
            with open(path, "rb") as fh:
                import_services.person_import_create(
                    actor=cast.owner,
                    organisation=cast.unit_a,
                    file=File(fh, name=rival_name),
                    submission_key=key,
                    dry_run=dry_run,
                )
        return suffix(name)

    monkeypatch.setattr(reading, "file_suffix", rival_saved_meanwhile)
    rival = write_xlsx(tmp_path / "rival.xlsx", rows(n=5))
    racing.append((rival, "rival.xlsx", "k-race", False))
    dry = api_upload(client, tmp_path, HTTP_IDEMPOTENCY_KEY="k-race", dry_run="true")
    assert dry.status_code == 400 and "Idempotency-Key" in dry.json()["error"]["message"]
    assert list(PersonImport.objects.values_list("original_name", "dry_run")) == [("rival.xlsx", False)]
    # The same file and options raced: one import, the rival's, as for a retried request
    racing.append((tmp_path / "api.xlsx", "api.xlsx", "k-same", False))
    same = api_upload(client, tmp_path, HTTP_IDEMPOTENCY_KEY="k-same")
    assert same.status_code == 202 and same.json()["id"] == PersonImport.objects.latest("pk").pk
    assert PersonImport.objects.count() == 2
    # The page's form (no refusal): the upload that lost the race is an import of its own, without the key
    key = re.search(r'name="submission" value="(\w+)"', client.get("/people/imports/").content.decode())[1]
    racing.append((rival, "rival.xlsx", key, True))
    with open(tmp_path / "api.xlsx", "rb") as mine:
        form = {"file": mine, "organisation": cast.unit_a.pk, "mode": "commit_valid", "submission": key}
        assert client.post("/people/imports/", form).status_code == 302
    made = PersonImport.objects.latest("pk")
    assert (made.original_name, made.submission_key, made.dry_run) == ("api.xlsx", "", False)
    assert made.file.read() == (tmp_path / "api.xlsx").read_bytes() and PersonImport.objects.count() == 4


def test_the_form_sent_again_with_other_options_is_a_new_import(login, cast, tmp_path):
    """A check, then the browser's Back button, dry run unticked, the same file sent again: a real import."""
    client = login(cast.owner)
    key = re.search(r'name="submission" value="(\w+)"', client.get("/people/imports/").content.decode())[1]
    path = write_xlsx(tmp_path / "p.xlsx", rows())
    for mode in ("dry_run", "commit_valid"):
        with open(path, "rb") as fh:
            form = {"file": fh, "organisation": cast.unit_a.pk, "mode": mode, "submission": key}
            client.post("/people/imports/", form)
    assert list(PersonImport.objects.order_by("pk").values_list("dry_run", flat=True)) == [True, False]


def test_the_page_refuses_a_unit_outside_the_users_scope(login, cast, tmp_path):
    with open(write_xlsx(tmp_path / "p.xlsx", rows()), "rb") as fh:
        response = login(cast.owner).post(
            "/people/imports/", {"file": fh, "organisation": cast.unit_b.pk, "mode": "commit_valid"}
        )
    assert response.status_code == 200 and not PersonImport.objects.exists()


def test_the_page_refuses_a_file_that_is_not_a_table(login, cast, tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    with open(path, "rb") as fh:
        response = login(cast.owner).post(
            "/people/imports/", {"file": fh, "organisation": cast.unit_a.pk, "mode": "commit_valid"}
        )
    assert response.status_code == 200 and "notes.txt" in response.content.decode()
    assert not PersonImport.objects.exists()


def test_template_has_the_headers_in_order_and_drop_downs(login, cast):
    from io import BytesIO

    from openpyxl import load_workbook

    response = login(cast.owner).get("/people/imports/template.xlsx")
    wb = load_workbook(BytesIO(b"".join(response.streaming_content)))
    ws = wb["Danh sách"]
    assert [c.value for c in ws[1]] == HEADERS
    columns = {str(dv.sqref)[0] for dv in ws.data_validations.dataValidation}
    assert columns == {"B", "C", "G", "I"}  # birth date, sex, unit code, target groups
    assert wb["Danh mục"].sheet_state == "hidden"
    assert [c.value for c in wb["Danh mục"]["C"] if c.value] == ["X-A"]


@pytest.mark.parametrize("url", ["/people/imports/template.xlsx", "/api/v1/people/imports/template.xlsx"])
def test_a_unit_code_list_cut_short_only_suggests(login, cast, monkeypatch, url):
    """More units than a drop-down holds: the codes left out must still be typed in (QA round 14: Excel
    refused them, the list being strict)."""
    from io import BytesIO

    from openpyxl import load_workbook

    from kynangso.people import exports

    def unit_code_validation():
        response = login(cast.space_admin).get(url)
        wb = load_workbook(BytesIO(b"".join(response.streaming_content)))
        (dv,) = [dv for dv in wb["Danh sách"].data_validations.dataValidation if str(dv.sqref).startswith("G")]
        return dv, [c.value for c in wb["Danh mục"]["C"] if c.value]

    dv, codes = unit_code_validation()  # the space's admin: the province and its two communes
    assert dv.showErrorMessage and sorted(codes) == ["T-VL", "X-A", "X-B"]
    monkeypatch.setattr(exports, "DROPDOWN_UNITS_MAX", 2)
    dv, codes = unit_code_validation()
    assert not dv.showErrorMessage and dv.showInputMessage and len(codes) == 2
    assert dv.formula1.endswith("$C$1:$C$2") and "nhập mã" in dv.prompt


# --- API -------------------------------------------------------------------------------------------


def api_upload(client, tmp_path, org="X-A", **data):
    """Uploads the same bytes each time in a test: a workbook written again a second later differs (its
    timestamps), and may differ in size, which tells the importer it is another upload."""
    extra = {k: data.pop(k) for k in list(data) if k.startswith("HTTP_")}
    path = tmp_path / "api.xlsx"
    if not path.exists():
        write_xlsx(path, rows())
    with open(path, "rb") as fh:
        return client.post("/api/v1/people/imports", {"file": fh, "organisation_code": org, **data}, **extra)


def test_the_api_says_why_an_import_has_no_such_file(login, cast, tmp_path, import_a):
    """QA round 55: a missing error report was a plain "not found", as a wrong id or another unit's import."""
    client = login(cast.owner)
    clean = run_import(
        actor=cast.owner, organisation=cast.unit_a, path=write_xlsx(tmp_path / "ok.xlsx", rows(n=2, bad=0))
    )
    answer = client.get(f"/api/v1/people/imports/{clean.pk}/errors.xlsx")
    assert answer.status_code == 404 and "không có tệp báo lỗi" in answer.json()["error"]["message"]
    answer = client.get(f"/api/v1/people/imports/{clean.pk}/activation.xlsx")
    assert answer.status_code == 404 and "không tạo tài khoản nào" in answer.json()["error"]["message"]
    assert client.get(f"/api/v1/people/imports/{import_a.pk}/errors.xlsx").status_code == 200
    outsider = login(cast.outsider).get(f"/api/v1/people/imports/{import_a.pk}/errors.xlsx")
    assert outsider.status_code == 404 and "không có tệp" not in outsider.json()["error"]["message"]


@override_settings(TASKS=IMMEDIATE)
def test_api_upload_with_a_token_as_a_real_server_checks_it(cast, tmp_path, django_capture_on_commit_callbacks):
    """A real server enforces CSRF on cookie sessions; a token client sends none and must not be refused."""
    from io import StringIO

    from django.core.management import call_command
    from django.test import Client

    out = StringIO()
    call_command("create_api_token", "owner_a", stdout=out, stderr=StringIO())
    client = Client(enforce_csrf_checks=True, headers={"Authorization": f"Bearer {out.getvalue().strip()}"})
    with django_capture_on_commit_callbacks(execute=True):
        response = api_upload(client, tmp_path)
    assert response.status_code == 202, response.content
    status = client.get(f"/api/v1/people/imports/{response.json()['id']}").json()
    assert (status["status"], status["created"], status["rejected"]) == ("done", 2, 1)
    assert client.get(f"/api/v1/people/imports/{status['id']}/errors.xlsx").status_code == 200


@override_settings(TASKS=IMMEDIATE)
def test_a_program_exports_edits_and_imports_back_with_its_token(cast, tmp_path, django_capture_on_commit_callbacks):
    from io import BytesIO, StringIO

    from django.core.management import call_command
    from django.test import Client
    from openpyxl import load_workbook

    out = StringIO()
    call_command("create_api_token", "owner_a", stdout=out, stderr=StringIO())
    client = Client(headers={"Authorization": f"Bearer {out.getvalue().strip()}"})
    exported = client.get("/api/v1/people/export.xlsx", {"organisation": cast.unit_a.pk})
    assert exported.status_code == 200 and exported["Content-Disposition"].startswith("attachment")
    workbook = load_workbook(BytesIO(b"".join(exported.streaming_content)))
    sheet = workbook["Danh sách"]
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["Nguyễn Văn An"]  # not unit B's
    sheet["H2"] = "Phó Chủ tịch"  # the position, edited
    edited = tmp_path / "edited.xlsx"
    workbook.save(edited)
    with open(edited, "rb") as fh, django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/people/imports", {"file": fh, "organisation_code": "X-A"})
    status = client.get(f"/api/v1/people/imports/{response.json()['id']}").json()
    assert (status["status"], status["updated"], status["created"], status["rejected"]) == ("done", 1, 0, 0)
    cast.person_a.refresh_from_db()
    assert cast.person_a.position == "Phó Chủ tịch"
    assert Client().get("/api/v1/people/export.xlsx").status_code == 401


def test_api_requires_authentication(client, cast, import_a):
    assert client.get(f"/api/v1/people/imports/{import_a.pk}").status_code == 401


@override_settings(TASKS=IMMEDIATE)
def test_api_upload_answers_202_then_status_and_error_report(login, cast, tmp_path, django_capture_on_commit_callbacks):
    client = login(cast.owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = api_upload(client, tmp_path, create_accounts="true")
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "queued" and body["organisation_code"] == "X-A"
    status = client.get(body["links"]["self"]).json()
    assert (status["status"], status["created"], status["rejected"], status["accounts_created"]) == ("done", 2, 1, 2)
    errors = client.get(status["links"]["errors"])
    assert errors.status_code == 200 and errors["Content-Type"].startswith("application/vnd.openxmlformats")
    listed = client.get("/api/v1/people/imports").json()
    assert listed["count"] == 1 and listed["items"][0]["id"] == body["id"]


@override_settings(TASKS=IMMEDIATE)
def test_a_check_is_imported_for_real_from_its_page_once(login, cast, tmp_path, django_capture_on_commit_callbacks):
    client = login(cast.owner)
    with django_capture_on_commit_callbacks(execute=True):
        check = PersonImport.objects.get(
            pk=api_upload(client, tmp_path, dry_run="true", create_accounts="true").json()["id"]
        )
    check.refresh_from_db()
    assert (check.status, check.rows_written, check.rejected_count) == ("done", 0, 1)
    page = client.get(f"/people/imports/{check.pk}/").content.decode()
    assert "Nhập thật các dòng hợp lệ của tệp này" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/people/imports/{check.pk}/import/")
    real = PersonImport.objects.latest("pk")
    assert response.url == f"/people/imports/{real.pk}/" and real.pk != check.pk
    assert (real.dry_run, real.create_accounts, real.mode, real.original_name) == (
        False,
        True,
        check.mode,
        check.original_name,
    )
    assert (real.status, real.created_count, real.rejected_count, real.accounts_created) == ("done", 2, 1, 2)
    assert "Nhập thật" not in client.get(f"/people/imports/{real.pk}/").content.decode()  # not a check
    # A second click, from the page or the API, makes no second import
    client.post(f"/people/imports/{check.pk}/import/")
    again = client.post(f"/api/v1/people/imports/{check.pk}/import")
    assert again.status_code == 202 and again.json()["id"] == real.pk
    assert PersonImport.objects.count() == 2
    # A real import is not a check: nothing to import again from it
    refused = client.post(f"/api/v1/people/imports/{real.pk}/import")
    assert refused.status_code in (400, 422) and PersonImport.objects.count() == 2
    # Another unit's admin cannot reach the check at all
    assert login(cast.outsider).post(f"/people/imports/{check.pk}/import/").status_code == 404


@override_settings(TASKS=IMMEDIATE)
def test_a_check_made_without_accounts_is_imported_for_real_with_them_when_ticked(
    login, cast, tmp_path, django_capture_on_commit_callbacks
):
    """QA round 49: a check made without the accounts box, then "Nhập thật", silently made no accounts."""
    client = login(cast.owner)
    with django_capture_on_commit_callbacks(execute=True):
        check = PersonImport.objects.get(pk=api_upload(client, tmp_path, dry_run="true").json()["id"])
    page = client.get(f"/people/imports/{check.pk}/").content.decode()
    assert 'id="import-for-real-accounts">' in page  # offered, not ticked: the check's choice
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/people/imports/{check.pk}/import/", {"accounts_chosen": "1", "create_accounts": "1"})
    real = PersonImport.objects.latest("pk")
    assert (real.dry_run, real.create_accounts, real.accounts_created) == (False, True, 2)


def test_a_check_whose_file_is_gone_says_so(login, cast, tmp_path):
    client = login(cast.owner)
    check = PersonImport.objects.get(pk=api_upload(client, tmp_path, dry_run="true").json()["id"])
    PersonImport.objects.filter(pk=check.pk).update(status="done", rows_read=2, rows_valid=2, created_count=2)
    check.file.delete(save=False)
    response = client.post(f"/api/v1/people/imports/{check.pk}/import")
    assert response.status_code in (400, 422)
    assert response.json()["error"]["message"] == "Tệp của lượt kiểm tra này không còn được lưu: hãy tải tệp lên lại."
    assert PersonImport.objects.count() == 1


def test_api_dry_run_and_mode(login, cast, tmp_path):
    body = api_upload(login(cast.owner), tmp_path, dry_run="true", mode="all_or_nothing").json()
    assert (body["dry_run"], body["mode"]) == (True, "all_or_nothing")
    # The web form's name for a check works too (QA round 27: it was refused with 422).
    body = api_upload(login(cast.owner), tmp_path, mode="dry_run").json()
    assert (body["dry_run"], body["mode"]) == (True, "commit_valid")


def test_api_refuses_a_unit_outside_the_scope_with_the_error_envelope(login, cast, tmp_path):
    response = api_upload(login(cast.owner), tmp_path, org="X-B")
    assert response.status_code == 400
    assert "organisation_code" in response.json()["error"]["fields"]


def test_api_refuses_an_unknown_mode(login, cast, tmp_path):
    response = api_upload(login(cast.owner), tmp_path, mode="sometimes")
    assert response.status_code == 422 and response.json()["error"]["code"] == "invalid"


def test_api_refuses_an_empty_file_at_once(login, cast, tmp_path):
    """As the upload form does: an empty file is refused at the upload, not queued to fail in the background."""
    client, path = login(cast.owner), tmp_path / "rong.xlsx"
    path.write_bytes(b"")
    before = PersonImport.objects.count()
    with open(path, "rb") as fh:
        response = client.post("/api/v1/people/imports", {"file": fh, "organisation_code": "X-A"})
    assert response.status_code in (400, 422)
    assert response.json()["error"]["fields"]["file"] == [
        "Tệp rỗng (0 byte): hãy chọn đúng danh sách đã lưu rồi tải lên lại."
    ]
    assert PersonImport.objects.count() == before
    with open(path, "rb") as fh:  # the page's form says the same
        page = client.post("/people/imports/", {"file": fh, "organisation": cast.unit_a.pk, "mode": "commit_valid"})
    assert "Tệp rỗng (0 byte)" in page.content.decode() and PersonImport.objects.count() == before


def test_api_readonly_may_not_upload(login, cast, tmp_path):
    assert api_upload(login(cast.readonly), tmp_path).status_code == 403


@pytest.mark.parametrize("suffix", ["", "/errors.xlsx", "/activation.xlsx"])
def test_api_outsider_gets_404(login, cast, import_a, suffix):
    response = login(cast.outsider).get(f"/api/v1/people/imports/{import_a.pk}{suffix}")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_api_list_is_scoped(login, cast, import_a):
    assert login(cast.outsider).get("/api/v1/people/imports").json() == {"items": [], "count": 0}


def test_api_cancel_of_a_finished_import_changes_nothing(login, cast, import_a):
    body = login(cast.owner).post(f"/api/v1/people/imports/{import_a.pk}/cancel").json()
    assert body["status"] == "done"
    assert Person.objects.filter(full_name__startswith="Đặng Thị Lan").count() == 2


def test_the_menu_offers_the_import_only_to_those_who_may_import(login, cast):
    assert 'id="nav-imports"' in login(cast.owner).get("/people/").content.decode()
    assert 'id="nav-imports"' not in login(cast.readonly).get("/people/").content.decode()


def test_the_qr_code_address_opens_the_activation_form_filled_in(client, cast):
    from urllib.parse import urlsplit

    from kynangso.people.imports.workbooks import activation_url

    address = urlsplit(activation_url("annv", "K7PQ2MZX9A"))
    page = client.get(f"{address.path}?{address.query}").content.decode()
    assert 'value="annv"' in page and 'value="K7PQ2MZX9A"' in page


@override_settings(TASKS=IMMEDIATE)
def test_the_activation_files_are_made_again_with_the_address_as_it_is_now(
    login, cast, tmp_path, settings, django_capture_on_commit_callbacks
):
    from django.core.files.storage import default_storage
    from django.utils import timezone

    from kynangso.core.models import AuditLog
    from kynangso.people.imports.testing import pdf_qr_codes, read_rows
    from kynangso.people.imports.workbooks import activation_url

    settings.SITE_URL = "http://127.0.0.1:8000"  # the mistake: the cards point at the admin's own machine
    with django_capture_on_commit_callbacks(execute=True):
        imp = run_import(
            actor=cast.owner,
            organisation=cast.unit_a,
            create_accounts=True,
            path=write_xlsx(tmp_path / "a.xlsx", rows(bad=0)),
        )
    imp.refresh_from_db()
    old_sheet, old_pdf = imp.activation_sheet.name, imp.activation_pdf.name
    accounts = [row[4:6] for row in read_rows(imp.activation_sheet)[3:]]
    assert len(accounts) == 3 and old_pdf and "127.0.0.1" in read_rows(imp.activation_sheet)[1][0]
    page = login(cast.owner).get(f"/people/imports/{imp.pk}/").content.decode()
    assert "Làm lại tệp kích hoạt" in page

    settings.SITE_URL = "https://kynangso.vinhlong.gov.vn"
    # A viewer of the unit, or another unit's admin, cannot reach the import at all
    assert login(cast.readonly).post(f"/people/imports/{imp.pk}/activation-remake/").status_code == 404
    assert login(cast.outsider).post(f"/api/v1/people/imports/{imp.pk}/activation/remake").status_code == 404
    imp.refresh_from_db()
    assert (imp.activation_sheet.name, imp.activation_pdf.name) == (old_sheet, old_pdf)

    client = login(cast.owner)
    activated, *waiting = accounts
    people_services.account_activate(username=activated[0], code=activated[1], password="Mat-khau-2026!")
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post(f"/people/imports/{imp.pk}/activation-remake/", follow=True)
    # Asked for: the task makes the files in the background; the page says so, offers the old files no more
    # (a renewal would void their codes), and a second click is refused
    asked = response.content.decode()
    assert 'id="activation-job-pending"' in asked and "Đang làm lại tệp kích hoạt" in asked
    assert 'id="activation-xlsx-link"' not in asked and 'id="activation-remake"' not in asked
    assert 'hx-trigger="every 1s"' in asked  # the page follows the task by itself
    assert "Mã kích hoạt chỉ có trong các tệp này" not in asked
    status = client.get(f"/api/v1/people/imports/{imp.pk}").json()
    assert status["activation_job"] == "remake"
    assert status["links"]["activation_sheet"] is None and status["links"]["activation_pdf"] is None
    # … nor at their addresses, which an earlier page or a script may still hold
    direct = client.get(f"/people/imports/{imp.pk}/activation.xlsx", follow=True)
    assert direct.redirect_chain and "đang được làm lại" in direct.content.decode()
    api_file = client.get(f"/api/v1/people/imports/{imp.pk}/activation.pdf")
    assert api_file.status_code == 409 and api_file.json()["error"]["code"] == "conflict"
    assert not AuditLog.objects.filter(action__startswith="people.import.download_activation").exists()
    again = client.post(f"/api/v1/people/imports/{imp.pk}/activation/remake")
    assert again.status_code == 409 and "đang được làm lại" in again.json()["error"]["message"]
    with django_capture_on_commit_callbacks(execute=True):  # the task, then the PDF cards' task
        for callback in queued:
            callback()
    remade = client.get(f"/people/imports/{imp.pk}/").content.decode()
    assert "được làm lại" in remade and "Không đưa vào danh sách mới: 1 tài khoản" in remade
    assert 'id="activation-job-pending"' not in remade
    imp.refresh_from_db()
    sheet = read_rows(imp.activation_sheet)
    assert [row[4:6] for row in sheet[3:]] == waiting  # the same usernames and codes, but the activated one's
    accounts = waiting
    assert "https://kynangso.vinhlong.gov.vn/activate/" in sheet[1][0]
    with imp.activation_pdf.open("rb") as fh:
        assert pdf_qr_codes(fh.read()) == [activation_url(username, code) for username, code in accounts]
    assert activation_url("x", "y").startswith("https://kynangso.vinhlong.gov.vn/")
    assert imp.activation_sheet.name != old_sheet and not default_storage.exists(old_sheet)  # the PDF: read above
    assert AuditLog.objects.filter(action="people.import.remake_activation", object_id=str(imp.pk)).count() == 1

    # Once every code is used, there is nothing to make again
    for username, code in waiting:
        people_services.account_activate(username=username, code=code, password="Mat-khau-2026!")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/v1/people/imports/{imp.pk}/activation/remake")
    assert response.status_code == 202 and response.json()["activation_job"] == "remake"
    status = client.get(f"/api/v1/people/imports/{imp.pk}").json()
    assert status["activation_job"] is None and status["activation_outcome"] == "no_code_left"
    assert "Cấp mã mới cho người chưa kích hoạt" in status["activation_message"]
    assert status["links"]["activation_sheet"]  # the files are left as they were
    # While the new cards are being made, a second request (a double click) changes nothing
    PersonImport.objects.filter(pk=imp.pk).update(activation_pdf="", updated_at=timezone.now())
    response = client.post(f"/api/v1/people/imports/{imp.pk}/activation/remake")
    assert response.status_code == 409 and "đang được chuẩn bị" in response.json()["error"]["message"]
    assert AuditLog.objects.filter(action="people.import.remake_activation").count() == 1
    # … and the page says the cards are on their way, not that they are overdue
    page = client.get(f"/people/imports/{imp.pk}/").content.decode()
    assert 'id="activation-pdf-pending"' in page and 'id="pdf-requeue"' not in page
    assert 'id="activation-remake"' not in page


def test_overdue_pdf_cards_can_be_asked_for_again_and_then_show_as_being_prepared(login, cast, tmp_path):
    from datetime import timedelta

    from django.utils import timezone

    path = write_xlsx(tmp_path / "a.xlsx", rows(bad=0))
    imp = run_import(actor=cast.owner, organisation=cast.unit_a, create_accounts=True, path=path)
    client = login(cast.owner)
    assert 'id="activation-pdf-pending"' in client.get(f"/people/imports/{imp.pk}/").content.decode()
    PersonImport.objects.filter(pk=imp.pk).update(updated_at=timezone.now() - timedelta(minutes=11))  # no worker ran
    page = client.get(f"/people/imports/{imp.pk}/").content.decode()
    assert 'id="pdf-requeue"' in page and 'id="activation-pdf-pending"' not in page
    assert client.post(f"/people/imports/{imp.pk}/activation-pdf/").status_code == 302
    page = client.get(f"/people/imports/{imp.pk}/").content.decode()
    assert 'id="activation-pdf-pending"' in page and 'id="pdf-requeue"' not in page  # asked for again: waiting


def test_the_import_page_shows_the_learner_accounts_left_in_the_space(login, cast, tmp_path):
    from kynangso.orgs.models import Space

    Space.objects.filter(pk=cast.space.pk).update(learner_quota=40_000)
    client = login(cast.owner)
    page = client.get("/people/imports/").content.decode()
    assert "Tài khoản học viên của “Tỉnh Vĩnh Long”: đã dùng 0 trên 40.000, còn 40.000." in page
    run_import(
        actor=cast.owner, organisation=cast.unit_a, create_accounts=True, path=write_xlsx(tmp_path / "a.xlsx", rows())
    )
    page = client.get("/people/imports/").content.decode()
    assert "đã dùng 2 trên 40.000, còn 39.998." in page  # two valid rows, two accounts
    assert "quota-full" not in page
    Space.objects.filter(pk=cast.space.pk).update(learner_quota=2)
    page = client.get("/people/imports/").content.decode()
    assert "đã dùng 2 trên 2, còn 0." in page and "Không còn tài khoản nào" in page
    # Someone who may import nowhere is refused the page, and sees no space's figures
    assert login(cast.readonly).get("/people/imports/").status_code == 403


def test_a_file_that_cannot_be_read_shows_why_on_its_page_and_in_the_list(login, cast, tmp_path):
    path = tmp_path / "ansi.csv"
    path.write_bytes(b"Ho va ten;Ma don vi\r\nNguy\xean V\xe3n B\xf4n;X-A\r\n")  # an 8-bit code page, not UTF-8
    imp = run_import(actor=cast.owner, organisation=cast.unit_a, path=path)
    assert imp.status == ImportStatus.FAILED
    client = login(cast.owner)
    page = client.get(f"/people/imports/{imp.pk}/").content.decode()
    assert "UTF-8" in page and 'id="import-counts"' not in page  # the reason, not a table of zeros
    assert "Được phân tách bằng dấu phẩy" in client.get("/people/imports/").content.decode()


def test_an_imports_page_says_when_codes_on_its_files_were_replaced_since(login, cast, tmp_path):
    """QA round 50's gap: a commune gave its people new codes from the list (or one from a person's page),
    and the province's import still offered its sheet and cards with the old codes, which no longer work."""
    from kynangso.people.imports import services
    from kynangso.people.imports.testing import read_rows

    listed = rows(bad=0)
    for row, unit in zip(listed, ("X-A", "X-A", "X-B"), strict=True):
        row[6] = unit
    imp = run_import(
        actor=cast.space_admin,
        organisation=cast.root,
        create_accounts=True,
        path=write_xlsx(tmp_path / "p.xlsx", listed),
    )
    assert imp.accounts_created == 3 and imp.codes_replaced == 0
    province = login(cast.space_admin)
    assert 'id="codes-replaced"' not in province.get(f"/people/imports/{imp.pk}/").content.decode()

    commune = login(cast.owner)  # unit X-A's admin: new codes for its two people
    filters = {"q": "dang thi lan", "account": "waiting", "as": "xlsx", "confirm": "1"}
    assert commune.post("/people/activation-codes/", filters).status_code == 200
    imp.refresh_from_db()
    assert imp.codes_replaced == 2 and imp.codes_replaced_at is not None
    assert commune.get(f"/api/v1/people/imports/{imp.pk}").status_code == 404  # the province's, not the commune's
    province = login(cast.space_admin)  # (one test client: logged in again)
    page = province.get(f"/people/imports/{imp.pk}/").content.decode()
    assert 'id="codes-replaced"' in page and "2 người trong các tệp này đã được cấp mã mới" in page
    assert province.get(f"/api/v1/people/imports/{imp.pk}").json()["codes_replaced"] == 2

    # Made again, the files leave them out, and the page says nothing more
    services.activation_pdf_build(import_id=imp.pk)
    services.activation_files_request(actor=cast.space_admin, person_import=imp)
    services.activation_files_remake(import_id=imp.pk, actor_id=cast.space_admin.pk)
    imp.refresh_from_db()
    assert imp.codes_replaced == 0 and len(read_rows(imp.activation_sheet)[3:]) == 1
    assert 'id="codes-replaced"' not in province.get(f"/people/imports/{imp.pk}/").content.decode()

    # A code given from the last one's page makes the remade files out of date again
    last = Person.objects.get(organisation=cast.unit_b, full_name__startswith="Đặng Thị Lan")
    province.post(f"/people/{last.pk}/activation-code/", {"confirm": "1"})
    imp.refresh_from_db()
    assert imp.codes_replaced == 1
    province.post(f"/people/{last.pk}/activation-code/", {"confirm": "1"})  # again: the same person, once
    imp.refresh_from_db()
    assert imp.codes_replaced == 1
    # … but a code given to someone the files do not list changes nothing
    other = people_services.person_create(actor=None, full_name="Võ Văn Tư", organisation=cast.unit_b)
    province.post(f"/people/{other.pk}/activation-code/", {"confirm": "1"})
    imp.refresh_from_db()
    assert imp.codes_replaced == 1


def test_an_imports_new_codes_and_a_lists_do_not_undo_each_other_within_two_minutes(login, cast, tmp_path):
    """QA round 53: the province's "give new codes" on its import, seconds after the commune gave its people
    new codes from the list, voided the file the commune had just downloaded, and the other way round."""
    from datetime import timedelta

    from django.core.exceptions import ValidationError
    from django.utils import timezone

    from kynangso.core.models import AuditLog
    from kynangso.people.imports import services

    listed = rows(bad=0)[:2]
    for row in listed:
        row[6] = "X-A"
    imp = run_import(
        actor=cast.space_admin,
        organisation=cast.root,
        create_accounts=True,
        path=write_xlsx(tmp_path / "p.xlsx", listed),
    )
    services.activation_pdf_build(import_id=imp.pk)
    ask = {"q": "dang thi lan", "account": "waiting", "as": "xlsx", "confirm": "1"}
    assert login(cast.owner).post("/people/activation-codes/", ask).status_code == 200
    with pytest.raises(ValidationError, match="owner_a"):  # who gave them, in the language active
        services.activation_files_request(actor=cast.space_admin, person_import=imp, renew=True)
    # Two minutes later the import's renewal goes; then, within two minutes of it, the list's is refused
    AuditLog.objects.filter(action="people.activation_codes_renewed").update(at=timezone.now() - timedelta(minutes=3))
    services.activation_files_request(actor=cast.space_admin, person_import=imp, renew=True)
    services.activation_files_remake(import_id=imp.pk, actor_id=cast.space_admin.pk)
    imp.refresh_from_db()
    assert imp.codes_renewed_at is not None and imp.activation_outcome == "renewed"
    refused = login(cast.owner).post("/people/activation-codes/", ask, follow=True).content.decode()
    assert "đã được cấp mã mới lúc" in refused and cast.space_admin.username in refused
    # A renewal asked for and waiting for the worker refuses a list's new codes for its people (QA round 54)
    PersonImport.objects.filter(pk=imp.pk).update(
        codes_renewed_at=timezone.now() - timedelta(minutes=3), activation_job="renew"
    )
    waiting = login(cast.owner).post("/people/activation-codes/", ask, follow=True).content.decode()
    assert "đang làm mã mới cho một số người trong số này" in waiting and imp.original_name not in waiting
    # … unless that renewal has stalled (its worker died): it no longer holds them
    PersonImport.objects.filter(pk=imp.pk).update(updated_at=timezone.now() - timedelta(minutes=11))
    assert login(cast.owner).post("/people/activation-codes/", ask).status_code == 200


@override_settings(TASKS=IMMEDIATE)
def test_new_codes_are_given_to_the_people_of_an_import_who_never_activated(
    login, cast, tmp_path, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    from kynangso.core.models import AuditLog
    from kynangso.orgs.choices import Role
    from kynangso.orgs.services import role_grant
    from kynangso.people.imports.testing import pdf_qr_codes, read_rows
    from kynangso.people.imports.workbooks import activation_url
    from kynangso.people.models import User

    with django_capture_on_commit_callbacks(execute=True):
        imp = run_import(
            actor=cast.owner,
            organisation=cast.unit_a,
            create_accounts=True,
            path=write_xlsx(tmp_path / "a.xlsx", rows(4, bad=0)),
        )
    imp.refresh_from_db()
    old = {row[4]: row[5] for row in read_rows(imp.activation_sheet)[3:]}
    activated, promoted, *waiting = old
    people_services.account_activate(username=activated, code=old[activated], password="Mat-khau-2026!")
    role_grant(user=User.objects.get(username=promoted), role=Role.UNIT_ADMIN, organisation=cast.unit_a)
    User.objects.filter(username__in=old).update(activation_expires_at=timezone.now() - timedelta(days=1))  # 90 days on
    client = login(cast.owner)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/people/imports/{imp.pk}/activation-remake/")
    refused = client.get(f"/people/imports/{imp.pk}/").content.decode()
    assert "Cấp mã mới cho người chưa kích hoạt" in refused  # no code works: the remake points at the renewal

    unconfirmed = client.post(f"/people/imports/{imp.pk}/activation-renew/", follow=True).content.decode()
    assert "Hãy đánh dấu ô" in unconfirmed and {row[4]: row[5] for row in read_rows(imp.activation_sheet)[3:]} == old
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/people/imports/{imp.pk}/activation-renew/", {"confirm": "1"})
    page = client.get(f"/people/imports/{imp.pk}/").content.decode()
    assert "2 người chưa kích hoạt tài khoản đã được cấp mã mới" in page
    assert "Không đưa vào danh sách mới: 2 tài khoản" in page
    imp.refresh_from_db()
    sheet = read_rows(imp.activation_sheet)
    new = {row[4]: row[5] for row in sheet[3:]}
    assert sorted(new) == sorted(waiting) and all(new[u] != old[u] for u in waiting)  # an admin's account: none
    expires = f"{timezone.localdate() + timedelta(days=90):%d/%m/%Y}"
    assert expires in sheet[1][0]  # the how-to line gives the new codes' expiry
    with imp.activation_pdf.open("rb") as fh:
        assert pdf_qr_codes(fh.read()) == [activation_url(u, new[u]) for u in (row[4] for row in sheet[3:])]
    for username in waiting:
        with pytest.raises(Exception):  # noqa: B017 (ValidationError): the old code no longer works
            people_services.account_activate(username=username, code=old[username], password="Mat-khau-2026!")
    people_services.account_activate(username=waiting[0], code=new[waiting[0]], password="Mat-khau-2026!")
    assert AuditLog.objects.filter(action="people.import.renew_activation", object_id=str(imp.pk)).count() == 1
    # Someone who has since moved to another unit is not this admin's to give a code to (nor to remake)
    moved = User.objects.get(username=waiting[1])
    Person.objects.filter(pk=moved.person_id).update(organisation=cast.unit_b)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/people/imports/{imp.pk}/activation-renew/", {"confirm": "1"})
    page = client.get(f"/people/imports/{imp.pk}/").content.decode()
    assert "Không tài khoản nào của lượt nhập này cần bạn cấp mã mới" in page
    Person.objects.filter(pk=moved.person_id).update(organisation=cast.unit_a)
    # The list of accounts is the import's, not the last sheet's: one given a code from their page since is
    # still among those renewed
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/people/{moved.person_id}/activation-code/", {"confirm": "1"})
        client.post(f"/people/imports/{imp.pk}/activation-renew/", {"confirm": "1"})
    imp.refresh_from_db()
    [(username, code)] = [row[4:6] for row in read_rows(imp.activation_sheet)[3:]]
    assert username == waiting[1]
    # The API does the same; with everyone activated, nothing is left to renew
    people_services.account_activate(username=username, code=code, password="Mat-khau-2026!")
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/api/v1/people/imports/{imp.pk}/activation/renew").status_code == 202
    status = client.get(f"/api/v1/people/imports/{imp.pk}").json()
    assert status["activation_outcome"] == "all_activated" and "đã được kích hoạt" in status["activation_message"]
    assert login(cast.outsider).post(f"/api/v1/people/imports/{imp.pk}/activation/renew").status_code == 404


@override_settings(TASKS=IMMEDIATE)
def test_making_the_activation_files_again_ends_once_even_when_its_task_fails_or_never_runs(
    login, cast, tmp_path, django_capture_on_commit_callbacks, monkeypatch
):
    from datetime import timedelta

    from django.utils import timezone

    from kynangso.orgs.models import RoleGrant
    from kynangso.people.imports import services
    from kynangso.people.imports.choices import ActivationOutcome
    from kynangso.people.imports.testing import read_rows

    with django_capture_on_commit_callbacks(execute=True):
        imp = run_import(
            actor=cast.owner,
            organisation=cast.unit_a,
            create_accounts=True,
            path=write_xlsx(tmp_path / "a.xlsx", rows()),
        )
    imp.refresh_from_db()
    sheet = imp.activation_sheet.name
    client = login(cast.owner)
    # The task never ran (no worker): after STALE_AFTER the page offers the buttons again
    with django_capture_on_commit_callbacks(execute=False) as queued:
        client.post(f"/people/imports/{imp.pk}/activation-renew/", {"confirm": "1"})
    assert 'id="activation-remake"' not in client.get(f"/people/imports/{imp.pk}/").content.decode()
    PersonImport.objects.filter(pk=imp.pk).update(updated_at=timezone.now() - timedelta(minutes=11))
    page = client.get(f"/people/imports/{imp.pk}/").content.decode()
    assert 'id="activation-remake"' in page and 'id="activation-job-pending"' not in page
    assert "tiến trình chạy nền của hệ thống đã không chạy" in page and 'id="activation-xlsx-link"' in page  # said
    assert "tiến trình chạy nền" in client.get(f"/api/v1/people/imports/{imp.pk}").json()["activation_message"]
    assert client.get(f"/people/imports/{imp.pk}/activation.xlsx").status_code == 200  # the files are still valid
    # The worker comes back and runs the old request: it is not done, as the page said
    codes = read_rows(imp.activation_sheet)[3:]
    with django_capture_on_commit_callbacks(execute=True):
        for callback in queued:
            callback()
    imp.refresh_from_db()
    assert (imp.activation_job, imp.activation_outcome) == ("", ActivationOutcome.STALE)
    assert imp.activation_sheet.name == sheet and read_rows(imp.activation_sheet)[3:] == codes
    assert "không được thực hiện" in client.get(f"/people/imports/{imp.pk}/").content.decode()
    # Asked again, the task fails half-way: nothing changes, and the page says it failed
    monkeypatch.setattr(services, "store_workbook", lambda *args: 1 / 0)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/people/imports/{imp.pk}/activation-renew/", {"confirm": "1"})
    imp.refresh_from_db()
    assert (imp.activation_job, imp.activation_outcome, imp.codes_renewed_at) == ("", ActivationOutcome.FAILED, None)
    assert imp.activation_sheet.name == sheet
    assert "Làm lại tệp kích hoạt không thành công" in client.get(f"/people/imports/{imp.pk}/").content.decode()
    monkeypatch.undo()
    # Run twice (a worker retried it): the second run finds nothing to do
    with django_capture_on_commit_callbacks(execute=False) as queued:
        client.post(f"/people/imports/{imp.pk}/activation-remake/")
    # The admin loses the unit before the task runs: the task does not act on their behalf
    RoleGrant.objects.filter(user=cast.owner).delete()
    with django_capture_on_commit_callbacks(execute=True):
        for callback in queued * 2:
            callback()
    imp.refresh_from_db()
    assert (imp.activation_job, imp.activation_outcome) == ("", ActivationOutcome.NOT_ALLOWED)
    assert imp.activation_sheet.name == sheet


def test_rows_written_only_for_their_account_are_said_to_be_so_on_the_page(login, cast, tmp_path):
    path = write_xlsx(tmp_path / "a.xlsx", rows(3, bad=0))
    run_import(actor=cast.owner, organisation=cast.unit_a, path=path)  # the people, without accounts
    imp = run_import(actor=cast.owner, organisation=cast.unit_a, path=path, create_accounts=True)
    assert (imp.unchanged_count, imp.rows_written, imp.accounts_created, imp.account_only) == (3, 3, 3, 3)
    page = login(cast.owner).get(f"/people/imports/{imp.pk}/").content.decode()
    assert "Trong số dòng đã ghi, 3 dòng là người đã có, không đổi, nay được tạo tài khoản học viên." in page


def test_each_import_says_where_it_was_started_and_by_whom(login, cast, tmp_path):
    from django.core.management import call_command

    client = login(cast.owner)
    path = write_xlsx(tmp_path / "s.xlsx", rows(2, bad=0))
    with open(path, "rb") as fh:
        client.post("/people/imports/", {"file": fh, "organisation": cast.unit_a.pk, "mode": "commit_valid"})
    with open(path, "rb") as fh:
        api = client.post("/api/v1/people/imports", {"file": fh, "organisation_code": "X-A"}).json()
    call_command("import_people", str(path), "--org", "X-A")
    web, by_api, command = PersonImport.objects.order_by("pk")
    assert (web.source, by_api.source, command.source, api["source"]) == ("web", "api", "command", "api")
    page = client.get(f"/people/imports/{command.pk}/").content.decode()
    assert "<dd>hệ thống · dòng lệnh," in page
    page = client.get(f"/people/imports/{by_api.pk}/").content.decode()
    assert "<dd>owner_a · API," in page
    listing = client.get("/people/imports/").content.decode()
    assert listing.count(">hệ thống</td>") == 1 and listing.count(">owner_a</td>") == 2


@override_settings(TASKS=IMMEDIATE)
def test_a_check_with_nothing_to_import_says_so_and_cannot_be_imported_for_real(
    login, cast, tmp_path, django_capture_on_commit_callbacks
):
    from kynangso.people.imports import services as import_services

    client = login(cast.owner)
    path = write_xlsx(tmp_path / "bad.xlsx", rows(2, bad=2))  # every row with an error
    with open(path, "rb") as fh, django_capture_on_commit_callbacks(execute=True):
        check = client.post("/api/v1/people/imports", {"file": fh, "organisation_code": "X-A", "dry_run": "true"})
    check = PersonImport.objects.get(pk=check.json()["id"])
    assert (check.status, check.rejected_count) == (ImportStatus.DONE, 2)
    assert check.message.startswith(str(import_services.MSG_DRY_RUN_NOTHING))
    page = client.get(f"/people/imports/{check.pk}/").content.decode()
    assert 'id="import-for-real"' not in page
    response = client.post(f"/api/v1/people/imports/{check.pk}/import")
    assert response.status_code == 400
    assert response.json()["error"]["message"] == str(import_services.ERR_CHECK_NOTHING_TO_IMPORT)
    assert PersonImport.objects.count() == 1
