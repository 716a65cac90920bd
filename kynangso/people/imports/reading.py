"""Reading people workbooks: .xlsx (and .xls/.ods) through python-calamine, .csv through the csv module.

Finds the header row under any title rows, recognises header variants (diacritics or none, English
names, any case, extra spaces, notes in brackets) and yields the data rows as
(row number as the spreadsheet shows it, cells in the order of `FIELDS`), skipping blank rows.

Memory: CSV is streamed line by line. Calamine holds one sheet's cells in Rust memory (about 175 MB
for 200,000 rows, measured) and builds the Python rows one at a time; a sheet whose XML is larger than
`CALAMINE_MAX_SHEET_BYTES` is read with openpyxl's streaming read-only mode instead (18 MB, but about
ten times slower: 22 s for 200,000 rows), so memory stays bounded whatever the file size. Both paths
choose the sheet the same way and make the same repairs from the sheet's XML (`_sheet_marks`)."""

from __future__ import annotations

import codecs
import csv
import html
import io
import itertools
import logging
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import PurePath

from django.utils.translation import gettext_lazy as _

from kynangso.core.text import fold, grouped, legacy_font, legacy_marks, misdecoded, nfc
from kynangso.core.xlsx import LISTS_SHEET, column_letter

from ..codes import CODE_HEADER
from ..exports import GROUP_LABELS_VI, GUIDE_SHEET, HEADERS

FIELDS = ("full_name", "date_of_birth", "sex", "cccd", "phone", "email", "org_code", "position", "groups")
CANONICAL_HEADERS = dict(zip(FIELDS, HEADERS, strict=True))
EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
SUFFIXES = (*EXCEL_SUFFIXES, ".csv")
HEADER_SCAN_ROWS = 30  # filled rows looked at for the header
# The rows of a workbook's second list sheet are numbered from SHEET_ROWS, the third's from twice that …
# (above Excel's 1,048,576 rows): one number a row across the sheets read, the first sheet's as they are.
SHEET_ROWS = 1 << 21
HEADER_SCAN_MAX_ROWS = 1000  # rows in all, blank ones included
CALAMINE_MAX_SHEET_BYTES = 150 * 1024 * 1024  # uncompressed sheet XML: about 280,000 rows, 250 MB in calamine
# python-calamine holds a sheet's whole rectangle, from A1 to its last used row and column: one stray cell at
# XFD1048576 asks it for 500 GB, and it aborts the process. Larger sheets take openpyxl's streaming path,
# which reads MAX_COLUMNS columns at most.
CALAMINE_MAX_CELLS = 8_000_000
MAX_COLUMNS = 256
ODS_MAX_TEXT = 1024 * 1024
CSV_MAX_LINE_CHARS = 1_000_000  # a row of a people list is a few hundred characters
# A "zip bomb": a small upload whose parts unpack to gigabytes. Real workbooks' large parts pack 5-60 to 1.
MAX_UNPACKED_BYTES = 1024 * 1024 * 1024
MAX_STRINGS_BYTES = 200 * 1024 * 1024  # the shared strings, which both readers hold in memory
MAX_PACKING_RATIO = 200
MARKS_MAX_PENDING = 1 << 20  # no cell's XML is longer (32,767 characters at most)

logger = logging.getLogger(__name__)

ERR_FILE_TYPE = _(
    "Unsupported file type “%(name)s”: upload an Excel workbook (.xlsx, .xls), a LibreOffice one (.ods) or a CSV "
    "file (.csv)."
)
ERR_NAME_PART_MISSING = _("The name has one word and the column “%(column)s” is empty: fill in the whole name.")
ERR_BIRTH_YEARS_DIFFER = _(
    "The date %(value)s is not of the year %(year)s that the column of the year gives: correct one of them."
)
MSG_ROW_OF_SHEET = _("%(row)s (sheet “%(sheet)s”)")
ERR_NO_HEADER = _("No header row found: one of the first %(n)s rows must hold the column titles, at least “Họ và tên”.")
ERR_MISDECODED_FILE = _(
    "The Vietnamese letters of the file are garbled (“%(sample)s”): the list was saved as a CSV file in UTF-8, "
    "then opened with another character set and saved again. Open the CSV file again choosing UTF-8 (Excel: "
    "Data › From Text/CSV › File origin “65001: Unicode (UTF-8)”; LibreOffice: Character set “Unicode "
    "(UTF-8)”), or export the list again; do not convert it with Unikey."
)
ERR_LEGACY_FONT_FILE = _(
    "The file's text is typed in an old Vietnamese font (TCVN3 “.VnTime” or VNI), not in Unicode (“%(sample)s”): "
    "convert the file to Unicode (with Unikey's converter, for example), then upload it again."
)
ERR_CSV_ENCODING = _(
    "The CSV file is not in UTF-8. In Excel, save it as “CSV UTF-8 (Comma delimited)”; in LibreOffice, tick “Edit "
    "filter settings” when saving and choose the character set “Unicode (UTF-8)”."
)
ERR_UNPACKED = _(
    "This Excel file unpacks to an unusual size (%(size)s MB): it is not a list as a spreadsheet program saves "
    "one. Open it in Excel, delete the empty rows and columns after the list, save it as “Excel Workbook "
    "(.xlsx)” and upload it again."
)
ERR_CSV_LINE_LONG = _(
    "Row %(line)s of the CSV file is longer than %(limit)s characters: it is not a list as Excel saves one. "
    "Open the file in Excel, delete the empty columns after the list, save it as “CSV UTF-8” and upload it again."
)
ERR_CSV_BROKEN = _(
    'The CSV file cannot be read: a quote (") opened in row %(line)s is not closed where its cell ends, so the '
    "rows after it would be read as one cell (or a cell there is longer than 130,000 characters). Open the file "
    "in Excel, check that row, save it as “CSV UTF-8” and upload it again."
)
ERR_ODS_TOO_LARGE = _(
    "This spreadsheet's list reaches too far to the right or down (data far after the list, perhaps): it is "
    "not a list as a spreadsheet program saves one. Delete the rows and columns after the list, save it as "
    "“Excel Workbook (.xlsx)” and upload it again."
)
ERR_UNREADABLE = _(
    "The file cannot be read as an Excel workbook: it may be damaged, protected by a password or not an Excel"
    " file. Open it in Excel, save it as “Excel Workbook (.xlsx)” and upload it again."
)

ERR_WEB_PAGE = _(
    "This file is a web page (HTML) saved with an Excel name, as some management software exports a list. "
    "Open it in Excel, save it as “Excel Workbook (.xlsx)” and upload that file."
)
ERR_TEXT_AS_EXCEL = _(
    "This file is text (a CSV list, perhaps) with an Excel name. Give it the name ending “.csv”, or open it in "
    "Excel and save it as “Excel Workbook (.xlsx)”, then upload it again."
)
ERR_XML_SPREADSHEET = _(
    "This file is an “XML Spreadsheet 2003”, an old Excel format. Open it in Excel, save it as “Excel Workbook "
    "(.xlsx)” and upload that file."
)
ERR_EMPTY_FILE = _("The file is empty (0 bytes): upload the list again, from where it was saved.")
# How workbooks begin: a zip (.xlsx, .xlsm, .ods) or an OLE2 compound file (.xls).
_WORKBOOK_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")


class ReadError(ValueError):
    """The file as a whole cannot be read; `message` is the translatable text for the user."""

    def __init__(self, message, **params):
        super().__init__(str(message % params if params else message))
        self.message = message
        self.params = params

    def text(self) -> str:
        return str(self.message % self.params) if self.params else str(self.message)


NOTE = re.compile(r"\(.*?\)|\[.*?\]")  # "(cũ)", "[bắt buộc]": a note in a column's title
# The note the error workbook adds to a column of units' names, saying how its import read it (decide_named),
# so that its rows, read again alone, are read the same way (QA rounds 48-49: as a title, it survives a save
# as .ods or .csv and rows pasted with their header into another workbook). Fixed Vietnamese, not gettext: the
# file is read back by these words whatever the language of the page that made it, as the template's headers.
UNITS_NOTE, PLACES_NOTE = "(đọc là tên đơn vị)", "(đọc là nơi ở, nơi làm việc)"


def units_named_note(title: str) -> bool | None:
    """How a column of units' names titled with one of the error workbook's notes was read (None: no note)."""
    notes = {fold(note) for note in NOTE.findall(title or "")}
    return True if fold(UNITS_NOTE) in notes else False if fold(PLACES_NOTE) in notes else None


def with_units_note(title: str, units_named: bool | None) -> str:
    """The title with the note saying how the column was read, in place of any it had."""
    title = " ".join(NOTE.sub(lambda m: "" if units_named_note(m.group()) is not None else m.group(), title).split())
    return title if units_named is None else f"{title} {UNITS_NOTE if units_named else PLACES_NOTE}"


def header_key(text) -> str:
    """'  Họ và Tên (*) ' → 'hovaten': no diacritics, case, spaces, punctuation or notes in brackets."""
    text = NOTE.sub(" ", str(text or "")).replace("*", " ")
    return re.sub(r"[^a-z0-9]", "", fold(text))


_ALIASES = {
    "full_name": [
        "Họ và tên",
        "Họ tên",
        "Họ và tên đầy đủ",
        "Tên",
        "Full name",
        "Name",
        "Fullname",
        "Họ và tên chủ hộ",  # a list of households: its people are their heads (QA round 34)
        "Họ tên chủ hộ",
    ],
    "date_of_birth": [
        "Ngày sinh",
        "Ngày tháng năm sinh",
        "Sinh ngày",
        "Date of birth",
        "Birth date",
        "Birthdate",
        "Birthday",
        "DOB",
        "Năm sinh",  # often full dates; a year alone is read as such, as in any birth column
        "Tháng, năm sinh",  # "03/1985": the year (QA round 36)
        "Tháng năm sinh",
        "Năm tháng sinh",
        "Year of birth",
        "Birth year",
    ],
    # "12/03" beside a "Năm sinh" of 1985 (QA round 36): the two make the date (_match_header)
    "birth_day_month": ["Ngày, tháng sinh", "Ngày tháng sinh", "Ngày/tháng sinh", "Ngày và tháng sinh"],
    "sex": ["Giới tính", "Giới", "Phái", "Nam/Nữ", "Sex", "Gender"],
    "cccd": [
        "Số CCCD",
        "CCCD",
        "Số thẻ CCCD",
        "ĐDCN",
        "Số ĐDCN",
        "Số CCCD/CC",
        "CCCD/CC",
        "Số căn cước",
        "Căn cước",
        "Thẻ căn cước",
        "Số thẻ căn cước",
        "Số căn cước/CCCD",
        "Số căn cước công dân",
        "Căn cước công dân",
        "Số CMND/CCCD",
        "Số CCCD/CMND",
        "CCCD/CMND",
        "Số CMND",
        "CMND",
        "Mã định danh",
        "Mã định danh cá nhân",
        "CMND/CCCD",
        "Số định danh",
        "Số định danh cá nhân",
        "Citizen ID",
        "ID number",
        "National ID",
    ],
    "phone": [
        "Số điện thoại",
        "Điện thoại",
        "SĐT",
        "Số ĐT",
        "ĐTDĐ",
        "Số ĐTDĐ",
        "Di động",
        "Số di động",
        "Số điện thoại di động",
        "Điện thoại di động",
        "ĐT di động",
        "SĐT di động",
        "Mobile phone",
        "Phone",
        "Phone number",
        "Mobile",
        "Zalo",
        "Số Zalo",
        "Telephone",
    ],
    "email": ["Email", "E-mail", "Thư điện tử", "Địa chỉ email", "Địa chỉ thư điện tử", "Email address"],
    "org_code": [
        "Mã đơn vị",
        "Mã số đơn vị",
        "Mã ĐV",
        "Mã đơn vị công tác",
        "Mã cơ quan",
        "Mã cơ quan, đơn vị",
        "Unit code",
        "Organisation code",
        "Organization code",
        "Org code",
        # A unit's name, not its code (QA round 42): read as the code's column is if most of the file's first
        # values are units of the import, else not read (names_units, RowValidator.decide_named).
        "Đơn vị",
        "Tên đơn vị",
        "Đơn vị công tác",
        "Nơi công tác",
        "Cơ quan",
        "Tên cơ quan",
        "Cơ quan, đơn vị",
        "Cơ quan công tác",
        "Tên đơn vị công tác",  # QA round 51: titles that were listed as unknown columns, their units unread
        "Tên cơ quan, đơn vị",
        "Cơ quan, đơn vị công tác",
        "Đơn vị làm việc",
        "Nơi làm việc",
        "Đơn vị trực thuộc",
        "Tên trường",
        "Trường học",
        "Unit",
        "Organisation",
        "Organization",
    ],
    "position": [
        "Chức vụ",
        "Chức danh",
        "Chức vụ, chức danh",
        "Chức vụ/chức danh",
        "Chức danh, chức vụ",
        "Chức vụ, đơn vị công tác",  # QA round 34: the position comes first
        "Chức vụ, nơi công tác",
        "Chức vụ chính quyền",  # a cadre's list: beside "Chức vụ Đảng", which is no post of the unit (QA round 43)
        "Position",
        "Job title",
        "Title",
    ],
    "groups": ["Nhóm đối tượng", "Đối tượng", "Nhóm", "Target groups", "Target group", "Groups", "Group"],
}
# Many lists split the name in two: "Họ và tên đệm" | "Tên". The second column's titles are also read
# as the full name when a list has no such first column (a list headed "Tên" alone holds full names).
_ALIASES["family_name"] = [
    "Họ và tên đệm",
    "Họ và chữ đệm",
    "Họ và đệm",
    "Họ đệm",
    "Họ và tên lót",
    "Họ lót",
    "Họ",
    "Family name",
    "Last name",
    "Surname",
]
# … or in three: "Họ" | "Tên đệm" | "Tên" (QA round 27: the middle name was dropped as an unknown column).
_ALIASES["middle_name"] = ["Tên đệm", "Tên lót", "Chữ đệm", "Chữ lót", "Đệm", "Lót", "Middle name"]
_ALIASES["full_name"] += ["Given name", "First name"]
GIVEN_NAME_KEYS = frozenset(header_key(a) for a in ("Tên", "Name", "Given name", "First name"))
HEADER_ALIASES: dict[str, str] = {header_key(a): f for f, names in _ALIASES.items() for a in names}
# Words that lists add after a known title and that change nothing: "Số điện thoại liên hệ", "Email cá nhân",
# "Chức vụ hiện nay"; and whose it is, after a title of the person's own ("Họ và tên học viên"; not "Nhóm học
# sinh", a class's group).
_TITLE_QUALIFIERS = tuple(
    header_key(q)
    for q in (
        "liên hệ",
        "liên lạc",
        "cá nhân",
        "hiện nay",
        "hiện tại",
        "công vụ",
        "tham gia",
        *("trong tổ", "trong hội", "trong chi hội", "trong ban", "trong đoàn", "trong chi bộ", "trong đơn vị"),
    )
)
_PERSON_FIELDS = frozenset({"full_name", "family_name", "date_of_birth", "sex", "cccd", "phone", "email", "position"})
_WHOSE_QUALIFIERS = tuple(
    header_key(q)
    for q in (
        "học viên",
        "người học",
        "cán bộ",
        "công chức",
        "viên chức",
        "người lao động",
        "người dân",
        "học sinh",
        "sinh viên",
        "giáo viên",
        *("thành viên", "hội viên", "đoàn viên", "đảng viên", "xã viên", "người tham gia", "chiến sĩ"),  # QA 35
    )
)
_PLAIN_GROUP = header_key("Nhóm")  # "Nhóm học sinh" is a class's group; "Nhóm đối tượng học viên" is ours


