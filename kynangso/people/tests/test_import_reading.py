"""Reading people files the way offices write them, and checking rows cell by cell (no database)."""

import unicodedata
from datetime import date, datetime

import pytest
from django.utils import translation
from openpyxl import Workbook, load_workbook

from kynangso.people.exports import HEADERS
from kynangso.people.imports import reading
from kynangso.people.imports import validation as validation_module
from kynangso.people.imports.testing import cache_formula_values, make_cccd, write_xlsx
from kynangso.people.imports.validation import RowValidator, cell_text, parse_date

ROW = [
    "Nguyễn Văn An",
    "02/03/1985",
    "Nam",
    "086085001234",
    "0912345678",
    "an@example.vn",
    "X-A",
    "Chuyên viên",
    "Cán bộ, công chức, viên chức",
]


@pytest.fixture(params=["python-calamine", "openpyxl"])
def excel_path(request, monkeypatch):
    """Both ways of reading an .xlsx: python-calamine, and openpyxl's streaming mode for very large sheets
    (made to take every sheet here), which must give the same rows with the same repairs."""
    if request.param == "openpyxl":
        monkeypatch.setattr(reading, "CALAMINE_MAX_SHEET_BYTES", -1)
    return request.param


def open_file(path):
    fh = open(path, "rb")  # noqa: SIM115 (the table's row iterator reads it lazily)
    return reading.open_table(fh, str(path))


def test_header_under_merged_title_and_blank_rows_gives_spreadsheet_row_numbers(tmp_path, excel_path):
    path = write_xlsx(
        tmp_path / "a.xlsx",
        [ROW, [None] * 9, ROW],
        title="DANH SÁCH CÁN BỘ XÃ LONG HỒ",
        blank_rows_before_header=2,
        start_column=2,
    )
    table = open_file(path)
    assert table.header_row == 4
    rows = list(table.rows)
    assert [number for number, _cells in rows] == [5, 7]  # the blank row 6 is skipped
    assert rows[0][1][0] == "Nguyễn Văn An"
    assert table.unknown == []


@pytest.mark.parametrize(
    "headers",
    [
        [
            "Ho va ten",
            "Ngay sinh",
            "Gioi tinh",
            "So CCCD",
            "So dien thoai",
            "Email",
            "Ma don vi",
            "Chuc vu",
            "Nhom doi tuong",
        ],
        [
            "Full name",
            "Date of birth",
            "Sex",
            "Citizen ID",
            "Phone",
            "E-mail",
            "Unit code",
            "Position",
            "Target groups",
        ],
        [
            "  HỌ VÀ TÊN (*) ",
            "ngày  sinh",
            "GIỚI TÍNH",
            "Số CMND/CCCD",
            "SĐT",
            "Thư điện tử",
            "Mã ĐV",
            "Chức danh",
            "Đối tượng",
        ],
        [
            "Họ tên",
            "Ngày tháng năm sinh",
            "Nam/Nữ",
            "Số CCCD/CMND",
            "Số điện thoại di động",
            "Địa chỉ thư điện tử",
            "Mã cơ quan",
            "Chức vụ, chức danh",
            "Nhóm",
        ],
        [  # the card's name since 2024, and the words lists add after a title (QA round 14)
            "Họ và tên",
            "Ngày sinh",
            "Giới tính",
            "Số thẻ căn cước",
            "Số điện thoại liên hệ",
            "Email cá nhân",
            "Mã số đơn vị",
            "Chức vụ hiện nay",
            "Nhóm đối tượng",
        ],
        ["Họ và tên", "Ngày sinh", "Giới tính", "CCCD/CC", "Số ĐTDĐ", "Email", "Mã đơn vị", "Chức danh", "Nhóm"],
        ["Họ và tên", "Ngày sinh", "Giới tính", "Căn cước", "Điện thoại liên lạc", "Email", "Mã ĐV", "Chức vụ", "Nhóm"],
        [  # several names of one field, and whose name it is (QA round 17)
            "Họ và tên học viên",
            "Ngày sinh",
            "Giới tính",
            "Số CCCD/ Mã định danh",
            "Số điện thoại cán bộ",
            "Email",
            "Mã đơn vị",
            "Chức vụ",
            "Nhóm đối tượng",
        ],
        ["Họ và tên cán bộ", "Ngày sinh", "Giới", "Mã định danh/CCCD", "SĐT", "Email", "Mã đơn vị", "Chức vụ", "Nhóm"],
    ],
)
def test_header_variants_are_recognised(tmp_path, headers):
    table = open_file(write_xlsx(tmp_path / "h.xlsx", [ROW], headers=headers))
    assert set(table.columns) == set(reading.FIELDS)
    assert list(table.rows)[0][1] == ROW


def test_a_qualifier_does_not_turn_another_title_into_a_field():
    assert reading.header_field("Số điện thoại liên hệ") == "phone"
    assert reading.header_field("Ngày cấp CCCD") is None and reading.header_field("Nơi cấp căn cước") is None
    assert reading.header_field("Liên hệ") is None and reading.header_field("Địa chỉ liên hệ") is None
    assert reading.header_field("Điện thoại/Email") is None  # two fields in one column: neither
    # Whose it is, after a title of the person's own; "Nhóm học sinh" is a class's group (QA round 18).
    assert reading.header_field("Giới tính học viên") == "sex"
    assert reading.header_field("Nhóm học sinh") is None and reading.header_field("Nhóm học viên") is None
    assert reading.header_field("Nhóm tham gia") is None  # QA round 20
    # QA round 19: the words lists use, one or two of them after the title
    assert reading.header_field("Nhóm đối tượng học viên") == reading.header_field("Đối tượng học viên") == "groups"
    assert reading.header_field("Nhóm đối tượng tham gia") == "groups"
    assert reading.header_field("Họ và tên cán bộ, công chức") == "full_name"
    assert reading.header_field("Email công vụ") == "email" and reading.header_field("SĐT/Zalo") == "phone"
    assert reading.header_field("Số CCCD/ĐDCN") == "cccd"


@pytest.mark.parametrize(
    "titles,kept",
    [
        (["Số CMND", "Số CCCD"], "Số CCCD"),
        (["Điện thoại", "Di động"], "Di động"),
        (["Số CCCD", "CMND"], "Số CCCD"),
        (["SĐT", "Zalo"], "SĐT"),  # QA round 20: the first wins unless one is the old card's or a landline's …
        (["Số điện thoại", "Điện thoại cơ quan"], "Số điện thoại"),
        (["Số CMND", "Số CCCD (mới)"], "Số CCCD (mới)"),  # … whatever notes the other has
        (["Di động (cá nhân)", "Điện thoại"], "Di động (cá nhân)"),
        (["Điện thoại", "Số điện thoại (cũ)"], "Điện thoại"),  # QA round 21: an old number gives way most
    ],
)
def test_of_two_columns_of_one_field_the_current_card_and_the_mobile_are_read(tmp_path, titles, kept):
    """QA round 19: the first column won, even the old identity card's, empty beside the CCCD."""
    headers = ["Họ và tên", *titles]
    table = open_file(write_xlsx(tmp_path / "two.xlsx", [[ROW[0], None, None]], headers=headers))
    field = reading.header_field(kept)
    assert table.headers[field] == kept and table.columns[field] == headers.index(kept)
    assert [t for t in titles if t != kept] == table.unknown


def test_unknown_columns_are_ignored_and_reported_but_stt_is_not(tmp_path):
    headers = ["STT", *HEADERS[:3], "Quê quán", *HEADERS[3:], "Ghi chú"]
    row = [1, *ROW[:3], "Vĩnh Long", *ROW[3:], "x"]
    table = open_file(write_xlsx(tmp_path / "u.xlsx", [row], headers=headers))
    assert table.unknown == ["Quê quán", "Ghi chú"]
    assert list(table.rows)[0][1] == ROW


@pytest.mark.parametrize("family", ["Họ và tên đệm", "Họ đệm", "HO VA TEN LOT", "Họ", "Last name"])
def test_a_name_split_into_family_and_given_name_columns_is_read_whole(tmp_path, family):
    headers = ["STT", family, "Tên", *HEADERS[1:]]
    rows = [[1, "Nguyễn Văn ", " An", *ROW[1:]], [2, "Lê", None, *ROW[1:]]]
    table = open_file(write_xlsx(tmp_path / "split.xlsx", rows, headers=headers))
    assert table.unknown == [] and table.header("full_name") == f"{family}, Tên"
    assert [cells[0] for _number, cells in table.rows] == ["Nguyễn Văn An", "Lê"]


@pytest.mark.parametrize("middle", ["Tên đệm", "Tên lót", "Đệm", "Chữ lót", "Middle name"])
def test_a_name_split_into_three_columns_is_read_whole(tmp_path, middle):
    """QA round 27: "Họ" | "Tên đệm" | "Tên" dropped the middle name as an unknown column."""
    headers = ["Họ", middle, "Tên", *HEADERS[1:]]
    rows = [["Nguyễn", "Văn", "Tách Tên", *ROW[1:]], ["Lê", None, "Na", *ROW[1:]], [None, "Thị", "Mai", *ROW[1:]]]
    table = open_file(write_xlsx(tmp_path / "split3.xlsx", rows, headers=headers))
    assert table.unknown == [] and table.header("full_name") == f"Họ, {middle}, Tên"
    assert [cells[0] for _number, cells in table.rows] == ["Nguyễn Văn Tách Tên", "Lê Na", "Thị Mai"]
    assert table.cell_errors == {}
    # Beside a full name it adds nothing, and is reported.
    table = open_file(write_xlsx(tmp_path / "full.xlsx", [[*ROW, "Văn"]], headers=[*HEADERS, middle]))
    assert table.unknown == [middle] and list(table.rows)[0][1] == ROW


def test_of_two_columns_for_one_field_a_title_without_a_note_wins_over_one_with(tmp_path):
    headers = [*HEADERS[:4], "Số điện thoại (cũ)", "Số điện thoại", *HEADERS[5:]]
    row = [*ROW[:4], "01688123456", ROW[4], *ROW[5:]]
    table = open_file(write_xlsx(tmp_path / "two.xlsx", [row], headers=headers))
    assert table.unknown == ["Số điện thoại (cũ)"] and list(table.rows)[0][1] == ROW
    headers = [*HEADERS[:5], "SĐT", *HEADERS[5:]]  # no notes: the first one wins, the second is reported
    table = open_file(write_xlsx(tmp_path / "two2.xlsx", [[*ROW[:5], "0988888888", *ROW[5:]]], headers=headers))
    assert table.unknown == ["SĐT"] and list(table.rows)[0][1] == ROW


def test_a_family_name_column_beside_the_full_name_is_ignored_and_reported(tmp_path):
    table = open_file(write_xlsx(tmp_path / "both.xlsx", [[*ROW, "Nguyễn"]], headers=[*HEADERS, "Họ"]))
    assert table.unknown == ["Họ"] and list(table.rows)[0][1] == ROW


def test_missing_columns_read_as_none(tmp_path):
    table = open_file(
        write_xlsx(tmp_path / "m.xlsx", [["Trần Thị Bình", "0912345678"]], headers=["Họ và tên", "Điện thoại"])
    )
    assert list(table.rows) == [(2, ["Trần Thị Bình", None, None, None, "0912345678", None, None, None, None])]


def test_no_header_row_is_a_clear_error(tmp_path):
    path = write_xlsx(tmp_path / "n.xlsx", [ROW], headers=["a", "b", "c"])
    with pytest.raises(reading.ReadError) as exc:
        open_file(path)
    assert "Họ và tên" in exc.value.text()


@pytest.mark.parametrize("bom,delimiter", [(True, ";"), (False, ","), (True, ","), (False, ";"), (False, "\t")])
def test_csv_with_or_without_bom_and_any_delimiter(tmp_path, bom, delimiter):
    text = delimiter.join(HEADERS) + "\r\n" + delimiter.join(f'"{v}"' if delimiter in v else v for v in ROW) + "\r\n"
    path = tmp_path / "p.csv"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode())
    table = open_file(path)
    assert table.total == 1  # exact: the whole file is in the sample
    assert list(table.rows) == [(2, ROW)]


def test_excel_error_values_reject_their_cells_instead_of_reading_as_empty(tmp_path, excel_path):
    """A failed VLOOKUP leaves #N/A in the cell; python-calamine reads it as an empty cell, which would
    import the person without a CCCD. The reader puts the code back, and the row names the cell."""
    path = write_xlsx(tmp_path / "na.xlsx", [ROW, ROW], headers=HEADERS)
    workbook = load_workbook(path)
    workbook.active["D2"] = "=VLOOKUP(A2,Sheet2!A:B,2,FALSE)"
    workbook.active["A3"] = "#N/A"  # openpyxl stores it as an error cell (t="e"), as Excel writes a result
    workbook.active["E2"] = "#DIV/0!"
    workbook.save(path)
    path = cache_formula_values(path, {"D2": "#N/A"}, error=True)
    rows = list(open_file(path).rows)
    assert [cells[3] for _n, cells in rows] == ["#N/A", ROW[3]] and rows[1][1][0] == "#N/A"
    first, second = (validator().parse(number, cells) for number, cells in rows)
    assert [name for name, _m in first.errors] == ["cccd", "phone"]
    assert [name for name, _m in second.errors] == ["full_name"]
    with translation.override("vi"):
        assert "lỗi công thức (#N/A)" in validator().parse(*rows[0]).errors[0][1]


def test_a_yes_no_cell_is_refused_not_read_as_the_word_true(tmp_path, excel_path):
    """QA round 16: TRUE typed in Excel is a boolean cell; read as text it made a person named "True"."""
    path = write_xlsx(tmp_path / "b.xlsx", [[True, *ROW[1:7], False, ROW[8]]], headers=HEADERS)
    [(number, cells)] = open_file(path).rows
    row = validator().parse(number, cells)
    assert [name for name, _m in row.errors] == ["full_name", "position"] and not row.full_name
    with translation.override("vi"):
        assert "giá trị có/không (TRUE)" in validator().parse(number, cells).errors[0][1]


