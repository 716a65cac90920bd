"""What people do in the browser, at phone and desktop width, on the seeded demo (see conftest.py)."""

import os
import re
import unicodedata
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from kynangso.core.text import fold

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.access("/usr/bin/chromium", os.X_OK),
        reason="Debian's Chromium (/usr/bin/chromium) is not installed: browser journeys skipped; "
        "apt-get install chromium",
    ),
]

# Demo logins made by seed_demo (kynangso/web/demo.py, login_plan): the commune admins are named after the
# first "xã" and the first "phường" of province 86 in the administrative-unit data.
SPACE_ADMIN = "tinh.vinhlong"
NATIONAL_ADMIN = "quocgia"
COMMUNE_A_ADMIN = "xa.giaolong"
COMMUNE_A_OFFICE = "UBND xã Giao Long"
COMMUNE_B_ADMIN = "phuong.phukhuong"
NATIONAL_SPACE = "Bộ Khoa học và Công nghệ"
PASSWORD = "KyNangSo@2026"
SPACE_NAME = "Tỉnh Vĩnh Long"
ROOT_NAME = "Ủy ban nhân dân tỉnh Vĩnh Long"


def searched_for(url: str) -> str | None:
    return parse_qs(urlsplit(url).query).get("q", [None])[0]


def number(text: str) -> int:
    """'1.234 người' → 1234 (Vietnamese thousands separator)."""
    digits = re.search(r"\d[\d.]*", text)
    assert digits, f"no number in {text!r}"
    return int(digits.group().replace(".", ""))


def test_space_admin_logs_in_and_sees_their_province_in_the_header(open_page, login_through_form, finish):
    page = open_page()
    login_through_form(page, SPACE_ADMIN)

    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator("header .where")).to_contain_text(SPACE_NAME)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Xin chào")
    expect(page.get_by_role("navigation", name="Menu chính").get_by_role("link", name="Cá nhân")).to_be_visible()
    finish(page, "login")


def test_people_search_without_diacritics_finds_names_with_them_with_and_without_javascript(open_page, finish):
    page = open_page(SPACE_ADMIN)
    page.goto("/people/")
    count = page.locator("#results .count")
    before = count.inner_text()
    everyone = number(before)
    assert everyone > 0
    page.evaluate("window.notReloaded = true")

    with page.expect_response(
        lambda r: searched_for(r.url) == "nguyen van" and r.request.headers.get("hx-request") == "true"
    ):
        page.get_by_label("Tìm theo tên").press_sequentially("nguyen van")
    expect(page).to_have_url(re.compile(r"q=nguyen(\+|%20)van"))  # hx-push-url: the search can be shared
    expect(count).not_to_have_text(before)
    names = page.locator("#results tbody tr td:first-child a")
    expect(names.first).to_be_visible()
    found = number(count.inner_text())
    shown = names.all_inner_texts()
    assert 0 < found < everyone
    assert len(shown) == min(found, 50)
    assert all("nguyen" in fold(n) and "van" in fold(n) for n in shown), shown
    assert any("Nguyễn Văn" in n for n in shown), shown
    assert page.evaluate("window.notReloaded") is True, "the results were swapped in by htmx, not a page load"
    finish(page, "search")

    nojs = open_page(SPACE_ADMIN, javascript=False)
    nojs.goto("/people/")
    nojs.get_by_label("Tìm theo tên").fill("nguyen van")
    nojs.get_by_role("button", name="Tìm kiếm").click()
    expect(nojs).to_have_url(re.compile(r"q=nguyen(\+|%20)van"))
    expect(nojs.locator("#results .count")).to_have_text(count.inner_text())
    assert nojs.locator("#results tbody tr td:first-child a").all_inner_texts() == shown
    finish(nojs, "search-nojs")