# A title that begins as the name's does ("Họ và tên chủ hộ kinh doanh", "Họ, chữ đệm và tên khai sinh") is
# the name's, whatever words follow (QA rounds 35, 36); not the family and middle names' ("Họ tên đệm").
_NAME_TITLE_STARTS = tuple(header_key(t) for t in ("Họ và tên", "Họ tên", "Họ, chữ đệm và tên", "Họ chữ đệm, tên"))
_NOT_NAME_STARTS = tuple(header_key(t) for t in ("đệm", "lót"))  # "Họ và tên đệm(, Tên)"


def header_field(title) -> str | None:
    """The field a column title names (HEADER_ALIASES, with or without qualifiers after it), or None. A
    title of several names of one field ("Số CCCD/Mã định danh") names that field."""
    key = header_key(title)
    name = HEADER_ALIASES.get(key) or _qualified_field(key)
    if name is None and any(
        key.startswith(start) and not key[len(start) :].startswith(_NOT_NAME_STARTS) for start in _NAME_TITLE_STARTS
    ):
        name = "full_name"
    if name is None and "/" in str(title):
        fields = {HEADER_ALIASES.get(header_key(part)) for part in str(title).split("/")}
        name = fields.pop() if len(fields) == 1 else None
    return name


def _qualified_field(key: str, depth: int = 2) -> str | None:
    """The field of a title followed by up to `depth` words that change nothing ("Số điện thoại liên hệ",
    "Họ và tên cán bộ, công chức"): words of whose it is follow only a title of the person's own."""
    for qualifier in _TITLE_QUALIFIERS + _WHOSE_QUALIFIERS:
        if key.endswith(qualifier) and key != qualifier:
            base = key.removesuffix(qualifier)
            name = HEADER_ALIASES.get(base) or (_qualified_field(base, depth - 1) if depth > 1 else None)
            if name == "groups" and base == _PLAIN_GROUP:  # "Nhóm học sinh", "Nhóm tham gia": a class's group
                continue
            if name is not None and (qualifier in _TITLE_QUALIFIERS or name in _PERSON_FIELDS or name == "groups"):
                return name
    return None


# Columns that carry no person data and are dropped without being reported: the row number most lists
# start with, and the columns our own error workbook adds (so a corrected error file re-imports as is).
YEAR_TITLE_KEYS = frozenset(header_key(h) for h in ("Năm sinh", "Year of birth", "Birth year"))
SOURCE_ROW_KEY = header_key("Dòng gốc")  # the error workbook's column: the row of the list it came from
SILENT_COLUMNS = frozenset(header_key(h) for h in ("STT", "TT", "No", "Số TT", "Dòng gốc", "Lỗi", "Row", "Errors"))
# The columns an error workbook adds: read again, they are not the list's own (not carried into the next one).
ERROR_WORKBOOK_COLUMNS = frozenset(header_key(h) for h in ("Dòng gốc", "Lỗi", "Row", "Errors"))
# The person's code in a list exported from the platform (codes.py): not reported as unknown; carried with
# the other columns into the error workbook, and read from there by the runner (person_code_places).
PERSON_CODE = "person_code"  # the name of the code's column in a row's errors (the error workbook colours it)
PERSON_CODE_KEYS = frozenset((header_key(CODE_HEADER),))  # the export's title only (QA round 70: "Mã KNS" is
# an office's own numbering as likely)


def person_code_places(titles: list[str]) -> list[int]:
    """Which of these columns' titles are the people's codes' (PERSON_CODE_KEYS)."""
    return [i for i, title in enumerate(titles) if header_key(title) in PERSON_CODE_KEYS]


@dataclass
class Table:
    columns: dict[str, int]  # field → column index in the rows
    headers: dict[str, str]  # field → the column's title as written in the file
    unknown: list[str]  # titles of columns that were ignored
    header_row: int  # 1-based
    total: int | None  # estimated number of data rows (for the progress bar), if known before reading
    rows: Iterator[tuple[int, list]] = field(repr=False)
    # An error workbook read again: its rows' "Dòng gốc" (row → the row of the first list), filled as read.
    source_rows: dict[int, int | str] = field(default_factory=dict, repr=False)
    hidden_rows: set[int] = field(default_factory=set, repr=False)  # rows hidden or filtered out in Excel
    hidden_read: int = 0  # of them, rows read as people (counted as read)
    sheet: str | None = None  # a workbook's (first) sheet that was read
    sheets: list[str] = field(default_factory=list)  # a workbook's sheets read: each with a list (_lists)
    read_order: list[int] = field(default_factory=lambda: [0])  # … the order they are read in (_joined)
    sheet_headers: list[dict[str, str]] = field(default_factory=list, repr=False)  # their `headers`
    date1904: bool = False  # the workbook counts serial-number dates from 1904 (old Mac workbooks)
    other_sheets: list[str] = field(default_factory=list)  # the workbook's other visible sheets, not read
    hidden_sheets: list[str] = field(default_factory=list)  # … and its hidden ones (the template's lists aside)
    # The file's other titled columns ("STT", "Ghi chú", …): (index, title), carried into the error workbook.
    extra_columns: list[tuple[int, str]] = field(default_factory=list)
    # Their values in the rows read and not yet taken (row → values): the runner takes them chunk by chunk.
    extras: dict[int, tuple] = field(default_factory=dict, repr=False)
    # What the reader saw wrong in rows whose columns it joined, for the runner to refuse them with: row →
    # (field, message, its values). A split name's missing part (QA round 28: "Phạm" alone was imported), a
    # date in "Ngày, tháng sinh" whose year is not the one in "Năm sinh".
    cell_errors: dict[int, tuple[str, object, dict]] = field(default_factory=dict, repr=False)
    # Rows whose unit a column of the units' names gave, the codes' column beside it empty (RowValidator)
    unit_named_rows: set[int] = field(default_factory=set, repr=False)
    # … and the names in that column beside a code, in the rows read and not yet checked (row → name)
    unit_names_beside: dict[int, object] = field(default_factory=dict, repr=False)
    footer_row: int = 0  # the row where the form's footer (totals, place and date, signatures) begins
    footer_skipped: int = 0  # the rows from there that were not read, as no person's (told in the summary)
    later_footers: list[int] = field(default_factory=list)  # where later sheets' footers begin (_joined)
    passed_over: int = 0  # rows of subtotals and section headings, not read (told in the summary) …
    passed_over_first: tuple[int, str] = (0, "")  # … and the first of them: (row, text)
    # Values in a column without a title (none in the header row, nor a merged title's over it) among the
    # titled ones or right of the last: not read, told in the summary (QA rounds 65-67: a second group typed
    # there, or the given names of a CSV's "Họ và tên" over two columns, were lost without a word)
    untitled_columns: list[int] = field(default_factory=list)
    first_column: int = 0  # the sheet's column of the rows' first cell (0: A), for the column's letter
    untitled_rows: int = 0  # the rows with such a value …
    untitled_first: tuple[int, str, str] = (0, "", "")  # … and the first of them: (row, column letter, value)
    # "Họ và tên" or "Nhóm đối tượng" merged over columns to its right, with no titles under it: their values
    # are its value too ("Võ Văn" | "Nam", the given name apart for sorting: QA round 66), field → the columns
    merged_more: dict[str, list[int]] = field(default_factory=dict)

    def header(self, name: str, number: int = 0) -> str:
        """The title of a field's column, in the sheet of row `number` (see row_label); PERSON_CODE's, the people's
        codes' among the other columns."""
        if name == PERSON_CODE:
            return next((self.extra_columns[i][1] for i in self.person_code_places()), CODE_HEADER)
        sheet = number // SHEET_ROWS
        return (self.sheet_headers[sheet] if self.sheet_headers else self.headers).get(name) or CANONICAL_HEADERS[name]

    def row_label(self, number: int) -> str:
        """A row as the user finds it: its number, and when several sheets were read, its sheet's name."""
        sheet, row = divmod(number, SHEET_ROWS)
        return str(MSG_ROW_OF_SHEET % {"row": row, "sheet": self.sheets[sheet]}) if len(self.sheets) > 1 else str(row)

    def split_title(self, part: str) -> str:
        """The title of a split name's family ("family_name") or given name ("full_name") column."""
        return self.headers["family_name" if part == "family_name" else "given_name"]

    def person_code_places(self) -> list[int]:
        """Where the persons' codes are among the rows' extras (several sheets may title them differently)."""
        return person_code_places([title for _index, title in self.extra_columns])

    def reusable_header(self, name: str) -> str:
        """The file's title of a column if reading it again finds the same column (not a title made of
        two, like "Họ và tên đệm, Tên"), else the template's: the error workbook's headers."""
        title = self.headers.get(name, "")
        return title if header_field(title) == name else CANONICAL_HEADERS[name]


_OLD_ID_KEYS = frozenset(header_key(t) for t in ("Số CMND", "CMND"))  # the identity card before the CCCD
# A bare "Mã định danh" is, in the education database's lists (CSDL ngành), that register's own code.
_OTHER_ID_KEYS = frozenset(header_key(t) for t in ("Mã định danh", "Số định danh", "ID number"))
_GIVING_WAY_ID_KEYS = _OLD_ID_KEYS | _OTHER_ID_KEYS
# A phone column that is no mobile's: "Điện thoại" beside "Di động", an office's, a home's.
_LANDLINE_KEYS = frozenset(header_key(t) for t in ("Điện thoại", "Số điện thoại cố định", "ĐT bàn"))
_LANDLINE_WORDS = tuple(header_key(w) for w in ("cố định", "cơ quan", "nhà riêng", "bàn", "nội bộ"))


def another_register(title: str) -> bool:
    """Whether a CCCD column's title is a bare "Mã định danh" (or the like), which may be another register's."""
    return header_key(title) in _OTHER_ID_KEYS


def names_units(title: str) -> bool:
    """Whether a unit's column is titled by the units' names ("Đơn vị công tác"), not by their codes."""
    key = header_key(title)
    return not (key.startswith("ma") or "code" in key)


def _giving_way(title: str, field: str) -> int:
    """How much a title gives way to another of the same field: most, one noted as old ("Số điện thoại
    (cũ)"); then the old identity card's number ("Số CMND" beside "Số CCCD (mới)") or a landline's
    ("Điện thoại" beside "Di động"), a code another register gives ("Mã định danh" of the education database
    beside "Số CCCD"), the head of household's name beside the name, a unit's name beside its code; then one
    with another note, or a year of birth; 0, none: the first column wins ("SĐT" beside "Zalo")."""
    key = header_key(title)
    note = NOTE.search(title)
    if note and any(word in fold(note.group()) for word in ("cu", "old", "truoc")):  # "(cũ)", "(trước đây)"
        return 3
    if field == "cccd" and key in _GIVING_WAY_ID_KEYS:
        return 2
    if field == "full_name" and "chuho" in key:  # "Họ và tên chủ hộ" beside the people's names (QA round 42)
        return 2
    if field == "org_code" and names_units(title):  # "Đơn vị" beside "Mã đơn vị"
        return 2
    if field == "phone" and (key in _LANDLINE_KEYS or any(word in key for word in _LANDLINE_WORDS)):
        return 2
    started = field == "full_name" and key not in HEADER_ALIASES and _qualified_field(key) is None  # "Họ và tên cha"
    return int(bool(note) or key in YEAR_TITLE_KEYS or started)


