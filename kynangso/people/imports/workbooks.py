"""The files of an import: the template to fill in, the error workbook (the rejected rows as they were,
bad cells highlighted, a message column; it re-imports as it is once corrected) and the activation
sheets (Excel, and a PDF with one card and QR code per person).

The template, small and full of drop-down lists, is written with openpyxl; the error workbook and the
activation sheet, a row per person, are streamed by core.xlsx, so memory stays flat whatever the number
of rows."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

from kynangso.core.xlsx import SheetWriter, Style

from ..exports import COLUMN_STYLES, COLUMN_WIDTHS, HEADERS, people_workbook, template_aids
from ..models import Person
from .reading import FIELDS, PERSON_CODE, names_units, person_code_places, with_units_note
from .validation import ParsedRow, cccd_text, cell_text, reads_day_first

_ORG = FIELDS.index("org_code")

ACTIVATION_HEADER_ROWS = 3
# The extra columns of the error workbook (recognised, and silently dropped, when it is re-imported).
ERROR_ROW_HEADER = "Dòng gốc"
ERROR_MESSAGE_HEADER = "Lỗi"
FONTS_DIR = Path(__file__).resolve().parent / "fonts"
logging.getLogger("fontTools").setLevel(logging.WARNING)  # fpdf2's font subsetting logs every glyph at INFO
TEXT_FIELDS = frozenset(("cccd", "phone", "org_code"))
EXTRA_COLUMN_WIDTH = 16
MESSAGE_LINE_CHARS = 80  # about what the message column (width 70) shows on a line
LINE_POINTS = 15


# --- template ----------------------------------------------------------------------------------


def template_workbook(*, organisations: Sequence[tuple[str, str]]) -> io.BytesIO:
    """The empty people list, with its drop-down lists (sex, target groups, the unit codes the user may use,
    their names beside them), the date column's hint and the guide sheet: the export's workbook with no one
    in it (exports.people_stream), so the two are one template."""
    return people_workbook(Person.objects.none(), organisations=organisations, codes=False)


# --- error workbook ----------------------------------------------------------------------------


FIRST_MESSAGES = 20


class ErrorWorkbook:
    """The rejected rows, in the template's columns, then the file's other columns ("STT", "Ghi chú", …),
    the original row number and the messages. Each value is written as it was read; text stays text (so a
    CCCD keeps its leading zero), bad cells are highlighted. Streamed (core.xlsx): 40,000 rejected rows in
    well under a second."""

    def __init__(
        self,
        headers: list[str] | None = None,
        source_rows: dict[int, int | str] | None = None,
        extra_headers: list[str] | None = None,
        organisations: Sequence[tuple[str, str]] = (),
        row_label: Callable[[int], str] = str,
        named_rows: set[int] | frozenset[int] = frozenset(),
        named_column: str = "",
        units_named: bool | None = None,
    ) -> None:
        """`headers`: the file's own titles of the template's columns (as the messages name them);
        `source_rows`: for an error workbook imported again, its rows' own "Dòng gốc" (else the row's number,
        or for a workbook's later sheet, `row_label`'s "12 (trang “Ấp 2”)"); `extra_headers`:
        the titles of the file's other columns, whose values are each row's `extras`; `organisations`:
        (code, name) of the units the rows may name, for the template's drop-down lists (QA round 32: the
        fixes are mostly a unit code or a group name, which the template lists); `named_rows`: rows whose
        unit a column of names gave beside an empty code, which keeps it (one of the other columns): their
        code stays empty, so the file reads as it did (QA round 47); `units_named`: how the import read a
        column of units' names (RowValidator.decide_named), noted in its title (reading.UNITS_NOTE): its rows,
        read again alone, are read so (QA round 48: a refused unit's name became a place)."""
        self.source_rows = source_rows or {}
        self.named_rows = named_rows
        headers, extra_headers = list(headers or HEADERS), list(extra_headers or ())
        # the names' column among the others (`named_column`'s title), titled with how it was read
        self.named_extra = extra_headers.index(named_column) if named_column in extra_headers else None
        if self.named_extra is not None:
            extra_headers[self.named_extra] = with_units_note(named_column, units_named)
        elif names_units(headers[_ORG]):
            headers[_ORG] = with_units_note(headers[_ORG], units_named)
        self.row_label = row_label
        self.extra_width = len(extra_headers or ())
        # the people's codes among the others (an export's "Mã hồ sơ KNS"): coloured when a row's code is refused
        self.code_extras = person_code_places(extra_headers)
        self.sheet = SheetWriter(
            sheet_name="Danh sách",
            widths=[*COLUMN_WIDTHS, *[EXTRA_COLUMN_WIDTH] * self.extra_width, 10, 70],
            frozen_rows=1,
            column_styles=COLUMN_STYLES,
        )
        template_aids(self.sheet, organisations)
        self.sheet.append(
            [*(headers or HEADERS), *(extra_headers or ()), ERROR_ROW_HEADER, ERROR_MESSAGE_HEADER],
            [Style.HEADER] * (len(HEADERS) + self.extra_width) + [Style.HEADER_ALERT] * 2,
        )
        self.rows = 0
        self.day_first = True  # whether the rows added next were read day first (03/04/1991: 3 April); the runner's
        self.first_messages: list[str] = []  # the first FIRST_MESSAGES, for the import's page
        self.messages = 0  # all of them

    def add(self, row: ParsedRow) -> None:
        bad = {name for name, _message in row.errors if name}
        named = row.number in self.named_rows and self.named_extra is not None and "org_code" in bad
        if named:  # the unit's name refused, in its own column (below), not the empty code
            bad.discard("org_code")
        values, styles = [], []
        for name, value in zip(FIELDS, row.cells, strict=True):
            if name == "org_code" and row.number in self.named_rows:
                value = None
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            if name == "cccd" and value is not None:
                value = cccd_text(value)  # a CCCD stored as a number goes back as its 12 digits
            elif (
                name == "date_of_birth"
                and row.date_of_birth is not None
                and isinstance(value, str)
                and not reads_day_first(value, row.date_of_birth, ambiguous=self.day_first)  # as typed (QA
            ):  # rounds 32, 42: a clerk never writes year first)
                # a text date as it was read, year first: 3/4/1991 of a month-first file stays 4 March, and a
                # text is no date cell to doubt (QA rounds 29, 30)
                value = f"{row.date_of_birth:%Y-%m-%d}"
            elif name in TEXT_FIELDS and value is not None and not isinstance(value, str):
                value = cell_text(value)
            if isinstance(value, str):
                style = Style.BAD_TEXT if name in bad else Style.TEXT
            elif isinstance(value, date):
                style = Style.BAD_DATE if name in bad else Style.DATE
            else:
                style = Style.BAD if name in bad else Style.NORMAL
            values.append(value)
            styles.append(style)
        if self.extra_width:
            extras = (*row.extras, *(None,) * (self.extra_width - len(row.extras)))
            values += [int(v) if isinstance(v, float) and v.is_integer() else v for v in extras]
            styles += [
                Style.TEXT if isinstance(v, str) else Style.DATE if isinstance(v, date) else Style.NORMAL
                for v in extras
            ]
            if named:
                styles[len(FIELDS) + self.named_extra] = Style.BAD_TEXT
            if PERSON_CODE in bad:
                for i in self.code_extras:
                    styles[len(FIELDS) + i] = Style.BAD_TEXT
        messages = [m for _n, m in row.errors]
        self.first_messages.extend(messages[: FIRST_MESSAGES - len(self.first_messages)])
        self.messages += len(messages)
        source = self.source_rows.get(row.number, row.number)  # a label kept from an error workbook stays
        label = source if isinstance(source, str) else self.row_label(source)  # a number, or with its sheet
        values += [source if label == str(source) else label, "\n".join(messages)]
        styles += [Style.NORMAL, Style.MESSAGE]
        lines = sum(-(-len(m) // MESSAGE_LINE_CHARS) for m in messages)
        self.sheet.append(values, styles, height=LINE_POINTS * lines if lines > 1 else None)
        self.rows += 1

    def save(self, fileobj) -> None:
        self.sheet.save(fileobj)


# --- activation sheets -------------------------------------------------------------------------


def activation_address() -> str:
    return f"{settings.SITE_URL.rstrip('/')}{reverse('web:activate')}"


def address_elsewhere(host: str) -> str:
    """The host the activation files' QR codes lead to (SITE_URL's), when it is not `host`, the one the page
    is open at: every code handed out would lead elsewhere (QA rounds 49, 52); "" when they are the same."""
    site = urlsplit(settings.SITE_URL).netloc
    return site if site != host else ""


def activation_url(username: str, code: str, *, address: str | None = None) -> str:
    """The page where the person sets a password; the QR code carries the username and code too."""
    return f"{address or activation_address()}?{urlencode({'username': username, 'code': code})}"


class ActivationWorkbook:
    """One row per new account: name, date of birth (to tell namesakes' cards apart), unit code and name,
    username, one-time code, under a title and a how-to line. Rows come unit by unit (QA round 47: a
    province hands the codes out commune by commune): each unit starts a printed page, the header repeated
    on every page, with a filter on it."""

    def __init__(self, *, title: str = "", note: str = "") -> None:
        self.sheet = SheetWriter(
            sheet_name=_("Accounts"),
            widths=[30, 12, 16, 46, 18, 16],
            frozen_rows=ACTIVATION_HEADER_ROWS,
            printed=True,
        )
        self.sheet.append([title], Style.BOLD)
        # The how-to line across the table, wrapped (QA round 48: spilling to its right, it made a printed
        # page as wide as itself, the table a third smaller), on every printed page with the title
        self.sheet.append([note], Style.MESSAGE, height=LINE_POINTS * 2)
        self.sheet.merges += ["A1:F1", "A2:F2"]
        self.sheet.append(
            [_("Full name"), _("Date of birth"), _("Unit code"), _("Unit"), _("Username"), _("Activation code")],
            Style.BOLD,
        )
        self.rows = 0
        self.unit = None

    def add(
        self, *, full_name: str, org_code: str, username: str, code: str, born: str = "", org_name: str = ""
    ) -> None:
        """`born`: the date of birth as text, dd/mm/yyyy, or empty."""
        if org_code != self.unit:
            self.sheet.page_break()
            self.unit = org_code
        self.rows += 1
        self.sheet.append((full_name, born, org_code, org_name, username, code))

    def save(self, fileobj) -> None:
        self.sheet.save(fileobj)


def read_activation_rows(fileobj) -> Iterable[dict]:
    """The rows of an activation workbook written by ActivationWorkbook (for the PDF), or by its earlier
    layouts: without the unit's name (five columns), without the date of birth (four)."""
    import python_calamine

    sheet = python_calamine.CalamineWorkbook.from_filelike(fileobj).get_sheet_by_index(0)
    width = 0
    for index, row in enumerate(sheet.iter_rows()):
        if index < ACTIVATION_HEADER_ROWS:
            width = sum(1 for cell in row if cell != "")  # the header's, last
            continue
        org_name = ""
        if width >= 6:
            name, born, org_code, org_name, username, code = row[:6]
        elif len(row) < 5 or not row[4]:
            name, born, org_code, username, code = row[0], "", *row[1:4]
        else:
            name, born, org_code, username, code = row[:5]
        if username:
            yield {
                "full_name": str(name),
                "born": cell_text(born),
                "org_code": cell_text(org_code),
                "org_name": str(org_name),
                "username": str(username),
                "code": str(code),
            }


CARD_W, CARD_H, COLS, ROWS, MARGIN_X, MARGIN_Y, QR_SIZE = 95.0, 55.0, 2, 5, 10.0, 13.0, 30.0
NAME_SIZES = (10, 9, 8, 7)  # points: a long name tried in two lines at each size, bold


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


def qr_png_data_uri(content: str, scale: int = 6) -> str:
    """A QR code as a PNG data: URI, for a page (the site's CSP allows data: images)."""
    import base64

    from PIL import Image

    image = _qr_image(content)
    image = image.resize((image.width * scale, image.height * scale), Image.NEAREST)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


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
    label_user, label_code, label_unit = _("Username") + ":", _("Activation code") + ":", _("Unit")
    valid_until = _("Valid until")
    scan_hint = _("Scan the code or open the address below, then choose your password.")
    label_expires = f"{valid_until}: {expires:%d/%m/%Y}" if expires else ""
    how = f"{scan_hint}\n{address}"
    footer: list[str] = []
    count = slot = 0
    unit = None
    for row in rows:
        if row["org_code"] != unit:  # each unit from a new page, named at its top (QA round 47)
            unit, slot = row["org_code"], 0
        if slot == 0:
            pdf.add_page()
            pdf.set_font("DejaVu", "B", 9)
            pdf.text(MARGIN_X, 7.5, title)  # below the 5 mm most printers cannot reach (QA round 48)
            pdf.set_font("DejaVu", "", 8)
            named = f"{row['org_name']} ({unit})" if row.get("org_name") else unit
            pdf.text(MARGIN_X, 11.5, f"{label_unit}: {named}")
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
        else:  # a long name takes two lines, in a smaller size if need be; one longer still ends with "…"
            for size in NAME_SIZES:  # (QA round 43: a name cut without a sign looked whole)
                pdf.set_font("DejaVu", "B", size)
                lines = pdf.multi_cell(text_width, 4.6, name, dry_run=True, output="LINES")
                if len(lines) <= 2:
                    break
            if len(lines) > 2:
                words = lines[1].split()
                while len(words) > 1 and pdf.get_string_width(" ".join(words) + " …") > text_width:
                    words.pop()  # whole words: "Khán …" would be another name
                lines = [lines[0], " ".join(words) + " …"]
            for i, line in enumerate(lines):
                pdf.text(tx, y + 7 + 4.6 * i, line)
        pdf.set_font("DejaVu", "", 8)
        pdf.text(tx, y + 16, f"{row['born']} · {row['org_code']}" if row.get("born") else row["org_code"])
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
        slot = (slot + 1) % per_page
    if count == 0:
        pdf.add_page()
    pdf.output(fileobj)
    return count
