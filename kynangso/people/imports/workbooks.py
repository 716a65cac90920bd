"""The files of an import: the template to fill in, the error workbook (the rejected rows as they were,
bad cells highlighted, a message column; it re-imports as it is once corrected) and the activation
sheets (Excel, and a PDF with one card and QR code per person).

Error and activation workbooks are written in openpyxl's write-only mode, which streams rows to a
temporary file, so memory stays flat whatever the number of rows."""

from __future__ import annotations

import io
import logging
import re
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from urllib.parse import urlencode
from xml.sax.saxutils import escape

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from ..exports import COLUMN_WIDTHS, GROUP_LABELS_VI, HEADERS, SEX_LABELS_VI, header_row
from .reading import FIELDS
from .validation import ParsedRow, cell_text

ACTIVATION_HEADER_ROWS = 3
# The extra columns of the error workbook (recognised, and silently dropped, when it is re-imported).
ERROR_ROW_HEADER = "Dòng gốc"
ERROR_MESSAGE_HEADER = "Lỗi"
FONTS_DIR = Path(__file__).resolve().parent / "fonts"
logging.getLogger("fontTools").setLevel(logging.WARNING)  # fpdf2's font subsetting logs every glyph at INFO
TEXT_FIELDS = frozenset(("cccd", "phone", "org_code"))
BAD_FILL = PatternFill("solid", fgColor="FFC7CE")
BAD_FONT = Font(color="9C0006", bold=True)
DATE_FORMAT = "DD/MM/YYYY"


def _column_letter(index: int) -> str:
    return chr(ord("A") + index)


def _write_cell(ws, value, *, text: bool = False) -> WriteOnlyCell:
    """A cell holding the value as it was read. Text stays text (typed as a string, so that a value such
    as "=HYPERLINK(…)" from a CSV file is never written back as a formula)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if text and value is not None and not isinstance(value, str):
        value = cell_text(value)
    cell = WriteOnlyCell(ws, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
        cell.number_format = "@"
    elif isinstance(value, date | datetime):
        cell.number_format = DATE_FORMAT
    return cell


# --- template ----------------------------------------------------------------------------------


def template_workbook(*, organisations: Iterable[tuple[str, str]]) -> io.BytesIO:
    """The empty people list with drop-downs: sex, target groups, and the unit codes the user may use."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Danh sách"
    for index, title in enumerate(HEADERS):
        cell = ws.cell(row=1, column=index + 1, value=title)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="1F5F99")
        ws.column_dimensions[_column_letter(index)].width = COLUMN_WIDTHS[index]
    ws.freeze_panes = "A2"
    # CCCD, phone and unit code as text, so that Excel keeps their leading zeros; the birth date as a date.
    for name in TEXT_FIELDS:
        ws.column_dimensions[_column_letter(FIELDS.index(name))].number_format = "@"
    ws.column_dimensions[_column_letter(FIELDS.index("date_of_birth"))].number_format = DATE_FORMAT

    lists = wb.create_sheet("Danh mục")
    sexes = list(SEX_LABELS_VI.values())
    groups = list(GROUP_LABELS_VI.values())
    orgs = list(organisations)
    for i, value in enumerate(sexes, start=1):
        lists.cell(row=i, column=1, value=value)
    for i, value in enumerate(groups, start=1):
        lists.cell(row=i, column=2, value=value)
    for i, (code, name) in enumerate(orgs, start=1):
        lists.cell(row=i, column=3, value=code).number_format = "@"
        lists.cell(row=i, column=4, value=name)
    lists.sheet_state = "hidden"

    def column_range(name: str) -> str:
        letter = _column_letter(FIELDS.index(name))
        return f"{letter}2:{letter}1048576"

    sex = DataValidation(
        type="list",
        formula1=f"='Danh mục'!$A$1:$A${len(sexes)}",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle=_("Sex"),
        error=_("Choose Nam or Nữ from the list."),
    )
    sex.add(column_range("sex"))
    group = DataValidation(
        type="list",
        formula1=f"='Danh mục'!$B$1:$B${len(groups)}",
        allow_blank=True,
        showErrorMessage=False,
        showInputMessage=True,
        promptTitle=_("Target groups"),
        prompt=_("Pick one, or type several separated by ;"),
    )
    group.add(column_range("groups"))
    birth = DataValidation(
        type="date",
        operator="between",
        formula1="DATE(1900,1,1)",
        formula2="TODAY()",
        allow_blank=True,
        showErrorMessage=False,
        showInputMessage=True,
        promptTitle=_("Date of birth"),
        prompt="dd/mm/yyyy",
    )
    birth.add(column_range("date_of_birth"))
    ws.add_data_validation(sex)
    ws.add_data_validation(group)
    ws.add_data_validation(birth)
    if orgs:
        org = DataValidation(
            type="list",
            formula1=f"='Danh mục'!$C$1:$C${len(orgs)}",
            allow_blank=True,
            showErrorMessage=True,
            errorTitle=_("Unit code"),
            error=_("Choose a unit code from the list."),
        )
        org.add(column_range("org_code"))
        ws.add_data_validation(org)

    guide = wb.create_sheet("Hướng dẫn")
    guide.column_dimensions["A"].width = 110
    for line in (
        _("One person per row, under the header row. Do not change the column titles."),
        _("Họ và tên is required. Leave a cell empty to keep what is already stored."),
        _("Ngày sinh: a date, or text dd/mm/yyyy. Số CCCD: 12 digits (the column is text: keep the leading 0)."),
        _("Số điện thoại: a Vietnamese mobile number; +84, spaces, dots and old 11-digit numbers are accepted."),
        _("Mã đơn vị: a code from the list; empty means the unit chosen when importing."),
        _("Nhóm đối tượng: names from the list, several separated by “;”."),
        _("The same CCCD number is the same person: importing again updates, it never duplicates."),
    ):
        guide.append([line])
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    return out