def _match_header(row: list) -> tuple[dict[str, int], dict[str, str], list[str]]:
    columns: dict[str, int] = {}
    titles: dict[str, str] = {}
    unknown: list[str] = []
    for index, cell in enumerate(row):
        title = str(cell).strip() if cell not in (None, "") else ""
        if not title:
            continue
        key = header_key(title)
        name = header_field(title)
        if key == SOURCE_ROW_KEY and "source_row" not in columns:  # an error workbook read again
            columns["source_row"] = index
        elif name is None:
            if key not in SILENT_COLUMNS and key not in PERSON_CODE_KEYS:
                unknown.append(title)
        elif name in columns:  # a second column for the same field: the first wins, unless only it has a note
            if _giving_way(titles[name], name) > _giving_way(title, name):  # "Số ĐT (cũ)", then "Số ĐT"
                loser, loser_index = titles[name], columns[name]
                columns[name], titles[name] = index, " ".join(title.split())
            else:
                loser, loser_index = title, index
            if name == "date_of_birth" and header_key(loser) in YEAR_TITLE_KEYS and "birth_year" not in columns:
                columns["birth_year"] = loser_index  # "Năm sinh" beside "Ngày sinh": where the date is empty
            elif name == "full_name" and "chuho" in header_key(loser) and "head_name" not in columns:
                columns["head_name"] = loser_index  # the head of household's, where their row leaves it out
            elif name == "org_code" and names_units(loser) and "org_name" not in columns:
                columns["org_name"] = loser_index  # "Tên đơn vị" beside "Mã đơn vị": where the code is empty
                titles["org_name"] = " ".join(loser.split())
            else:
                unknown.append(loser)
        else:
            columns[name] = index
            titles[name] = " ".join(title.split())
    family, middle = columns.pop("family_name", None), columns.pop("middle_name", None)
    family_title, middle_title = titles.pop("family_name", None), titles.pop("middle_name", None)
    split = family is not None and "full_name" in columns and header_key(titles["full_name"]) in GIVEN_NAME_KEYS
    if split:  # read as family + (middle +) given name (`_data_rows`)
        columns["family_name"] = family
        if middle is not None:
            columns["middle_name"] = middle
        titles["family_name"], titles["given_name"] = family_title, titles["full_name"]  # each part's own
        titles["full_name"] = ", ".join(t for t in (family_title, middle_title, titles["full_name"]) if t)
    # Beside a full-name column they add nothing.
    unknown += [t for t in (family_title, middle_title) if t is not None and not split]
    _join_day_month(columns, titles, unknown)
    return columns, titles, unknown


def _join_day_month(columns: dict, titles: dict, unknown: list) -> None:
    """The birth date read from both "Ngày, tháng sinh" | "Năm sinh" (_data_rows); without a column of the
    year, or beside a whole date's, the day and month alone are no date: an unknown column."""
    day_month, title = columns.pop("birth_day_month", None), titles.pop("birth_day_month", None)
    if day_month is None:
        return
    year = columns.get("birth_year")
    birth = columns.get("date_of_birth")
    if year is None and birth is not None and header_key(titles["date_of_birth"]) in YEAR_TITLE_KEYS:
        year = birth
    elif birth is not None:
        year = None
    if year is None:
        unknown.append(title)
        return
    columns.pop("date_of_birth", None)
    columns["birth_day_month"], columns["birth_year"] = day_month, year
    titles["date_of_birth"] = f"{title}, {titles.get('date_of_birth') or titles.get('birth_year')}"


def _is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _names_people(columns: dict[str, int], titles: dict[str, str], unknown: list[str]) -> bool:
    """Whether a row's titles are those of a list of people: a name's column, and unless it is titled "Họ và
    tên" (or the like), another of a person's, or a unit's or a group's without a column of things beside
    them. "Tên | Đơn vị tính | Số lượng" (a list of supplies, QA rounds 42, 43) is not one; "STT | Tên | Đơn
    vị" is (QA round 44)."""
    if "full_name" not in columns:
        return False
    if header_key(titles["full_name"]) not in GIVEN_NAME_KEYS or columns.keys() & _OF_A_PERSON:
        return True
    return bool(columns.keys() & {"org_code", "groups"}) and not any(header_key(t) in _OF_THINGS for t in unknown)


# The columns that make "Tên" a person's name; a unit's or a group's only without these of a list of things.
_OF_A_PERSON = frozenset(
    {"date_of_birth", "birth_day_month", "birth_year", "sex", "cccd", "phone", "email", "position", "family_name"}
)
_OF_THINGS = frozenset(
    header_key(t)
    for t in (
        *("Số lượng", "SL", "S.lượng", "Khối lượng", "Đơn giá", "Đ.giá", "Thành tiền", "T.tiền", "Nguyên giá"),
        *("Đơn vị tính", "ĐVT", "Quantity", "Qty", "Price", "Amount"),
    )
)


def _find_header(
    rows: Iterator[tuple[int, list]],
) -> tuple[int, dict, dict, list, list, list[tuple[int, list]], set[int]]:
    """Scan the first rows for the one that names the most known columns (and the full name).
    Returns it, its other titled columns, the rows already consumed after it, and the columns with a title."""
    seen: list[tuple[int, list]] = []
    best = None
    filled = 0
    for number, row in rows:
        seen.append((number, row))
        if all(_is_blank(c) for c in row):
            if len(seen) >= HEADER_SCAN_MAX_ROWS:  # a stray cell far below a short list: stop looking
                break
            continue
        filled += 1
        columns, titles, unknown = _match_header(row)
        if _names_people(columns, titles, unknown) and (best is None or len(columns) > len(best[1])):
            best = (number, columns, titles, unknown)
        if filled >= HEADER_SCAN_ROWS or len(seen) >= HEADER_SCAN_MAX_ROWS:
            break
    if best is None:
        texts = [c for _n, row in seen for c in row if isinstance(c, str)]
        if sample := next((text for text in texts if misdecoded(text)), None):  # QA round 37: the header is
            raise ReadError(ERR_MISDECODED_FILE, sample=" ".join(sample.split())[:40])  # there, garbled …
        old_font = [text for text in texts if legacy_font(text)]
        letters = {mark for text in old_font for mark in legacy_marks(text) if mark.isalpha()}
        if len(letters) >= 2:  # … or typed in an old font (QA round 38: "Hä vµ tªn", "Hoï vaø teân"; its marks
            # are letters, not "m²", "°C", "±": QA rounds 39, 40)
            raise ReadError(ERR_LEGACY_FONT_FILE, sample=" ".join(old_font[0].split())[:40])
        raise ReadError(ERR_NO_HEADER, n=HEADER_SCAN_ROWS)
    number, columns, titles, unknown = best
    header = next(row for n, row in seen if n == number)
    rest = [r for r in seen if r[0] > number]
    # A second row of titles under the first's, its cells not merged (a CSV, or a sheet typed so): "Họ và tên"
    # over "Họ đệm | Tên", "Thông tin liên hệ" over "Số điện thoại | Email" (QA round 67: the given names, the
    # positions and phones were lost). Read as one row of titles when it names more columns.
    under = False
    if rest and (combined := _titles_under(header, rest[0][1], columns.get("full_name"))) is not None:
        matched = _match_header(combined)
        if len(matched[0]) > len(columns) and _names_people(*matched):
            header, (columns, titles, unknown), under = combined, matched, True
    # Official forms split the birth date under its title into "Nam" | "Nữ": the date goes in the column
    # of the person's sex. The row of those two words is part of the header.
    birth = columns.get("date_of_birth")
    if birth is not None and rest:
        sub = rest[0][1]
        pair = [fold(str(sub[i]).strip()) if i < len(sub) and not _is_blank(sub[i]) else "" for i in (birth, birth + 1)]
        if sorted(pair) == ["nam", "nu"]:
            del columns["date_of_birth"]
            columns["birth_male"], columns["birth_female"] = (
                (birth, birth + 1) if pair[0] == "nam" else (birth + 1, birth)
            )
            rest, under = rest[1:], False
    in_header = _split_columns(header, columns, titles, unknown, under=False)  # in the header row, or …
    if not in_header and rest and _split_columns(rest[0][1], columns, titles, unknown, under=True, above=header):
        rest, under = rest[1:], False
    if under:  # (its other cells, "Nam" | "Nữ", read as above)
        rest = rest[1:]
    used = {index for name, index in columns.items() if name != "org_name"}  # kept in the error workbook
    extra = [
        (index, " ".join(str(cell).split()))
        for index, cell in enumerate(header)
        if index not in used and not _is_blank(cell) and header_key(str(cell)) not in ERROR_WORKBOOK_COLUMNS
    ]
    titled = {index for index, cell in enumerate(header) if not _is_blank(cell)} | set(columns.values())
    return number, columns, titles, unknown, extra, rest, titled


_PART_TITLES = frozenset(("ngay", "thang", "nam", "nu"))  # under "Ngày sinh", "Giới tính": read by _split_columns


def _titles_under(header: list, sub: list, name_at: int | None) -> list | None:
    """The header row with the titles of the row under it that name a column of their own where they stand
    (see _find_header), or None: that row has none, or is a person's (a name under the name's title, or a
    number, date, phone or email: QA round 68, a survey's first answer "Email" beside a person's name took the
    row for titles; round 69: other sub-titles, "Dân tộc", "(nếu có)", stand beside the known ones)."""
    cells = [cell for cell in sub if not _is_blank(cell)]
    named = name_at is not None and name_at < len(sub) and not _is_blank(sub[name_at])
    if (
        not any(isinstance(cell, str) and header_field(cell.strip()) for cell in cells)
        or any(not isinstance(cell, str) or any(ch.isdigit() for ch in cell) or "@" in cell for cell in cells)
        or (named and not header_field(str(sub[name_at]).strip()))
    ):
        return None
    width = max(len(header), len(sub))
    padded = [*header, *[None] * (width - len(header))]
    return [
        cell
        if isinstance(cell, str)
        and (header_field(cell.strip()) or (_is_blank(padded[i]) and fold(cell).strip() not in _PART_TITLES))
        else padded[i]
        for i, cell in enumerate([*sub, *[None] * (width - len(sub))])
    ]


_DATE_PARTS = (("ngay", "ngay sinh"), ("thang", "thang sinh"), ("nam", "nam sinh"))  # "Ngày" | "Tháng" | "Năm"
# Sex as a mark under "Nam" | "Nữ" (school lists, QA round 32), or under "Nữ" alone; titles compared with
# their accents ("Năm" is the year), lower case
_MALE_TITLES, _FEMALE_TITLES = ("nam",), ("nữ", "nu", "trong đó nữ", "trong đó: nữ", "trong do nu")
_OF_WHICH = ("trong đó", "trong đó:", "trong do")  # "Trong đó" over "Nữ": the women of a count's list
# What a mark is: a word that says so, or a character or two ("x", "√", "ü" of a Wingdings tick without its
# font: QA round 34); not "0", a dash, nor longer text ("Hiệu trưởng", "Nữ: 12" of a footer: QA round 33)
_MARK_WORDS = frozenset(("có", "co", "nam", "nữ", "nu", "yes"))
_NO_MARKS = frozenset(("0", "-", "–", "—", ".", "_", "k", "ko"))
BOTH_SEX_MARKS = "Nam, Nữ"  # the sex cell of a row marked under both: refused by the row check (ERR_SEX_BOTH)


def _split_columns(row: list, columns: dict, titles: dict, unknown: list, *, under: bool, above=()) -> bool:
    """The birth date in three columns, "Ngày" | "Tháng" | "Năm", and the sex as a mark under "Nam" | "Nữ"
    (or "Nữ" alone): titled in the header row (`under` False), or in the row under "Ngày sinh" and
    "Giới tính" (`under`: that row is part of the header). Sets columns birth_day/birth_month/birth_year
    and sex_male/sex_female (read by _data_rows); whether any was found."""
    folded = [fold(str(c)).strip() if not _is_blank(c) else "" for c in row]
    lowered = [nfc(str(c)).strip().lower() if not _is_blank(c) else "" for c in row]

    def title(i: int) -> str:
        return " ".join(str(row[i]).split())

    found = False
    birth = columns.get("date_of_birth") if under else None
    starts = [birth] if under else [i for i, key in enumerate(folded) if key in _DATE_PARTS[0]]
    for i in (s for s in starts if s is not None):
        if all(i + k < len(folded) and folded[i + k] in names for k, names in enumerate(_DATE_PARTS)):
            for name in ("date_of_birth", "birth_year"):
                if columns.get(name) in (i, i + 1, i + 2):
                    del columns[name]
            columns["birth_day"], columns["birth_month"], columns["birth_year"] = i, i + 1, i + 2
            parts = ", ".join(title(i + k) for k in range(3))
            titles["date_of_birth"] = f"{titles['date_of_birth']} ({parts})" if under else parts
            found = True
            break
    taken = {columns.get(n) for n in ("birth_day", "birth_month", "birth_year")}
    sex = columns.get("sex") if under else None
    if under or "sex" not in columns:
        span = (sex, sex + 1) if sex is not None else range(len(lowered))
        male = next((i for i in span if i < len(lowered) and lowered[i] in _MALE_TITLES and i not in taken), None)
        female = next((i for i in span if i < len(lowered) and lowered[i] in _FEMALE_TITLES and i not in taken), None)
        paired = male is not None and female is not None and abs(male - female) == 1
        over = " ".join(str(above[female]).split()) if female is not None and female < len(above) else ""
        of_which = over.lower() in _OF_WHICH  # QA round 36
        if paired or (female is not None and (not under or of_which)):  # "Nữ" alone: marked, a girl; not, not said
            columns.pop("sex", None)
            columns["sex_female"] = female
            if paired:
                columns["sex_male"] = male
            shown = ", ".join(title(i) for i in sorted((male, female) if paired else (female,)))
            titles["sex"] = f"{titles.get('sex') or over} ({shown})" if under else shown
            if of_which and over in unknown:
                unknown.remove(over)
            found = True
    if found and not under:  # their titles were not known one by one
        for name in ("sex_male", "sex_female", "birth_day", "birth_month", "birth_year"):
            index = columns.get(name)
            if index is not None and title(index) in unknown:
                unknown.remove(title(index))
    return found


