"""The streamed .xlsx writer, read back by the two readers the project uses (openpyxl for styles,
python-calamine for values, as the importer reads a file)."""

import io
from datetime import date, datetime

import python_calamine
from openpyxl import load_workbook

from kynangso.core.xlsx import BAD_FILL, SheetWriter, Style, column_letter, excel_serial


def written(sheet: SheetWriter) -> bytes:
    out = io.BytesIO()
    sheet.save(out)
    return out.getvalue()


def test_column_letters():
    assert [column_letter(i) for i in (0, 25, 26, 51, 52, 701, 702)] == ["A", "Z", "AA", "AZ", "BA", "ZZ", "AAA"]


def test_excel_day_numbers():
    assert excel_serial(date(1900, 3, 1)) == 61
    assert excel_serial(date(2026, 11, 25)) == 46351
    assert excel_serial(datetime(2026, 11, 25, 12)) == 46351.5


def test_values_styles_and_layout_read_back():
    sheet = SheetWriter(sheet_name="Danh sách", widths=[20, 12, 15], frozen_rows=1, column_styles={2: Style.TEXT})
    sheet.append(["Họ và tên", "Ngày sinh", "Số CCCD"], Style.HEADER)
    sheet.append(["Nguyễn Thị Ánh", date(1990, 5, 17), "001190012345"], [Style.NORMAL, Style.DATE, Style.TEXT])
    sheet.append(['=HYPERLINK("x")', 12.5, None], [Style.BAD_TEXT, Style.BAD, Style.BAD])
    sheet.append(['a <b> & "c"\x01\nline 2', 7, ""], [Style.MESSAGE, Style.NORMAL, Style.NORMAL], height=30)
    sheet.append([" spaces kept ", date(1899, 1, 2), True])
    data = written(sheet)

    ws = load_workbook(io.BytesIO(data)).active
    assert ws.title == "Danh sách" and ws.freeze_panes == "A2"
    assert ws["A1"].font.b and ws["A1"].fill.fgColor.rgb == "FF1F5F99"
    assert ws["B2"].value == datetime(1990, 5, 17) and ws["B2"].number_format == "DD/MM/YYYY"
    assert ws["C2"].value == "001190012345" and ws["C2"].number_format == "@"
    assert ws["A3"].value == '=HYPERLINK("x")' and ws["A3"].data_type == "s"  # text, never a formula
    for ref in ("A3", "B3", "C3"):  # the empty bad cell is highlighted too
        assert ws[ref].fill.fgColor.rgb.endswith(BAD_FILL) and ws[ref].font.color.rgb == "FF9C0006"
    assert ws["B3"].value == 12.5
    assert ws["A4"].value == 'a <b> & "c"\nline 2' and ws["A4"].alignment.wrap_text
    assert ws.row_dimensions[4].height == 30 and ws.row_dimensions[3].height is None
    assert ws["B4"].value == 7 and ws["C4"].value is None
    assert ws["A5"].value == " spaces kept "
    assert ws["B5"].value == "02/01/1899"  # before Excel's calendar: written as text
    assert ws["C5"].value == "True"
    assert ws.column_dimensions["A"].width == 20
    assert ws.column_dimensions["C"].number_format == "@"  # what the user types there stays text

    rows = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()
    assert rows[1] == ["Nguyễn Thị Ánh", date(1990, 5, 17), "001190012345"]
    assert rows[2][:2] == ['=HYPERLINK("x")', 12.5]
    assert rows[3][:2] == ['a <b> & "c"\nline 2', 7]


def test_an_over_long_cell_is_cut_to_excels_limit():
    sheet = SheetWriter(sheet_name="x", widths=[10])
    sheet.append(["ă" * 40_000])
    ws = load_workbook(io.BytesIO(written(sheet))).active
    assert len(ws["A1"].value) == 32_767


def test_a_streamed_workbook_comes_out_as_its_rows_are_read_and_reads_back_as_a_saved_one():
    def sheet() -> SheetWriter:
        writer = SheetWriter(sheet_name="Danh sách", widths=[20, 12], frozen_rows=1)
        writer.dropdown(1, ["Nam", "Nữ"], strict=True, title="Giới tính", message="Chọn trong danh sách.")
        writer.append(["Họ và tên", "Giới tính"], Style.HEADER)
        return writer

    rows = [([f"Người {i:05d}", "Nam" if i % 2 else "Nữ"], Style.NORMAL) for i in range(3000)]
    read = []

    def reading():
        for row in rows:
            read.append(row)
            yield row

    chunks = sheet().stream(reading(), batch=100)
    first = next(chunks)
    assert first.startswith(b"PK") and len(read) <= 200  # the download starts before the rows are all read
    streamed = first + b"".join(chunks)
    saved = sheet()
    for values, style in rows:
        saved.append(values, style)
    for data in (streamed, written(saved)):
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        values = book.get_sheet_by_name("Danh sách").to_python()
        assert values[0] == ["Họ và tên", "Giới tính"] and values[1:] == [r[0] for r in rows]
        assert load_workbook(io.BytesIO(data))["Danh sách"].data_validations.dataValidation[0].type == "list"


def test_a_printed_sheet_keeps_at_most_excels_page_breaks_and_reads_back(tmp_path):
    """QA round 48: an import over more than about a thousand units would ask for more page breaks than Excel
    keeps; the later units run on."""
    import re
    import zipfile

    from kynangso.core.xlsx import EXCEL_MAX_BREAKS

    sheet = SheetWriter(sheet_name="Tài khoản", widths=[20, 20], frozen_rows=1, printed=True)
    sheet.append(["Họ và tên", "Đơn vị"], Style.BOLD)
    for unit in range(EXCEL_MAX_BREAKS + 50):
        sheet.page_break()
        sheet.append([f"Người {unit}", f"Đơn vị {unit}"])
    path = tmp_path / "p.xlsx"
    with path.open("wb") as fh:
        sheet.save(fh)
    with zipfile.ZipFile(path) as book:
        xml = book.read("xl/worksheets/sheet1.xml").decode()
    assert len(re.findall(r"<brk ", xml)) == EXCEL_MAX_BREAKS and 'orientation="landscape"' in xml
    assert load_workbook(path).active.cell(2 + EXCEL_MAX_BREAKS + 49, 2).value == f"Đơn vị {EXCEL_MAX_BREAKS + 49}"