# --- error workbook ----------------------------------------------------------------------------


class ErrorWorkbook:
    """The rejected rows, in the template's columns, plus the original row number and the messages."""

    def __init__(self) -> None:
        self.wb = Workbook(write_only=True)
        self.ws = self.wb.create_sheet("Danh sách")
        for index, width in enumerate([*COLUMN_WIDTHS, 10, 70]):
            self.ws.column_dimensions[_column_letter(index)].width = width
        self.ws.freeze_panes = "A2"
        head = header_row(self.ws)
        for title in (ERROR_ROW_HEADER, ERROR_MESSAGE_HEADER):
            cell = WriteOnlyCell(self.ws, value=title)
            cell.font = Font(bold=True, color="FFFFFF")
            cell.fill = PatternFill("solid", fgColor="B42318")
            head.append(cell)
        self.ws.append(head)
        self.rows = 0
        self.wrap = Alignment(wrap_text=True, vertical="top")

    def add(self, row: ParsedRow) -> None:
        bad = {name for name, _message in row.errors if name}
        cells = []
        for name, value in zip(FIELDS, row.cells, strict=True):
            cell = _write_cell(self.ws, value, text=name in TEXT_FIELDS)
            if name in bad:
                cell.fill = BAD_FILL
                cell.font = BAD_FONT
            cells.append(cell)
        cells.append(WriteOnlyCell(self.ws, value=row.number))
        message = _write_cell(self.ws, "\n".join(m for _n, m in row.errors))
        message.alignment = self.wrap
        cells.append(message)
        self.ws.append(cells)
        self.rows += 1

    def save(self, fileobj) -> None:
        self.wb.save(fileobj)


# --- activation sheets -------------------------------------------------------------------------


def activation_address() -> str:
    return f"{settings.SITE_URL.rstrip('/')}{reverse('web:activate')}"


def activation_url(username: str, code: str, *, address: str | None = None) -> str:
    """The page where the person sets a password; the QR code carries the username and code too."""
    return f"{address or activation_address()}?{urlencode({'username': username, 'code': code})}"


_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_XLSX_PARTS = {
    "[Content_Types].xml": (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>'
    ),
    "_rels/.rels": (
        f'<Relationships xmlns="{_PKG_REL_NS}"><Relationship Id="rId1" '
        f'Type="{_REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/_rels/workbook.xml.rels": (
        f'<Relationships xmlns="{_PKG_REL_NS}">'
        f'<Relationship Id="rId1" Type="{_REL_NS}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{_REL_NS}/styles" Target="styles.xml"/></Relationships>'
    ),
    "xl/styles.xml": (
        f'<styleSheet xmlns="{_MAIN_NS}"><fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
        '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts><fills count="2"><fill>'
        '<patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
    ),
}


