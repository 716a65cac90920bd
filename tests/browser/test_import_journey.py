"""The bulk import journey (issue "People and accounts in bulk"), on the seeded demo server (conftest.py).

A commune unit admin uploads a workbook with errors, watches the progress and reads the summary,
downloads the error workbook, corrects it, imports it again, downloads the activation sheets, one new
learner activates their account, and importing the original file again changes nothing.

Both viewport runs share the server's database: every person here is unique to the run's width (names
and CCCD numbers). Page elements are found by the ids the import templates give them, so that the
journey gets to the end whatever the language; what a Vietnamese user reads is checked on the way and
every English leak (page or file) is listed at the end, in one failure."""

import os
import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from urllib.parse import urlencode

import openpyxl
import pytest
from playwright.sync_api import expect

from kynangso.people import rules
from kynangso.people.exports import HEADERS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.access("/usr/bin/chromium", os.X_OK),
        reason="Debian's Chromium (/usr/bin/chromium) is not installed: browser journeys skipped; "
        "apt-get install chromium",
    ),
]

ADMIN = "xa.giaolong"  # kynangso/web/demo.py: unit admin of the first "xã" of province 86
OWN_UNIT = "VL-28807"  # UBND xã Giao Long: commune offices are "VL-" + the commune code
OTHER_UNIT = "VL-28756"  # UBND phường Phú Khương: another commune, outside the admin's scope
NEW_PASSWORD = "Hoc-vien#Giao-Long-2026"
RUN_TIMEOUT = 30_000  # ms: the db_worker picks the task up, runs it, then draws the PDF cards
ERROR_FILL = "FFC7CE"  # workbooks.BAD_FILL
ACTIVATION_HEADER_ROWS = 3  # title, how-to line, column titles
CODE = re.compile(r"^[A-HJ-NP-Z2-9]{10}$")  # people.services.ACTIVATION_ALPHABET, 10 symbols
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
# A letter only Vietnamese has (tone marks, ă â đ ê ô ơ ư): any Vietnamese sentence has one ...
VIETNAMESE = re.compile("[àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ]", re.IGNORECASE)
# ... and none of these English words (a half-translated text has both).
ENGLISH = re.compile(
    r"\b(the|and|of|rows?|column|created|updated|unchanged|rejected|accounts?|learner|import|unit|code|each|"
    r"person|keep|download|with|valid|until|only|nothing)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Row:
    full_name: str
    birth: date
    sex: str  # "Nam" / "Nữ", as in the template's list
    position: str = ""
    group: str = ""
    org_code: str = ""  # empty: the unit chosen on the form
    serial: int = 0  # last six digits of the CCCD
    cccd_override: str = ""
    phone_override: str = ""

    @property
    def cccd(self) -> str:
        if self.cccd_override:
            return self.cccd_override
        return cccd_for(self.birth, self.sex, self.serial)

    @property
    def phone(self) -> str:
        return self.phone_override or f"09{self.serial:08d}"[:10]

    def cells(self, *, birth_as_text: bool) -> list:
        ascii_name = unicodedata.normalize("NFKD", self.full_name.replace("đ", "d").replace("Đ", "D"))
        ascii_name = "".join(ch for ch in ascii_name if ch.isascii()).lower()
        email = f"{'.'.join(ascii_name.split())}{self.serial}@giaolong.example"
        birth = (
            self.birth.strftime("%d/%m/%Y")
            if birth_as_text
            else datetime(self.birth.year, self.birth.month, self.birth.day)
        )
        return [self.full_name, birth, self.sex, self.cccd, self.phone, email, self.org_code, self.position, self.group]


def cccd_for(birth: date, sex: str, serial: int) -> str:
    """Province 086 (Vĩnh Long), the century-and-sex digit, the year, then six digits of our own."""
    century_sex = (birth.year // 100 - 19) * 2 + (1 if sex == "Nữ" else 0)
    number = f"086{century_sex}{birth.year % 100:02d}{serial:06d}"
    return rules.clean_cccd(number, birth_date=birth, sex=rules.FEMALE if sex == "Nữ" else rules.MALE)


OFFICIAL = "Cán bộ, công chức, viên chức"
CITIZEN = "Người dân"
NAMES = {
    390: {
        "valid": [
            ("Nguyễn Thị Ngọc Ánh", date(1992, 3, 14), "Nữ", "Công chức văn hóa - xã hội", OFFICIAL),
            ("Trần Văn Đức", date(1985, 11, 2), "Nam", "Phó Chủ tịch UBND xã", OFFICIAL),
            ("Lê Hoàng Phúc", date(2001, 7, 21), "Nam", "", CITIZEN),
            ("Phạm Thị Thu Hương", date(1978, 1, 30), "Nữ", "Công chức tư pháp - hộ tịch", OFFICIAL),
            ("Võ Minh Khôi", date(2003, 9, 9), "Nam", "", CITIZEN),
            ("Huỳnh Thị Kim Ngân", date(2000, 12, 5), "Nữ", "", CITIZEN),
            ("Đặng Quốc Bảo", date(1990, 4, 18), "Nam", "Công chức địa chính", OFFICIAL),
            ("Bùi Thị Mỹ Duyên", date(1996, 6, 27), "Nữ", "", CITIZEN),
        ],
        "bad": [
            ("Dương Văn Lợi", date(1988, 2, 11), "Nam", "Chỉ huy trưởng quân sự", OFFICIAL),
            ("Ngô Thị Hồng Nhung", date(1994, 8, 16), "Nữ", "", CITIZEN),
            ("Lý Thanh Tùng", date(1982, 10, 3), "Nam", "", CITIZEN),
        ],
    },
    1366: {
        "valid": [
            ("Trương Thị Thanh Thảo", date(1987, 5, 12), "Nữ", "Công chức văn phòng - thống kê", OFFICIAL),
            ("Hồ Văn Nghĩa", date(1975, 8, 24), "Nam", "Chủ tịch UBND xã", OFFICIAL),
            ("Phan Gia Huy", date(2002, 2, 3), "Nam", "", CITIZEN),
            ("Đỗ Thị Bích Trâm", date(1993, 10, 19), "Nữ", "Công chức tài chính - kế toán", OFFICIAL),
            ("Châu Minh Trí", date(2004, 1, 8), "Nam", "", CITIZEN),
            ("Lâm Thị Ngọc Hân", date(2001, 11, 28), "Nữ", "", CITIZEN),
            ("Thạch Sô Phol", date(1989, 3, 6), "Nam", "Công an xã", OFFICIAL),
            ("Tăng Thị Diễm My", date(1998, 7, 15), "Nữ", "", CITIZEN),
        ],
        "bad": [
            ("Kiều Văn Sang", date(1983, 12, 1), "Nam", "Công chức nông nghiệp", OFFICIAL),
            ("Mai Thị Tuyết Lan", date(1991, 4, 22), "Nữ", "", CITIZEN),
            ("Quách Thanh Phong", date(1980, 6, 13), "Nam", "", CITIZEN),
        ],
    },
}


def people_for(width: int) -> tuple[list[Row], list[Row], list[Row]]:
    """(valid rows, bad rows as uploaded, the bad rows corrected), unique to this viewport's run."""
    names = NAMES[width]
    valid = [
        Row(*values, org_code=OWN_UNIT if i % 2 else "", serial=width * 100 + i)
        for i, values in enumerate(names["valid"], start=1)
    ]
    fixed = [Row(*values, serial=width * 100 + 50 + i) for i, values in enumerate(names["bad"], start=1)]
    wrong_cccd, bad_phone, outside = fixed
    # A man's number with a woman's 4th digit: the digit does not match the sex and century of birth.
    wrong = fixed[0].cccd[:3] + str(int(fixed[0].cccd[3]) + 1) + fixed[0].cccd[4:]
    with pytest.raises(rules.RuleError):
        rules.clean_cccd(wrong, birth_date=wrong_cccd.birth, sex=rules.MALE)
    bad = [
        replace(wrong_cccd, cccd_override=wrong),
        replace(bad_phone, phone_override="0123"),
        replace(outside, org_code=OTHER_UNIT),
    ]
    fixed[2] = replace(outside, org_code=OWN_UNIT)
    return valid, bad, fixed


def write_workbook(path: Path, rows: list[Row]) -> Path:
    """The template's columns; a title row above the header, as units often have; dates as dates and as text;
    CCCD and phone as text cells (leading zeros)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Danh sách"
    ws.append(["DANH SÁCH CÁN BỘ VÀ NGƯỜI DÂN XÃ GIAO LONG THAM GIA BỒI DƯỠNG KỸ NĂNG SỐ"])
    ws.append(HEADERS)
    for i, row in enumerate(rows):
        ws.append(row.cells(birth_as_text=i % 3 == 0))
        ws.cell(ws.max_row, 2).number_format = "DD/MM/YYYY"
    wb.save(path)
    return path


def nfc(text) -> str:
    return unicodedata.normalize("NFC", str(text or ""))


def number(text: str) -> int:
    digits = re.search(r"\d[\d.]*", text)
    assert digits, f"no number in {text!r}"
    return int(digits.group().replace(".", ""))


class Problems(list):
    """What a Vietnamese user should not meet, gathered along the journey and reported once at its end
    (the same text met on several pages or files is reported once)."""

    @staticmethod
    def is_vietnamese(text: str) -> bool:
        # Quoted parts (column titles, values from the file) and addresses are not evidence either way.
        own = re.sub(r"“[^”]*”|https?://\S+", "", nfc(text))
        return bool(VIETNAMESE.search(own)) and not ENGLISH.search(own)

    def vietnamese(self, where: str, *texts: str) -> None:
        english = [text.strip() for text in texts if not self.is_vietnamese(text)]
        problem = f"{where} in English: " + " | ".join(english)
        shape = re.compile(r"\d+")  # "8 created, …" and "3 created, …" are the same problem
        if english and shape.sub("#", problem) not in {shape.sub("#", known) for known in self}:
            self.append(problem)

    def vietnamese_on(self, where: str, locator) -> None:
        self.vietnamese(where, *locator.all_inner_texts())


def download(page, link, folder: Path, suffix: str) -> Path:
    with page.expect_download() as info:
        link.click()
    got = info.value
    assert got.failure() is None, got.failure()
    assert got.suggested_filename.endswith(suffix), got.suggested_filename
    path = folder / got.suggested_filename
    got.save_as(path)
    return path


def open_imports(page, problems: Problems) -> None:
    """The imports page, from the main menu's link ("Nhập …" in Vietnamese: import = nhập)."""
    page.goto("/")
    menu = page.get_by_role("navigation", name="Menu chính")
    expect(menu).to_be_visible()
    link = menu.get_by_role("link", name=re.compile(r"^\s*Nhập"))
    if link.count() == 1:
        link.click()
    else:
        english = menu.locator("#nav-imports")
        if english.count():
            problems.vietnamese("the main menu's import link", english.inner_text())
            english.click()
        else:
            links = " | ".join(menu.get_by_role("link").all_inner_texts())
            problems.append(f"no import link in the main menu of {ADMIN} (only: {links})")
            page.goto("/people/imports/")
    expect(page).to_have_url(re.compile(r"/people/imports/$"))
    expect(page.locator("#import-form")).to_be_visible()


def upload(page, path: Path, problems: Problems) -> str:
    """Fill the upload form: the admin's own unit, commit the valid rows and report the rest, create learner
    accounts. Returns the URL of the import's page."""
    form = page.locator("#import-form")
    form.locator("input[type=file]").set_input_files(path)
    unit = form.locator("select[name=organisation]")
    own = unit.locator("option", has_text=f"({OWN_UNIT})")
    expect(own).to_have_count(1)
    unit.select_option(own.get_attribute("value"))
    commit_valid = form.locator("input[name=mode][value=commit_valid]")
    commit_valid.check()
    accounts = form.locator("input[name=create_accounts]")
    accounts.check()
    expect(commit_valid).to_be_checked()
    expect(accounts).to_be_checked()
    problems.vietnamese_on("the upload form's labels", form.locator("label, legend"))
    problems.vietnamese_on("the upload button", page.locator("#import-submit"))
    page.locator("#import-submit").click()
    expect(page).to_have_url(re.compile(r"/people/imports/\d+/$"))
    return page.url


def wait_until_done(page, problems: Problems) -> None:
    """The progress panel polls (htmx, every second) while the db_worker runs the import: no reload."""
    status = page.locator("#import-status")
    expect(page.locator("#import-progress")).to_be_visible()
    expect(page.locator("#import-counts")).to_be_visible()
    page.evaluate("window.notReloaded = true")
    expect(status).to_have_attribute("data-status", "done", timeout=RUN_TIMEOUT)
    expect(page.locator("#import-progress")).to_have_attribute("value", "100")
    assert page.evaluate("window.notReloaded") is True, "the progress was swapped in by htmx, not a reload"
    problems.vietnamese_on("the import's status", status)
    problems.vietnamese_on("the count labels", page.locator("#import-counts dt"))
    problems.vietnamese_on("the summary", page.locator("#import-message"))


def counts(page) -> dict[str, int]:
    names = ("read", "valid", "written", "created", "updated", "unchanged", "rejected", "accounts")
    return {name: number(page.locator(f"#count-{name}").inner_text()) for name in names}


def people_count(page) -> int:
    page.goto("/people/")
    return number(page.locator("#results .count").inner_text())


def sheet_rows(path: Path) -> list[list]:
    ws = openpyxl.load_workbook(path).worksheets[0]
    return [[nfc(v) if isinstance(v, str) else v for v in row] for row in ws.iter_rows(values_only=True)]


def activation_rows(path: Path, problems: Problems) -> list[dict]:
    """The activation sheet: a title, a how-to line, the column titles, then one row per new account."""
    rows = sheet_rows(path)
    title, note, head = rows[0][0], rows[1][0], rows[2]
    assert "UBND xã Giao Long" in title, title
    assert "/activate/" in note, note
    problems.vietnamese("the activation sheet's title", title)
    problems.vietnamese("the activation sheet's how-to line", note)
    problems.vietnamese("the activation sheet's column titles", *map(str, head))
    accounts = [
        {"full_name": r[0], "born": r[1], "org_code": r[2], "org_name": r[3], "username": r[4], "code": r[5]}
        for r in rows[ACTIVATION_HEADER_ROWS:]
        if any(r)
    ]
    for account in accounts:
        assert re.fullmatch(r"\d\d/\d\d/\d{4}", account["born"]), account  # namesakes' cards told apart
        assert re.fullmatch(r"[a-z0-9]+", account["username"]), account
        assert account["org_name"], account  # a unit's name beside its code (QA round 47)
        assert CODE.fullmatch(account["code"]), account
    return accounts


def assert_pdf_cards(path: Path, cards: int) -> None:
    """One card per account, each with its QR code (an image): fpdf2 embeds one image per distinct QR."""
    data = path.read_bytes()
    assert data.startswith(b"%PDF-"), data[:20]
    assert data.count(b"/Subtype /Image") == cards, "one QR code per account"


def test_unit_admin_imports_a_file_with_errors_fixes_it_and_hands_out_activation_codes(
    open_page, viewport, tmp_path, finish
):
    width = viewport["width"]
    problems = Problems()
    valid, bad, fixed = people_for(width)
    original = write_workbook(tmp_path / f"danh-sach-giao-long-{width}.xlsx", valid + bad)

    # 1-2. The admin opens the imports page from the menu and uploads the file.
    page = open_page(ADMIN)
    open_imports(page, problems)
    problems.vietnamese_on("the imports page's heading", page.get_by_role("heading", level=1))
    finish(page, "import-form")
    first_url = upload(page, original, problems)

    # 3. The progress, then the summary: 8 created (with their accounts), 3 rejected.
    page.screenshot(path=SCREENSHOTS / f"import-progress-{width}.png")  # queued or running: whatever it is now
    wait_until_done(page, problems)
    assert counts(page) == {
        "read": 11,
        "valid": 8,
        "written": 8,
        "created": 8,
        "updated": 0,
        "unchanged": 0,
        "rejected": 3,
        "accounts": 8,
    }
    message = page.locator("#import-message").inner_text()
    assert re.search(r"\b8\b", message) and re.search(r"\b3\b", message), message
    expect(page.locator("#activation-pdf-link")).to_be_visible(timeout=RUN_TIMEOUT)  # then polling stops
    problems.vietnamese_on("the download links", page.locator("#import-progress-panel .actions a"))
    # The errors are on the page too (open: three rows), one line per bad cell, naming its row and column.
    expect(page.locator("#import-errors")).to_have_attribute("open", "")
    first_errors = page.locator("#import-errors li").all_inner_texts()
    assert len(first_errors) == 3 and all(re.match(r"Dòng \d+, cột “", e) for e in first_errors), first_errors
    finish(page, "import-summary")

    # 4. The error workbook: the 3 rejected rows, the bad cells highlighted, messages naming the column.
    errors_path = download(page, page.locator("#error-report-link"), tmp_path, ".xlsx")
    wb = openpyxl.load_workbook(errors_path)
    ws = wb.worksheets[0]
    header = [nfc(c.value) for c in ws[1]]
    assert header[: len(HEADERS)] == HEADERS, header
    message_col = header.index("Lỗi") + 1
    data = [row for row in ws.iter_rows(min_row=2) if any(c.value not in (None, "") for c in row)]
    assert [nfc(r[0].value) for r in data] == [b.full_name for b in bad]
    expected = [  # (the bad column's title, the bad value)
        ("Số CCCD", bad[0].cccd),
        ("Số điện thoại", "0123"),
        ("Mã đơn vị", OTHER_UNIT),
    ]
    for row, (column, value) in zip(data, expected, strict=True):
        col = HEADERS.index(column)
        cell = row[col]
        assert str(cell.value) == value, (column, cell.value)
        assert cell.fill.patternType == "solid" and cell.fill.fgColor.rgb.endswith(ERROR_FILL), (
            f"the bad {column} cell of {row[0].value} is not highlighted"
        )
        fine = row[0]  # the name is fine in every bad row
        assert fine.fill.patternType is None, f"the good cell {fine.coordinate} is highlighted too"
        text = nfc(row[message_col - 1].value)
        assert f"“{column}”" in text, f"the message does not name the column {column}: {text!r}"
        problems.vietnamese("the error workbook's messages", text)
    assert OTHER_UNIT in nfc(data[2][message_col - 1].value)

    # 5. The admin corrects the three rows in that workbook and imports it again: 3 created, 0 rejected.
    for row, good in zip(data, fixed, strict=True):
        row[HEADERS.index("Số CCCD")].value = good.cccd
        row[HEADERS.index("Số điện thoại")].value = good.phone
        row[HEADERS.index("Mã đơn vị")].value = OWN_UNIT
    corrected = tmp_path / f"danh-sach-da-sua-{width}.xlsx"
    wb.save(corrected)
    open_imports(page, problems)
    second_url = upload(page, corrected, problems)
    assert second_url != first_url
    wait_until_done(page, problems)
    assert counts(page) == {
        "read": 3,
        "valid": 3,
        "written": 3,
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "rejected": 0,
        "accounts": 3,
    }
    expect(page.locator("#error-report-link")).to_have_count(0)
    expect(page.locator("#activation-pdf-link")).to_be_visible(timeout=RUN_TIMEOUT)
    finish(page, "import-fixed")

    # 6. The activation sheets: the 3 new accounts here, the 8 of the first import there; the PDF cards.
    second_sheet = activation_rows(download(page, page.locator("#activation-xlsx-link"), tmp_path, ".xlsx"), problems)
    assert sorted(a["full_name"] for a in second_sheet) == sorted(f.full_name for f in fixed)
    assert {a["org_code"] for a in second_sheet} == {OWN_UNIT}
    assert_pdf_cards(download(page, page.locator("#activation-pdf-link"), tmp_path, ".pdf"), 3)
    page.goto(first_url)
    first_sheet = activation_rows(download(page, page.locator("#activation-xlsx-link"), tmp_path, ".xlsx"), problems)
    assert sorted(a["full_name"] for a in first_sheet) == sorted(v.full_name for v in valid)
    assert len({a["username"] for a in first_sheet + second_sheet}) == 11, "one username per account"
    assert_pdf_cards(download(page, page.locator("#activation-pdf-link"), tmp_path, ".pdf"), 8)
    # Cards handed to the wrong people: new codes for the first import's 8, in the background; the page
    # follows the task by itself, then offers the new sheet, whose codes are all new, and new cards.
    page.get_by_label("Tôi hiểu rằng các mã đã trao cho họ sẽ hết hiệu lực.").check()
    page.get_by_role("button", name="Cấp mã mới cho người chưa kích hoạt").click()
    expect(page.locator("#activation-outcome")).to_contain_text("8 người chưa kích hoạt", timeout=RUN_TIMEOUT)
    expect(page.locator("#activation-pdf-link")).to_be_visible(timeout=RUN_TIMEOUT)
    renewed = activation_rows(download(page, page.locator("#activation-xlsx-link"), tmp_path, ".xlsx"), problems)
    old_codes = {a["username"]: a["code"] for a in first_sheet}
    assert sorted(a["username"] for a in renewed) == sorted(old_codes)
    assert all(a["code"] != old_codes[a["username"]] for a in renewed), "a code was not renewed"
    # One lost card: a new code from the person's page, after ticking the box (the old code stops working)
    page.goto(f"/people/?{urlencode({'q': renewed[0]['full_name']})}")
    page.get_by_role("link", name=renewed[0]["full_name"]).first.click()
    page.get_by_label("Tôi hiểu rằng mã đã đưa trước đây sẽ hết hiệu lực.").check()
    page.get_by_role("button", name="Cấp mã kích hoạt mới").click()
    expect(page.locator("#issued-code")).not_to_have_text(renewed[0]["code"])
    finish(page, "import-code-renewed")

    # A new learner, on their own device, activates their account with the code from the sheet.
    learner = second_sheet[0]
    device = open_page()
    # The QR code on the card opens the page with the username and the code in the address.
    device.goto("/activate/?" + urlencode({"username": learner["username"], "code": learner["code"]}))
    problems.vietnamese_on("the activation page's heading", device.get_by_role("heading", level=1))
    if device.get_by_label("Tên đăng nhập").input_value() != learner["username"]:
        problems.append("the activation page ignores the username and code the card's QR code puts in its address")
    device.get_by_label("Tên đăng nhập").fill(learner["username"])
    device.get_by_label("Mã kích hoạt").fill(learner["code"].lower())  # as typed from a printed card
    device.get_by_label(re.compile(r"^Mật khẩu mới")).fill(NEW_PASSWORD)
    device.get_by_label("Nhập lại mật khẩu mới").fill(NEW_PASSWORD)
    device.get_by_role("button", name="Đặt mật khẩu").click()
    expect(device).to_have_url(re.compile(r"/$"))
    expect(device.get_by_role("button", name="Đăng xuất")).to_be_visible()
    expect(device.get_by_role("heading", level=1)).to_contain_text("Xin chào")
    expect(device.locator("body")).to_contain_text("Đã đặt mật khẩu")
    finish(device, "import-activated")

    # 7. The original file, unchanged, again: nothing changes; the same 3 rows are rejected again.
    people_before = people_count(page)
    open_imports(page, problems)
    upload(page, original, problems)
    wait_until_done(page, problems)
    assert counts(page) == {
        "read": 11,
        "valid": 8,
        "written": 0,
        "created": 0,
        "updated": 0,
        "unchanged": 8,
        "rejected": 3,
        "accounts": 0,
    }
    expect(page.locator("#activation-xlsx-link")).to_have_count(0)
    expect(page.locator("#error-report-link")).to_be_visible()
    again = sheet_rows(download(page, page.locator("#error-report-link"), tmp_path, ".xlsx"))
    assert [r[0] for r in again[1:] if any(r)] == [b.full_name for b in bad]
    finish(page, "import-again")
    assert people_count(page) == people_before, "importing the same file again added people"

    assert not problems, f"what {ADMIN} meets on the way:\n" + "\n".join(problems)