def _date_of_parts(day, month, year):
    """The birth cell of the three columns "Ngày" | "Tháng" | "Năm": a date; the year alone when the day or
    the month is not known; a two-digit year as dd/mm/yy, for the row check to say so; what is not a number
    as it is (a footer's title typed there is read as one)."""
    numbers = [_part_number(v) for v in (day, month, year)]
    if any(n is None and not _is_blank(v) for v, n in zip((day, month, year), numbers, strict=True)):
        filled = [v for v in (day, month, year) if not _is_blank(v)]
        if len(filled) == 1:  # a footer's title or place and date, typed over these columns
            return filled[0]
        pairs = zip((day, month, year), numbers, strict=True)
        return "/".join("" if _is_blank(v) else str(v if n is None else n).strip() for v, n in pairs)  # "3/Năm/2013"
    d, m, y = numbers
    if not d or not m:  # "0/5/2013", a day or month not known: the year alone
        return year if y is None else y
    if y is not None and y < 100:
        return f"{d:02d}/{m:02d}/{y:02d}"
    try:
        return date(y, m, d) if y is not None else f"{d:02d}/{m:02d}/"
    except ValueError:
        return f"{d:02d}/{m:02d}/{y}"  # 31/02/1990: no such day, which the row check says


_DAY_MONTH = re.compile(r"(\d{1,2})\s*[/.-]\s*(\d{1,2})")


def _day_month(value) -> tuple:
    """The day and month of a "Ngày, tháng sinh" cell: "12/03", "12-3", 12.03 (a number, read with its two
    decimals), or a date a spreadsheet made of "12/03" (its year is the year it was typed); what is none of
    these, as it is, for the row check to refuse."""
    if isinstance(value, date):  # a datetime too
        return value.day, value.month
    if isinstance(value, float) and not value.is_integer():
        value = f"{value:.2f}"
    if _is_blank(value):
        return None, None
    match = _DAY_MONTH.fullmatch(str(value).strip())
    return (int(match[1]), int(match[2])) if match else (value, None)


def _birth_of_day_month(day_month, year):
    """The birth cell of "Ngày, tháng sinh" | "Năm sinh": the whole date when the first has one ("12/03/1987",
    QA round 38; "12/03/87" with the second's 1987), whatever the second says (a year that differs is
    refused, _data_rows); else the day and month with the year (_date_of_parts)."""
    written = _year_written(day_month)
    if written is None:
        return _date_of_parts(*_day_month(day_month), year)
    said = _part_number(year)
    if len(written) == 2 and said is not None and said >= 100 and said % 100 == int(written):
        return day_month.strip()[:-2] + str(said)
    return day_month


def _year_written(day_month) -> str | None:
    """The year of a whole date written in "Ngày, tháng sinh" ("12/03/1987": "1987"; "12/03/87": "87"; a date
    cell of a year before the last: one a spreadsheet made of "12/03" has the year it was typed)."""
    if isinstance(day_month, date):
        return str(day_month.year) if day_month.year < date.today().year - 1 else None
    text = day_month.strip() if isinstance(day_month, str) else ""
    if text.isdigit() or not _BIRTH_TEXT.fullmatch(text):
        return None
    return re.split(r"\s*[/.-]\s*", text)[0 if re.match(r"\d{4}-", text) else -1]


def _years_differ(day_month, year) -> bool:
    """A whole date in "Ngày, tháng sinh" and a "Năm sinh" that is not its year (either may give the year by
    its last two digits: "12/03/87" and 1987, "12/03/1987" and 87)."""
    written, said = _year_written(day_month), _part_number(year)
    if written is None or said is None:
        return False
    if len(written) == 2 or said < 100:
        return int(written) % 100 != said % 100
    return int(written) != said


def _part_number(value) -> int | None:
    if isinstance(value, bool) or _is_blank(value):
        return None
    if isinstance(value, int | float):
        return int(value) if float(value).is_integer() else None
    text = str(value).strip().removesuffix(".0")
    return int(text) if text.isdigit() else None


_BIRTH_TEXT = re.compile(r"\d{4}|\d{1,2}\s*[/.-]\s*\d{1,2}\s*[/.-]\s*\d{2,4}|\d{4}-\d{1,2}-\d{1,2}")


def _birth_like(value) -> bool:
    """A year or a date, not a mark: what a "Nam" | "Nữ" pair holds on forms that give the birth by sex."""
    if isinstance(value, date):
        return True
    if isinstance(value, int | float) and not isinstance(value, bool):
        return 1900 <= value <= 2100 or 7000 <= value <= 47500  # a year, or a serial date of 1919-2030 (not a count)
    return isinstance(value, str) and _BIRTH_TEXT.fullmatch(value.strip()) is not None


def _birth_by_sex(row: list, cells: list, male: int | None, female: int, *, marks: bool) -> None:
    """The birth date written in the column of the person's sex, "Nam" | "Nữ", into the row's cells, with the
    sex. Under a birth date's title anything but a count (a total's, QA round 35) is one; in columns of
    marks (`marks`), only a year or a date."""
    for column, sex in ((male, "Nam"), (female, "Nữ")):
        value = row[column] if column is not None and column < len(row) else None
        if _is_blank(value) or (marks or isinstance(value, int | float)) and not _birth_like(value):
            continue
        cells[_BIRTH] = value
        cells[_SEX] = sex if _is_blank(cells[_SEX]) else cells[_SEX]
        return


def _sex_of_marks(row: list, male: int | None, female: int) -> str | None:
    """ "Nam" or "Nữ" from a mark under one of them; BOTH_SEX_MARKS under both; None without one. The other
    sex's word under one is that sex (QA round 38: "Nam" under "Trong đó nữ" made a woman)."""

    def text(i: int | None) -> str:
        return "" if i is None or i >= len(row) or _is_blank(row[i]) else nfc(str(row[i])).strip().lower()

    def marked(i: int | None, other: tuple[str, ...]) -> bool:
        value = row[i] if i is not None and i < len(row) else None
        if isinstance(value, int | float) and not isinstance(value, bool):
            return value == 1
        mark = text(i)
        return bool(mark) and mark not in other and (mark in _MARK_WORDS or (len(mark) <= 2 and mark not in _NO_MARKS))

    is_male = marked(male, _FEMALE_TITLES) or text(female) in _MALE_TITLES
    is_female = marked(female, _MALE_TITLES) or text(male) in _FEMALE_TITLES
    return BOTH_SEX_MARKS if is_male and is_female else "Nam" if is_male else "Nữ" if is_female else None


# Rows of official forms that hold no person: the column-number row under the header ("(1) (2) …"), and
# the footer: totals, the place and date, signers' titles, and then the signers' names.
_COLUMN_NUMBER = re.compile(r"\(?(?:\d{1,2}|[A-Z])\)?")
_FOOTER_TITLES = (
    "Tổng cộng",
    "Tổng số",
    "Thủ trưởng",
    "Kế toán",
    "Xác nhận",
    "Giám đốc",
    "Phó giám đốc",
    "Chủ tịch",
    "Phó chủ tịch",
    "Chánh văn phòng",
    "Phó chánh văn phòng",
    "Trưởng phòng",
    "Phó trưởng phòng",
    "Hiệu trưởng",
    "Phó hiệu trưởng",
    "Bí thư",
    "Phó bí thư",
    "Trưởng thôn",
    "Trưởng ấp",
    "Trưởng khu",
    "Trưởng khóm",
    "Trưởng ban",
    "Phó trưởng ban",
    "Phó trưởng thôn",
    "Tổ trưởng",
    "Chính trị viên",  # a militia's (QA round 35)
    "Chỉ huy trưởng",
    "Chỉ huy phó",
    "Trạm trưởng",  # a health station's (QA round 34)
    "Trưởng trạm",
    "Phó trạm trưởng",
    "Giáo viên chủ nhiệm",  # a class list's signers (QA round 33)
    "GVCN",
    "Tổng phụ trách",
    "Thủ quỹ",
    "Thư ký",
    "Đại diện",
    "Cán bộ lập",
    "Lập biểu",
    "Nơi nhận",
    "Ghi chú",
    # A school's signers (QA round 67: "Duyệt của Ban Giám hiệu" and the name under it became people, without
    # a date line); not "Ban giám hiệu", "Cán bộ phụ trách": sections of a list, units too (QA round 68)
    "Duyệt",
    "Thay mặt",
    "TM.",
    "TM ",
    "T/M",
    "KT.",
    "KT ",
    "K/T",
    "TL.",
    "TL ",
    "TUQ.",
    "Q.",
)
# A subtotal ("Cộng thôn Phú Hòa: 12 người") holds no person but does not end the list.
_SUBTOTALS = ("Cộng:", "Cộng ")
# A section heading alone in its row: "I. KHỐI ĐẢNG", "Thôn Phú Hòa". Compared with the accents: "Bàn" is a
# family name, "Bản" a village; "Tô" a family name, "Tổ" a team.
# A heading numbered in Roman numerals ("I. KHỐI ĐẢNG", "II) Thành viên"); not a letter alone ("Y.BIH NIÊ",
# "A. SANG", "V. THỊ LAN" are people: an Ê Đê or Ba Na name, a family name cut short).
_NUMBERED_HEADING = re.compile(r"(?!V\b)[IVX]+\s*[.)/]\s*\S")
_HEADING_WORDS = tuple(
    nfc(words).lower() + " "
    for words in (
        "Thôn",
        "Ấp",
        "Khóm",
        "Xóm",
        "Bản",
        "Khối",
        "Tổ",
        "Khu phố",
        "Phòng",
        "Đội",
        "Lớp",
        "Trường",
        "Khoa",
        "Bộ phận",
        "Chi bộ",
        "Cơ quan",
        "Đơn vị",
        "Xã",
        "Phường",
        "Thị trấn",
        "Huyện",
        "Tỉnh",
        "Sở",
        "UBND",
        "Ủy ban",
        "Uỷ ban",
        "Buôn",
        "Làng",
        "Sóc",
        "Phum",
        "Thị xã",
        "Thành phố",
        "Hội",
        "Chi hội",
        "Ban",
        "Mặt trận",
        # Offices and places a list is split by (QA round 26: "Trạm Y tế xã" became a person); none is a
        # family name, and "Vụ", "Bộ" differ from the names Vũ, Bồ by their accents.
        "Trạm",
        "Trung tâm",
        "Bệnh viện",
        "Công ty",
        "Văn phòng",
        "Chi nhánh",
        "Hợp tác xã",
        "Nhóm",
        "Cụm",
        "Khu",
        "Điểm",
        "Viện",
        "Cục",
        "Chi cục",
        "Vụ",
        "Bộ",
        "Phân hiệu",
        "Hộ ông",  # a household's members under it (QA round 36); "Hộ" is no family name ("Hồ" is)
        "Hộ bà",
        "Hộ anh",
        "Hộ chị",
        "Hộ gia đình",
        "Trung đội",  # a militia's platoons and squads (QA round 35)
        "Tiểu đội",
        "Đại đội",
        "Nhân viên",  # "Nhân viên hợp đồng", "Giáo viên bộ môn"; no family name is "Nhân" or "Giáo"
        "Giáo viên",
        "Lãnh đạo",
        "Người",  # "NGƯỜI HOẠT ĐỘNG KHÔNG CHUYÊN TRÁCH" (a signer's title is short: _is_signature)
        # A commune's officials by body, a hamlet's people by kind (QA round 67: "Cán bộ chuyên trách", "Công
        # chức", "Công an xã", "Đảng ủy", "Thường trực HĐND" became people); none begins a name
        "Cán bộ",
        "Công chức",
        "Viên chức",
        "Công an",
        "Quân sự",
        "Dân quân",
        "Đảng ủy",
        "Đảng uỷ",
        "Thường trực",
        "MTTQ",
        "HĐND",
        "Cựu chiến binh",
        "Phụ nữ",
        "Thanh niên",
        "Đoàn thanh niên",  # not "Đoàn" alone: a family name
        "Học sinh",
        "Hộ nghèo",
        "Hộ cận nghèo",
        "Y tế",
        "Bảo vệ",
        "Tiểu học",
        "Mầm non",
        "THCS",
        "THPT",
    )
)
# … typed without accents: those of two words or more that no name begins with either way (QA round 68; not
# "Y te", "Bao ve": Ê Đê names begin with "Y", "Bảo" is a name)
_HEADINGS_FOLDED = tuple(
    fold(words) + " "
    for words in (
        "Cán bộ",
        "Công chức",
        "Viên chức",
        "Công an xã",
        "Quân sự",
        "Đảng ủy",
        "Thường trực",
        "Cựu chiến binh",
        "Phụ nữ",
        "Thanh niên",
        "Đoàn thanh niên",
        "Học sinh",
        "Hộ nghèo",
        "Hộ cận nghèo",
    )
)
# Titles that head no section of a list, with a colon too ("Kế toán:", "Hiệu trưởng:" may: QA round 34)
_SIGNERS_ONLY = ("người lập", "thủ trưởng", "giáo viên chủ nhiệm", "gvcn")
_HEADINGS_ALONE = frozenset(("thành viên", "các thành viên", "ủy viên", "uỷ viên", "cán bộ quản lý"))  # no colon
_LAST_BRACKETS = re.compile(r"\s*\([^()]*\)$")
# After a heading's word, "Văn"/"Thị" make a name ("Hội Thị Lan"), unless they begin an office's ("Tổ Văn phòng")
_OFFICE_WORDS = frozenset(("van phong", "van thu", "van hoa", "thi dua", "van hoa thong"))
_TITLES_ACCENTED = tuple(nfc(title).lower() + title[len(title.rstrip()) :] for title in _FOOTER_TITLES)  # "tm "
_TITLES_FOLDED = tuple(fold(title) + title[len(title.rstrip()) :] for title in _FOOTER_TITLES)  # "tm ", not "tm"
_SUBTOTALS_ACCENTED = tuple(nfc(title).lower() for title in _SUBTOTALS)
# A subtotal's name alone, its counts beside it (QA round 67: "Tổng" with "3 | 2" under "Nam | Nữ" became a
# person); with the accents: "Tống" is a family name
_SUBTOTAL_NAMES = frozenset(
    ("tổng", "tổng số", "tổng cộng", "toàn xã", "toàn ấp", "trong đó", "trong đó nữ", "trong đó: nữ", "số người")
    + ("lũy kế", "luỹ kế", "tc", "t.cộng", "t. cộng", "cộng", "tổng toàn xã", "tổng hộ", "tổng số hộ")
    + ("tong so", "tong cong", "trong do", "trong do nu", "toan xa")  # typed without accents
)