class PlainSheetWriter:
    """A one-sheet .xlsx of text cells, streamed to a temporary file: about 1 µs a cell where openpyxl's
    write-only mode takes about 9. Used for the activation sheet, which has a row for every account of
    an import (40,000 rows × 4 cells: 0.2 s instead of 1.5 s). Rows may be marked bold; nothing else."""

    def __init__(self, *, sheet_name: str, widths: Sequence[float], frozen_rows: int = 0) -> None:
        self.sheet_name = sheet_name[:31]
        self.widths = widths
        self.frozen_rows = frozen_rows
        self.rows = 0
        self.tmp = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115 (closed by save())

    def append(self, values: Sequence, *, bold: bool = False) -> None:
        self.rows += 1
        r = self.rows
        style = ' s="1"' if bold else ""
        cells = []
        for index, value in enumerate(values):
            if value is None or value == "":
                continue
            text = escape(_XML_ILLEGAL.sub("", str(value)))
            cells.append(
                f'<c r="{_column_letter(index)}{r}" t="inlineStr"{style}><is><t xml:space="preserve">'
                f"{text}</t></is></c>"
            )
        self.tmp.write(f'<row r="{r}">{"".join(cells)}</row>')

    def save(self, fileobj) -> None:
        pane = ""
        if self.frozen_rows:
            pane = (
                f'<pane ySplit="{self.frozen_rows}" topLeftCell="A{self.frozen_rows + 1}" '
                'activePane="bottomLeft" state="frozen"/>'
            )
        cols = "".join(
            f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>' for i, w in enumerate(self.widths, start=1)
        )
        head = (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{_MAIN_NS}">'
            f'<sheetViews><sheetView workbookViewId="0">{pane}</sheetView></sheetViews>'
            f"<cols>{cols}</cols><sheetData>"
        )
        workbook = (
            f'<workbook xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}"><sheets>'
            f'<sheet name="{escape(self.sheet_name, {chr(34): "&quot;"})}" sheetId="1" r:id="rId1"/>'
            "</sheets></workbook>"
        )
        with zipfile.ZipFile(fileobj, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, xml in _XLSX_PARTS.items():
                archive.writestr(name, '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + xml)
            archive.writestr("xl/workbook.xml", '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + workbook)
            with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
                sheet.write(head.encode())
                self.tmp.seek(0)
                while block := self.tmp.read(1 << 20):
                    sheet.write(block.encode())
                sheet.write(b"</sheetData></worksheet>")
        self.tmp.close()


class ActivationWorkbook:
    """One row per new account: name, unit, username, one-time code, under a title and a how-to line."""

    def __init__(self, *, title: str = "", note: str = "") -> None:
        self.sheet = PlainSheetWriter(
            sheet_name=_("Accounts"), widths=[32, 14, 18, 18], frozen_rows=ACTIVATION_HEADER_ROWS
        )
        self.sheet.append([title], bold=True)
        self.sheet.append([note])
        self.sheet.append([_("Full name"), _("Unit code"), _("Username"), _("Activation code")], bold=True)
        self.rows = 0

    def add(self, *, full_name: str, org_code: str, username: str, code: str) -> None:
        self.rows += 1
        self.sheet.append((full_name, org_code, username, code))

    def save(self, fileobj) -> None:
        self.sheet.save(fileobj)


def read_activation_rows(fileobj) -> Iterable[dict]:
    """The rows of an activation workbook written by ActivationWorkbook (for the PDF)."""
    import python_calamine

    sheet = python_calamine.CalamineWorkbook.from_filelike(fileobj).get_sheet_by_index(0)
    for index, row in enumerate(sheet.iter_rows()):
        if index < ACTIVATION_HEADER_ROWS or len(row) < 4 or not row[2]:
            continue
        yield {"full_name": str(row[0]), "org_code": cell_text(row[1]), "username": str(row[2]), "code": str(row[3])}


CARD_W, CARD_H, COLS, ROWS, MARGIN_X, MARGIN_Y, QR_SIZE = 95.0, 55.0, 2, 5, 10.0, 11.0, 30.0


def _qr_image(content: str):
    """A QR code (error correction M) as a small greyscale image: one pixel a module, with the quiet zone;
    the PDF scales it. zxing-cpp encodes in C++: 0.13 ms a code, against 0.7 ms for the pure-Python
    segno this replaced, which was most of the time of 40,000 cards (bench/README.md)."""
    import zxingcpp
    from PIL import Image

    symbol = zxingcpp.create_barcode(content, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    modules = symbol.to_image(scale=1, add_quiet_zones=True)
    height, width = modules.shape
    return Image.frombytes("L", (width, height), bytes(modules))


def activation_pdf(rows: Iterable[dict], fileobj, *, title: str, expires: date | None = None) -> int:
    """Cards to cut out, ten per A4 page: a QR code to the activation page and the username and code in
    clear. DejaVu Sans (shipped in fonts/) renders every Vietnamese letter. Text is placed with
    FPDF.text() and the lines common to every card are broken once: laying out each card's paragraphs
    again cost more than drawing its QR code. Returns the number of cards."""
    from fpdf import FPDF

    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_title(title)
    pdf.add_font("DejaVu", "", str(FONTS_DIR / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS_DIR / "DejaVuSans-Bold.ttf"))
    per_page = COLS * ROWS
    address = activation_address()
    text_x, text_width = QR_SIZE + 4, CARD_W - QR_SIZE - 6
    label_user, label_code = _("Username") + ":", _("Activation code") + ":"
    valid_until = _("Valid until")
    scan_hint = _("Scan the code or open the address below, then choose your password.")
    label_expires = f"{valid_until}: {expires:%d/%m/%Y}" if expires else ""
    how = f"{scan_hint}\n{address}"
    footer: list[str] = []
    count = 0
    for row in rows:
        slot = count % per_page
        if slot == 0:
            pdf.add_page()
            pdf.set_font("DejaVu", "B", 9)
            pdf.text(MARGIN_X, 8, title)
            pdf.set_draw_color(160, 160, 160)
            pdf.set_line_width(0.2)
            if not footer:  # line breaks need a page; they are the same on every card
                pdf.set_font("DejaVu", "", 7)
                footer = pdf.multi_cell(CARD_W - 4, 3.4, how, dry_run=True, output="LINES")
        x = MARGIN_X + (slot % COLS) * CARD_W
        y = MARGIN_Y + (slot // COLS) * CARD_H
        pdf.set_dash_pattern(dash=1, gap=1)
        pdf.rect(x, y, CARD_W, CARD_H)
        pdf.set_dash_pattern()
        pdf.image(
            _qr_image(activation_url(row["username"], row["code"], address=address)),
            x=x + 2,
            y=y + 2,
            w=QR_SIZE,
            h=QR_SIZE,
        )
        tx = x + text_x
        pdf.set_font("DejaVu", "B", 10)
        name = row["full_name"]
        if pdf.get_string_width(name) <= text_width:
            pdf.text(tx, y + 7, name)
        else:  # a long name takes two lines
            for i, line in enumerate(pdf.multi_cell(text_width, 4.6, name, dry_run=True, output="LINES")[:2]):
                pdf.text(tx, y + 7 + 4.6 * i, line)
        pdf.set_font("DejaVu", "", 8)
        pdf.text(tx, y + 16, row["org_code"])
        pdf.text(tx, y + 21, label_user)
        pdf.text(tx, y + 31, label_code)
        pdf.set_font("DejaVu", "B", 11)
        pdf.text(tx, y + 26, row["username"])
        pdf.text(tx, y + 36, row["code"])
        pdf.set_font("DejaVu", "", 7)
        if label_expires:
            pdf.text(tx, y + 41, label_expires)
        for i, line in enumerate(footer):
            pdf.text(x + 2, y + 46 + 3.4 * i, line)
        count += 1
    if count == 0:
        pdf.add_page()
    pdf.output(fileobj)
    return count
