"""A one-sheet .xlsx written as a stream: the big workbooks users download (people exports, error
workbooks, activation sheets) have a row per person, tens of thousands of them.

openpyxl's write-only mode builds a cell object and an XML element per cell: about 9 µs a cell, so
40,000 rejected rows took 7 s and an export of 40,000 people 4.7 s. This writer formats each row as a
string (about 1 µs a cell) into a temporary file, then zips it with the few fixed parts of a workbook.
It knows text, numbers and dates, the handful of styles below, and drop-down lists of a column (their
values on a hidden second sheet); workbooks that need more (the import template's guide sheet and date
rule) are written with openpyxl.

Text is written as inline strings, never as formulas: a value such as "=HYPERLINK(…)" read from a CSV
file stays text."""

from __future__ import annotations

import math
import re
import tempfile
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from enum import IntEnum
from functools import cache
from xml.sax.saxutils import escape


class Style(IntEnum):
    """Cell styles (the cellXfs of STYLES_XML, in order). All top-aligned: a row made tall by a wrapped
    message reads from the top."""

    NORMAL = 0
    BOLD = 1
    HEADER = 2  # white bold on blue: the column titles
    HEADER_ALERT = 3  # white bold on red: the columns an error workbook adds
    TEXT = 4  # number format "@": what the user types stays text (CCCD, phone: leading zeros)
    DATE = 5  # DD/MM/YYYY
    BAD = 6  # a cell with an error: dark red bold on pink
    BAD_TEXT = 7
    BAD_DATE = 8
    MESSAGE = 9  # text, wrapped, top-aligned


BAD_FILL = "FFC7CE"  # the pink of BAD (tests read it back)
EXCEL_EPOCH = datetime(1899, 12, 30)  # serial 0 of the 1900 date system (1 is 1900-01-01, after Excel's leap-day bug)
MAX_CELL_CHARS = 32_767  # Excel refuses a file with a longer cell
EXCEL_MAX_ROWS = 1_048_576  # the rows of a sheet: Excel leaves out the ones after
EXCEL_MAX_BREAKS = 1_026  # manual page breaks of a sheet, as Excel's specifications give them

_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

# (number format, font, fill, wrapping) of each Style, in order: fonts and fills are indexes into STYLES_XML.
_XF = [
    (0, 0, 0, ""),  # NORMAL
    (0, 1, 0, ""),  # BOLD
    (0, 2, 2, ""),  # HEADER
    (0, 2, 3, ""),  # HEADER_ALERT
    (49, 0, 0, ""),  # TEXT ("@" is built-in format 49)
    (164, 0, 0, ""),  # DATE
    (0, 3, 4, ""),  # BAD
    (49, 3, 4, ""),  # BAD_TEXT
    (164, 3, 4, ""),  # BAD_DATE
    (49, 0, 0, ' wrapText="1"'),  # MESSAGE
]
STYLES_XML = (
    f'<styleSheet xmlns="{_MAIN_NS}">'
    '<numFmts count="1"><numFmt numFmtId="164" formatCode="DD/MM/YYYY"/></numFmts>'
    '<fonts count="4">'
    '<font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><color rgb="FFFFFFFF"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><color rgb="FF9C0006"/><name val="Calibri"/></font>'
    "</fonts>"
    '<fills count="5">'
    '<fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    + "".join(
        f'<fill><patternFill patternType="solid"><fgColor rgb="FF{rgb}"/><bgColor indexed="64"/></patternFill></fill>'
        for rgb in ("1F5F99", "B42318", BAD_FILL)
    )
    + "</fills>"
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    f'<cellXfs count="{len(_XF)}">'
    + "".join(
        f'<xf numFmtId="{fmt}" fontId="{font}" fillId="{fill}" borderId="0" xfId="0" applyNumberFormat="1" '
        f'applyFont="1" applyFill="1" applyAlignment="1"><alignment vertical="top"{wrap}/></xf>'
        for fmt, font, fill, wrap in _XF
    )
    + "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
)
_FIXED_PARTS = {
    "_rels/.rels": (
        f'<Relationships xmlns="{_PKG_REL_NS}"><Relationship Id="rId1" '
        f'Type="{_REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/styles.xml": STYLES_XML,
}
_WORKSHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
LISTS_SHEET = "Danh mục"  # the hidden sheet that holds the values of the drop-down lists
QUOTED_LISTS_SHEET = f"'{LISTS_SHEET}'"  # as a formula names it


def _package_parts(sheets: int) -> dict[str, str]:
    """The content types and the workbook's relationships of a workbook of `sheets` worksheets."""
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="{_WORKSHEET_TYPE}"/>'
        for n in range(1, sheets + 1)
    )
    relationships = "".join(
        f'<Relationship Id="rId{n}" Type="{_REL_NS}/worksheet" Target="worksheets/sheet{n}.xml"/>'
        for n in range(1, sheets + 1)
    )
    return {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            f"{overrides}"
            '<Override PartName="/xl/styles.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{_PKG_REL_NS}">{relationships}'
            f'<Relationship Id="rId{sheets + 1}" Type="{_REL_NS}/styles" Target="styles.xml"/></Relationships>'
        ),
    }