def _subtotal_named(name: str, *, exactly: bool) -> bool:
    """A subtotal's name: one of _SUBTOTAL_NAMES (`exactly`), or begun so ("Tổng toàn ấp 1:"), which a row
    with a person's details is not ("Tổng Văn Hải", "Tống" typed with another accent: QA round 68)."""
    text = " ".join(nfc(name).lower().rstrip(":").split())
    return text in _SUBTOTAL_NAMES if exactly else text.startswith(("tổng ", "tổng:", "cộng:"))


_SIGN_HERE = ("(ky", "ky,", "ky ten", "ky va ghi")  # "(Ký, ghi rõ họ tên)", folded
_GROUP_KEYS = frozenset(header_key(label) for label in GROUP_LABELS_VI.values())  # "Người dân": no signer
_PLACE_AND_DATE = re.compile(
    r".*ngay\s*\S*\s*thang\s*\S*\s*nam\s*\S*\s*$"  # "Vĩnh Long, ngày 01 tháng 12 năm 2026"
    r"|.*,\s*(?:ngay\s*)?\d{1,2}\s*[/.-]\s*\d{1,2}\s*[/.-]\s*\d{2,4}\s*$"  # "Long Hồ, (ngày) 10/3/2024"
    r"|.*[a-z]\s+(?:ngay\s*)?\d{1,2}\s*[/.-]\s*\d{1,2}\s*[/.-]\s*\d{4}\s*$"  # "Giao Long 05/12/2026"
)
# "(Ký, ghi rõ họ tên)" after a title in the same cell: "Người lập biểu (Ký, ghi rõ họ tên)", folded; not a
# nickname in brackets ("Nguyễn Văn Kỳ (Kỳ)").
_SIGN_HERE_AFTER = re.compile(r"\(\s*ky\s*(?:,|ten\b|va\b|ghi\b|dong\b)")
_DAY_AND_MONTH = re.compile(r"ng\S{0,3}y.*th\S{0,3}ng", re.IGNORECASE)  # "ngày … tháng", unfolded (NFC or NFD)
_BIRTH, _SEX, _EMAIL = FIELDS.index("date_of_birth"), FIELDS.index("sex"), FIELDS.index("email")
_OWN = tuple(FIELDS.index(name) for name in ("date_of_birth", "cccd", "phone"))  # a person's, not a heading's
_ORG = FIELDS.index("org_code")
_WITH_DIGITS = [FIELDS.index(name) for name in ("date_of_birth", "cccd", "phone")]
_CCCD_CELL, _PHONE_CELL = FIELDS.index("cccd"), FIELDS.index("phone")
_ORG, _GROUPS, _POSITION = (
    FIELDS.index("org_code"),
    FIELDS.index("groups"),
    FIELDS.index("position"),
)  # not the position: "Kế toán" is one


def _is_column_numbers(cells: list) -> bool:
    """A form's row of column numbers under its header: "(1) (2) (3) …", or typed as numbers (QA round 67: 1.0,
    2.0 as read from number cells), or "A | B | 1 | 2 …" as statistics forms number them."""
    first = next((c for c in cells if not _is_blank(c)), None)  # a person's row: the name, which fails at once
    if first is None or not _COLUMN_NUMBER.fullmatch(_number_text(first)):
        return False
    filled = [_number_text(c) for c in cells if not _is_blank(c)]
    return len(filled) >= 3 and all(_COLUMN_NUMBER.fullmatch(c) for c in filled)


def _number_text(cell) -> str:
    return str(int(cell)) if isinstance(cell, float) and cell.is_integer() else str(cell).strip()


_LETTER = re.compile(r"[^\W\d_]")


def _identifies(cells: list) -> bool:
    """Whether the row holds what only a person's row has: a date of birth, CCCD or phone with digits (or
    as a number or date cell), an email address. A signer's title, or the place and date of the signature,
    typed in one of those columns does not. Cheap for a person's row: it stops at the first such cell."""
    for i in _WITH_DIGITS:
        cell = cells[i]
        if not _is_blank(cell):
            if not isinstance(cell, str):
                return True
            if (
                any(ch.isdigit() for ch in cell)
                and not _DAY_AND_MONTH.search(cell)  # … nor a total ("Tổng cộng: 11 người" in the CCCD column)
                and not (_LETTER.search(cell) and _is_signature(cell.strip(), named=False))
            ):
                return True
    email = cells[_EMAIL]
    return not _is_blank(email) and (not isinstance(email, str) or "@" in email)


def _details_of_a_person(cells: list) -> bool:
    """A CCCD, phone or email, or a date or year of birth (a count under "Năm sinh" is none: QA round 69)."""
    if any(not _is_blank(cells[i]) for i in (_CCCD_CELL, _PHONE_CELL, _EMAIL)):
        return True
    born = cells[_BIRTH]
    if isinstance(born, date) or (isinstance(born, int | float) and born >= 1900):
        return True
    return isinstance(born, str) and bool(re.search(r"\d{4}", born))


def _holds_no_person(cells: list) -> bool:
    """A subtotal or a section heading: passed over, the list goes on (see _is_footer for its end)."""
    if not isinstance(cells[0], str):
        return False
    if _subtotal_named(cells[0], exactly=True):  # its counts may look like years, phones
        return True
    if _subtotal_named(cells[0], exactly=False) and not _details_of_a_person(cells):  # "Tổng nữ: | 1"
        return True
    if _identifies(cells):
        return False
    if _a_header_row(cells):
        return True
    name = cells[0].strip()
    text = nfc(name).lower()
    if text.startswith(_SUBTOTALS_ACCENTED) or (name.isascii() and text.startswith("cong") and ":" in text):
        return True  # "Cộng: 12 người", "Cong thon Phu Hoa: 12"; not "Công Thị Hoa (2)"
    if not all(_is_blank(cell) or str(cell).strip() in ("-", "–", "—") for cell in cells[1:]):  # alone in its row
        return False
    if _NUMBERED_HEADING.match(name) or name.endswith(":"):  # "Thành viên:": no name ends so
        return True
    words = fold(text).split()  # "Hội Thị Lan", "Đội Văn Hai": names (Văn, Thị), not headings
    if text.rstrip(".") in _HEADINGS_ALONE:  # "Thành viên" over a committee's members (QA round 33)
        return True
    if text[:1] and text[:1] in "(*※":  # a note, as no name begins (QA round 35): "(Danh sách có 04 thành
        return True  # viên)", "* Ghi chú: …"
    line = _LAST_BRACKETS.sub("", name.splitlines()[0])  # the first line, without "(2)" after a name
    if any(ch.isdigit() or ch == ":" for ch in line) or " - " in line or " – " in line or len(line.split()) > 7:
        return True  # no name has a digit, a colon, " - " or eight words: "Danh sách có 10 học sinh (Nam: 4)",
        # "Bằng chữ: …", "Hộ ông Ông Văn Tám - ấp Giao Hòa" (QA round 36)
    a_name = (
        len(words) > 1
        and words[1] in ("van", "thi")
        and " ".join(words[1:3]) not in _OFFICE_WORDS
        and (len(words) == 2 or words[2].isalpha())  # "Tổ Văn - Sử", a school's subject group
    )
    heading = f"{text.rstrip('.')} ".startswith(_HEADING_WORDS) or (
        name.isascii() and f"{' '.join(words)} ".startswith(_HEADINGS_FOLDED)  # not "Đặng Uy Vũ" (QA round 69)
    )
    return heading and not a_name  # "Lãnh đạo" alone too


def _a_header_row(cells: list) -> bool:
    """A second table's header row ("Họ và tên", "Ngày sinh", …): it ends a footer, and is passed over."""
    name = cells[0]
    return isinstance(name, str) and header_field(name.strip()) in ("full_name", "family_name")


def _is_footer(cells: list) -> bool:
    if _identifies(cells):
        return False
    if _is_blank(cells[0]):  # no name: the place and date, the signers' titles, "(Ký, ghi rõ họ tên)"
        texts = [cell.strip() for cell in cells if isinstance(cell, str) and cell.strip()]
        return bool(texts) and all(_is_signature(text, named=False) for text in texts)
    name, org = cells[0], cells[_ORG]
    if isinstance(name, str) and name.strip().endswith(":") and not _signs_off([name]):
        # "Tổ trưởng:", "Thành viên:" head the people under them (a heading: _holds_no_person); a signer's
        # title has no colon, unlike "Tổng cộng:", "Nơi nhận:" and "Ghi chú:", which are the footer's, and
        # the titles only signers have ("Người lập biểu:", "Thủ trưởng đơn vị:"; QA round 33).
        return fold(name).startswith("ghi chu") or nfc(name).strip().lower().startswith(_SIGNERS_ONLY)
    if isinstance(name, str) and _is_signature(name.strip(), named=True):
        return True
    # A title or the place and date beside a signer's name; a unit code ("KT-01", "TLĐLĐ") has no space.
    return isinstance(org, str) and " " in org.strip() and _is_signature(org.strip(), named=True)


def _signs_off(cells: list) -> bool:
    """What only a form's footer has: a total, the place and date, "(Ký, ghi rõ họ tên)", "Nơi nhận"."""
    for cell in cells:
        if isinstance(cell, str) and cell.strip():
            text = cell.strip()
            folded = fold(text)
            if folded.startswith((*_SIGN_HERE, "noi nhan")) or _SIGN_HERE_AFTER.search(folded):
                return True
            if _PLACE_AND_DATE.fullmatch(folded):
                return True
            if nfc(text).lower().startswith(_SIGNS_OFF):  # with the accents; without, not "Tống Sơn Tùng" …
                return True
            if folded.startswith(("tong cong", "tong so")) and any(ch.isdigit() or ch == ":" for ch in text):
                return True  # … but "Tong cong: 5 nguoi"
    return False


_PERSONAL_NAME = re.compile(r"[^\W\d_]+(?:[ '’-][^\W\d_]+){1,6}")


def _personal_name(cell) -> bool:
    """Text shaped as a person's name: two to seven words of letters ("Trần Văn Chủ", "Y Bih")."""
    return isinstance(cell, str) and bool(_PERSONAL_NAME.fullmatch(" ".join(cell.split())))


def _a_persons_position(cell) -> bool:
    """A position as lists write one ("Tổ viên", "Chủ tịch UBND xã"): a word in small letters, as no name
    has (a second signer's "Trần Văn Chủ" beside the first is none)."""
    return isinstance(cell, str) and any(word[:1].islower() for word in cell.split())


def _beside_a_name(cells: list) -> bool:
    """A second name or title in the unit code's column: two signers side by side, not a person's row."""
    org = cells[_ORG]
    return isinstance(org, str) and " " in org.strip()


_SIGNS_OFF = ("tổng cộng", "tổng số")


def _looks_like_a_persons(cells: list) -> bool:
    """A row under a footer's title that has what a person's row has and a signer's name has not: a sex,
    a target group, a unit code (a signer's name, in whichever column, has spaces)."""
    from .validation import group_key_of, sex_of  # the validator's words for them; it imports this module

    sex, groups, org = cells[_SEX], cells[_GROUPS], cells[_ORG]
    return (
        (isinstance(sex, str) and sex_of(sex) is not None)
        or (isinstance(groups, str) and any(group_key_of(part) for part in re.split(r"[;,\n]", groups)))
        or (
            isinstance(org, str)
            and bool(org.strip())
            and " " not in org.strip()
            and not _is_signature(org.strip(), named=False)
        )
    )


def _is_signature(text: str, *, named: bool) -> bool:
    """Whether a cell of a row is the footer's: a total, the place and date, a signer's title. Typed without
    accents a title may also be a name ("Tong Cong Hau", "Chu Tich Lan"): in a row with a name, only a
    total ("Tong cong: 2 nguoi") is then taken."""
    folded = fold(text)
    if _PLACE_AND_DATE.fullmatch(folded) or folded.startswith(_SIGN_HERE) or _SIGN_HERE_AFTER.search(folded):
        return True
    if folded.startswith("nguoi"):  # "Người lập biểu", "NGƯỜI ĐỀ NGHỊ", "Người phụ trách"; not "Người dân",
        if named and len(folded.split()) > 4:  # nor "NGƯỜI HOẠT ĐỘNG KHÔNG CHUYÊN TRÁCH", a heading
            return False
        return not all(header_key(part) in _GROUP_KEYS for part in text.split(";"))
    if nfc(text).lower().startswith(_TITLES_ACCENTED):
        return True
    return folded.startswith(_TITLES_FOLDED) and (not named or any(ch.isdigit() or ch == ":" for ch in text))


# A title ("Tổ trưởng", "Trưởng ban:", "NGƯỜI CAO TUỔI") may head the list's last rows as well as a footer's
# signers: the rows after it are held back. What only a footer has (a total, the place and date, "(Ký …)",
# "Nơi nhận": _signs_off) signs them: they are the footer, unless more personal names than a footer's
# signers come (FOOTER_MAX_NAMES: then the total headed the list's rows). Unsigned, they are the list's when
# a person's row comes, when more than FOOTER_MAX_ROWS are held, or when they hold more names than a
# footer's signers or people's positions. Signed rows that a person's row ends are passed over (a total, a
# first table's footer): the footer is at the list's end. Names each under a title of their own ("Người lập
# biểu", "Lê Văn Cường", "Kế toán", "Phạm Thị Dung", "Thủ trưởng đơn vị", …) are signers up to PAIRED_MAX_NAMES,
# with or without a date line (three signers one to a row, unsigned, became people: stop 29's open item).
FOOTER_MAX_ROWS = 12
FOOTER_MAX_NAMES = 2  # a footer's signers, one to a row, without a date line …
SIGNED_MAX_NAMES = 4  # … and with one (two signers a row side by side count once)
PAIRED_MAX_NAMES = 6  # … each under a title of their own, with a date line or without (QA round 33: five)
SIGNED_MAX_ROWS = 1000  # no footer is longer: the rows held stay few whatever the file


