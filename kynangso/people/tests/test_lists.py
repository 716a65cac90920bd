"""The people list is read one of two ways (kynangso.people.selectors.person_list): a small list through
its units and sorted, a large one by walking the name index. Both give the same people in the same
order, and each is read the way it was chosen for."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from kynangso.core.models import AuditLog
from kynangso.core.testing import make_user
from kynangso.orgs.choices import Role
from kynangso.orgs.services import role_grant
from kynangso.people import selectors, services
from kynangso.people.models import User
from kynangso.people.selectors import PersonFilters, person_list

pytestmark = pytest.mark.django_db

NAMES_A = ["Lê Văn Bình", "Phạm Thị Ánh", "Đỗ Văn An", "Nguyễn Văn An"]  # with the cast's Nguyễn Văn An
NAMES_B = ["Trần Minh Đức", "Nguyễn Thị Hoa", "Vũ Thị Lan"]
UNIT_B = ["Trần Thị Bình", "Trần Minh Đức", "Nguyễn Thị Hoa", "Vũ Thị Lan"]  # with the cast's Trần Thị Bình


@pytest.fixture
def crowd(cast):
    for name in NAMES_A:
        services.person_create(actor=None, full_name=name, organisation=cast.unit_a, target_groups=["official"])
    for name in NAMES_B:
        services.person_create(actor=None, full_name=name, organisation=cast.unit_b, target_groups=["citizen"])
    return cast


def _names(actor, filters: PersonFilters | None = None) -> list[str]:
    return list(person_list(actor=actor, filters=filters).values_list("full_name", flat=True))


@pytest.mark.parametrize(
    ("actor", "filters", "expected"),
    [
        ("owner", PersonFilters(), ["Đỗ Văn An", "Nguyễn Văn An", "Nguyễn Văn An", "Phạm Thị Ánh", "Lê Văn Bình"]),
        ("outsider", PersonFilters(), UNIT_B),
        ("space_admin", PersonFilters(q="nguyen"), ["Nguyễn Văn An", "Nguyễn Văn An", "Nguyễn Thị Hoa"]),
        ("space_admin", PersonFilters(target_group="citizen", q="thi"), [UNIT_B[0], *UNIT_B[2:]]),
        ("space_admin", PersonFilters(organisation_id="unit_b"), UNIT_B),
        ("owner", PersonFilters(organisation_id="unit_b"), []),  # a unit outside the owner's scope
        ("owner", PersonFilters(organisation_id=-1), []),  # no such unit
    ],
)
def test_small_and_large_lists_give_the_same_people_in_name_order(crowd, monkeypatch, actor, filters, expected):
    if isinstance(filters.organisation_id, str):
        filters = PersonFilters(organisation_id=getattr(crowd, filters.organisation_id).pk)
    user = getattr(crowd, actor)
    assert _names(user, filters) == expected
    monkeypatch.setattr(selectors, "SMALL_LIST", 0)  # every list is large now
    assert _names(user, filters) == expected


def test_a_national_admin_and_a_user_without_a_role(crowd):
    national, nobody = make_user("quocgia"), make_user("khongvaitro")
    role_grant(user=national, role=Role.NATIONAL_ADMIN, organisation=crowd.root)
    assert len(_names(national)) == 1 + len(NAMES_A) + 1 + len(NAMES_B)
    assert _names(nobody) == []


def test_a_small_list_is_read_through_its_units_and_a_large_one_walks_the_name_index(crowd, monkeypatch):
    """What the choice is for: in a large database a small unit's list must not walk the name index until
    a page of its people turns up (bench/README.md). The plan, not a time, is checked."""
    small = person_list(actor=crowd.owner).explain()
    assert "person_sort_idx" not in small
    if connection.vendor == "sqlite":  # PostgreSQL's planner reads tables this small whole either way
        assert "people_person_organisation_id" in small
        monkeypatch.setattr(selectors, "SMALL_LIST", 0)
        assert "person_sort_idx" in person_list(actor=crowd.owner).explain()


def test_a_long_list_has_links_to_its_first_and_last_pages(login, cast, monkeypatch):
    """QA round 43: a province's people were "Trang 1/159 Sau ›" alone, one page after the other."""
    from kynangso.people import views

    monkeypatch.setattr(views, "PAGE_SIZE", 1)
    for i in range(3):
        services.person_create(actor=None, full_name=f"Lê Văn Tư {chr(65 + i)}", organisation=cast.unit_a)
    client = login(cast.owner)
    first = client.get("/people/", {"q": "le"}).content.decode()
    assert 'href="?q=le&page=3"' in first and "Trang cuối" in first and "Trang đầu" not in first
    last = client.get("/people/", {"q": "le", "page": 3}).content.decode()
    assert 'href="?q=le&page=1"' in last and "Trang đầu" in last and "Trang cuối" not in last