def test_column_numbers_totals_and_the_signature_block_of_an_official_form_are_not_people(tmp_path, excel_path):
    blank = [None] * 8
    rows = [
        ["(1)", "(2)", "(3)", "(4)", "(5)", "(6)", "(7)", "(8)", "(9)"],
        ROW,
        ["Công Tằng Tôn Nữ Hoa", *blank],  # a royal family name, not "Cộng:"
        [*ROW[:7], "Kế toán", ROW[8]],
        ["Tổng cộng: 03 người", *blank],
        [None, None, None, None, None, None, "Vĩnh Long, ngày 01 tháng 12 năm 2026", None, None],
        ["Người lập biểu", None, None, None, None, None, "THỦ TRƯỞNG ĐƠN VỊ", None, None],
        ["Phan Thanh Lập", None, None, None, None, None, "Lê Văn Tám", None, None],
        [ROW[0], "01/01/1990", *ROW[2:]],  # a person with data after the footer is still read
    ]
    table = open_file(write_xlsx(tmp_path / "form.xlsx", rows))
    assert [(n, cells[0]) for n, cells in table.rows] == [
        (3, ROW[0]),
        (4, "Công Tằng Tôn Nữ Hoa"),
        (5, ROW[0]),
        (10, ROW[0]),
    ]
    # A person's row after it: the footer was a first table's, its rows are told as rows without a person
    assert (table.footer_skipped, table.passed_over, table.passed_over_first) == (0, 4, (6, "Tổng cộng: 03 người"))
    table = open_file(write_xlsx(tmp_path / "form-end.xlsx", rows[:-1]))
    assert len(list(table.rows)) == 3 and (table.footer_row, table.footer_skipped) == (6, 4)


@pytest.mark.parametrize("numbers", [list(range(1, 10)), ["A", "B", *range(1, 8)]])
def test_column_numbers_typed_as_numbers_or_letters_are_not_a_person(tmp_path, numbers):
    """QA round 67: a form's row of column numbers typed as numbers (read 1.0, 2.0 …), or "A | B | 1 | 2 …", was
    refused as a bad row; in all or nothing, the whole list with it."""
    table = open_file(write_xlsx(tmp_path / "so-cot.xlsx", [numbers, ROW]))
    assert [n for n, _cells in table.rows] == [3]


def test_names_like_a_footers_words_and_a_row_of_a_group_alone_are_people_not_a_footer(tmp_path):
    """QA round 17: without accents "Tống Công Hậu" read as "Tổng cộng", "Chu Tích Lan" as "Chủ tịch", and a
    row with no name but "Người dân" as a signer's title: the rest of the list was dropped, unsaid."""
    rows = [
        ["Trần Văn Một", None, "Nam", None, None, None, None, None, "Người dân"],
        ["Tống Công Hậu", None, "Nam", None, None, None, None, None, "Người dân"],
        [None, None, None, None, None, None, None, None, "Người dân"],  # the name missing: an error, not the end
        ["Tống Sơn Tùng", None, "Nam", None, None, None, None, None, "Người lao động"],
        ["Chu Tích Lan", None, "Nữ", None, None, None, None, None, "Người dân"],
        ["TỔNG CỘNG: 4 người", None, None, None, None, None, None, None, None],
        [None, None, None, None, None, None, None, "NGƯỜI DUYỆT", None],
    ]
    table = open_file(write_xlsx(tmp_path / "names.xlsx", rows))
    assert [n for n, _cells in table.rows] == [2, 3, 4, 5, 6]
    assert (table.footer_row, table.footer_skipped) == (7, 2)


def test_what_starts_like_a_footer_or_a_heading_but_is_a_persons_row_is_read(tmp_path):
    """QA round 20: a team's heading "Tổ trưởng" ended the list; unit codes "TLĐLĐ", "KT-01" read as
    titles; "Y.Bih Niê" as a numbered heading; a heading "NGƯỜI HOẠT ĐỘNG …" as a signer's title."""
    blank = [None] * 8
    rows = [
        ["Tổ trưởng", *blank],  # a heading: passed over, the team is read
        ["Nguyễn Văn An", None, "Nam", None, None, None, "X-A", "Tổ trưởng", None],
        ["Lê Thị Bình", None, None, None, None, None, "TLĐLĐ", None, None],
        ["Trần Văn Cường", None, None, None, None, None, "KT-01", None, None],
        ["NGƯỜI HOẠT ĐỘNG KHÔNG CHUYÊN TRÁCH", *blank],
        ["Y.Bih Niê", *blank],
        ["H.Hen Niê", *blank],
        ["V. Thị Lan", *blank],
        ["Công Thị Hoa (2)", *blank],
        ["Nguyễn Văn Kỳ (Kỳ)", *blank],  # a nickname in brackets, not "(Ký, ghi rõ họ tên)"
        ["II. Khối Đoàn thể", *blank],
    ]
    table = open_file(write_xlsx(tmp_path / "team.xlsx", rows))
    assert [cells[0] for _n, cells in table.rows] == [r[0] for r in rows[1:4]] + [r[0] for r in rows[5:10]]
    assert (table.passed_over, table.passed_over_first, table.footer_skipped) == (3, (2, "Tổ trưởng"), 0)


def test_people_under_a_title_like_line_are_read_and_signers_are_not(tmp_path):
    """QA round 21: a team's rows of a name and a position under "Tổ trưởng", a committee's under
    "Trưởng ban:" at the list's end, Ê Đê and Ba Na names in capitals, names of a heading's word; and
    signers under "Người phụ trách" or "NGƯỜI ĐỀ NGHỊ"."""
    blank = [None] * 8
    position = [None] * 6

    def named(name, role=None):
        return [name, *position, role, None]

    rows = [
        ROW,
        ["Tổ trưởng", *blank],
        named("Trần Văn Bảy", "Tổ viên"),
        named("Lê Thị Tám"),
        ["Đỗ Văn Chín", None, "M", *blank[2:]],  # a sex as the validator reads it ends the footer …
        ["Trưởng ban:", *blank],
        named("Nguyễn Văn An", "Chủ tịch UBND xã"),
        ["Vũ Thị Mười", *[None] * 7, "CBCCVC"],  # … and a target group's other name
        ["Y.BIH NIÊ", *blank],
        ["A. SANG", *blank],
        ["V. THỊ LAN", *blank],
        ["Hội Thị Lan", *blank],
        ["I. Lãnh đạo", *blank],
        ["Ban Chỉ đạo", *blank],
        ["Thôn Phú Hòa", "-", "-", *blank[2:]],
        ["Phó trưởng ban:", *blank],
        named("Trần Thị Bình", "Phó Chủ tịch UBND xã"),
    ]
    table = open_file(write_xlsx(tmp_path / "team.xlsx", rows))
    read = [cells[0] for _n, cells in table.rows]
    assert read == [ROW[0], "Trần Văn Bảy", "Lê Thị Tám", "Đỗ Văn Chín", "Nguyễn Văn An", "Vũ Thị Mười"] + [
        "Y.BIH NIÊ",
        "A. SANG",
        "V. THỊ LAN",
        "Hội Thị Lan",
        "Trần Thị Bình",
    ]
    assert (table.passed_over, table.footer_skipped) == (6, 0)
    for footer in (
        [["Người phụ trách", *blank], ["Trần Văn Ký", *blank]],
        [["NGƯỜI ĐỀ NGHỊ", *position, "THỦ TRƯỞNG ĐƠN VỊ", None], ["Trần Văn Ký", *blank]],
    ):
        table = open_file(write_xlsx(tmp_path / "signed.xlsx", [ROW, *footer]))
        assert [n for n, _cells in table.rows] == [2] and table.footer_skipped == 2


def test_a_footer_begins_where_the_date_line_is_and_the_rows_a_title_heads_before_it_are_read(tmp_path):
    """QA round 22: people under "NGƯỜI CAO TUỔI" or "Trưởng ban:" before a signed footer were the footer;
    a footer with a long "Nơi nhận" list, or after 9 people under "Tổ trưởng", gave its signer as a
    person; 13 members under "Chủ tịch" were passed over; "Long Hồ, 01/12/2026" was no date line."""
    blank = [None] * 8

    def named(name, role=None, groups=None):
        return [name, *[None] * 6, role, groups]

    def org(text):
        return [None] * 6 + [text, None, None]

    signed = [org("Vĩnh Long, ngày 01 tháng 12 năm 2026"), org("NGƯỜI LẬP BIỂU"), org("(Ký, ghi rõ họ tên)")]
    cases = [
        ([named("Hồ Văn Một"), named("NGƯỜI CAO TUỔI"), *(named(f"Lê Văn {n}", "Hội viên") for n in "BCD")], 4),
        ([named("Trưởng ban:"), named("Nguyễn Văn An", "Chủ tịch"), named("Phó trưởng ban:"), named("Trần Bình")], 2),
        ([named("Tổ trưởng"), *(named(f"Vũ Văn {n}", "Tổ viên") for n in "ABCDEFGHK")], 9),
        ([ROW, ROW, ROW], 3),
    ]
    for people, count in cases:
        rows = [*people, *signed, org("Trần Thị Ký"), ["Nơi nhận:", *blank], *(["- UBND huyện;", *blank],) * 8]
        rows.append(["Lê Văn Chủ", *blank])
        table = open_file(write_xlsx(tmp_path / "signed.xlsx", rows))
        read = [cells[0] for _n, cells in table.rows]
        assert len(read) == count and "Lê Văn Chủ" not in read, read
        assert table.footer_skipped == 14
    rows = [named("Chủ tịch"), *(named(f"Đinh Văn {n}", "Hội viên", "Hội viên") for n in range(13))]
    assert len(list(open_file(write_xlsx(tmp_path / "club.xlsx", rows)).rows)) == 13
    rows = [named("Người có uy tín"), *(named(f"Ksor {n}") for n in ("H'Hen", "Y Bih", "Nay", "Siu", "Rơ"))]
    assert len(list(open_file(write_xlsx(tmp_path / "tail.xlsx", rows)).rows)) == 5
    rows = [ROW, org("Long Hồ, 01/12/2026"), named("Trần Văn Ký")]
    table = open_file(write_xlsx(tmp_path / "date.xlsx", rows))
    assert len(list(table.rows)) == 1 and table.footer_skipped == 2


def test_footers_without_accents_signers_above_noi_nhan_and_a_total_above_the_list(tmp_path):
    """QA round 23: "Noi nhan"/"Tong cong" without accents ended nothing; a signer above "Nơi nhận" was read;
    a "Tổng số" above a name-only list lost the list; a second table's header row was read."""
    blank = [None] * 8

    def org(text, name=None):
        return [name, *[None] * 5, text, None, None]

    def names(n):
        return [[f"Nguyễn Văn {chr(65 + i)}", *blank] for i in range(n)]

    cases = [
        ([ROW, org("TM. UBND XA", "Noi nhan:"), org("CHU TICH", "- Nhu tren;"), ["- Luu: VT.", *blank]], 1, 3),
        ([*names(4), ["Tong cong: 4 nguoi", *blank], ["Nguoi lap bieu", *blank], ["Nguyen Van Lap", *blank]], 4, 3),
        (
            [*names(3), ["CHỦ TỊCH", *blank], ["Trần Văn Chủ", *blank], ["Nơi nhận:", *blank], ["- Lưu: VT.", *blank]],
            3,
            4,
        ),
        ([ROW, org("TM.UBND"), ["Trần Văn Chủ", *blank]], 1, 2),
        # QA round 38: the total typed in the CCCD column (a form whose second column it is)
        ([*names(2), [None, None, None, "Tổng cộng: 2 người", *[None] * 5], ["Người lập biểu", *blank]], 2, 2),
    ]
    for rows, read, footer in cases:
        table = open_file(write_xlsx(tmp_path / "f.xlsx", rows))
        assert (len(list(table.rows)), table.footer_skipped) == (read, footer), rows
    table = open_file(write_xlsx(tmp_path / "t.xlsx", [["Tổng số: 15 người", *blank], *names(15)]))
    assert len(list(table.rows)) == 15 and (table.passed_over, table.footer_skipped) == (1, 0)
    table = open_file(write_xlsx(tmp_path / "two.xlsx", [ROW, HEADERS, ROW]))  # a second table's header
    assert len(list(table.rows)) == 2 and table.passed_over == 1
    # No footer is a thousand rows long: the rows held back stay few, and are the list's after all
    rows = [ROW, [None] * 6 + ["Vĩnh Long, ngày 01 tháng 12 năm 2026", None, None], *[["- dòng;", *blank]] * 1500]
    table = open_file(write_xlsx(tmp_path / "long.xlsx", rows))
    assert (len(list(table.rows)), table.passed_over, table.footer_skipped) == (1501, 1, 0)


def test_four_signers_a_second_table_and_what_round_25_found_dropped(tmp_path):
    """QA round 24: four signers (one title unknown) were read as people (stop 30: three or four, each
    under its title, without the date line); a second table after a footer was lost. QA round 25: people
    under "NGƯỜI CAO TUỔI" in small letters, a name cell with a second line, and five people under "Tổng số:
    5 người" above a footer are the list's."""
    blank = [None] * 8
    date_line = ["Long Hồ, ngày 10 tháng 3 năm 2026", *blank]

    def one(text):
        return [text, *blank]

    people = [ROW, ROW, ROW]
    signers = [one(t) for t in ("NGƯỜI LẬP BIỂU", "Trần Văn Một", "THỦ QUỸ", "Lê Văn Hai", "KẾ TOÁN", "Võ Văn Ba")]
    signers += [one("THỦ TRƯỞNG ĐƠN VỊ"), one("Đỗ Văn Bốn")]
    second = [one("CHỦ TỊCH"), one("Trần Văn Chủ"), HEADERS, one("Đinh Văn Tư"), one("Bùi Thị Năm")]
    five = [one(f"Nguyễn Văn {n}") for n in ("An", "Bình", "Cường", "Dũng", "Em")]
    cases = [
        ([*people, date_line, *signers], 3, 9),
        ([*people, date_line, *second, one("Hà Văn Sáu")], 6, 0),
        ([ROW, one("NGƯỜI CAO TUỔI"), one("nguyễn văn bảy"), one("trần thị tám"), one("lê văn chín")], 4, 0),
        ([ROW, one("Nguyễn Văn Bình\nTổ trưởng tổ 5"), one("Trần Thị Hoa"), one("Lê Văn Cường")], 4, 0),
        ([one("Tổng số: 5 người"), *five, date_line, one("NGƯỜI LẬP BIỂU"), one("Trần Văn Ký")], 5, 3),
        # QA round 26: two people under colon headings were a footer's signers
        ([one("Tổ trưởng:"), one("Nguyễn Văn Hải"), one("Thành viên:"), one("Trần Thị Bích")], 2, 0),
        ([ROW, one("Trưởng ban:"), one("Nguyễn Văn Hải"), one("Thành viên:"), one("Trần Thị Bích"), date_line], 3, 1),
        # Stop 30: three or four signers one to a row, each under a title, without a date line
        ([*people, *signers[:6]], 3, 6),
        ([*people, *signers], 3, 8),
        ([*people, *signers, one("TỔNG PHỤ TRÁCH"), one("Hồ Văn Năm")], 3, 10),  # QA round 33: five signers
        ([*people, *(one(t) for t in ("Người lập biểu:", "Trần Văn Một", "Kế toán:", "Lê Văn Hai"))], 3, 4),
        ([*people, date_line, *signers, one("TỔNG PHỤ TRÁCH"), one("Hồ Văn Năm")], 3, 11),
        ([*people, *signers, one("Hồ Văn Năm")], 8, 0),  # a name under no title: a title headed people
        ([ROW, one("Tổ trưởng"), one("Nguyễn Văn Hải"), one("Trần Thị Bích"), one("Lê Văn Cường")], 4, 0),
    ]
    for rows, read, footer in cases:
        table = open_file(write_xlsx(tmp_path / "f.xlsx", rows))
        assert (len(list(table.rows)), table.footer_skipped) == (read, footer), rows