def _data_rows(rows: Iterable[tuple[int, list]], columns: dict[str, int], table: Table) -> Iterator[tuple[int, list]]:
    order = [columns.get(name) for name in FIELDS]
    family, middle = columns.get("family_name"), columns.get("middle_name")
    merged_more = table.merged_more
    source = columns.get("source_row")
    male, female = columns.get("birth_male"), columns.get("birth_female")
    year_column = columns.get("birth_year")
    day_column, month_column = columns.get("birth_day"), columns.get("birth_month")
    day_month_column = columns.get("birth_day_month")
    male_mark, female_mark = columns.get("sex_male"), columns.get("sex_female")
    head, unit_name = columns.get("head_name"), columns.get("org_name")
    extra = [index for index, _title in table.extra_columns]
    untitled = table.untitled_columns

    def read(number: int, row: list, cells: list) -> bool:
        """A row of the list, unless it holds no person (passed over); what the table keeps of it kept."""
        if _holds_no_person(cells):
            _pass_over(table, number, _row_text(cells))
            return False
        width = len(row)
        for index in untitled:
            if index < width and (value := _shown(row[index])):
                table.untitled_rows += 1
                if not table.untitled_first[0]:
                    table.untitled_first = (number, column_letter(index + table.first_column), value)
                break
        if female_mark is not None and _is_blank(cells[_SEX]):  # a mark under "Nam" or "Nữ", of a person's row
            cells[_SEX] = _sex_of_marks(row, male_mark, female_mark)
        if source is not None and source < width and (label := str(row[source] or "").strip()):
            # a number, or a later sheet's "12 (trang “Ấp 2”)" as the error workbook of several sheets wrote it
            table.source_rows[number] = int(float(label)) if label.removesuffix(".0").isdigit() else label
        if number in table.hidden_rows:
            table.hidden_read += 1
        if extra:
            table.extras[number] = tuple(row[i] if i < width else None for i in extra)
        return True

    def names_of_people() -> bool:
        """Whether the held rows hold more names than a footer's signers, or a person's position."""
        names, position, unpaired = tally
        each_under_its_title = not unpaired and names <= PAIRED_MAX_NAMES
        return position or names > FOOTER_MAX_NAMES and not each_under_its_title

    def released() -> Iterator[tuple[int, list]]:
        """The held rows, the list's after all: titles were headings and are passed over, as are rows
        without a name or with a second one beside it (two signers); the others are read."""
        for number, row, cells, title in held:
            if title or _is_blank(cells[0]) or _beside_a_name(cells):
                _pass_over(table, number, _row_text(cells))
            elif read(number, row, cells):
                yield number, cells
        held.clear()
        tally[:] = [0, False, 0]

    held: list[tuple[int, list, list, bool]] = []
    tally = [0, False, 0]  # of the held rows: personal names, whether one has a person's position, and the
    # names not right under a title
    signed = False  # a row of what only a footer has is among the held ones
    for number, row in rows:
        width = len(row)
        cells = [row[i] if i is not None and i < width else None for i in order]
        if day_column is not None:  # "Ngày" | "Tháng" | "Năm"
            parts = (row[i] if i < width else None for i in (day_column, month_column, year_column))
            cells[_BIRTH] = _date_of_parts(*parts)
        elif day_month_column is not None:  # "Ngày, tháng sinh" | "Năm sinh"
            day_month, year = (row[i] if i < width else None for i in (day_month_column, year_column))
            cells[_BIRTH] = _birth_of_day_month(day_month, year)
            if _years_differ(day_month, year):
                shown = f"{day_month:%d/%m/%Y}" if isinstance(day_month, date) else day_month.strip()
                values = {"value": shown, "year": _part_number(year)}
                table.cell_errors[number] = ("date_of_birth", ERR_BIRTH_YEARS_DIFFER, values)
        if unit_name is not None and unit_name < width and not _is_blank(row[unit_name]):
            if _is_blank(cells[_ORG]):
                cells[_ORG] = row[unit_name]  # QA round 43: a unit given by its name alone was left out
                table.unit_named_rows.add(number)
            else:  # to be compared with the code (RowValidator.check_name_beside)
                table.unit_names_beside[number] = row[unit_name]
        if head is not None and _is_blank(cells[0]) and head < width and any(not _is_blank(cells[i]) for i in _OWN):
            cells[0] = row[head]  # the head's row of a household list names them in their column only (QA 43)
        for name, more in merged_more.items():  # "Võ Văn" | "Nam" under "Họ và tên" merged over both
            at = FIELDS.index(name)
            parts = [cells[at], *(row[i] if i < width else None for i in more)]
            filled = [str(part).strip() for part in parts if not _is_blank(part)]
            if len(filled) > 1:
                cells[at] = _MERGED_FIELDS[name].join(filled)
        if family is not None:  # "Nguyễn" | ("Văn" |) "An"
            parts = [row[i] if i is not None and i < width else None for i in (family, middle, order[0])]
            filled = [str(part).strip() for part in parts if not _is_blank(part)]
            if filled:
                cells[0] = " ".join(filled)
                if len(filled) == 1 and len(filled[0].split()) == 1 and (_is_blank(parts[0]) or _is_blank(parts[2])):
                    title = table.split_title("full_name" if _is_blank(parts[2]) else "family_name")
                    table.cell_errors[number] = ("full_name", ERR_NAME_PART_MISSING, {"column": title})
        if all(_is_blank(c) for c in cells) or _is_column_numbers(cells):
            continue
        name = cells[0]
        if (_is_blank(name) or isinstance(name, str) and name[:1] in "#E" and is_error_code(name)) and all(
            _is_blank(c) or isinstance(c, str) and is_error_code(c) for c in cells
        ):
            _pass_over(table, number, _row_text(cells))  # a lookup copied down below the list: #N/A alone
            continue
        if year_column is not None and _is_blank(cells[_BIRTH]) and year_column < width:  # QA round 30: the
            cells[_BIRTH] = row[year_column]  # year alone of "Năm sinh" beside an empty "Ngày sinh" was lost
        if male is not None:  # the birth date in the column of the person's sex, under its title …
            _birth_by_sex(row, cells, male, female, marks=False)
        elif female_mark is not None and _is_blank(cells[_BIRTH]):  # … or a year or date under "Nam" | "Nữ"
            _birth_by_sex(row, cells, male_mark, female_mark, marks=True)  # (QA round 34)
        person = _identifies(cells) or _looks_like_a_persons(cells) or _a_header_row(cells)
        title = not person and _is_footer(cells)
        if title or held and not person:
            if not signed and _signs_off(cells):
                if names_of_people():  # a title headed people before the date line
                    yield from released()
                signed = True
            if not title and _personal_name(cells[0]):
                tally[0] += 1
                tally[1] = tally[1] or _a_persons_position(cells[_POSITION])
                tally[2] += not (held and held[-1][3])
            held.append((number, row, cells, title))
            signers = PAIRED_MAX_NAMES if signed and not tally[2] else SIGNED_MAX_NAMES
            if tally[0] > (signers if signed else FOOTER_MAX_NAMES + FOOTER_MAX_ROWS) or len(held) > (
                SIGNED_MAX_ROWS if signed else FOOTER_MAX_ROWS
            ):
                yield from released()
                signed = False
            continue
        if held and not signed:  # a person's row: a title headed the held rows
            yield from released()
        elif held:  # … or they were a total, or a first table's footer: passed over
            for held_number, _row, held_cells, _title in held:
                _pass_over(table, held_number, _row_text(held_cells))
            held.clear()
            tally[:] = [0, False, 0]
            signed = False
        if read(number, row, cells):
            yield number, cells
    if held and not signed and names_of_people():
        yield from released()
    elif held:
        table.footer_row, table.footer_skipped = held[0][0], len(held)


_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))  # left by a copy from a web page


def _shown(value) -> str:
    """A cell's value as the sheet shows it, for the summary (validation.cell_text: "12", not "12.0"), or ""
    for a blank one, or one of invisible characters alone."""
    from .validation import cell_text  # (it imports this module)

    text = " ".join(cell_text(value).translate(_INVISIBLE).split())
    return text[:40] + ("…" if len(text) > 40 else "")


def _pass_over(table: Table, number: int, text: str) -> None:
    table.passed_over += 1
    if table.passed_over == 1:
        table.passed_over_first = (number, text)


def _row_text(cells: list) -> str:
    """The row's first text, for the summary: "I. KHỐI ĐẢNG"."""
    text = next((str(c) for c in cells if isinstance(c, str) and c.strip()), "")
    return " ".join(text.split())[:60]


_MERGED_FIELDS = {"full_name": " ", "groups": "; "}  # fields whose title may be merged over parts: how joined


def _table(
    numbered: Iterator[tuple[int, list]],
    total_rows: int | None,
    hidden: set[int] | None = None,
    offset: int = 0,
    *,
    merges=(),
    first_column: int = 0,
) -> Table:
    """The sheet's list. `merges`, `first_column`: see _sheet_rows."""
    header_row, columns, titles, unknown, extra, consumed, titled = _find_header(numbered)
    used = set(columns.values())
    more = {}
    for (r0, c0), (r1, c1) in sorted(merges):  # a title merged over columns to its right ("Địa chỉ" over J:K)
        start, end = c0 - first_column, c1 - first_column
        if r0 + 1 + offset <= header_row <= r1 + 1 + offset and start in titled:
            titled |= set(range(start, end + 1))
            name = next((name for name in _MERGED_FIELDS if columns.get(name) == start), None)
            if name and "family_name" not in columns and not used & set(range(start + 1, end + 1)):
                more[name] = list(range(start + 1, end + 1))
    # The columns without a title among the titled ones, and the one right of them: values there are not read
    untitled = [index for index in range(min(used) + 1, max(titled) + 2) if index not in titled]  # (not a row
    # number's, left of the list's columns)

    def chained():
        yield from consumed
        yield from numbered

    total = max(offset + total_rows - header_row, 0) if total_rows is not None else None
    table = Table(
        columns, titles, unknown, header_row, total, iter(()), hidden_rows=hidden or set(), extra_columns=extra
    )
    table.untitled_columns, table.first_column, table.merged_more = untitled, first_column, more
    table.rows = _data_rows(chained(), columns, table)
    return table


# --- Excel -------------------------------------------------------------------------------------