def test_the_list_says_and_filters_whose_account_is_not_activated_yet(login, cast):
    """QA round 47: after a province's import nobody could see who had not activated their account."""
    waiting, active, without, expired = (
        services.person_create(actor=None, full_name=f"Lê Văn {name}", organisation=cast.unit_a)
        for name in ("Chờ", "Dùng", "Không", "Hết")
    )
    (_user, code), (user, other), (old, _old_code) = services.accounts_create(
        actor=None, people=[waiting, active, expired]
    )
    services.account_activate(username=user.username, code=other, password="Mat-khau-2026!")
    old.activation_expires_at = timezone.now() - timedelta(days=1)  # QA round 48: shown as waiting
    old.save(update_fields=["activation_expires_at"])
    client = login(cast.owner)
    page = client.get("/people/", {"q": "le van"}).content.decode()
    assert page.count("Chưa kích hoạt</span>") == 1 and "Đã kích hoạt</td>" in page and "Mã đã hết hạn</span>" in page
    for state, person in (("waiting", waiting), ("active", active), ("none", without), ("expired", expired)):
        found = person_list(actor=cast.owner, filters=PersonFilters(q="le van", account=state))
        assert list(found) == [person], state
        assert f">{person.full_name}</a>" in client.get("/people/", {"q": "le van", "account": state}).content.decode()
    api = client.get("/api/v1/people", {"q": "le van", "account": "waiting"}).json()
    assert [p["full_name"] for p in api["items"]] == [waiting.full_name]
    assert client.get("/api/v1/people", {"account": "forged"}).status_code == 422


def test_the_export_link_is_refreshed_with_the_filters(login, cast):
    """QA round 49: filtering the list in place left the export link as the page was loaded: everyone."""
    client = login(cast.owner)
    fragment = client.get("/people/", {"account": "waiting", "q": "le"}, HTTP_HX_REQUEST="true").content.decode()
    assert 'id="people-export" href="/people/export.xlsx?account=waiting&amp;q=le"' in fragment
    assert 'id="results"' in fragment and 'role="search"' not in fragment  # the part the filters swap, with its link


def test_a_unit_admin_gets_new_codes_for_the_people_of_the_list_not_activated(login, cast):
    """QA round 48: the codes of a province's import went to the province; a commune's admin could give them
    anew only one person at a time."""
    import io

    import python_calamine

    people = [
        services.person_create(actor=None, full_name=f"Trần Văn {name}", organisation=cast.unit_a)
        for name in ("Mới", "Cũ")
    ]
    (first, old_code), _second = services.accounts_create(actor=None, people=people)
    client = login(cast.owner)
    page = client.get("/people/", {"q": "tran van", "account": "waiting"}).content.decode()
    assert 'id="new-codes-form"' in page and 'name="account" value="waiting"' in page
    assert 'id="new-codes-form"' not in client.get("/people/", {"q": "tran van"}).content.decode()
    filters = {"q": "tran van", "account": "waiting", "as": "xlsx"}
    refused = client.post("/people/activation-codes/", filters)  # the box not ticked: nothing given
    assert refused.status_code == 302 and refused.url == "/people/?q=tran+van&account=waiting"
    for tampered in ({"confirm": "0"}, {"confirm": "1", "as": "docx"}, {"confirm": "1", "as": ""}):
        assert client.post("/people/activation-codes/", {**filters, **tampered}).status_code == 302
    assert User.objects.get(pk=first.pk).activation_code_hash == first.activation_code_hash  # nothing given
    # QA round 50: a unit outside one's scope in the filter was dropped, and everyone in scope got new codes
    before = User.objects.get(pk=first.pk).activation_code_hash
    forged = client.post("/people/activation-codes/", {**filters, "organisation": cast.unit_b.pk, "confirm": "1"})
    assert forged.status_code == 302 and User.objects.get(pk=first.pk).activation_code_hash == before
    page = client.get("/people/", {**filters, "organisation": cast.unit_b.pk}).content.decode()
    assert 'id="new-codes-form"' not in page
    response = client.post("/people/activation-codes/", {**filters, "confirm": "1"})
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_index(0)
    rows = list(sheet.iter_rows())[3:]
    assert sorted(row[4] for row in rows) == sorted(
        User.objects.filter(person__in=people).values_list("username", flat=True)
    )
    new_code = next(row[5] for row in rows if row[4] == first.username)
    listed = client.get("/people/", {"q": "tran van"}).content.decode()  # what the download left unsaid
    assert "2 người đã được cấp mã mới lúc" in listed and "ma-kich-hoat-moi-" in listed
    # A second click, or the same people under another search: refused, so the codes just downloaded keep
    # working (activated with below)
    again = client.post("/people/activation-codes/", {**filters, "confirm": "1"}, follow=True)
    assert "người trong số này đã được cấp mã mới lúc" in again.content.decode()
    other_search = {**filters, "q": "tran", "confirm": "1"}
    assert client.post("/people/activation-codes/", other_search).status_code == 302
    assert new_code != old_code
    with pytest.raises(ValidationError):  # the old code stops working, the new one opens the account
        services.account_activate(username=first.username, code=old_code, password="Mat-khau-2026!")
    services.account_activate(username=first.username, code=new_code, password="Mat-khau-2026!")
    unfiltered = client.post("/people/activation-codes/", {"q": "tran van", "confirm": "1", "as": "xlsx"})
    assert unfiltered.status_code == 302  # without the filter "Account": refused, with a message