def test_titles_under_a_parents_title_in_a_csv_are_read(tmp_path):
    """QA round 67: in a CSV (no merged cells), "Họ và tên" over "Họ đệm | Tên" lost the given names, and
    "Thông tin liên hệ" over "Số điện thoại | Email" the phones and emails: the second row of titles, naming
    fewer columns than the first, was read as no one's row."""
    path = tmp_path / "hai-dong.csv"
    lines = [
        "STT,Họ và tên,,Ngày sinh,Giới tính,Chức vụ,Mã đơn vị,Thông tin liên hệ,",
        ",Họ đệm,Tên,,,,,Số điện thoại,Email",
        "1,Nguyễn Ngọc Bảo,An,05/09/1990,Nam,Kế toán,X-A,0912345678,an@example.vn",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")
    table = open_file(path)
    [(number, cells)] = list(table.rows)
    assert number == 3 and cells[0] == "Nguyễn Ngọc Bảo An"
    assert cells[4:8] == ["0912345678", "an@example.vn", "X-A", "Kế toán"] and table.passed_over == 0


def test_a_subtotal_named_alone_with_its_counts_is_not_a_person(tmp_path):
    """QA round 67: "Tổng" with its counts under "Nam | Nữ" (read as years of birth) was stored as a person."""
    rows = [["Họ và tên", "Năm sinh", None, "Ghi chú"], [None, "Nam", "Nữ", None], ["Tống Văn Hai", 1960, None, None]]
    rows += [[name, 3, 2, None] for name in ("Tổng", "Tổng toàn xã", "Trong đó nữ", "TC", "Lũy kế")]
    rows.append(["Tống Thị Ba", None, 1962, None])
    path = tmp_path / "tong.xlsx"
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    wb.save(path)
    assert [cells[0] for _n, cells in open_file(path).rows] == ["Tống Văn Hai", "Tống Thị Ba"]


@pytest.mark.parametrize("title", ["Duyệt của Ban Giám hiệu", "THAY MẶT UBND XÃ"])
def test_a_signers_title_and_name_without_a_date_line_end_the_list(tmp_path, title):
    """QA round 67: a class list's "Duyệt của Ban Giám hiệu", with the signer's name under it and no date line,
    was stored as two people. ("Ban giám hiệu", "Cán bộ phụ trách" are also a list's sections: QA round 68.)"""
    blank = [None] * 8
    table = open_file(write_xlsx(tmp_path / "ky.xlsx", [ROW, [title, *blank], ["Trần Văn Minh", *blank]]))
    assert [cells[0] for _n, cells in table.rows] == [ROW[0]] and table.footer_skipped == 2


def test_what_round_67_took_for_titles_footers_subtotals_and_none_is_read(tmp_path):
    """QA round 68, the false positives of round 67's rules: a unit column of "Ban giám hiệu" made a school's
    staff a footer; a survey's first answer "Email" took its row for a second row of titles; "Tổng Văn Hải" with
    a CCCD and a phone was passed over as a subtotal; the position "Đang làm" was read as "none"."""
    blank = [None] * 5
    staff = [["Nguyễn Văn An", *blank, "Ban giám hiệu", "Hiệu trưởng", None]]
    staff += [["Trần Thị Bình", *blank, "Tổ Toán - Tin", "Giáo viên", None], ["Lê Văn Cường", *blank, "Tổ Văn phòng"]]
    table = open_file(write_xlsx(tmp_path / "bgh.xlsx", staff))
    assert [cells[0] for _n, cells in table.rows] == ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường"]

    path = tmp_path / "form.csv"
    lines = ["Dấu thời gian,Họ và tên,Năm sinh,Số điện thoại,Bạn muốn nhận thông báo qua"]
    lines += ["05/12/2026 08:00,Huỳnh Văn Tèo,1970,0912345678,Email", "05/12/2026 08:01,Lê Thị Hai,1972,,Zalo"]
    path.write_text("\n".join(lines), encoding="utf-8")
    assert [cells[0] for _n, cells in open_file(path).rows] == ["Huỳnh Văn Tèo", "Lê Thị Hai"]
    # … while a second row of titles beside others the reader does not know is read (QA round 69)
    path = tmp_path / "phu.csv"
    lines = ["Họ và tên,Giới tính,Thông tin khác,,Thông tin liên hệ,", ",,Dân tộc,Tôn giáo,Số điện thoại,Email"]
    lines.append("Huỳnh Văn Tèo,Nam,Kinh,Không,0912345678,teo@example.vn")
    path.write_text("\n".join(lines), encoding="utf-8")
    [(number, cells)] = list(open_file(path).rows)
    assert number == 3 and cells[4:6] == ["0912345678", "teo@example.vn"]
    path = tmp_path / "dau.csv"  # "Giới tính" over marks under "Nam | Nữ" beside "Họ đệm | Tên"
    lines = ["STT,Họ và tên,,Ngày sinh,,,Giới tính,,Dân tộc", ",Họ đệm,Tên,Ngày,Tháng,Năm,Nam,Nữ,"]
    lines.append("1,Thạch Thị Sa,Vy,17,03,2011,,x,Khmer")
    path.write_text("\n".join(lines), encoding="utf-8")
    [(number, cells)] = list(open_file(path).rows)
    assert (cells[0], cells[1], cells[2]) == ("Thạch Thị Sa Vy", date(2011, 3, 17), "Nữ")
    # "Đặng Uy Vũ" is a name, "Dang uy" a heading; "Tổng nữ:" with a count under the year a subtotal
    blank = [None] * 8
    rows = [["Đặng Uy Vũ", *blank], ["Dang uy", *blank], ["Tổng nữ:", 1, *blank[1:]], ROW]
    table = open_file(write_xlsx(tmp_path / "dang.xlsx", rows))
    assert [cells[0] for _n, cells in table.rows] == ["Đặng Uy Vũ", ROW[0]]

    row = ["Tổng Văn Hải", "01/02/1980", "Nam", make_cccd(date(1980, 2, 1), "male", 1), "0912345678", *[None] * 4]
    table = open_file(write_xlsx(tmp_path / "tong.xlsx", [row, ["CAN BO CHUYEN TRACH", *[None] * 8], ROW]))
    assert [cells[0] for _n, cells in table.rows] == ["Tổng Văn Hải", ROW[0]]

    parsed = validator().parse(2, [ROW[0], None, "Nam", "Chờ cấp", "Không SD", "Chưa có email", None, "Đang làm", None])
    assert parsed.errors == [] and (parsed.cccd, parsed.phone, parsed.email, parsed.position) == (
        "",
        None,
        None,
        "Đang làm",
    )
    for said in ("Trẻ em", "Chưa đủ 14 tuổi", "Dưới 14 tuổi", "Không nhớ"):  # a child's, a number forgotten
        parsed = validator().parse(2, [ROW[0], None, "Nam", said, said, None, None, None, None])
        assert parsed.errors == [] and (parsed.cccd, parsed.phone) == ("", None), said


def test_a_communes_bodies_and_a_hamlets_kinds_of_people_are_headings(tmp_path):
    """QA round 67: a commune's officials split by body ("CÁN BỘ CHUYÊN TRÁCH", "Công an xã", "Đảng ủy") were
    stored as people; a name beginning like one is still a person."""
    blank = [None] * 8
    headings = ["CÁN BỘ CHUYÊN TRÁCH", "Công chức", "Công an xã", "Quân sự xã", "Đảng ủy", "Thường trực HĐND"]
    headings += ["Viên chức", "Đoàn thanh niên", "Hộ nghèo", "THCS"]
    rows = [row for heading in headings for row in ([heading, *blank], ROW)]
    rows += [["Công Tằng Tôn Nữ Hoa", *blank], ["Cán Văn Bộ", *blank]]  # people, alone in their rows
    table = open_file(write_xlsx(tmp_path / "khoi.xlsx", rows))
    read = [cells[0] for _n, cells in table.rows]
    assert read == [ROW[0]] * 10 + ["Công Tằng Tôn Nữ Hoa", "Cán Văn Bộ"]


def test_office_headings_a_station_heads_title_and_household_lists(tmp_path):
    """QA round 34: "Tổ Văn phòng", "Giáo viên bộ môn", "Nhân viên" became people; "TRẠM TRƯỞNG" under the
    list, in the position column, was a row without a name; "Họ và tên chủ hộ" was no name column, and
    "Chức vụ, đơn vị công tác" no position."""
    blank = [None] * 8
    rows = [
        ["Tổ Văn phòng", *blank],
        ROW,
        ["Giáo viên bộ môn", *blank],
        ["Hội Thị Lan", *blank],  # a name of a heading's word
        ["Nhân viên", *blank],
        ["Tô Văn Tổ", *blank],
        [None] * 7 + ["TRẠM TRƯỞNG", None],
        ["Nguyễn Thị Hoa", *blank],
    ]
    table = open_file(write_xlsx(tmp_path / "tram.xlsx", rows))
    assert [cells[0] for _n, cells in table.rows] == [ROW[0], "Hội Thị Lan", "Tô Văn Tổ"]
    assert (table.passed_over, table.footer_skipped) == (3, 2)
    # QA round 35: a militia's platoons and signers, "Lãnh đạo", "Nhân viên hợp đồng", "Tổ Văn - Sử", notes
    rows = [
        ["Trung đội dân quân cơ động", *blank],
        ["Tiểu đội 1", *blank],
        ROW,
        ["Lãnh đạo", *blank],
        ["Nhân viên hợp đồng", *blank],
        ["Tổ Văn - Sử", *blank],
        ["Đội Văn Hai", *blank],
        ["(Danh sách có 02 người)", *blank],
        ["* Ghi chú: Nhiệm kỳ 2025 - 2030.", *blank],
        ["CHÍNH TRỊ VIÊN", *[None] * 6, "CHỈ HUY TRƯỞNG", None],
        ["Lục Văn Khanh", *[None] * 6, "Lục Văn Lâm", None],
    ]
    table = open_file(write_xlsx(tmp_path / "dq.xlsx", rows))
    assert [cells[0] for _n, cells in table.rows] == [ROW[0], "Đội Văn Hai"]
    assert (table.passed_over, table.footer_skipped) == (7, 2)
    # QA round 36: a household's heading, notes with figures, between the list and its footer
    rows = [
        ["Hộ ông Ông Văn Tám - ấp Giao Hòa", *blank],
        ROW,
        ["Công Thị Hoa (2)", *blank],  # a name, numbered
        ["Danh sách có 10 học sinh (Nam: 4, Nữ: 6)", *blank],
        ["Bằng chữ: Hai triệu bảy trăm nghìn đồng chẵn.", *blank],
        [None] * 6 + ["Giao Long, ngày 15 tháng 9 năm 2025", None, None],
    ]
    table = open_file(write_xlsx(tmp_path / "ho.xlsx", rows))
    assert [cells[0] for _n, cells in table.rows] == [ROW[0], "Công Thị Hoa (2)"] and table.passed_over == 3
    table = open_file(
        write_xlsx(
            tmp_path / "tns.xlsx", [[1, "Lò Thị Én", "03/1985"]], headers=["STT", "Họ và tên", "Tháng, năm sinh"]
        )
    )
    validator = RowValidator(column=table.header, organisations={}, today=date(2026, 12, 7))
    (parsed,) = [validator.parse(n, cells) for n, cells in table.rows]
    assert (parsed.birth_year, parsed.date_of_birth, parsed.errors) == (1985, None, [])  # QA round 36: the year
    for raw in ("ThS. Đàm Văn Khoa", "PGS.TS. Đàm Văn Khoa", "Cn.Đàm Văn Khoa"):  # degrees before the name
        assert validator.parse(2, [raw, *[None] * 8]).full_name == "Đàm Văn Khoa"
    headers = ["STT", "Họ và tên chủ hộ", "Năm sinh", "Chức vụ, đơn vị công tác"]
    table = open_file(write_xlsx(tmp_path / "ho.xlsx", [[1, "Lò Văn Pọm", 1960, "Trưởng bản"]], headers=headers))
    assert [(cells[0], cells[1], cells[7]) for _n, cells in table.rows] == [("Lò Văn Pọm", 1960, "Trưởng bản")]
    names = ("Họ và tên hội viên", "Tên thành viên", "Họ, chữ đệm và tên khai sinh", "Họ và tên chủ hộ kinh doanh")
    for name, position in zip(names, ("Chức vụ trong Hội", "Chức danh trong Tổ", "Chức vụ", "Chức vụ"), strict=True):
        table = open_file(
            write_xlsx(
                tmp_path / "hv.xlsx", [[1, "Lò Thị Én", 1960, "Hội viên"]], headers=["STT", name, "Năm sinh", position]
            )
        )
        assert [(cells[0], cells[7]) for _n, cells in table.rows] == [("Lò Thị Én", "Hội viên")] and table.unknown == []


def test_section_headings_and_subtotals_are_passed_over_and_the_list_goes_on(tmp_path):
    """QA round 19: "I. KHỐI ĐẢNG", "Thôn Phú Hòa" became people, and a subtotal ended the list."""
    blank = [None] * 8
    person = ["Bàn Văn Sáng", None, "Nam", None, None, None, None, None, "Người dân"]  # a Dao family name
    rows = [
        ["I. KHỐI ĐẢNG", *blank],
        ROW,
        ["Thôn Phú Hòa", *blank],
        person,
        ["Cộng: 2 người", *blank],
        ["II. KHỐI ĐOÀN THỂ", *blank],
        ["Tô Văn Tổ", *blank],  # a name alone in its row: a person (the family name Tô, not "Tổ")
        ["Cộng thôn Phú Hòa: 1 người", *blank],
        ["Ấp Long Bình", *blank],
        [*person[:2], "Nam", *person[3:]],
        ["Trạm Y tế xã", *blank],  # QA round 26: offices and places split a list too
        ["Trung tâm Văn hóa - Thể thao", *blank],
        ["Vũ Văn Bộ", *blank],  # the family name Vũ, not "Vụ"
        ["Điểm trường Nà Hẩu", *blank],
    ]
    table = open_file(write_xlsx(tmp_path / "sections.xlsx", rows))
    assert [n for n, _cells in table.rows] == [3, 5, 8, 11, 14]
    assert (table.passed_over, table.passed_over_first, table.footer_skipped) == (9, (2, "I. KHỐI ĐẢNG"), 0)


@pytest.mark.parametrize(
    "footer",
    [
        [[None, "NGƯỜI TỔNG HỢP", None, None, None, None, None, "THỦ TRƯỞNG ĐƠN VỊ", None]],
        [["Tong cong: 2 nguoi", *[None] * 8], [None, "Nguoi lap bieu", None, None, None, None, "Thu truong don vi"]],
        [[None, None, None, None, None, None, None, "Vĩnh Long, ngày 10/3/2024", None]],
        [[None, "CÁN BỘ LẬP BIỂU", None, None, None, None, None, "TM UBND XÃ", None]],
        [[None, "Ký, ghi rõ họ tên", None, None, None, None, None, "Q. CHỦ TỊCH", None]],
        [[None, None, None, None, None, None, None, "PHÓ CHỦ TỊCH", None]],
        [["NGƯỜI DUYỆT", *[None] * 8]],
        [["TRƯỞNG THÔN", *[None] * 8]],  # QA round 19: titles in the name column …
        [["TL. CHỦ TỊCH", *[None] * 8], ["CHÁNH VĂN PHÒNG", *[None] * 8]],
        [["Nơi nhận:", *[None] * 6, "TM. ỦY BAN NHÂN DÂN", None], ["- Như trên;", *[None] * 8]],
        [["Ghi chú:", *[None] * 8], ["- Cột Nhóm đối tượng ghi theo mẫu", *[None] * 8]],
        [[None, "T/M UBND XÃ", None, None, None, None, None, "K/T CHỦ TỊCH", None]],  # … and beside it
        [[None, "BÍ THƯ CHI BỘ", None, None, None, None, None, "ĐẠI DIỆN ĐƠN VỊ", None]],
        [[None, None, "NGƯỜI LẬP BIỂU", None, None, None, None, None, "THỦ TRƯỞNG"], [None, None, "Lê Văn Lập"]],
        [["Người lập biểu (Ký, ghi rõ họ tên)", *[None] * 8]],  # QA round 26: the title and "(Ký …)" in one cell
        [[None, None, None, None, None, None, "Giao Long 05/12/2026", None, None]],  # … a date line without a comma
    ],
    ids=[
        "nguoi-tong-hop",
        "no-accents",
        "numeric-date",
        "can-bo-lap",
        "ky-ghi-ro",
        "pho-chu-tich",
        "title-as-name",
        "truong-thon",
        "tl-chanh-van-phong",
        "noi-nhan",
        "ghi-chu",
        "t-m-k-t",
        "bi-thu-dai-dien",
        "names-in-other-columns",
        "title-and-sign-here",
        "date-without-comma",
    ],
)
def test_the_signature_blocks_forms_use_are_a_footer(tmp_path, footer):
    """QA round 18: the signer named under these titles was imported as a person."""
    rows = [ROW, *footer, ["Nguyễn Văn Ký", *[None] * 8]]
    table = open_file(write_xlsx(tmp_path / "form.xlsx", rows))
    assert [n for n, _cells in table.rows] == [2]
    assert (table.footer_row, table.footer_skipped) == (3, len(footer) + 1)


def test_a_unit_code_merged_over_the_rows_of_its_people_is_read_in_each_row(tmp_path, excel_path):
    other = [*ROW[:6], None, *ROW[7:]]
    path = write_xlsx(tmp_path / "merged.xlsx", [ROW, other, other, [*ROW[:6], "X-B", *ROW[7:]], other, other])
    workbook = load_workbook(path)
    workbook.active.merge_cells("G2:G4")
    workbook.active.merge_cells("G5:G6")
    workbook.save(path)
    assert [cells[6] or None for _n, cells in open_file(path).rows] == ["X-A"] * 3 + ["X-B"] * 2 + [None]


def test_hidden_and_filtered_out_rows_are_known(tmp_path, excel_path):
    path = write_xlsx(tmp_path / "hidden.xlsx", [ROW] * 4)
    workbook = load_workbook(path)
    workbook.active.row_dimensions[3].hidden = True  # hidden, or filtered out: Excel writes the same
    workbook.save(path)
    table = open_file(path)
    assert [number for number, _cells in table.rows] == [2, 3, 4, 5]  # read, and counted
    assert (table.hidden_rows, table.hidden_read) == ({3}, 1)


def test_the_list_is_read_from_the_first_sheet_that_has_one_and_the_others_are_named(tmp_path, excel_path):
    path = write_xlsx(tmp_path / "sheets.xlsx", [])  # the first sheet: the template's header only
    workbook = load_workbook(path)
    workbook.active.title = "Mẫu"
    second = workbook.create_sheet("Danh sách")
    second.append(HEADERS)
    second.append(ROW)
    workbook.create_sheet("Ghi chú").append(["Nộp trước 15/12"])
    workbook.save(path)
    table = open_file(path)
    assert (table.sheet, table.other_sheets) == ("Danh sách", ["Mẫu", "Ghi chú"])
    assert [cells for _n, cells in table.rows] == [ROW]


def test_a_birth_date_split_into_nam_and_nu_columns_gives_the_date_and_the_sex(tmp_path):
    """The official form's layout: "Ngày, tháng, năm sinh" over two columns, "Nam" | "Nữ" under it."""
    headers = ["STT", "Họ và tên", "Ngày, tháng, năm sinh", None, "Số CCCD", "Mã đơn vị"]
    rows = [
        [None, None, "Nam", "Nữ", None, None],
        ["(1)", "(2)", "(3)", "(4)", "(5)", "(6)"],
        [1, "Nguyễn Văn An", "02/03/1985", None, "086085001234", "X-A"],
        [2, "Trần Thị Bình", None, "04/05/1990", None, "X-A"],
    ]
    table = open_file(write_xlsx(tmp_path / "namnu.xlsx", rows, headers=headers))
    read = [(cells[0], cells[1], cells[2]) for _n, cells in table.rows]
    assert read == [("Nguyễn Văn An", "02/03/1985", "Nam"), ("Trần Thị Bình", "04/05/1990", "Nữ")]
    assert table.unknown == []


def test_sex_marked_under_nam_or_nu_and_a_birth_date_in_day_month_year_columns(tmp_path, excel_path):
    """QA round 32: school lists mark the sex with an "x" under "Nam" or "Nữ", and some split the birth date
    into "Ngày" | "Tháng" | "Năm"; the columns were reported unknown and the rows read without sex or date.
    In the header row, or under "Giới tính" and "Ngày sinh" (a header of two rows)."""
    headers = ["STT", "Họ và tên", "Ngày", "Tháng", "Năm", "Nam", "Nữ", "Số CCCD", "Ghi chú"]
    rows = [
        [1, "Nguyễn Văn An", 2, 3, 1985, "x", None, "086085001234", None],
        [2, "Trần Thị Bình", "04", "05.0", "1990", 0, "✓", None, None],  # 0: no mark
        [3, "Lê Văn Cường", None, 7, 1975, "x", 1, None, None],  # both marked; no day: the year alone
        [4, "Phạm Thị Dung", 31, 2, 1990, None, "x", None, None],  # no such day: as text, refused
        [5, "Võ Văn Em", 7, 8, 13, "X", None, None, None],  # a two-digit year, refused as such
    ]
    expected = [
        ("Nguyễn Văn An", date(1985, 3, 2), "Nam"),
        ("Trần Thị Bình", date(1990, 5, 4), "Nữ"),
        ("Lê Văn Cường", 1975, reading.BOTH_SEX_MARKS),
        ("Phạm Thị Dung", "31/02/1990", "Nữ"),
        ("Võ Văn Em", "07/08/13", "Nam"),
    ]
    table = open_file(write_xlsx(tmp_path / "marks.xlsx", rows, headers=headers))
    assert [(cells[0], cells[1], cells[2]) for _n, cells in table.rows] == expected
    titles = (table.header("date_of_birth"), table.header("sex"))
    assert (table.unknown, titles) == (["Ghi chú"], ("Ngày, Tháng, Năm", "Nam, Nữ"))
    headers = ["STT", "Họ và tên", "Ngày sinh", None, None, "Giới tính", None, "Số CCCD", "Ghi chú"]
    sub = [None, None, "Ngày", "Tháng", "Năm", "Nam", "Nữ", None, None]
    table = open_file(write_xlsx(tmp_path / "two.xlsx", [sub, *rows], headers=headers))
    assert [(cells[0], cells[1], cells[2]) for _n, cells in table.rows] == expected
    assert table.header("sex") == "Giới tính (Nam, Nữ)"
    validator = RowValidator(column=table.header, organisations={}, today=date(2026, 12, 7))
    parsed = [validator.parse(n, cells) for n, cells in open_file(tmp_path / "marks.xlsx").rows]
    assert [bool(p.errors) for p in parsed] == [False, False, True, True, True]
    assert (parsed[0].sex, parsed[0].date_of_birth, parsed[1].sex) == ("male", date(1985, 3, 2), "female")
    # A part that is no number keeps all three for the error workbook; a footer's text alone is itself
    assert reading._date_of_parts(3.0, "Năm", 2013.0) == "3/Năm/2013"
    assert reading._date_of_parts(None, "Hiệu trưởng", None) == "Hiệu trưởng"
    with translation.override("vi"):
        assert str(validation_module.ERR_SEX_BOTH) in parsed[2].errors[0][1]
        assert "07/08/2013" in parsed[4].errors[0][1]  # the short year's message, with its example


def test_the_head_of_household_s_name_and_another_register_s_code_give_way_to_the_person_s_own(tmp_path):
    """QA round 42: a commune's list of residents read every member as "Họ và tên chủ hộ" (its head), and a
    school's list from the education database read its "Mã định danh" (that register's code, 10 digits) as
    the CCCD and ignored "Số CCCD"; whichever comes first. Alone, each is still read (QA round 34)."""
    headers = ["STT", "Họ và tên chủ hộ", "Họ và tên", "Quan hệ với chủ hộ", "Mã định danh", "Số CCCD"]
    row = [1, "Lê Văn Bảy", "Nguyễn Thị Tư", "Vợ", 8607010001, "086172002002"]
    for order in ([0, 1, 2, 3, 4, 5], [0, 2, 1, 3, 5, 4]):
        table = open_file(
            write_xlsx(tmp_path / "h.xlsx", [[row[i] for i in order]], headers=[headers[i] for i in order])
        )
        assert (table.header("full_name"), table.header("cccd")) == ("Họ và tên", "Số CCCD")
        assert sorted(table.unknown) == ["Mã định danh", "Quan hệ với chủ hộ"]  # the head's: read where needed
        cells = list(table.rows)[0][1]
        assert (cells[0], cells[3]) == ("Nguyễn Thị Tư", "086172002002")
    # A cadre's list gives the post in "Chức vụ chính quyền" beside "Chức vụ Đảng" (QA round 43)
    table = open_file(
        write_xlsx(
            tmp_path / "c.xlsx",
            [["An", "Bí thư", "Chủ tịch"]],
            headers=["Họ và tên", "Chức vụ Đảng", "Chức vụ chính quyền"],
        )
    )
    assert (table.header("position"), table.unknown) == ("Chức vụ chính quyền", ["Chức vụ Đảng"])
    table = open_file(write_xlsx(tmp_path / "a.xlsx", [["Lê Văn Bảy", "086070002001"]], headers=headers[1:5:3]))
    assert (table.header("full_name"), table.header("cccd")) == ("Họ và tên chủ hộ", "Mã định danh")
    # The head's own row may name them in their column only (QA round 43: the heads were refused, nameless);
    # a heading row of the household, with nothing of a person's, stays no one's
    rows = [
        ["Hộ Lê Văn Bảy", None, None, None],
        ["Lê Văn Bảy", None, "Chủ hộ", "086070002001"],
        ["Lê Văn Bảy", "Nguyễn Thị Tư", "Vợ", "086172002002"],
    ]
    headers = ["Họ và tên chủ hộ", "Họ và tên thành viên", "Quan hệ với chủ hộ", "Số CCCD"]
    table = open_file(write_xlsx(tmp_path / "h2.xlsx", rows, headers=headers))
    assert [(cells[0], cells[3]) for _n, cells in table.rows] == [
        ("Lê Văn Bảy", "086070002001"),
        ("Nguyễn Thị Tư", "086172002002"),
    ]
    assert table.unknown == ["Quan hệ với chủ hộ"]


def test_a_day_and_month_column_beside_a_year_of_birth_gives_the_date(tmp_path):
    """QA round 36: "Ngày, tháng sinh" ("12/03") beside "Năm sinh" (1985) was reported unknown and the rows
    kept the year alone. The two make the date: typed as text, as a number with two decimals, or turned
    into a date by the spreadsheet (its year is the typing's); a missing day and month leave the year."""
    headers = ["STT", "Họ và tên", "Ngày, tháng sinh", "Năm sinh", "Giới tính"]
    rows = [
        [1, "Nguyễn Văn An", "12/03", 1985, "Nam"],
        [2, "Trần Thị Bình", 4.05, "1990", "Nữ"],
        [3, "Lê Văn Cường", date(2026, 8, 7), 1975, "Nam"],
        [4, "Phạm Thị Dung", None, 1991, "Nữ"],
        [5, "Võ Văn Em", "31/02", 1990, "Nam"],
        [6, "Đỗ Thị Giang", "12/03/1987", 1987.0, "Nữ"],  # the whole date (QA round 38)
        [7, "Hồ Văn Hải", "12/03/87", 1987, "Nam"],  # its short year, the other column's
        [8, "Mai Thị Hạnh", "12/03/1987", 1988, "Nữ"],  # a year that differs: refused, saying so
        [9, "Mai Văn Hùng", "12/03/1987", 87, "Nam"],  # the year by its last two digits (QA round 43)
        [10, "Mai Thị Hoa", "12/03/2005", "05", "Nữ"],
        [11, "Mai Văn Hải", date(1987, 3, 12), 1988, "Nam"],  # a date cell of a birth year (QA round 43)
    ]
    table = open_file(write_xlsx(tmp_path / "dm.xlsx", rows, headers=headers))
    born = (cells[1] for _n, cells in table.rows)
    assert [value.date() if isinstance(value, datetime) else value for value in born] == [
        date(1985, 3, 12),
        date(1990, 5, 4),
        date(1975, 8, 7),
        1991,
        "31/02/1990",
        "12/03/1987",
        "12/03/1987",
        "12/03/1987",
        "12/03/1987",
        "12/03/2005",
        date(1987, 3, 12),
    ]
    values = {"value": "12/03/1987", "year": 1988}
    refused = ("date_of_birth", reading.ERR_BIRTH_YEARS_DIFFER, values)
    assert table.cell_errors == {9: refused, 12: refused}
    assert (table.unknown, table.header("date_of_birth")) == ([], "Ngày, tháng sinh, Năm sinh")
    # Without a year, or beside a whole date, the day and month are no date: reported, not read
    for extra in (["Giới tính"], ["Ngày sinh"]):
        table = open_file(write_xlsx(tmp_path / "x.xlsx", [[1, "An", "12/03", None]], headers=headers[:3] + extra))
        assert table.unknown == ["Ngày, tháng sinh"]
        assert [cells[1] or None for _n, cells in table.rows] == [None]


@pytest.mark.parametrize("layout", ["under", "one cell"])
def test_women_marked_under_trong_do_nu(tmp_path, layout):
    """QA round 36: a count's list marks its women under "Trong đó" | "Nữ" (or "Trong đó nữ"); the column
    was unknown and no one had a sex."""
    rows = [[1, "Nguyễn Văn An", 1985, None], [2, "Trần Thị Bình", 1990, "x"], [3, "Lý Văn Cao", 1980, "Nam"]]
    if layout == "under":
        headers = ["STT", "Họ và tên", "Năm sinh", "Trong đó"]
        rows.insert(0, [None, None, None, "Nữ"])
    else:
        headers = ["STT", "Họ và tên", "Năm sinh", "Trong đó nữ"]
    table = open_file(write_xlsx(tmp_path / "nu.xlsx", rows, headers=headers))
    read = [(cells[0], cells[1], cells[2]) for _n, cells in table.rows]
    assert read == [("Nguyễn Văn An", 1985, None), ("Trần Thị Bình", 1990, "Nữ"), ("Lý Văn Cao", 1980, "Nam")]
    assert table.unknown == [] and [title for _i, title in table.extra_columns] == ["STT"]
    assert table.header("sex") == ("Trong đó (Nữ)" if layout == "under" else "Trong đó nữ")


def test_a_school_list_with_ngay_thang_nam_nu_and_its_footer_over_those_columns(tmp_path):
    """QA round 33: "Năm" beside "Nữ" was taken for the "Nam" column (the same word without accents), so
    every girl was marked twice; a footer's titles and names over the mark and date columns became people
    ("Hiệu trưởng" as a mark, "Giáo viên chủ nhiệm" as a date), and "Nữ: 1" of a total was a girl."""
    headers = ["STT", "Họ và tên", "Ngày", "Tháng", "Năm", "Nữ", "Dân tộc"]
    rows = [
        [1, "Nguyễn Văn An", 2, 3, 2013, None, "Kinh"],
        [2, "Trần Thị Bình", 4, 5, 2013, "x", "Kinh"],
        [None, "Tổng số học sinh: 2", None, None, None, "Nữ: 1", None],
        [None, None, None, None, "Giao Long, ngày 05 tháng 9 năm 2026", None, None],
        [None, "Giáo viên chủ nhiệm", None, None, None, "Hiệu trưởng", None],
        [None, "Nguyễn Thị Hoa", None, None, None, "Trần Văn Bình", None],
    ]
    table = open_file(write_xlsx(tmp_path / "lop.xlsx", rows, headers=headers))
    read = [(cells[0], cells[1], cells[2]) for _n, cells in table.rows]
    assert read == [("Nguyễn Văn An", date(2013, 3, 2), None), ("Trần Thị Bình", date(2013, 5, 4), "Nữ")]
    assert (table.unknown, table.footer_row, table.footer_skipped) == (["Dân tộc"], 4, 4)
    # QA round 34: the usual ticks ("√", a Wingdings "ü" without its font, "☒", "o") are marks; "0", "-" not
    rows = [[n, f"Học Sinh {n}", 1, 1, 2013, mark, None] for n, mark in enumerate(["√", "ü", "☒", "o", "0", "-"], 1)]
    table = open_file(write_xlsx(tmp_path / "ticks.xlsx", rows, headers=headers))
    assert [cells[2] for _n, cells in table.rows] == ["Nữ", "Nữ", "Nữ", "Nữ", None, None]
    # A flat "Nam" | "Nữ" pair holding the year or the date of birth: the birth, in the column of the sex
    flat = ["STT", "Họ và tên", "Nam", "Nữ", "Chức vụ"]
    rows = [[1, "Hồ Văn Một", 1950, None, "Tổ viên"], [2, "Lê Thị Hai", None, "05/06/1962", None]]
    table = open_file(write_xlsx(tmp_path / "flat.xlsx", rows, headers=flat))
    assert [(cells[1], cells[2]) for _n, cells in table.rows] == [(1950, "Nam"), ("05/06/1962", "Nữ")]
    # A total's counts under "Năm sinh" over "Nam" | "Nữ" (two rows of header) are no years (QA round 35)
    two = [["STT", "Họ và tên", "Năm sinh", None, "Chức vụ"], [None, None, "Nam", "Nữ", None]]
    rows = [[1, "Hồ Văn Một", 1950, None, "Tổ viên"], [None, "Tổng cộng: 1 người", 1, 0, None]]
    table = open_file(write_xlsx(tmp_path / "two.xlsx", two[1:] + rows, headers=two[0]))
    assert [(cells[0], cells[1], cells[2]) for _n, cells in table.rows] == [("Hồ Văn Một", 1950, "Nam")]
    # The class teacher alone, without a date line: a signer too
    rows = [
        [1, "Lê Văn Cường", 1, 1, 2013, None, None],
        [None, "GVCN", *[None] * 5],
        [None, "Nguyễn Thị Hoa", *[None] * 5],
    ]
    table = open_file(write_xlsx(tmp_path / "gvcn.xlsx", rows, headers=headers))
    assert [cells[0] for _n, cells in table.rows] == ["Lê Văn Cường"] and table.footer_skipped == 2


@pytest.mark.parametrize("huge", [False, True])
def test_a_workbook_in_the_1904_date_system_gives_the_dates_excel_shows(tmp_path, monkeypatch, huge):
    """Old Mac workbooks count dates from 1904: a date typed as a number (a column that lost its date
    format) is 1,462 days later than in the usual 1900 system; a date cell is converted by the reader."""
    from openpyxl import Workbook
    from openpyxl.utils.datetime import CALENDAR_MAC_1904

    if huge:  # the openpyxl path of very large sheets
        monkeypatch.setattr(reading, "CALAMINE_MAX_SHEET_BYTES", 0)
    workbook = Workbook()
    workbook.epoch = CALENDAR_MAC_1904
    sheet = workbook.active
    sheet.append(HEADERS)
    sheet.append([ROW[0], date(1985, 3, 2), *ROW[2:]])
    sheet.append([ROW[0], 29646, *ROW[2:]])  # 02/03/1985 in the 1904 system (31108 in the 1900 one)
    workbook.save(tmp_path / "mac.xlsx")
    table = open_file(tmp_path / "mac.xlsx")
    assert table.date1904
    check = RowValidator(column=table.header, organisations={"X-A": 1}, date1904=table.date1904)
    rows = [check.parse(number, cells) for number, cells in table.rows]
    assert [r.date_of_birth for r in rows] == [date(1985, 3, 2)] * 2, [r.errors for r in rows]
    assert not open_file(write_xlsx(tmp_path / "usual.xlsx", [ROW], headers=HEADERS)).date1904


def test_a_formula_saved_without_its_result_rejects_its_cell(tmp_path, excel_path):
    """Programs (openpyxl among them) save formulas without the result Excel would store beside them;
    python-calamine reads such a cell as empty, which would drop the value silently."""
    path = write_xlsx(tmp_path / "f.xlsx", [ROW, ROW])
    workbook = load_workbook(path)
    workbook.active["B2"] = "=DATE(1985,3,2)"
    workbook.active["D3"] = '=TEXT(A1,"0")'
    workbook.save(path)
    path = cache_formula_values(path, {"B2": "31108"})  # the first formula has its result, the second not
    rows = list(open_file(path).rows)
    first, second = (validator().parse(number, cells) for number, cells in rows)
    assert first.ok and first.date_of_birth == date(1985, 3, 2)
    assert [name for name, _m in second.errors] == ["cccd"]


def test_a_short_list_above_thousands_of_empty_rows_is_read(tmp_path):
    """Excel saves a large used range as empty lines (,,,,); the header search once recounted every row
    read so far for each new one, which took 47 s for 10,000 such lines and days for a sheet's last row."""
    path = tmp_path / "tail.csv"
    path.write_text("\n".join([",".join(HEADERS), ",".join(ROW), *([",,,,,,,,"] * 20000), ",".join(ROW)]))
    table = open_file(path)
    assert [number for number, _cells in table.rows] == [2, 20003]


def test_the_header_is_looked_for_in_the_first_thousand_rows_only(tmp_path):
    path = tmp_path / "deep.csv"
    path.write_text("\n".join([*([",,,"] * reading.HEADER_SCAN_MAX_ROWS), ",".join(HEADERS), ",".join(ROW)]))
    with pytest.raises(reading.ReadError):
        open_file(path)


def test_a_large_csv_estimates_its_rows_for_the_progress_bar(tmp_path):
    path = tmp_path / "big.csv"
    row = ",".join(ROW)
    path.write_text("\n".join([",".join(HEADERS), *(row.replace("Văn", f"Văn {i}") for i in range(5000))]) + "\n")
    assert path.stat().st_size > 5 * 64 * 1024
    assert 4750 <= open_file(path).total <= 5250


def test_excel_unicode_text_in_utf16_is_read(tmp_path):
    """Excel's "Unicode Text" (tab-separated UTF-16 with its BOM), saved as .csv."""
    path = tmp_path / "p.csv"
    path.write_bytes(("\t".join(HEADERS) + "\r\n" + "\t".join(ROW) + "\r\n").encode("utf-16"))
    table = open_file(path)
    assert (table.total, list(table.rows)) == (1, [(2, ROW)])


def test_csv_not_in_utf8_is_a_clear_error(tmp_path):
    path = tmp_path / "p.csv"
    path.write_bytes(";".join(HEADERS).encode("cp1258", errors="replace") + b"\r\n\xc3\xa0\xff\r\n")
    with pytest.raises(reading.ReadError) as exc:
        open_file(path)
    assert "UTF-8" in exc.value.text()


def test_unsupported_file_type(tmp_path):
    path = tmp_path / "p.pdf"
    path.write_bytes(b"%PDF")
    with pytest.raises(reading.ReadError):
        open_file(path)


@pytest.mark.parametrize("streamed", [False, True], ids=["python-calamine", "openpyxl"])
@pytest.mark.parametrize("damage", ["not a zip", "cut short", "password"])
def test_a_damaged_workbook_is_a_clear_error(tmp_path, monkeypatch, damage, streamed):
    whole = write_xlsx(tmp_path / "whole.xlsx", [ROW]).read_bytes()
    content = {
        "not a zip": b"%PDF-1.7 this is not a workbook",
        "cut short": whole[: len(whole) // 2],
        # Excel saves a password-protected workbook as an OLE compound file, not a zip.
        "password": bytes.fromhex("d0cf11e0a1b11ae1") + bytes(504),
    }[damage]
    path = tmp_path / "damaged.xlsx"
    path.write_bytes(content)
    if streamed:  # even a file that is no zip at all goes to openpyxl
        monkeypatch.setattr(reading, "CALAMINE_MAX_SHEET_BYTES", -1)
    with translation.override("vi"), pytest.raises(reading.ReadError) as exc:
        open_file(path)
    assert exc.value.text().startswith("Không đọc được tệp Excel")
    assert "Error" not in exc.value.text()  # no exception class names for the user


@pytest.mark.parametrize("suffix", [".xls", ".xlsx"])
def test_a_web_page_or_a_csv_file_with_an_excel_name_is_named_for_what_it_is(tmp_path, suffix):
    """QA round 17: management software exports "Excel" lists as HTML tables named .xls; a CSV file gets
    renamed. Both were "damaged or protected by a password"."""
    page = tmp_path / f"page{suffix}"
    page.write_bytes("\ufeff<html><head><meta charset=utf-8></head><body><table><tr><td>Họ và tên</td>".encode())
    text = tmp_path / f"list{suffix}"
    text.write_bytes(("Họ và tên;Ngày sinh\r\n" + "Nguyễn Văn An;01/01/1990\r\n" * 80).encode())
    files = {
        page: reading.ERR_WEB_PAGE,
        text: reading.ERR_TEXT_AS_EXCEL,
        # QA round 18: other pages, Excel 2003's XML list, "Unicode Text", an empty file
        tmp_path / f"xml-page{suffix}": (b'<?xml version="1.0"?>\n<html><body><table>', reading.ERR_WEB_PAGE),
        tmp_path / f"comment{suffix}": (b"<!-- exported -->\n<div><table>", reading.ERR_WEB_PAGE),
        tmp_path / f"xml2003{suffix}": (
            b'<?xml version="1.0"?>\n<?mso-application progid="Excel.Sheet"?>\n<Workbook>',
            reading.ERR_XML_SPREADSHEET,
        ),
        tmp_path / f"utf16{suffix}": ("\ufeffHọ và tên\tNgày sinh\r\n".encode("utf-16-le"), reading.ERR_TEXT_AS_EXCEL),
        tmp_path / f"empty{suffix}": (b"", reading.ERR_EMPTY_FILE),
        # QA round 19: a web archive, a UTF-16 page, an XML list's mark after its first kilobyte, a
        # one-column list, a list in the Windows Vietnamese code page
        tmp_path / f"archive{suffix}": (b"MIME-Version: 1.0\r\nContent-Type: multipart/related;", reading.ERR_WEB_PAGE),
        tmp_path / f"utf16-page{suffix}": ("\ufeff<html><table>".encode("utf-16-le"), reading.ERR_WEB_PAGE),
        tmp_path / f"late-xml{suffix}": (
            b'<?xml version="1.0"?>\n<!--' + b" " * 1500 + b'-->\n<?mso-application progid="Excel.Sheet"?>',
            reading.ERR_XML_SPREADSHEET,
        ),
        tmp_path / f"one-column{suffix}": ("Họ và tên\r\nNguyễn Văn An\r\n".encode(), reading.ERR_TEXT_AS_EXCEL),
        tmp_path / f"cp1258{suffix}": (
            "Ho va ten;Ngay sinh\r\nĐinh Văn Đô;1990\r\n".encode("cp1258"),
            reading.ERR_TEXT_AS_EXCEL,
        ),
    }
    for path, expected in files.items():
        if isinstance(expected, tuple):
            content, expected = expected
            path.write_bytes(content)
        with pytest.raises(reading.ReadError) as exc:
            open_file(path)
        assert exc.value.message == expected, path.name


def test_formula_cells_give_their_cached_values(tmp_path, excel_path):
    path = write_xlsx(tmp_path / "f.xlsx", [["Nguyễn Văn An", None, None, '="0"&"86085001234"']])
    cache_formula_values(path, {"D2": "086085001234"})
    assert list(open_file(path).rows)[0][1][3] == "086085001234"


@pytest.mark.parametrize(
    "value,expected",
    [
        (datetime(1985, 3, 2), date(1985, 3, 2)),
        (date(1985, 3, 2), date(1985, 3, 2)),
        (31108, date(1985, 3, 2)),  # an Excel serial number
        (31108.0, date(1985, 3, 2)),
        ("31108", date(1985, 3, 2)),  # a serial number stored as text
        ("02/03/1985", date(1985, 3, 2)),
        ("2/3/1985", date(1985, 3, 2)),
        ("02-03-1985", date(1985, 3, 2)),
        ("02.03.1985", date(1985, 3, 2)),
        ("1985-03-02", date(1985, 3, 2)),
        ("1985-03-02 00:00:00", date(1985, 3, 2)),
        (" 02/03/1985 ", date(1985, 3, 2)),
    ],
)
def test_dates_in_every_form_offices_write_them(value, expected):
    assert parse_date(value) == expected


@pytest.mark.parametrize("value", ["31/02/1990", "1985", "03/1985", "hôm qua", True, 12, "2/3/85"])
def test_not_dates(value):
    with pytest.raises((ValueError, OverflowError)):
        parse_date(value)


def test_cell_text_drops_the_float_of_numbers_stored_as_numbers():
    assert cell_text(86085001234.0) == "86085001234"
    assert cell_text("  0912 345 678 ") == "0912 345 678"


def validator():
    return RowValidator(
        column=lambda name, _row: dict(zip(reading.FIELDS, HEADERS, strict=True))[name],
        organisations={"X-A": 1, "X-B": 2},
        today=date(2026, 11, 25),
    )


def test_a_dash_or_khong_co_in_an_optional_cell_is_an_empty_cell():
    """QA round 19: "-" and "Không có" for "none" rejected the row as a bad phone, CCCD or date."""
    row = validator().parse(2, [ROW[0], "-", "Nam", "Không có.", "KHÔNG", "ko có", None, "-", "chưa rõ"])
    assert row.errors == [] and (row.cccd, row.phone, row.email, row.position, row.groups) == (
        "",
        None,
        None,
        None,
        None,
    )
    assert row.date_of_birth is None


@pytest.mark.parametrize(
    ("cccd", "phone"),
    [("Chưa có CCCD", "Không có SĐT"), ("Chưa làm", "không sử dụng"), ("Mất CCCD", "Chưa có ĐT"), ("Đang làm", "-")],
)
def test_a_cell_saying_what_is_not_there_is_an_empty_cell(cccd, phone):
    """QA round 67: hamlet lists of the elderly and of children say "Chưa có CCCD", "Đang làm", "Không có SĐT":
    every such row was refused as a bad number."""
    row = validator().parse(2, [ROW[0], None, "Nam", cccd, phone, None, None, None, None])
    assert row.errors == [] and (row.cccd, row.phone) == ("", None)
    assert validator().parse(2, [ROW[0], None, "Nam", "Đăng", None, None, None, None, None]).errors  # not "none"


def test_a_workbook_named_csv_is_read_as_a_workbook(tmp_path):
    """QA round 27: it was refused as "a CSV file not in UTF-8"."""
    path = tmp_path / "danh-sach.csv"
    path.write_bytes(write_xlsx(tmp_path / "book.xlsx", [ROW]).read_bytes())
    assert [cells for _n, cells in open_file(path).rows] == [ROW]


def test_a_unit_code_is_matched_in_any_case_and_an_unknown_one_is_quoted_as_typed():
    """QA round 27: "UBND xã Giao Long" came back as “UBND XÃ GIAO LONG”."""
    assert validator().parse(2, [*ROW[:6], " x-b ", *ROW[7:]]).organisation_id == 2
    with translation.override("vi"):
        row = validator().parse(2, [*ROW[:6], "UBND xã Giao Long", *ROW[7:]])
        assert [message for _field, message in row.errors] == [
            "Dòng 2, cột “Mã đơn vị”: Mã đơn vị “UBND xã Giao Long” không tồn tại hoặc thuộc đơn vị nằm ngoài phạm vi "
            "lượt nhập này: hãy điền mã trong danh sách của tệp mẫu (hoặc tên đầy đủ của đơn vị)."
        ]


def test_the_order_of_day_and_month_is_taken_from_what_the_dates_show():
    from kynangso.people.imports.validation import BOTH_ORDERS, DAY_FIRST, MONTH_FIRST, date_order

    assert date_order(["07/25/1994", "04/02/2003", "12/13/1990 0:00", None]) == (MONTH_FIRST, False)
    # A spreadsheet set to day first opened a month-first list: the ambiguous dates became date cells the
    # wrong way round, the others stayed text (QA rounds 29, 30) …
    swapped = [date(1991, 4, 3), date(1980, 6, 5), date(1975, 2, 1), date(1988, 7, 4), date(1970, 3, 2)]
    us = ["07/25/1994", "12/13/1990", "11/28/1985", "02/14/1979", "10/30/1992", "06/19/1983"]
    assert date_order([*us, *swapped]) == (MONTH_FIRST, True)
    assert date_order([*us, *swapped, date(1990, 1, 25)]) == (MONTH_FIRST, False)  # … not with a day above 12
    assert date_order([*us, *swapped, "03/04/1991"]) == (MONTH_FIRST, False)  # … nor an ambiguous text date
    assert date_order([*us, *swapped[:4]]) == (MONTH_FIRST, False)  # … nor four cells: one in a hundred by chance
    vi = ["25/07/1994", "13/12/1990", "28/11/1985", "14/02/1979", "30/10/1992", "19/06/1983"]
    assert date_order([*vi, *swapped]) == (DAY_FIRST, True)  # … and the other way round
    # Evidence is a date valid in one order only; slips in a day-first list, or among date cells, stay slips
    # (QA round 31: two made a list month first, or both orders, and its good dates were swapped or refused).
    assert date_order(["31/02/1990", *swapped]) == ("", False)
    assert date_order(["19/13/1984", "25/07/1994", "03/04/1991"]) == (DAY_FIRST, False)
    slips = ["05/13/1990", "07/14/1985"]
    assert date_order([*slips, *[date(1990, 1, day) for day in range(1, 31)]]) == (DAY_FIRST, False)
    assert date_order([*slips, "05/03/1985", "12/11/1990", "01/02/1975", "04/07/1988", "09/11/1992", "03/04/1979"]) == (
        DAY_FIRST,
        False,
    )
    assert date_order(["25/12/1990", "14/07/1988", "18/06/2000", "05/13/1990", "05/03/1985"]) == (DAY_FIRST, False)
    assert date_order(["04/02/2003", "03/04/1991", "1994-07-25", 34000, ""]) == ("", False)  # nothing tells
    assert date_order(["25/07/1994", "07/26/1994", "03/04/1991"]) == (DAY_FIRST, False)  # one against one: a slip
    assert date_order(["25/07/1994", "13/02/1990", "07/26/1994", "02/13/1990", "03/04/1991"]) == (BOTH_ORDERS, False)
    assert date_order([*["25/07/1994"] * 11, "07/26/1994"]) == (DAY_FIRST, False)
    assert date_order(["07/25/1994 12:00:00 AM", "7/26/1994 1:30 PM", "11/28/1985 0:00"]) == (MONTH_FIRST, False)
    check = validator()
    row = check.parse(2, [ROW[0], "7/25/1994 12:00:00 AM", *ROW[2:3], None, *ROW[4:]])  # no order known: as shown
    assert row.ok and row.date_of_birth == date(1994, 7, 25)
    row = check.parse(2, [ROW[0], "'05/03/1985", *ROW[2:3], None, *ROW[4:]])  # QA round 31: the apostrophe
    assert row.ok and row.date_of_birth == date(1985, 3, 5)
    for order in ("", BOTH_ORDERS):  # the day and month unknown, written as zeros: the year alone (QA round 30)
        check.order = order
        row = check.parse(2, [ROW[0], "00/00/1960", *ROW[2:3], None, *ROW[4:]])
        assert row.ok and (row.date_of_birth, row.birth_year) == (None, 1960)
    check.order = DAY_FIRST
    with translation.override("vi"):  # LibreOffice's own error code; a month-first file's advice; AM/PM
        row = check.parse(2, [ROW[0], "7/25/1994 12:00:00 AM", *ROW[2:7], "Err:502", None])
        assert row.date_of_birth is None and sorted(f for f, _m in row.errors) == ["date_of_birth", "position"]
        check.order = MONTH_FIRST
        row = check.parse(2, [ROW[0], "7/25/1994 12:00:00 AM", *ROW[2:3], None, *ROW[4:]])
        assert row.ok and row.date_of_birth == date(1994, 7, 25)
        row = check.parse(2, [ROW[0], "ngày 5", *ROW[2:3], None, *ROW[4:]])
        assert row.errors[0][1].endswith(str(validation_module.ERR_DATE_MONTH_FIRST))
    row = check.parse(2, [ROW[0], "04/02/2003", *ROW[2:3], None, *ROW[4:]])
    assert row.ok and row.date_of_birth == date(2003, 4, 2)


def test_a_clean_row():
    row = validator().parse(7, list(ROW))
    assert row.ok, row.errors
    assert (
        row.full_name,
        row.date_of_birth,
        row.sex,
        row.cccd,
        row.phone,
        row.email,
        row.organisation_id,
        row.position,
        row.groups,
    ) == (
        "Nguyễn Văn An",
        date(1985, 3, 2),
        "male",
        "086085001234",
        "0912345678",
        "an@example.vn",
        1,
        "Chuyên viên",
        ("official",),
    )


def test_spreadsheet_quirks_are_cleaned():
    nfd = unicodedata.normalize("NFD", "  Nguyễn   Thị  Ánh ")
    cells = [
        nfd,
        31108.0,
        " nữ ",
        86190001234.0,
        "+84 912.345-678",
        " AN@Example.VN ",
        "x-a",
        " Kế toán ",
        "nguoi dan; CAN BO, CONG CHUC, VIEN CHUC ;",
    ]
    cells[3] = float(make_cccd(date(1985, 3, 2), "female", 1234))  # the leading zero is lost
    row = validator().parse(3, cells)
    assert row.ok, row.errors
    assert row.full_name == unicodedata.normalize("NFC", "Nguyễn Thị Ánh")
    assert row.cccd == "086185001234" and row.phone == "0912345678" and row.email == "an@example.vn"
    assert row.organisation_id == 1 and row.position == "Kế toán" and row.groups == ("citizen", "official")


@pytest.mark.parametrize(
    ("typed", "groups"),
    [
        ("Lãnh đạo, Người dân", ("citizen", "leader")),  # commas instead of ";"
        ("Cán bộ, công chức, viên chức, Người dân", ("citizen", "official")),  # a name with commas, then another
        ("Cán bộ, công chức, viên chức", ("official",)),
        ("lanh dao , nguoi dan ; hoc sinh", ("citizen", "leader", "student")),
    ],
)
def test_target_groups_separated_by_commas_are_read(typed, groups):
    cells = list(ROW)
    cells[8] = typed
    row = validator().parse(2, cells)
    assert row.ok, row.errors
    assert row.groups == groups
    cells[8] = "Lãnh đạo, Công an"  # one part names no group: the cell is refused, naming it
    assert "Công an" in validator().parse(2, cells).errors[0][1]


@pytest.mark.parametrize("stored", [float, int, lambda n: f"{n}.0"])
def test_a_ha_noi_cccd_stored_as_a_number_gets_both_its_zeros_back(stored):
    cccd = make_cccd(date(1990, 6, 6), "male", 124, province="001")  # 001090…: 10 digits as a number
    row = validator().parse(2, [*ROW[:1], "06/06/1990", "Nam", stored(int(cccd)), *ROW[4:]])
    assert row.ok, row.errors
    assert row.cccd == cccd


@pytest.mark.parametrize("sex,fourth_digit", [("Nữ", "0"), ("Nam", "1"), ("Nam", "4")])
def test_without_a_birth_date_the_cccd_still_has_to_match_the_sex(sex, fourth_digit):
    cccd = f"079{fourth_digit}90600005"
    row = validator().parse(2, [ROW[0], None, sex, cccd, *ROW[4:]])
    assert [name for name, _message in row.errors] == ["cccd"]


@pytest.mark.parametrize(
    "value,message",
    [
        ("31/02/1990", "There is no such day as 31/02/1990"),
        ("25/12/90", "two digits (25/12/90): write all four, for example 25/12/1990"),
        ("5.3.07", "for example 05.03.2007"),
    ],
)
def test_a_date_that_does_not_exist_or_a_two_digit_year_says_so(value, message):
    with translation.override("en"):
        row = validator().parse(2, [ROW[0], value, *ROW[2:3], None, *ROW[4:]])
        assert [name for name, _m in row.errors] == ["date_of_birth"] and message in row.errors[0][1]


def year_column_validator(title="Năm sinh"):
    titles = dict(zip(reading.FIELDS, HEADERS, strict=True)) | {"date_of_birth": title}
    return RowValidator(column=lambda name, _row: titles[name], organisations={"X-A": 1}, today=date(2026, 11, 25))


@pytest.mark.parametrize("title", ["Năm sinh", "Ngày sinh"])
@pytest.mark.parametrize(
    "year",
    [1985, 1985.0, " 1985 ", "'1985", "1985.0", date(1905, 6, 7), datetime(1905, 6, 7)],  # 1985 as a date
)
def test_a_year_alone_in_a_birth_column_is_taken_as_it_is_and_checked_against_the_cccd(year, title):
    row = year_column_validator(title).parse(2, [ROW[0], year, *ROW[2:]])  # CCCD 086 0 85 …: a man born in 1985
    assert (row.ok, row.birth_year) == (True, 1985), row.errors
    assert row.ok, row.errors
    assert (row.date_of_birth, row.cccd) == (None, ROW[3])  # no day is made up
    with translation.override("en"):
        wrong = year_column_validator().parse(2, [ROW[0], 1986, *ROW[2:]])
        future = year_column_validator().parse(2, [ROW[0], "2027", *ROW[2:3], None, *ROW[4:]])
    assert [name for name, _m in wrong.errors] == ["cccd"] and "Digits 5–6" in wrong.errors[0][1]
    assert [name for name, _m in future.errors] == ["date_of_birth"] and "future" in future.errors[0][1]
    # A whole date in that column is a date of birth as anywhere else.
    assert year_column_validator().parse(2, [ROW[0], "02/03/1985", *ROW[2:]]).date_of_birth == date(1985, 3, 2)


@pytest.mark.parametrize("value,message", [(2101, "in the future"), ("2101", "in the future"), (1850, "120 years")])
def test_a_year_out_of_range_is_told_as_a_year_not_as_a_day_of_1905(value, message):
    with translation.override("en"):
        row = validator().parse(2, [ROW[0], value, *ROW[2:3], None, *ROW[4:]])
    assert [name for name, _m in row.errors] == ["date_of_birth"] and message in row.errors[0][1]


def test_a_cccd_without_a_date_gives_a_year_of_birth_that_must_pass_the_checks_of_a_date():
    with translation.override("en"):
        future = validator().parse(2, [ROW[0], None, "Nữ", "086399000123", *ROW[4:]])  # born in 2099
        toddler = validator().parse(2, [ROW[0], None, "Nữ", "086324000123", *ROW[4:]])  # 2024, under 5
    assert [name for name, _m in future.errors] == ["cccd"] and "give 2099 as the year of birth" in future.errors[0][1]
    assert [name for name, _m in toddler.errors] == ["cccd"] and "younger than 5" in toddler.errors[0][1]
    assert validator().parse(2, [ROW[0], None, "Nam", ROW[3], *ROW[4:]]).ok  # 1985


def test_a_year_of_birth_column_is_read_and_gives_way_to_a_date_of_birth_column(tmp_path):
    rows = [[ROW[0], "1985", "Nam", ROW[3]]]
    table = open_file(write_xlsx(tmp_path / "y.xlsx", rows, headers=["Họ và tên", "Năm sinh", "Giới tính", "CCCD"]))
    assert (table.header("date_of_birth"), table.unknown, list(table.rows)[0][1][1]) == ("Năm sinh", [], "1985")
    both = ["Họ và tên", "Năm sinh", "Ngày sinh", "Số CCCD"]
    table = open_file(write_xlsx(tmp_path / "b.xlsx", [[ROW[0], 1985, "02/03/1985", ROW[3]]], headers=both))
    assert (table.header("date_of_birth"), table.unknown) == ("Ngày sinh", [])  # the year where the date is empty


def test_old_eleven_digit_mobile_numbers_become_ten_digits():
    row = validator().parse(2, [*ROW[:4], "01689 123 456", *ROW[5:]])
    assert row.phone == "0389123456"


@pytest.mark.parametrize(
    "index,value,fragment",
    [
        (0, "", "full name"),
        (0, "Nguyễn Văn 2", "letters"),
        (1, "31/02/1985", "no such day"),
        (1, "02.03.85", "two digits"),
        (1, date(2030, 1, 1), "future"),
        (2, "X", "Nam"),
        (3, "123", "12 digits"),
        (3, "8.6085E+10", "scientific"),
        (3, "086185001234", "4th digit"),
        (4, "12345", "mobile"),
        (5, "an@", "email"),
        (6, "X-Z", "X-Z"),
        (8, "Công an; Người dân", "Công an"),
    ],
)
def test_each_problem_names_the_row_the_column_and_what_is_wrong(index, value, fragment):
    cells = list(ROW)
    cells[index] = value
    with translation.override("en"):
        row = validator().parse(12, cells)
    assert len(row.errors) == 1, row.errors
    field, message = row.errors[0]
    assert field == reading.FIELDS[index]
    assert "12" in message and HEADERS[index] in message
    assert fragment.lower() in message.lower()


def test_a_very_large_sheet_is_streamed_with_openpyxl_giving_the_same_rows(tmp_path, monkeypatch):
    path = write_xlsx(
        tmp_path / "big.xlsx", [ROW, [None] * 9, ROW], title="DANH SÁCH", blank_rows_before_header=2, start_column=2
    )
    expected = list(open_file(path).rows)
    monkeypatch.setattr(reading, "CALAMINE_MAX_SHEET_BYTES", 0)
    streamed = open_file(path)
    assert streamed.header_row == 4 and list(streamed.rows) == expected


def test_the_bench_generator_writes_the_templates_headers():
    import importlib.util
    from pathlib import Path

    from kynangso.people.exports import HEADERS

    path = Path(__file__).resolve().parents[3] / "bench" / "gen_people.py"
    spec = importlib.util.spec_from_file_location("gen_people", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.HEADERS == HEADERS


def test_a_signature_block_typed_across_the_data_columns_is_not_read_as_people(tmp_path, excel_path):
    """The place and date in the position or CCCD column, the signers' titles in the birth-date column:
    none of it is a person, and a person with data after the block is still read."""
    blank = [None] * 9
    rows = [
        ROW,
        blank,
        [None] * 7 + ["Giao Long, ngày 01 tháng 12 năm 2026", None],
        [None, "NGƯỜI LẬP BIỂU", None, "CHỦ TỊCH", None, None, None, "(Ký tên, đóng dấu)", None],
        [None, "(Ký, ghi rõ họ tên)", None, None, None, None, None, None, None],
        [None, "Nguyễn Văn Tư", None, "Trần Văn Năm", None, None, None, None, None],
        [ROW[0], "01/01/1990", *ROW[2:]],
    ]
    rows.insert(1, ["Lê Văn Chín", "ngày 02 tháng 03 năm 1985", *blank[2:]])  # a birth date in words: a person
    table = open_file(write_xlsx(tmp_path / "signed.xlsx", rows))
    assert [(n, cells[0]) for n, cells in table.rows] == [(2, ROW[0]), (3, "Lê Văn Chín"), (9, ROW[0])]


def test_a_cover_sheet_with_a_small_table_of_names_is_passed_over_for_the_list(tmp_path, excel_path):
    path = write_xlsx(tmp_path / "cover.xlsx", [])
    workbook = load_workbook(path)
    cover = workbook.active
    cover.title = "Bìa"
    cover.delete_rows(1)
    for row in (
        ["KẾ HOẠCH BỒI DƯỠNG KỸ NĂNG SỐ NĂM 2026"],
        [],
        ["STT", "Họ và tên", "Chức vụ"],
        [1, "Nguyễn Văn Tư", "Chủ tịch UBND xã - Trưởng ban"],
        [2, "Lê Thị Năm", "Phó Chủ tịch UBND xã - Phó ban"],
    ):
        cover.append(row)
    listed = workbook.create_sheet("Danh sách")
    listed.append(HEADERS)
    listed.append(ROW)
    workbook.save(path)
    table = open_file(path)
    assert (table.sheet, table.other_sheets) == ("Danh sách", ["Bìa"])
    assert [cells for _n, cells in table.rows] == [ROW]
    # A workbook with only such a table still reads it (its rows are then checked as people)
    del workbook["Danh sách"]
    workbook.save(path)
    assert [cells[0] for _n, cells in open_file(path).rows] == ["Nguyễn Văn Tư", "Lê Thị Năm"]


def test_the_templates_own_guide_sheet_is_not_reported_as_a_sheet_left_unread(tmp_path):
    from kynangso.people.imports.workbooks import template_workbook

    workbook = load_workbook(template_workbook(organisations=[("X-A", "UBND xã Long Hồ")]))
    workbook["Danh sách"].append(ROW)
    workbook["Danh mục"].sheet_state = "visible"  # QA round 28: unhidden, it was named as a sheet left unread
    workbook.create_sheet("Ghi chú").append(["Nộp trước 15/12"])
    workbook.save(tmp_path / "filled.xlsx")
    table = open_file(tmp_path / "filled.xlsx")
    assert (table.sheet, table.other_sheets, [cells for _n, cells in table.rows]) == ("Danh sách", ["Ghi chú"], [ROW])


def _edit_sheet_xml(path, edit) -> None:
    """Rewrite an .xlsx's sheet XML (`edit`: bytes → bytes), as another program might have saved it."""
    import zipfile

    parts = {}
    with zipfile.ZipFile(path) as src:
        for item in src.infolist():
            data = src.read(item.filename)
            parts[item.filename] = edit(data) if item.filename.startswith("xl/worksheets/sheet") else data
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as dst:
        for name, data in parts.items():
            dst.writestr(name, data)


def test_a_stray_cell_far_to_the_right_and_below_is_read_around_not_held_whole(tmp_path):
    """python-calamine would hold the sheet's whole rectangle, up to XFD70000 (over a billion cells: it
    aborts the process); such a sheet goes to the streaming reader, which reads its first columns."""
    path = write_xlsx(tmp_path / "far.xlsx", [ROW])
    far = b'<row r="70000"><c r="XFD70000" t="inlineStr"><is><t>x</t></is></c></row></sheetData>'
    _edit_sheet_xml(path, lambda xml: xml.replace(b"</sheetData>", far))
    table = open_file(path)
    rows = [cells for _number, cells in table.rows]
    assert len(rows) == 1 and rows[0][0] == ROW[0]


def test_a_zip_bomb_is_refused_before_it_is_unpacked(tmp_path):
    path = write_xlsx(tmp_path / "bomb.xlsx", [ROW])
    _edit_sheet_xml(path, lambda xml: xml.replace(b"</sheetData>", b" " * (40 << 20) + b"</sheetData>"))
    assert path.stat().st_size < 200_000  # 40 MB of sheet from a file this small
    with translation.override("vi"), pytest.raises(reading.ReadError) as exc:
        open_file(path)
    assert exc.value.text().startswith("Tệp Excel này khi giải nén có kích thước bất thường (40 MB)")


def test_the_marks_after_a_long_stretch_without_cells_are_still_found(tmp_path):
    """A stretch with no cell end (`</c>`) is not kept whole while the marks are looked for (it was, and
    copied again at every megabyte); the cells after it are still read."""
    path = write_xlsx(tmp_path / "blank.xlsx", [ROW])
    error_row = b'<row r="3"><c r="D3" t="e"><v>#N/A</v></c></row>'
    _edit_sheet_xml(path, lambda xml: xml.replace(b"</sheetData>", b" " * (8 << 20) + error_row + b"</sheetData>"))
    with path.open("rb") as fh:
        marks = reading._sheet_marks(fh, "Danh sách")
    assert marks.errors == {3: {3: "#N/A"}} and marks.last_row == 3 and marks.cells == 3 * 26


def test_a_csv_with_an_unclosed_quote_is_a_clear_error(tmp_path):
    path = tmp_path / "quote.csv"
    path.write_text('Họ và tên,Số CCCD\n"Nguyễn Văn An,001090123457\n' + "Lê Thị Bình,001190123456\n" * 20000)
    with translation.override("vi"), pytest.raises(reading.ReadError) as exc:
        list(open_file(path).rows)
    assert "dấu ngoặc kép" in exc.value.text() and "dòng 2 " in exc.value.text()  # where the quote opened


def test_a_small_csv_with_an_unclosed_quote_is_refused_not_read_into_one_cell(tmp_path):
    path = tmp_path / "quote.csv"
    path.write_text('Họ và tên,Số CCCD\nLê Thị Bình,001190123456\n"Nguyễn Văn An,001090123457\nTrần Hà,001090123458\n')
    with translation.override("vi"), pytest.raises(reading.ReadError) as exc:
        list(open_file(path).rows)  # a file this small is read whole while its header is looked for
    assert "dòng 3 " in exc.value.text()


@pytest.mark.parametrize(
    "last",
    [
        '"Nguyễn Văn An","Số 5,\nđường Hùng Vương"\n',  # a cell with a line break (Alt+Enter), closed
        '"Nguyễn Văn An","ô ""cũ""\nmới"',  # doubled quotes inside, no line break at the end
        'Nguyễn Văn An,màn hình 5" \n"x" y\n',  # quotes inside plain cells do not open one
    ],
)
def test_a_csv_whose_last_cell_has_line_breaks_is_read(tmp_path, last):
    path = tmp_path / "breaks.csv"
    path.write_text("Họ và tên,Địa chỉ\nLê Thị Bình,Hà Nội\n" + last)
    rows = list(open_file(path).rows)
    assert rows[0][1][0] == "Lê Thị Bình" and rows[-1][1][0].startswith(("Nguyễn Văn An", "x"))


def test_quote_broken_reads_quotes_as_the_csv_module_does():
    assert reading._quote_broken('a,"b\nc', ",")  # the file ends inside the quote
    assert reading._quote_broken('a;"b\n"";c', ";")
    assert reading._quote_broken('a,"b\nc,d\n"e",f\n', ",")  # closed by the quote opening a later row's cell
    assert not reading._quote_broken('a,"b\n""c"""\n', ",")  # doubled quotes, closed at the line's end
    assert not reading._quote_broken('a,"b\nc" ,d\n', ",")  # a space after the closing quote
    assert not reading._quote_broken('a,b"c\n', ",")  # a quote inside a plain cell
    assert not reading._quote_broken('a;"b,c\nd";e', ";")
    assert not reading._quote_broken('"x"y,"b\nc"\n', ",")  # a stray quote on one line is read as typed


def test_a_quote_closed_by_a_later_row_is_refused_not_read_as_one_cell(tmp_path):
    """The rows between would be lost, and a CCCD of theirs stored in a position."""
    path = tmp_path / "swallow.csv"
    path.write_text(
        "Họ và tên,Ngày sinh,Số CCCD,Chức vụ\n"
        '"Lê Văn Tám","01/01/1990",086090000200,"Chuyên viên\nphòng Nội vụ"\n'  # a cell with a line break: row 2
        'Trần Văn Dũng,01/01/1990,086090000201,"Chuyên viên\n'
        "Lê Thị Hoa,02/02/1991,086191000202,Cán bộ\n"
        '"Phạm Văn Giang",03/03/1992,086092000203,Cán bộ\n'
    )
    with translation.override("vi"), pytest.raises(reading.ReadError) as exc:
        list(open_file(path).rows)
    assert "dòng 3 " in exc.value.text()  # the row as Excel numbers it, not the file's fourth line


def _rewrite_sheet(path, change) -> None:
    """The workbook at `path` with its first sheet's XML passed through `change` (bytes → bytes)."""
    import zipfile

    with zipfile.ZipFile(path) as source:
        parts = {info.filename: source.read(info) for info in source.infolist()}
    parts["xl/worksheets/sheet1.xml"] = change(parts["xl/worksheets/sheet1.xml"])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)


def test_rows_and_cells_without_references_bound_the_sheet_by_their_count(tmp_path, monkeypatch):
    """QA round 15: cells and rows may leave out their reference (r="B2"), and are then placed by counting.
    The guard read only the references, saw a small sheet, and python-calamine was handed a 14 KB file
    whose rows and cells made a rectangle of 17 billion cells (the worker died). Each row or cell without
    its reference now widens the bound, and a large one is streamed by openpyxl."""
    import re

    path = write_xlsx(tmp_path / "norefs.xlsx", [ROW, ROW])
    _rewrite_sheet(path, lambda xml: re.sub(rb' r="[A-Z]*[0-9]+"', b"", xml))
    with open(path, "rb") as fh:
        marks = reading._sheet_marks(fh, "Danh sách")
    assert (marks.last_row, marks.last_column) == (3, 25 + 3 * 9)  # each unreferenced cell a column further
    assert [cells for _number, cells in open_file(path).rows] == [ROW, ROW]  # read as before
    streamed = []
    monkeypatch.setattr(reading, "CALAMINE_MAX_CELLS", marks.cells - 1)
    monkeypatch.setattr(
        reading, "_read_excel_openpyxl", lambda fh: streamed.append(fh) or reading.Table({}, {}, [], 1, 0, iter([]))
    )
    open_file(path)
    assert streamed  # beyond the limit: not python-calamine
    with open(write_xlsx(tmp_path / "refs.xlsx", [ROW, ROW]), "rb") as fh:  # as every program writes it
        marks = reading._sheet_marks(fh, "Danh sách")
    assert (marks.last_row, marks.last_column) == (3, 25)


@pytest.mark.parametrize("entity", [b"&nbsp;", b"&undefined;"])
def test_a_sheet_the_xml_reader_refuses_is_a_clear_error(tmp_path, entity):
    """QA round 15: python-calamine's errors on a sheet (not on the workbook) ended the import as an
    'unexpected error', logged with a traceback."""
    path = write_xlsx(tmp_path / "bad.xlsx", [ROW])
    _rewrite_sheet(path, lambda xml: xml.replace("Nguyễn Văn An".encode(), b"Nguy" + entity))
    with translation.override("vi"), pytest.raises(reading.ReadError) as exc:
        list(open_file(path).rows)
    assert exc.value.text().startswith("Không đọc được tệp Excel")


def test_a_csv_row_of_a_million_characters_is_refused_and_columns_beyond_256_are_ignored(tmp_path):
    """QA round 15: a 16 MB CSV of four million empty columns took 3 GB and made an error workbook Excel
    cannot open (columns after XFD)."""
    path = tmp_path / "wide.csv"
    path.write_text(",".join(HEADERS) + ",a" * 600_000 + "\n" + ",".join(ROW) + "\n", encoding="utf-8")
    with translation.override("vi"), pytest.raises(reading.ReadError) as exc:
        list(open_file(path).rows)
    assert "Dòng 1" in exc.value.text() and "1.000.000" in exc.value.text()
    path.write_text(";".join([*HEADERS, *["x"] * 300]) + "\n" + ";".join([*ROW, *["y"] * 300]) + "\n", encoding="utf-8")
    table = open_file(path)
    assert len(table.unknown) == reading.MAX_COLUMNS - len(HEADERS) and list(table.rows) == [(2, ROW)]


def test_a_unit_name_starting_with_an_equals_sign_is_text_in_the_template():
    """QA round 15: openpyxl wrote it as a live formula (=HYPERLINK(…)) in the hidden list sheet."""
    from kynangso.people.imports.workbooks import template_workbook

    name = '=HYPERLINK("http://example.com/?"&A1,"Trường")'
    wb = load_workbook(template_workbook(organisations=[("X-A", name)]))
    cell = wb["Danh mục"]["D1"]
    assert (cell.value, cell.data_type) == (name, "s")


def _ods(path, rows: str):
    """An .ods workbook of one sheet, "Danh sách", whose rows are the header and ROW, then `rows` (XML)."""
    import zipfile

    def cell(value):
        return f'<table:table-cell office:value-type="string"><text:p>{value}</text:p></table:table-cell>'

    body = "".join(f"<table:table-row>{''.join(cell(v) for v in r)}</table:table-row>" for r in (HEADERS, ROW))
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content'
        ' xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        ' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
        ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f'<office:body><office:spreadsheet><table:table table:name="Danh sách">{body}{rows}'
        "</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", content)
        archive.writestr(
            "META-INF/manifest.xml",
            '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest'
            ' xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
            '<manifest:file-entry manifest:full-path="/"'
            ' manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
            '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
            "</manifest:manifest>",
        )
    return path


def test_an_ods_sheet_is_read_with_the_empty_rows_libreoffice_saves_after_it(tmp_path):
    empty = (
        '<table:table-row table:number-rows-repeated="1048574">'
        '<table:table-cell table:number-columns-repeated="1024"/></table:table-row>'
    )
    assert list(open_file(_ods(tmp_path / "lo.ods", empty)).rows) == [(2, ROW)]


def test_an_ods_sheets_error_cells_merged_unit_codes_and_hidden_rows_are_read_as_in_an_xlsx(tmp_path):
    """QA round 28: in an .ods (LibreOffice's own format) an error cell was read as empty (the row was
    imported without its unit code), a unit code merged over three rows went to the first only, and the
    rows filtered out were not told."""

    def text(value, attributes=""):
        return f'<table:table-cell office:value-type="string"{attributes}><text:p>{value}</text:p></table:table-cell>'

    def row(cells, attributes=""):
        return f"<table:table-row{attributes}>{''.join(cells)}</table:table-row>"

    before = [text(v) for v in ROW[:6]]
    error = ' table:formula="of:=VLOOKUP(&quot;zz&quot;;[.E1:.F2];2;0)" calcext:value-type="error"'
    rows = (
        row([*before, text("#N/A", error)])  # row 3
        + row([*before, text("X-B", ' table:number-rows-spanned="3"')])  # rows 4-6: one unit code merged
        + row([*before, "<table:covered-table-cell/>"], ' table:visibility="filter"')
        + row([*before, "<table:covered-table-cell/>"], ' table:visibility="collapse"')
    )
    table = open_file(_ods(tmp_path / "lo.ods", rows))
    read = [(number, cells[6]) for number, cells in table.rows]
    assert read == [(2, ROW[6]), (3, "#N/A"), (4, "X-B"), (5, "X-B"), (6, "X-B")]
    assert (table.hidden_rows, table.hidden_read) == ({5, 6}, 2)
    # QA round 29: LibreOffice's own codes, a cell with a comment, an .ods in ODF 1.2 (no calcext), and a
    # lookup copied down below the list (a row of #N/A alone: not a person, passed over)
    commented = "<office:annotation><text:p>Tra từ Danh mục</text:p></office:annotation><text:p>#N/A</text:p>"
    rows = (
        row([*before[:6], text("Err:502", ' table:formula="of:=SQRT(-1)"')])
        + row([*before[:6], f'<table:table-cell table:formula="of:=VLOOKUP(A1;B1;2;0)">{commented}</table:table-cell>'])
        + row([text(""), *[text("")] * 5, text("#DIV/0!", ' table:formula="of:=1/0" office:value-type="string"')])
    )
    table = open_file(_ods(tmp_path / "lo12.ods", rows))
    assert [(number, cells[6]) for number, cells in table.rows] == [(2, ROW[6]), (3, "Err:502"), (4, "#N/A")]
    assert (table.passed_over, table.passed_over_first) == (1, (5, "#DIV/0!"))


def test_a_year_of_birth_column_beside_the_date_gives_the_year_where_the_date_is_empty(tmp_path):
    """QA round 30: "Năm sinh" beside "Ngày sinh" was ignored, and the people with a year alone lost it."""
    path = tmp_path / "years.csv"
    path.write_text("Họ và tên,Ngày sinh,Năm sinh\nLê Văn A,25/07/1994,1994\nLê Văn B,,1960\nLê Văn C,03/04/1991,\n")
    table = open_file(path)
    assert [cells[1] for _n, cells in table.rows] == ["25/07/1994", "1960", "03/04/1991"] and table.unknown == []


def test_rows_of_lookup_errors_alone_are_passed_over_the_name_too(tmp_path):
    """QA round 30: a lookup of the name and the date copied down below the list: rows of #N/A alone."""
    path = tmp_path / "lookup.csv"
    path.write_text(",".join(HEADERS[:2]) + "\nNguyễn Văn An,25/07/1994\n#N/A,#N/A\n#N/A,\nErr:502,#N/A\n")
    table = open_file(path)
    assert [cells[0] for _n, cells in table.rows] == ["Nguyễn Văn An"] and table.passed_over == 3


def test_an_ods_sheet_with_content_far_away_is_refused_before_it_is_read(tmp_path):
    """QA round 15: a 1 KB .ods (98,000 repeated rows, then a cell after 1,009 repeated ones) took 6 GB."""
    far = (
        '<table:table-row table:number-rows-repeated="98000"><table:table-cell/></table:table-row>'
        '<table:table-row><table:table-cell table:number-columns-repeated="1009"/>'
        '<table:table-cell office:value-type="string"><text:p>x</text:p></table:table-cell></table:table-row>'
    )
    with translation.override("vi"), pytest.raises(reading.ReadError) as exc:
        open_file(_ods(tmp_path / "far.ods", far))
    assert exc.value.text().startswith("Vùng dữ liệu của bảng tính này kéo dài quá xa")


@pytest.mark.parametrize("name", [".csv", "danh sach.CSV", "C:\\\\Users\\\\x\\\\.csv"])
def test_the_file_type_is_the_names_suffix_even_for_a_file_named_dot_csv(name):
    assert reading.file_suffix(name) == ".csv"  # QA round 15: ".csv" alone was refused as of no type


def test_an_ods_zip_bomb_is_refused_like_an_xlsx_one(tmp_path):
    """The zip checks of .xlsx (`_largest_sheet_xml`) guard an .ods too, before its content is scanned."""
    import zipfile

    path = _ods(tmp_path / "bomb.ods", "")
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("Thumbnails/pad.xml", b" " * (40 * 1024 * 1024))  # packs about 1,000 to 1
    with translation.override("vi"), pytest.raises(reading.ReadError) as exc:
        open_file(path)
    assert exc.value.text() == str(reading.ERR_UNPACKED % {"size": "40"})


def test_a_table_of_no_people_with_a_unit_sign_is_no_old_font(tmp_path):
    """QA round 39: "Diện tích (m²)" has a character an old font leaves; a sheet of no list is "no header
    row", not a file to convert with Unikey (which would garble it). Two letters of an old font make it."""
    for cells, message in (
        (["Thôn", "Diện tích (m²)", "Dân số"], reading.ERR_NO_HEADER),
        (["Bảng đo: Diện tích (m²), nhiệt độ (°C) ±", None, None], reading.ERR_NO_HEADER),
        (["STT", "Hä vµ tªn", "Ngµy sinh"], reading.ERR_LEGACY_FONT_FILE),
        (["STT", "Hoï vaø teân", "Ngaøy sinh"], reading.ERR_LEGACY_FONT_FILE),  # VNI: two marks
    ):
        path = write_xlsx(tmp_path / "t.xlsx", [[1, "x", 2]], headers=cells)
        with pytest.raises(reading.ReadError) as raised:
            open_file(path)
        assert raised.value.message == message


def test_a_list_of_things_under_a_bare_name_title_is_no_list_of_people(tmp_path):
    """QA round 42: a supplies list ("STT | Tên | Đơn vị tính | Số lượng") made people of a pump and a
    pesticide. "Tên" with no other column of a person's (a unit's is one only without columns of things
    beside it: "Đơn vị" is also a unit of measure, QA rounds 43, 44) is no header; beside one, or as "Họ và
    tên", it is."""
    things = [[1, "Máy bơm nước Honda", "Cái", 2], [2, "Thuốc trừ sâu Regent", "Gói", 10]]
    for headers in (["STT", "Tên", "Đơn vị tính", "Số lượng"], ["Tên", "Tuổi"], ["Tên", "Đơn vị", "Số lượng"]):
        with pytest.raises(reading.ReadError) as raised:
            open_file(write_xlsx(tmp_path / "v.xlsx", things, headers=headers))
        assert raised.value.message == reading.ERR_NO_HEADER
    for headers in (["STT", "Họ và tên", "Tuổi"], ["STT", "Tên", "Năm sinh"], ["STT", "Tên", "Đơn vị"]):
        table = open_file(write_xlsx(tmp_path / "p.xlsx", [[1, "Nguyễn Văn An", 1985]], headers=headers))
        assert [cells[0] for _n, cells in table.rows] == ["Nguyễn Văn An"]