def _attr(value: str) -> str:
    return escape(value, {'"': "&quot;"})


@cache
def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def excel_serial(value: date) -> float | int:
    """A date (or datetime, naive) as Excel's day number."""
    if isinstance(value, datetime):
        delta = value.replace(tzinfo=None) - EXCEL_EPOCH
        return delta.days + delta.seconds / 86_400 if delta.seconds else delta.days
    return (value - EXCEL_EPOCH.date()).days


def _text(value: str) -> str:
    return escape(_XML_ILLEGAL.sub("", value[:MAX_CELL_CHARS]))


class _Pipe:
    """Where zipfile writes a workbook that is streamed: the bytes wait here until taken (no `tell`, so
    zipfile writes each part's sizes after it)."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        return data


class SheetWriter:
    """One sheet, appended to row by row, then `save(fileobj)`, or streamed (`stream`). Cells are typed by
    their value: str as text, int and float as numbers, date and datetime as dates (give them a DATE style
    to show them as dates); anything else is written as its text. An empty cell is left out unless it has
    a style."""

    def __init__(
        self,
        *,
        sheet_name: str,
        widths: Sequence[float],
        frozen_rows: int = 0,
        column_styles: dict[int, Style] | None = None,
        printed: bool = False,
    ) -> None:
        """`printed`: a sheet to print: landscape, fit to the page's width, the frozen rows (a title, the
        header) repeated on every page, pages numbered, a filter on the header (the last frozen row), and the
        page breaks asked for (page_break)."""
        self.sheet_name = sheet_name[:31]
        self.widths = widths
        self.frozen_rows = frozen_rows
        self.column_styles = column_styles or {}
        self.printed = printed
        self.breaks: list[int] = []  # rows after which a printed page ends
        self.marks: dict[str, str] = {}  # hidden defined names: what a reader of ours is to know of the file
        self.merges: list[str] = []  # ranges shown as one cell ("A2:F2")
        self.rows = 0
        self.dropdowns: list[tuple[int, list[str], bool, str, str]] = []
        self.list_notes: list[str] = []  # a column of the lists sheet beside its lists (a unit code's name)
        self.date_hints: list[tuple[int, str, str]] = []
        self.guide: tuple[str, list[str]] | None = None
        self.tmp = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115 (closed by save())

    def dropdown(self, column: int, values: Sequence[str], *, strict: bool, title: str = "", message: str = "") -> None:
        """A drop-down list on the column (0 = A) below the frozen rows. `strict`: another value is refused
        with `message`; otherwise any value may be typed and `message` is shown as a hint."""
        if values:
            self.dropdowns.append((column, list(values), strict, title, message))

    def date_hint(self, column: int, *, title: str, message: str) -> None:
        """A date column (0 = A) below the frozen rows: `message` shown as a hint; a date outside 1900 to
        today is marked by Excel's data check, any value may still be typed (a year alone)."""
        self.date_hints.append((column, title, message))

    def guide_sheet(self, name: str, lines: Sequence[str]) -> None:
        """A second visible sheet of instructions, a line a row."""
        self.guide = (name[:31], list(lines))

    def page_break(self) -> None:
        """Start a new printed page with the next row (Excel keeps at most EXCEL_MAX_BREAKS: the later rows then
        run on)."""
        if self.rows > self.frozen_rows and self.rows not in self.breaks and len(self.breaks) < EXCEL_MAX_BREAKS:
            self.breaks.append(self.rows)

    def append(
        self, values: Sequence, styles: Style | Sequence[Style] = Style.NORMAL, *, height: float | None = None
    ) -> None:
        """Add a row; `styles`: one for every cell, or one per cell; `height` in points (15 a line), for
        wrapped text: spreadsheet programs do not all fit a row's height to its text when they open it."""
        self.tmp.write(self._row_xml(values, styles, height))

    def _row_xml(self, values: Sequence, styles: Style | Sequence[Style], height: float | None = None) -> str:
        self.rows += 1
        r = self.rows
        same = isinstance(styles, int)
        cells = []
        for index, value in enumerate(values):
            style = styles if same else styles[index]
            # A plain cell in a styled column says so: LibreOffice gives a cell without a style its column's
            # (QA round 28: a year alone, 1978, in the date column became 31/05/1905).
            s = f' s="{style:d}"' if style or index in self.column_styles else ""
            ref = f"{column_letter(index)}{r}"
            if value is None or value == "":
                if style:
                    cells.append(f'<c r="{ref}"{s}/>')
                continue
            if isinstance(value, bool):
                value = str(value)
            elif isinstance(value, date):  # before March 1900 Excel's day numbers are off: text then
                value = excel_serial(value) if (value.year, value.month) >= (1900, 3) else f"{value:%d/%m/%Y}"
            if isinstance(value, int) or (isinstance(value, float) and math.isfinite(value)):
                cells.append(f'<c r="{ref}"{s}><v>{value!r}</v></c>')
            else:
                text = _text(value if isinstance(value, str) else str(value))
                cells.append(f'<c r="{ref}"{s} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>')
        ht = f' ht="{height:g}" customHeight="1"' if height else ""
        return f'<row r="{r}"{ht}>{"".join(cells)}</row>'

    def save(self, fileobj) -> None:
        self.tmp.seek(0)
        for _ in self._zip(fileobj, iter(lambda: self.tmp.read(1 << 20).encode(), b"")):
            pass

    def stream(self, rows: Iterable[tuple[Sequence, Style | Sequence[Style]]], *, batch: int = 1000) -> Iterator[bytes]:
        """The workbook's bytes as it is written: the rows appended so far, then `rows` ((values, styles)
        each), read as the bytes are taken. A download starts at once and memory stays flat however many
        rows there are."""

        def blocks():
            self.tmp.seek(0)
            yield self.tmp.read().encode()
            lines = []
            for values, styles in rows:
                lines.append(self._row_xml(values, styles))
                if len(lines) >= batch:
                    yield "".join(lines).encode()
                    lines.clear()
            yield "".join(lines).encode()

        pipe = _Pipe()
        for _ in self._zip(pipe, blocks(), zip64=False):
            if data := pipe.take():
                yield data

    def _zip(self, fileobj, blocks: Iterator[bytes], *, zip64: bool = True) -> Iterator[None]:
        """Write the workbook to `fileobj`, the sheet's rows from `blocks`; pauses after each block.

        Written to a stream, zipfile cannot go back to a part's header to put its sizes in: it writes them
        after the part (a data descriptor, as Java's zip streams and so many workbooks do). It must not
        also mark the part ZIP64, whose sizes it then leaves unknown in the header: Excel calls such a file
        corrupt. A streamed sheet stays under ZIP's 4 GB without it: Excel's EXCEL_MAX_ROWS rows of a
        people list are a few hundred MB."""
        pane = ""
        if self.frozen_rows:
            pane = (
                f'<pane ySplit="{self.frozen_rows}" topLeftCell="A{self.frozen_rows + 1}" '
                'activePane="bottomLeft" state="frozen"/>'
            )
        cols = []
        for i, width in enumerate(self.widths):
            style = self.column_styles.get(i)
            s = f' style="{style:d}"' if style else ""
            cols.append(f'<col min="{i + 1}" max="{i + 1}" width="{width}" customWidth="1"{s}/>')
        fit = '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>' if self.printed else ""
        head = (
            f'{_XML_DECL}<worksheet xmlns="{_MAIN_NS}">{fit}'
            f'<sheetViews><sheetView workbookViewId="0">{pane}</sheetView></sheetViews>'
            f"<cols>{''.join(cols)}</cols><sheetData>"
        )
        others = []  # the other sheets: (name, hidden, xml)
        if self.dropdowns:
            others.append((LISTS_SHEET, True, self._lists_sheet_xml()))
        if self.guide is not None:
            others.append((self.guide[0], False, self._guide_sheet_xml()))
        sheets = f'<sheet name="{_attr(self.sheet_name)}" sheetId="1" r:id="rId1"/>'
        for n, (name, hidden, _xml) in enumerate(others, start=2):
            state = ' state="hidden"' if hidden else ""
            sheets += f'<sheet name="{_attr(name)}" sheetId="{n}"{state} r:id="rId{n}"/>'
        try:
            with zipfile.ZipFile(fileobj, "w", zipfile.ZIP_DEFLATED) as archive:
                for name, xml in {**_FIXED_PARTS, **_package_parts(1 + len(others))}.items():
                    archive.writestr(name, _XML_DECL + xml)
                with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=zip64) as sheet:
                    sheet.write(head.encode())
                    for block in blocks:
                        sheet.write(block)
                        yield
                    merges = "".join(f'<mergeCell ref="{ref}"/>' for ref in self.merges)
                    merges = f'<mergeCells count="{len(self.merges)}">{merges}</mergeCells>' if merges else ""
                    # in the schema's order
                    tail = f"{self._filter_xml()}{merges}{self._validations_xml()}{self._print_xml()}"
                    sheet.write(f"</sheetData>{tail}</worksheet>".encode())
                # after the sheet, whose rows a filter's range needs (readers find the parts by name)
                workbook = f"<sheets>{sheets}</sheets>{self._defined_names_xml()}"
                archive.writestr(
                    "xl/workbook.xml",
                    f'{_XML_DECL}<workbook xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}">{workbook}</workbook>',
                )
                for n, (_name, _hidden, xml) in enumerate(others, start=2):
                    archive.writestr(f"xl/worksheets/sheet{n}.xml", xml)
            yield
        finally:
            self.tmp.close()

    def _filter_range(self) -> str:
        last = column_letter(len(self.widths) - 1)
        return f"$A${self.frozen_rows}:${last}${max(self.rows, self.frozen_rows)}"

    def _filter_xml(self) -> str:
        """A printed sheet's filter buttons on its header (the last frozen row)."""
        if not self.printed or not self.frozen_rows:
            return ""
        return f'<autoFilter ref="{self._filter_range().replace("$", "")}"/>'

    def _print_xml(self) -> str:
        """A printed sheet's page setup (A4, fit to the width), page numbers and page breaks."""
        if not self.printed:
            return ""
        breaks = "".join(f'<brk id="{row}" max="16383" man="1"/>' for row in self.breaks)
        if breaks:
            breaks = f'<rowBreaks count="{len(self.breaks)}" manualBreakCount="{len(self.breaks)}">{breaks}</rowBreaks>'
        return (
            '<pageMargins left="0.4" right="0.4" top="0.6" bottom="0.6" header="0.3" footer="0.3"/>'
            '<pageSetup paperSize="9" orientation="landscape" fitToWidth="1" fitToHeight="0"/>'
            f"<headerFooter><oddFooter>&amp;C&amp;P / &amp;N</oddFooter></headerFooter>{breaks}"
        )

    def _defined_names_xml(self) -> str:
        """A printed sheet's header repeated on every page and its filter's range (which Excel keeps so)."""
        names = ""
        if self.printed and self.frozen_rows:
            sheet = _text("'" + self.sheet_name.replace("'", "''") + "'")
            header = f"$1:${self.frozen_rows}"
            names += (
                f'<definedName name="_xlnm._FilterDatabase" localSheetId="0" hidden="1">{sheet}!{self._filter_range()}'
                f'</definedName><definedName name="_xlnm.Print_Titles" localSheetId="0">{sheet}!{header}</definedName>'
            )
        return f"<definedNames>{names}</definedNames>" if names else ""

    def _validations_xml(self) -> str:
        items = []
        for i, (column, values, strict, title, message) in enumerate(self.dropdowns):
            letter, lists = column_letter(column), column_letter(i)
            text = (
                f' showErrorMessage="1" errorTitle="{_attr(title)}" error="{_attr(message)}"'
                if strict
                else f' showErrorMessage="0" showInputMessage="1" promptTitle="{_attr(title)}"'
                f' prompt="{_attr(message)}"'
            )
            cells = f"{letter}{self.frozen_rows + 1}:{letter}1048576"
            items.append(
                f'<dataValidation type="list" allowBlank="1"{text} sqref="{cells}">'
                f"<formula1>{_text(QUOTED_LISTS_SHEET)}!${lists}$1:${lists}${len(values)}</formula1>"
                "</dataValidation>"
            )
        for column, title, message in self.date_hints:
            letter = column_letter(column)
            items.append(
                f'<dataValidation type="date" operator="between" allowBlank="1" showErrorMessage="0" '
                f'showInputMessage="1" promptTitle="{_attr(title)}" prompt="{_attr(message)}" '
                f'sqref="{letter}{self.frozen_rows + 1}:{letter}1048576">'
                "<formula1>DATE(1900,1,1)</formula1><formula2>TODAY()</formula2></dataValidation>"
            )
        if not items:
            return ""
        return f'<dataValidations count="{len(items)}">{"".join(items)}</dataValidations>'

    def _lists_sheet_xml(self) -> str:
        columns = [values for _c, values, *_rest in self.dropdowns]
        if self.list_notes:
            columns.append(self.list_notes)
        return _text_sheet_xml(columns, Style.TEXT)

    def _guide_sheet_xml(self) -> str:
        return _text_sheet_xml([self.guide[1]], Style.NORMAL, widths=[110])


def _text_sheet_xml(columns: Sequence[Sequence[str]], style: Style, widths: Sequence[float] = ()) -> str:
    """A sheet of text columns (each a list of values from row 1), every value as text."""
    s = f' s="{style:d}"' if style else ""
    rows = []
    for r in range(max(len(values) for values in columns)):
        cells = "".join(
            f'<c r="{column_letter(i)}{r + 1}"{s} t="inlineStr"><is><t xml:space="preserve">'
            f"{_text(values[r])}</t></is></c>"
            for i, values in enumerate(columns)
            if r < len(values)
        )
        rows.append(f'<row r="{r + 1}">{cells}</row>')
    cols = "".join(f'<col min="{i + 1}" max="{i + 1}" width="{w}" customWidth="1"/>' for i, w in enumerate(widths))
    cols = f"<cols>{cols}</cols>" if cols else ""
    return f'{_XML_DECL}<worksheet xmlns="{_MAIN_NS}">{cols}<sheetData>{"".join(rows)}</sheetData></worksheet>'