def test_new_codes_just_given_are_protected_by_the_people_not_by_the_filters(login, cast, monkeypatch):
    """QA round 52: the check against a second request compared the filters: the same people under another
    search, or by another admin, got new codes again (voiding the file just downloaded), while another list
    under the same filters was refused."""
    from kynangso.people.imports import services as import_services

    people = [
        services.person_create(actor=None, full_name=name, organisation=cast.unit_a)
        for name in ("Đỗ Văn Giáo", "Đỗ Thị Viên")
    ]
    services.accounts_create(actor=None, people=people)
    ask = {"q": "do van", "account": "waiting", "as": "xlsx", "confirm": "1"}
    assert login(cast.owner).post("/people/activation-codes/", ask).status_code == 200
    # Another list (other people) under the same filters once they change: given
    owner = login(cast.owner)
    assert owner.post("/people/activation-codes/", {**ask, "q": "do thi", "shown": "1"}).status_code == 200
    assert "Danh sách đã thay đổi" not in owner.get("/people/").content.decode()  # as many as shown: nothing said
    # The list as shown held one more person (since moved or activated): the next page says so
    more = services.person_create(actor=None, full_name="Đỗ Văn Thêm", organisation=cast.unit_a)
    services.accounts_create(actor=None, people=[more])
    owner.post("/people/activation-codes/", {**ask, "q": "do van them", "shown": "2"})
    listed = owner.get("/people/").content.decode()
    assert "Danh sách đã thay đổi từ lúc trang hiển thị: khi đó 2 người, lúc cấp mã 1 người." in listed
    # The province's admin, asking for the unit's whole list within two minutes: refused, naming who and when
    province = login(cast.space_admin)
    refused = province.post("/people/activation-codes/", {**ask, "q": "do"}, follow=True).content.decode()
    assert "người trong số này đã được cấp mã mới lúc" in refused and cast.owner.username in refused
    # A list longer than one may give codes to at once says so instead of offering the form
    monkeypatch.setattr(import_services, "NEW_CODES_MAX", 1)
    page = province.get("/people/", {"q": "do", "account": "waiting"}).content.decode()
    assert 'id="new-codes-too-many"' in page and 'id="new-codes-form"' not in page


def test_new_codes_for_a_list_come_as_cards_to_cut_out_when_asked(login, cast, settings):
    """The list's new codes as the PDF cards an import makes: a QR code each, unit by unit."""
    from kynangso.people.imports.testing import pdf_qr_codes
    from kynangso.people.imports.workbooks import activation_url

    people = [
        services.person_create(actor=None, full_name=name, organisation=unit)
        for name, unit in (("Lý Thị Bé", cast.unit_a), ("Lý Văn Út", cast.unit_a))
    ]
    services.accounts_create(actor=None, people=people)
    client = login(cast.owner)
    page = client.get("/people/", {"q": "ly", "account": "waiting"}).content.decode()
    assert 'name="as" value="pdf"' in page and "thẻ in để cắt rời" in page
    # QA round 52: the cards' QR codes lead to SITE_URL; the list says so when the page is open elsewhere
    settings.SITE_URL = "https://kynangso.vinhlong.gov.vn"
    assert (
        'id="activation-address-warning"' in client.get("/people/", {"q": "ly", "account": "waiting"}).content.decode()
    )
    settings.SITE_URL = "http://testserver"
    page = client.get("/people/", {"q": "ly", "account": "waiting"}).content.decode()
    assert 'id="activation-address-warning"' not in page
    before = dict(User.objects.filter(person__in=people).values_list("username", "activation_code_hash"))
    response = client.post("/people/activation-codes/", {"q": "ly", "account": "waiting", "as": "pdf", "confirm": "1"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "the-kich-hoat-moi-" in response["Content-Disposition"]
    urls = pdf_qr_codes(response.content)
    queries = [{k: v for k, [v] in parse_qs(urlsplit(url).query).items()} for url in urls]
    assert sorted(q["username"] for q in queries) == sorted(before)
    for url, query in zip(urls, queries, strict=True):  # each card opens its account with the new code
        assert url == activation_url(query["username"], query["code"])
        assert User.objects.get(username=query["username"]).activation_code_hash != before[query["username"]]
        services.account_activate(username=query["username"], code=query["code"], password="Mat-khau-2026!")
    entry = AuditLog.objects.filter(action="people.activation_codes_renewed").latest("at")
    assert entry.details["cards"] is True and entry.details["accounts"] == 2