def test_language_selector_switches_to_english_and_back(open_page, finish):
    page = open_page(SPACE_ADMIN)
    page.goto("/people/")
    expect(page.get_by_role("button", name="Đăng xuất")).to_be_visible()

    page.get_by_label("Ngôn ngữ").select_option("en")
    page.get_by_role("button", name="Đổi").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(re.compile(r"/people/$"))  # back on the page the user was on
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    expect(
        page.get_by_role("navigation", name="Main menu").get_by_role("link", name="People", exact=True)
    ).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("People")

    back = page.get_by_label("Language").locator("option[value=vi]")
    # Django's own name for the language is in decomposed Unicode (NFD); it still has to read "Tiếng Việt".
    assert unicodedata.normalize("NFC", back.inner_text()) == "Tiếng Việt"
    page.get_by_label("Language").select_option("vi")
    page.get_by_role("button", name="Change").click()
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(page.get_by_role("button", name="Đăng xuất")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cá nhân")
    finish(page, "language")


def test_organisation_tree_shows_the_province_and_its_communes_with_counts(open_page, viewport, finish):
    commune_admin = open_page(COMMUNE_A_ADMIN)
    commune_admin.goto("/people/")
    in_commune_a = number(commune_admin.locator("#results .count").inner_text())
    page = open_page(SPACE_ADMIN)
    page.goto("/people/")
    everyone = number(page.locator("#results .count").inner_text())
    rows = page.locator("table.tree-table tbody tr")

    page.goto("/organisations/")
    page.get_by_label("Tìm theo tên hoặc mã").fill(fold(COMMUNE_A_OFFICE))  # "ubnd xa giao long"
    page.get_by_role("button", name="Tìm kiếm").click()
    # A sub-unit's link starts with a "└ " drawn by CSS, which is part of its accessible name: no ^ here.
    commune_a = rows.filter(has=page.get_by_role("link", name=re.compile(re.escape(COMMUNE_A_OFFICE) + "$")))
    expect(commune_a).to_have_count(1)
    assert number(commune_a.locator("td.num").last.inner_text()) == in_commune_a, "the tree agrees with the list"

    page.goto("/organisations/")
    expect(rows.first.get_by_role("link", name=ROOT_NAME)).to_be_visible()
    table = rows.evaluate_all(
        "rows => rows.map(r => [r.querySelector('a').textContent, "
        "...Array.from(r.querySelectorAll('td.num'), td => td.textContent)])"
    )
    assert number(table[0][2]) == everyone, "the root counts everyone in the province"
    office = re.compile(r"^UBND (xã|phường) ")  # textContent has no CSS "└ "
    communes = [(name, number(direct), number(total)) for name, direct, total in table if office.match(name)]
    assert len(communes) > 10
    assert all(0 <= direct <= total <= everyone for _name, direct, total in communes), communes
    if viewport["width"] == 390:
        fits = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        assert fits, "the organisation tree scrolls sideways on a phone"
    finish(page, "organisations")


def test_keyboard_alone_logs_in(open_page, finish):
    page = open_page()
    page.goto("/login/")
    username = page.get_by_label("Tên đăng nhập")

    expect(username).to_be_focused()  # autofocus: typing can start at once
    page.keyboard.type(NATIONAL_ADMIN)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Mật khẩu")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Đăng nhập")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.get_by_role("button", name="Đăng xuất")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Xin chào")
    expect(page.locator("header .where")).to_contain_text(NATIONAL_SPACE)
    # On the next page the first Tab lands on the skip link, and Enter on it jumps to the content.
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Chuyển đến nội dung chính")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#main$"))
    finish(page, "keyboard")


def _first_person_in_list(page) -> tuple[str, str]:
    """(detail URL, name) of the first person in the list the page's user sees."""
    page.goto("/people/")
    link = page.locator("#results tbody tr td:first-child a").first
    expect(link).to_be_visible()
    return link.get_attribute("href"), link.inner_text()


def test_commune_admin_gets_404_for_a_person_of_another_commune(open_page, finish):
    other = open_page(COMMUNE_B_ADMIN)
    url, name = _first_person_in_list(other)
    response = other.goto(url)
    assert response.status == 200
    expect(other.get_by_role("heading", level=1)).to_have_text(name)

    page = open_page(COMMUNE_A_ADMIN)
    own_url, _own_name = _first_person_in_list(page)
    assert page.goto(own_url).status == 200
    response = page.goto(url)
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_contain_text(re.compile("not found", re.IGNORECASE))
    expect(page.locator("body")).not_to_contain_text(name)
    # With DEBUG=1 this is Django's technical 404 page, whose inline <style> our CSP blocks.
    finish(page, "isolation", expected_errors=("Applying inline style violates",))