def _largest_sheet_xml(fileobj) -> int:
    """The size of the workbook's largest sheet XML; a file whose parts unpack to more than a list could
    hold, or pack unlike any spreadsheet program's (a "zip bomb"), is refused. The sizes are the zip's own
    statement: the sheet XML is read through zipfile (`_sheet_marks`), which stops at the stated size."""
    try:
        with zipfile.ZipFile(fileobj) as archive:
            parts = archive.infolist()
    except zipfile.BadZipFile:
        return 0
    finally:
        fileobj.seek(0)
    unpacked = sum(part.file_size for part in parts)
    if (
        unpacked > MAX_UNPACKED_BYTES
        or any(p.file_size > 10 * 1024 * 1024 and p.file_size > MAX_PACKING_RATIO * p.compress_size for p in parts)
        or any(p.file_size > MAX_STRINGS_BYTES for p in parts if p.filename.lower() == "xl/sharedstrings.xml")
    ):
        raise ReadError(ERR_UNPACKED, size=grouped(unpacked // (1024 * 1024)))
    return max((p.file_size for p in parts if p.filename.startswith("xl/worksheets/sheet")), default=0)


EXCEL_ERRORS = frozenset(("#N/A", "#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#SPILL!", "#CALC!"))
NO_VALUE = "#FORMULA!"  # not Excel's: a formula cell saved without its result (by a program, not Excel)
_ERROR_CELL = re.compile(rb'<c r="([A-Z]+)(\d+)"[^>]*?\st="e"[^>]*>(?:<f[^>]*?/>|<f[^>]*>.*?</f>)?<v>([^<]*)</v>', re.S)
_HIDDEN_ROW = re.compile(rb'<row r="(\d+)"[^>]*?\shidden="(?:1|true)"')
_NO_VALUE_CELL = re.compile(rb'<c r="([A-Z]+)(\d+)"[^>]*>(?:<f[^>]*?/>|<f[^>]*>[^<]*</f>)(?:<v\s*/>|<v></v>)?</c>')
_LAST_ROW = re.compile(rb'<row r="(\d+)"')
_WIDE_CELL = re.compile(rb'<c r="([A-Z]{2,3})\d')  # a cell beyond column Z
_MERGE_CELL = re.compile(rb'<mergeCell ref="([A-Z]+)(\d+):([A-Z]+)(\d+)"')
_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


@dataclass
class _Marks:
    """What the readers do not say about an .xlsx sheet (see `_sheet_marks`)."""

    errors: dict[int, dict[int, str]] = field(default_factory=dict)  # row → column (0-based) → code
    hidden: set[int] = field(default_factory=set)  # rows hidden or filtered out
    merges: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)  # 0-based corners
    last_row: int = 0  # the number of the sheet's last row
    last_column: int = 25  # 0-based; column Z unless a cell lies beyond it

    @property
    def cells(self) -> int:
        """The cells of the sheet's rectangle, as python-calamine would hold them."""
        return self.last_row * (self.last_column + 1)


# A row or cell tag that does not start with its reference (`<c r="B2"`, as every program writes it; text
# cannot fake a tag, as it cannot hold a "<"). QA round 15: a 14 KB sheet of such rows and cells made python-
# calamine allocate a rectangle of 17 billion cells, which the references alone did not show.
_UNREFERENCED = re.compile(rb'<(c|row)(?=[\s/>])(?! r=")')
_UNREFERENCED_LONGEST = len(b'<row r="')


def _column_index(letters: bytes) -> int:
    """b"A" → 0, b"AB" → 27."""
    column = 0
    for letter in letters:
        column = column * 26 + letter - 64
    return column - 1


def _sheet_marks(fileobj, sheet_name: str) -> _Marks:
    """What the readers do not say about an .xlsx sheet: its cells holding an Excel error (#N/A of a
    failed VLOOKUP…) and its formula cells saved without a result (`NO_VALUE`), both read as empty, which
    would drop a CCCD silently; its hidden (or filtered out) rows; and its merged ranges, which
    openpyxl's streaming mode does not read. The sheet's XML is streamed and searched only where it has
    an error cell (t="e"), a formula, a hidden row or a merged range. An .ods sheet: _ods_marks; .xls: nothing."""
    from defusedxml import DefusedXmlException, ElementTree

    marks = _Marks()
    reading = False
    fileobj.seek(0)
    try:
        with zipfile.ZipFile(fileobj) as archive:
            if "xl/workbook.xml" not in archive.NameToInfo and "content.xml" in archive.NameToInfo:
                return _ods_marks(archive, sheet_name)
            targets = {
                rel.get("Id"): rel.get("Target", "")
                for rel in ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
            }
            sheets = ElementTree.fromstring(archive.read("xl/workbook.xml")).iter(f"{_NS_MAIN}sheet")
            target = next((targets.get(s.get(f"{_NS_REL}id")) for s in sheets if s.get("name") == sheet_name), None)
            if not target:
                return marks
            part = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            reading = True  # from here, a bad zip is a sheet whose data do not match the zip's statement
            with archive.open(part) as xml:
                pending = carry = b""
                unreferenced = {b"row": 0, b"c": 0}
                while True:
                    chunk = xml.read(1 << 20)
                    scan = carry + chunk  # a tag across two reads is looked at once, whole
                    whole = max(len(scan) - _UNREFERENCED_LONGEST, 0) if chunk else len(scan)
                    for tag in _UNREFERENCED.finditer(scan):
                        if tag.start() >= whole:
                            break
                        unreferenced[tag[1]] += 1
                    carry = scan[whole:]
                    pending += chunk
                    cut = len(pending) if not chunk else pending.rfind(b"</c>") + 4  # whole cells only
                    if cut < 4 and len(pending) > MARKS_MAX_PENDING:  # no cell ends here: nothing to keep
                        pending = pending[-MARKS_MAX_PENDING // 2 :]
                    if cut >= 4:
                        done, pending = pending[:cut], pending[cut:]
                        start = done.rfind(b'<row r="')
                        if start >= 0 and (row := _LAST_ROW.match(done, start)):
                            marks.last_row = max(marks.last_row, int(row[1]))
                        for wide in _WIDE_CELL.finditer(done):
                            marks.last_column = max(marks.last_column, _column_index(wide[1]))
                        for letters, row, code in _unreadable_in(done):
                            marks.errors.setdefault(int(row), {})[_column_index(letters)] = code
                        if b"hidden=" in done:
                            marks.hidden.update(int(m[1]) for m in _HIDDEN_ROW.finditer(done))
                        if b"<mergeCell " in done:
                            marks.merges += [
                                ((int(m[2]) - 1, _column_index(m[1])), (int(m[4]) - 1, _column_index(m[3])))
                                for m in _MERGE_CELL.finditer(done)
                            ]
                    if not chunk:
                        # Rows and cells without their reference (valid, and rare) are placed by counting
                        # after the one before: each may lie a row, or a column, beyond those referenced.
                        marks.last_row += unreferenced[b"row"]
                        marks.last_column += unreferenced[b"c"]
                        return marks
    except zipfile.BadZipFile as exc:
        if reading:
            logger.info("unreadable workbook (sheet XML): %r", exc)
            raise ReadError(ERR_UNREADABLE) from exc
        return _Marks()  # not a zip: .xls
    except (KeyError, ElementTree.ParseError, DefusedXmlException):
        return _Marks()
    finally:
        fileobj.seek(0)


_ODS_TAG = re.compile(rb"<table:(table-row|table-cell|covered-table-cell|table)(?=[\s/>])([^>]*?)(/?)>")
_ODS_REPEATED = re.compile(rb'number-(?:rows|columns)-repeated="([0-9]+)"')


_ODS_ATTRIBUTE = re.compile(rb'table:(name|visibility|number-rows-spanned|number-columns-spanned)="([^"]*)"')
_ODS_TEXT = re.compile(rb"<text:p(?:\s[^>]*)?>([^<]{0,40})</text:p>")
# LibreOffice's own error codes, which its .ods keeps ("Err:502": an invalid argument; as .xlsx, #VALUE!)
_CALC_ERROR = re.compile(r"Err:\d{3}")


def is_error_code(text: str) -> bool:
    """Whether a cell's text is a formula's error, Excel's (#N/A) or LibreOffice's (Err:502)."""
    text = text.strip()
    return text in EXCEL_ERRORS or _CALC_ERROR.fullmatch(text) is not None


def _ods_error(scan: bytes, start: int) -> str:
    """The error code a formula cell's XML from `start` (after its tag) shows, or "": the cell's own text is
    its last paragraph (a comment's come first, QA round 29)."""
    end = scan.find(b"</table:table-cell>", start)
    texts = _ODS_TEXT.findall(scan, start, end if end >= 0 else min(len(scan), start + 4096))
    code = texts[-1].decode(errors="replace").strip() if texts else ""
    return code if is_error_code(code) else ""


ODS_HIDDEN_REPEAT_MAX = 1000  # hidden rows repeated more are empty ones (LibreOffice saves a million so)


def _ods_marks(archive: zipfile.ZipFile, sheet_name: str) -> _Marks:
    """What python-calamine does not say about an .ods sheet, as `_sheet_marks` for an .xlsx one (QA round
    28): its cells holding a formula's error (read as empty), its merged ranges (their value in the first
    row only) and its hidden or filtered-out rows. content.xml is scanned tag by tag, as `_ods_cells` does."""
    marks = _Marks()
    inside = False
    row_end = column = 0
    with archive.open("content.xml") as xml:
        carry = b""
        while chunk := xml.read(1 << 20):
            scan = carry + chunk
            cut = scan.rfind(b">") + 1
            carry = scan[cut:]
            if len(carry) > ODS_MAX_TEXT:
                raise ReadError(ERR_ODS_TOO_LARGE)
            for tag in _ODS_TAG.finditer(scan, 0, cut):
                kind, attributes = tag[1], tag[2]
                named = {k: v for k, v in _ODS_ATTRIBUTE.findall(attributes)}
                if kind == b"table":
                    if inside:  # the next sheet: ours is read
                        return marks
                    inside = html.unescape(named.get(b"name", b"").decode(errors="replace")) == sheet_name
                    row_end = column = 0
                    continue
                if not inside:
                    continue
                repeated = _ODS_REPEATED.search(attributes)
                times = int(repeated[1]) if repeated else 1
                if kind == b"table-row":
                    start, row_end, column = row_end, row_end + times, 0
                    if named.get(b"visibility") in (b"collapse", b"filter") and times <= ODS_HIDDEN_REPEAT_MAX:
                        marks.hidden.update(range(start + 1, row_end + 1))
                    continue
                row = row_end - 1  # 0-based
                # An error shows as a formula cell's text ("#N/A"); ODF 1.2 files say nothing more (QA round 29)
                if b"table:formula" in attributes and not tag[3] and (code := _ods_error(scan, tag.end())):
                    for c in range(column, column + min(times, MAX_COLUMNS)):
                        marks.errors.setdefault(row + 1, {})[c] = code
                rows, columns = int(named.get(b"number-rows-spanned", 1)), int(named.get(b"number-columns-spanned", 1))
                if rows > 1 or columns > 1:
                    marks.merges.append(((row, column), (row + rows - 1, column + columns - 1)))
                column += times
    return marks


def _ods_cells(fileobj) -> int:
    """The cells of the largest rectangle of an .ods workbook's sheets, each up to its last row and column
    with content, as python-calamine would hold them (it reads every sheet when it opens the file): repeated
    rows and cells (`number-rows-repeated`) count as many times. QA round 15: a 1 KB file of a few repeated
    rows and cells took 6 GB. Empty repeats after the content (LibreOffice saves a sheet's million empty
    rows so) count for nothing."""
    largest = row_end = column = last_row = last_column = 0
    fileobj.seek(0)
    try:
        with zipfile.ZipFile(fileobj) as archive, archive.open("content.xml") as xml:
            carry = b""
            while chunk := xml.read(1 << 20):
                scan = carry + chunk
                cut = scan.rfind(b">") + 1  # whole tags only
                carry = scan[cut:]
                if len(carry) > ODS_MAX_TEXT:  # a megabyte without a tag end: no spreadsheet's, and unbounded
                    raise ReadError(ERR_ODS_TOO_LARGE)
                for tag in _ODS_TAG.finditer(scan, 0, cut):
                    kind, attributes, closed = tag[1], tag[2], tag[3]
                    if kind == b"table":  # a sheet begins
                        largest = max(largest, last_row * last_column)
                        row_end = column = last_row = last_column = 0
                        continue
                    repeated = _ODS_REPEATED.search(attributes)
                    times = int(repeated[1]) if repeated else 1
                    if kind == b"table-row":
                        row_end, column = row_end + times, 0
                    else:
                        column += times
                        if not closed or b"office:value-type" in attributes:  # a cell with content
                            last_row, last_column = max(last_row, row_end), max(last_column, column)
    except (zipfile.BadZipFile, KeyError):
        return 0  # python-calamine says what is wrong
    finally:
        fileobj.seek(0)
    return max(largest, last_row * last_column)


def _is_date1904(fileobj) -> bool:
    """Whether an .xlsx workbook uses Excel's 1904 date system (`<workbookPr date1904="1"/>`): its dates
    typed as numbers count from 1904. Cells formatted as dates python-calamine converts itself."""
    from defusedxml import DefusedXmlException, ElementTree

    fileobj.seek(0)
    try:
        with zipfile.ZipFile(fileobj) as archive:
            properties = ElementTree.fromstring(archive.read("xl/workbook.xml")).find(f"{_NS_MAIN}workbookPr")
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, DefusedXmlException):
        return False
    finally:
        fileobj.seek(0)
    return properties is not None and properties.get("date1904", "").lower() in ("1", "true")


def _unreadable_in(xml: bytes) -> Iterator[tuple[bytes, bytes, str]]:
    """(column letters, row, code) of the error cells and the formulas without a result in whole cells."""
    if b't="e"' in xml:
        for match in _ERROR_CELL.finditer(xml):
            yield match[1], match[2], match[3].decode(errors="replace")
    if b"<f" in xml:
        for match in _NO_VALUE_CELL.finditer(xml):
            yield match[1], match[2], NO_VALUE


def _lists(names: list[str], sheet_table: Callable[[str, int], Table]) -> Table:
    """The lists of people of a workbook's visible sheets (`names`, in order), read one after the other:
    each sheet with a header naming the full name and the CCCD number or the date of birth, and rows under
    it (QA round 37: one sheet a hamlet or a class). A sheet with a header alone (an empty template before
    the list, perhaps) is passed over, and so is a cover page's small table of names ("STT | Họ và tên |
    Chức vụ" of a steering committee); with no list, the first sheet with a header and rows is read.
    `sheet_table(name, offset)` reads a sheet, its rows numbered from offset + 1."""
    error: ReadError | None = None
    empty: Table | None = None
    fallback: Table | None = None
    found: list[Table] = []
    for name in names:  # in the workbook's order (QA round 40: by their names, a fuller summary lost its rows)
        if name in (GUIDE_SHEET, LISTS_SHEET):
            continue
        try:
            table = sheet_table(name, len(found) * SHEET_ROWS)
        except ReadError as exc:
            error = error or exc
            continue
        first = next(table.rows, None)
        if first is None:
            empty = empty or table
            continue
        table.rows = itertools.chain([first], table.rows)
        table.sheet = name
        if "cccd" in table.columns or "date_of_birth" in table.columns or "birth_male" in table.columns:
            found.append(table)
        elif fallback is None and not found:
            fallback = table
    if not found and fallback is not None:
        found = [fallback]
    if found:
        table = _joined(found)
        table.other_sheets = [other for other in names if other not in (*table.sheets, GUIDE_SHEET, LISTS_SHEET)]
        return table
    if empty is not None:
        return empty
    raise error or ReadError(ERR_NO_HEADER, n=HEADER_SCAN_ROWS)


def _read_order(tables: list[Table]) -> list[int]:
    """The order to read a workbook's list sheets in: by how many sheets, one within the next, have all of a
    sheet's columns and more above it (none: first), then, of the sheets that are another's part, the one of more
    columns first (QA round 64: a summary of three columns before a hamlet of eight without the unit's), then in
    the workbook's order (QA round 40). So every sheet is read after each sheet with its columns and more, and a
    summary after every hamlet. QA rounds 61-63: a summary sheet of names and birth dates before the hamlets
    made their people of its few columns, and refused the hamlets' rows, which said more (the columns with values
    in a sheet's first rows, instead of its columns, moved hamlets sorted by age)."""
    columns = [set(t.columns) for t in tables]

    @cache
    def depth(i: int) -> int:
        return max((depth(j) + 1 for j in range(len(tables)) if columns[i] < columns[j]), default=0)

    return sorted(range(len(tables)), key=lambda i: (depth(i), -len(columns[i]) if depth(i) else 0, i))


def _joined(tables: list[Table]) -> Table:
    """The first sheet's table, reading on into the others' rows (numbered from SHEET_ROWS × their place), in
    the order _read_order gives: what they find of their rows (source rows, extras, hidden rows, split names)
    goes to it as read, their counts of rows passed over once each is read; their extra columns are carried by
    title (the error workbook's are the first sheet's, then the others'), their titles kept for the messages
    (Table.header)."""
    first = tables[0]
    first.sheets = [t.sheet for t in tables]  # in the order of their rows' numbers (Table.row_label)
    first.sheet_headers = [t.headers for t in tables]
    first.read_order = _read_order(tables)
    if len(tables) == 1:
        return first
    titles = [title for _index, title in first.extra_columns]
    for table in tables[1:]:  # every sheet's, the first's first (QA round 64: a summary first lost the hamlets' notes)
        titles += [title for _index, title in table.extra_columns if title not in titles]
    # The first sheet's rows keep their own values (padded in the error workbook), read before this
    first.extra_columns = [*first.extra_columns, *((-1, title) for title in titles[len(first.extra_columns) :])]
    for table in tables[1:]:  # (what its first row, read to see the sheet has rows, left in its own goes too)
        first.hidden_rows |= table.hidden_rows
        first.source_rows.update(table.source_rows)
        first.extras.update(table.extras)
        first.cell_errors.update(table.cell_errors)
        first.unit_named_rows |= table.unit_named_rows
        first.unit_names_beside.update(table.unit_names_beside)
        table.unit_names_beside = first.unit_names_beside
        table.source_rows, table.extras = first.source_rows, first.extras
        table.hidden_rows, table.cell_errors = first.hidden_rows, first.cell_errors
        table.unit_named_rows = first.unit_named_rows
        first.unknown += [title for title in table.unknown if title not in first.unknown]
        if first.total is not None:
            first.total = None if table.total is None else first.total + table.total

    def read_on(table: Table) -> Iterator[tuple[int, list]]:
        theirs = [title for _index, title in table.extra_columns]
        places = [theirs.index(title) if title in theirs else None for title in titles]
        for number, cells in table.rows:
            if number in first.extras:
                values = first.extras[number]
                first.extras[number] = tuple(None if i is None else values[i] for i in places)
            yield number, cells
        first.hidden_read += table.hidden_read
        first.passed_over_first = first.passed_over_first if first.passed_over else table.passed_over_first
        first.passed_over += table.passed_over
        first.untitled_first = first.untitled_first if first.untitled_rows else table.untitled_first
        first.untitled_rows += table.untitled_rows
        first.footer_skipped += table.footer_skipped
        first.later_footers += [table.footer_row] if table.footer_row else []

    own = first.rows
    first.rows = itertools.chain.from_iterable(own if i == 0 else read_on(tables[i]) for i in first.read_order)
    return first


class _TooWide(Exception):
    """A sheet too large a rectangle for python-calamine (CALAMINE_MAX_CELLS)."""


def _read_excel_calamine(fileobj) -> Table:
    import python_calamine

    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(fileobj)
    except Exception as exc:  # calamine raises its own error types for broken zips, XML, passwords
        logger.info("unreadable workbook (python-calamine): %r", exc)
        raise ReadError(ERR_UNREADABLE) from exc
    names = [
        meta.name
        for meta in workbook.sheets_metadata
        if meta.visible == python_calamine.SheetVisibleEnum.Visible
        and meta.typ == python_calamine.SheetTypeEnum.WorkSheet
    ]

    def sheet_table(name: str, offset: int) -> Table:
        marks = _sheet_marks(fileobj, name)
        if marks.cells > CALAMINE_MAX_CELLS or marks.last_column >= MAX_COLUMNS:
            raise _TooWide
        try:
            sheet = workbook.get_sheet_by_name(name)
        except Exception as exc:  # noqa: BLE001 (calamine's XmlError, WorksheetNotFound …: a damaged sheet)
            logger.info("unreadable sheet (python-calamine): %r", exc)
            raise ReadError(ERR_UNREADABLE) from exc
        try:
            merges = sheet.merged_cell_ranges or marks.merges  # .ods: not from calamine (_ods_marks)
        except Exception:  # noqa: BLE001 (formats without merge information)
            merges = marks.merges
        first_column = sheet.start[1] if sheet.start else 0  # calamine's rows start at the first used column
        rows = _sheet_rows(sheet.iter_rows(), first_column, merges, marks.errors, offset)
        hidden = {offset + row for row in marks.hidden}
        total = sheet.end[0] + 1 if sheet.end else 0
        return _table(rows, total, hidden, offset, merges=merges, first_column=first_column)

    table = _lists(names, sheet_table)
    table.date1904 = _is_date1904(fileobj)
    table.hidden_sheets = [
        meta.name
        for meta in workbook.sheets_metadata
        if meta.visible != python_calamine.SheetVisibleEnum.Visible and meta.name not in (GUIDE_SHEET, LISTS_SHEET)
    ]
    return table


def _sheet_rows(
    rows: Iterable, first_column: int, merges: list, errors: dict[int, dict[int, str]], offset: int = 0
) -> Iterator[tuple[int, list]]:
    """A sheet's rows (cells from column `first_column`, 0-based) numbered from offset + 1, with two repairs:
    each error cell's code ("#N/A") where the reader gives an empty cell, and the value of a vertically
    merged range (a unit code merged over the rows of its people) in each of its rows, where the readers
    give it in the first row only. `merges`: ((first row, first column), (last row, last column)), 0-based."""
    starts: dict[int, list[tuple[int, int, int]]] = {}  # first row → (last row, first column, last column)
    for (r0, c0), (r1, c1) in merges:
        if r1 > r0:
            starts.setdefault(r0 + 1, []).append((r1 + 1, c0 - first_column, c1 - first_column))
    filling: list[tuple[int, int, int, object]] = []  # (last row, first column, last column, value)
    for number, row in enumerate(rows, 1):
        if number in errors or filling or number in starts:
            row = list(row)
            for column, code in errors.get(number, {}).items():
                if 0 <= column - first_column < len(row):
                    row[column - first_column] = code
            filling = [f for f in filling if f[0] >= number]
            for _last, c0, c1, value in filling:
                for column in range(max(c0, 0), min(c1 + 1, len(row))):
                    row[column] = value
            for last, c0, c1 in starts.get(number, []):
                if 0 <= c0 < len(row):
                    filling.append((last, c0, c1, row[c0]))
        yield offset + number, row


def _read_excel_openpyxl(fileobj) -> Table:
    """Very large sheets: openpyxl's streaming mode, with the same choice of sheet and the same repairs
    (error cells, formulas without a result, merged ranges, hidden rows) as python-calamine's path."""
    from openpyxl import load_workbook
    from openpyxl.utils.datetime import CALENDAR_MAC_1904

    try:
        workbook = load_workbook(fileobj, read_only=True, data_only=True)
    except Exception as exc:
        logger.info("unreadable workbook (openpyxl): %r", exc)
        raise ReadError(ERR_UNREADABLE) from exc
    sheets = {sheet.title: sheet for sheet in workbook.worksheets if sheet.sheet_state == "visible"}

    def sheet_table(name: str, offset: int) -> Table:
        sheet = sheets[name]
        marks = _sheet_marks(fileobj, name)
        rows = sheet.iter_rows(values_only=True, max_col=min(sheet.max_column or MAX_COLUMNS, MAX_COLUMNS))
        rows = _sheet_rows(rows, 0, marks.merges, marks.errors, offset)  # from column A
        return _table(rows, sheet.max_row, {offset + row for row in marks.hidden}, offset, merges=marks.merges)

    table = _lists(list(sheets), sheet_table)
    table.date1904 = workbook.epoch == CALENDAR_MAC_1904
    table.hidden_sheets = [
        sheet.title
        for sheet in workbook.worksheets
        if sheet.sheet_state != "visible" and sheet.title not in (GUIDE_SHEET, LISTS_SHEET)
    ]
    return table


# --- CSV ---------------------------------------------------------------------------------------


def _csv_text(fileobj) -> tuple[io.TextIOWrapper, str, int]:
    """The stream, its first 64 KB as text, and the number of lines estimated from them (exact when the
    file is no larger): the progress bar's total, which an .xlsx states and a CSV does not."""
    sample = fileobj.read(64 * 1024)
    size = fileobj.seek(0, io.SEEK_END)
    fileobj.seek(0)
    # UTF-8, with or without its BOM; or UTF-16 with its BOM, as Excel's "Unicode Text" saves a list.
    encoding = "utf-16" if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else "utf-8-sig"
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        text = decoder.decode(sample, final=False)
    except UnicodeDecodeError as exc:
        raise ReadError(ERR_CSV_ENCODING) from exc
    lines = text.count("\n") + (not text.endswith("\n"))
    if size > len(sample):
        lines = round(lines * size / len(sample))
    return io.TextIOWrapper(fileobj, encoding=encoding, newline=""), text, lines


def _quote_broken(text: str, delimiter: str) -> bool:
    """Whether a CSV record that spans several lines was cut short by a quote never closed, as the csv module
    reads it: it ends inside a quoted cell, or a quoted cell with a line break in it is closed by a quote that
    a plain character follows (the quote opening a later row's cell: the lines between were read as one
    cell). Excel closes every quoted cell with a quote followed by the delimiter or the line's end."""
    state, spans = "start", False  # start of a cell, "plain" cell, "quoted" cell, "quote" seen in a quoted cell
    for char in text:
        if state == "quoted":
            if char == '"':
                state = "quote"
            elif char in "\r\n":
                spans = True
        elif char == delimiter or char in "\r\n":
            state, spans = "start", False
        elif char == '"' and state in ("start", "quote"):  # a quoted cell opens, or a doubled quote in it
            state = "quoted"
        elif state == "quote" and spans and not char.isspace():
            return True
        else:
            state = "plain"
    return state == "quoted"


def _read_csv(fileobj) -> Table:
    stream, sample, lines_estimate = _csv_text(fileobj)
    lines = sample.splitlines()[:HEADER_SCAN_ROWS]
    best_delimiter, best_score = ",", -1
    for delimiter in (",", ";", "\t"):
        score = 0
        for row in csv.reader(lines, delimiter=delimiter):
            columns, _titles, _unknown = _match_header(row[:MAX_COLUMNS])
            if "full_name" in columns:
                score = max(score, len(columns))
        if score > best_score:
            best_delimiter, best_score = delimiter, score

    def numbered():
        record: list[str] = []  # the lines of the record being read

        def lines():
            for line in stream:
                if len(line) > CSV_MAX_LINE_CHARS:  # not a list of people: millions of empty columns, say
                    raise ReadError(ERR_CSV_LINE_LONG, line=number, limit=grouped(CSV_MAX_LINE_CHARS))
                record.append(line)
                yield line

        reader = csv.reader(lines(), delimiter=best_delimiter)
        number = 1  # the record's number: its row in Excel
        try:
            for row in reader:
                if len(record) > 1 and _quote_broken("".join(record), best_delimiter):
                    raise ReadError(ERR_CSV_BROKEN, line=number)
                record.clear()
                yield number, row[:MAX_COLUMNS]  # as an .xlsx read by openpyxl: the columns after are ignored
                number += 1
        except UnicodeDecodeError as exc:
            raise ReadError(ERR_CSV_ENCODING) from exc
        except csv.Error as exc:  # an unclosed quote ran on to the field size limit
            raise ReadError(ERR_CSV_BROKEN, line=number) from exc

    return _table(numbered(), lines_estimate if sample else None)


def file_suffix(name: str) -> str:
    """The suffix, in small letters: ".csv" for "danh sach.CSV", and for a file named ".csv" (to PurePath, a
    hidden file without one)."""
    return PurePath(f"_{PurePath(name).name}").suffix.lower()


def open_table(fileobj, name: str) -> Table:
    """Open a people file (binary, seekable) by its file name's suffix."""
    suffix = file_suffix(name)
    if suffix == ".csv":
        head = fileobj.read(8)
        fileobj.seek(0)
        if not head.startswith(_WORKBOOK_MAGIC):
            return _read_csv(fileobj)
        # A workbook named .csv (QA round 27: it was called a CSV file in another encoding): read as one.
        suffix = ".xlsx" if head.startswith(_WORKBOOK_MAGIC[0]) else ".xls"
    if suffix not in EXCEL_SUFFIXES:
        raise ReadError(ERR_FILE_TYPE, name=PurePath(name).name)
    _refuse_text_as_workbook(fileobj)
    sheet_xml = _largest_sheet_xml(fileobj) if suffix != ".xls" else 0  # refuses a zip bomb (.xlsx, .ods)
    if suffix == ".ods" and _ods_cells(fileobj) > CALAMINE_MAX_CELLS:  # no streaming reader for .ods
        raise ReadError(ERR_ODS_TOO_LARGE)
    if suffix in (".xlsx", ".xlsm") and sheet_xml > CALAMINE_MAX_SHEET_BYTES:
        return _read_excel_openpyxl(fileobj)
    try:
        return _read_excel_calamine(fileobj)
    except _TooWide:
        return _read_excel_openpyxl(fileobj)


def _refuse_text_as_workbook(fileobj) -> None:
    """A file with an Excel name that is not a workbook but a web page (HTML, or a saved web archive), an
    Excel 2003 XML list or text (a CSV file in any encoding, "Unicode Text"): say what it is. Anything else
    that is no workbook (a PDF, a damaged file) is left to the reader, which says it cannot read it."""
    head = fileobj.read(4096)
    fileobj.seek(0)
    if not head:
        raise ReadError(ERR_EMPTY_FILE)
    if head.startswith(_WORKBOOK_MAGIC) or head.startswith(b"%PDF"):
        return
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):  # "Unicode Text" saved by Excel
        head = head.decode("utf-16", errors="ignore").encode()
    text = head.removeprefix(codecs.BOM_UTF8).lstrip().lower()
    if text.startswith(b"<"):  # markup: an Excel 2003 XML list, or a web page
        spreadsheet = b"mso-application" in text or b"office:spreadsheet" in text
        raise ReadError(ERR_XML_SPREADSHEET if spreadsheet else ERR_WEB_PAGE)
    if text.startswith(b"mime-version") or b"multipart/related" in text:  # a web archive (.mht)
        raise ReadError(ERR_WEB_PAGE)
    if not _CONTROL_BYTES.search(head):  # text, in UTF-8 or in an 8-bit code page (Windows-1258)
        raise ReadError(ERR_TEXT_AS_EXCEL)


_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x19\x1c-\x1f\x7f]")  # not tab, newlines, DOS end


def chunked(rows: Iterable, size: int) -> Iterator[list]:
    batch: list = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
