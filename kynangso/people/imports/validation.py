"""One data row → cleaned person values, or a list of per-cell problems.

Pure Python, no database: the rules come from `people.rules` (CCCD, phone, birth date), the labels from
`people.exports`; the organisation codes the row may use are handed in by the runner. Every problem
becomes a message naming the row, the column (as titled in the file) and what is wrong."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache, partial

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kynangso.core.text import fold, legacy_font, misdecoded, name_case, nfc

from .. import rules
from ..choices import Sex, TargetGroup
from ..exports import GROUP_LABELS_VI
from ..services import ERR_NAME_REQUIRED
from .reading import (
    BOTH_SEX_MARKS,
    EXCEL_ERRORS,
    FIELDS,
    NO_VALUE,
    NOTE,
    another_register,
    header_key,
    is_error_code,
    names_units,
)

ERR_CELL = _("Row %(row)s, column “%(column)s”: %(message)s")
ERR_ROW = _("Row %(row)s: %(message)s")
ERR_TOO_LONG = _("Too long: at most %(max)s characters.")
ERR_DATE = _("Not a date. Write it as dd/mm/yyyy, for example 02/03/1985.")
ERR_DATE_MONTH_FIRST = _("Not a date. Write it as the file's other dates, month first: mm/dd/yyyy.")
ERR_DATE_ORDER_UNCLEAR = _(
    "The dates of this file do not show clearly whether the day or the month comes first, so %(value)s can be "
    "read two ways (%(one)s or %(other)s): write it year first, yyyy-mm-dd, as text."
)
ERR_DATE_CELL_SWAPPED = _(
    "This file's dates typed as text have the %(first)s first, but this one is a date cell with a day of 12 or "
    "less: a spreadsheet set to the other order may have made it with the day and month swapped. Type it as "
    "text, as the other dates (or year first, yyyy-mm-dd)."
)
ERR_YEAR_AS_DAY_UNCLEAR = _(
    "%(value)s looks like a year typed into a date cell, which shows it as a day of 1905, but the file does not "
    "say whether its day or its month comes first (the year %(one)s or %(other)s): type the year alone."
)
ERR_FORMULA_NO_VALUE = _(
    "The cell holds a formula saved without its result: open the file in Excel, save it, and upload it again."
)
UNREADABLE = EXCEL_ERRORS | {NO_VALUE}  # the check of every row's cells, with LibreOffice's "Err:" codes


def _unreadable(text: str) -> bool:
    """A formula's error (#N/A, Err:502: reading.is_error_code) or a formula saved without its result."""
    return is_error_code(text) or text.strip() == NO_VALUE


ERR_EXCEL_ERROR = _("The cell holds a formula's error (%(value)s): correct the formula or type the value.")
ERR_YES_NO = _("The cell holds a yes/no value (%(value)s), not text: type what belongs in it.")
ERR_NO_SUCH_DAY = _("There is no such day as %(value)s: check the day and the month.")
ERR_MONTH_FIRST_DAY = _(
    "There is no such day as %(value)s: dates are written day first (dd/mm/yyyy). Did you mean %(example)s? "
    "A computer set to English (United States) writes the month first: check the other dates of the file too."
)
ERR_DAY_FIRST_IN_MONTH_FIRST = _(
    "This file writes birth dates month first (mm/dd/yyyy, as most of its dates show), but %(value)s is not: "
    "write every date of the file in one order."
)
ERR_SHORT_YEAR = _("The year has two digits (%(value)s): write all four, for example %(example)s.")
ERR_LEGACY_FONT = _(
    "The text is typed in an old Vietnamese font (TCVN3 “.VnTime” or VNI), not in Unicode: convert the file to "
    "Unicode (with Unikey's converter, for example), then upload it again."
)
ERR_MISDECODED = _(
    "The Vietnamese letters are garbled: the list was saved as a CSV file in UTF-8, then opened with another "
    "character set and saved again. Open the CSV file again choosing UTF-8 (Excel: Data › From Text/CSV › File "
    "origin “65001: Unicode (UTF-8)”; LibreOffice: Character set “Unicode (UTF-8)”); do not convert it with Unikey."
)
ERR_SEX = _("Write “Nam” (male) or “Nữ” (female).")
ERR_SEX_BOTH = _("Both “Nam” and “Nữ” are marked: keep the mark of one.")
ERR_EMAIL = _("Not a valid email address.")
ERR_REGISTER_CODE = _(
    "10 digits are no CCCD number (12 digits): most likely the code another register gives (the education "
    "database's “Mã định danh”). Write the person's CCCD number in a column “Số CCCD”, or leave this cell empty."
)
ERR_ORG = _(
    "Unknown unit code “%(code)s”, or a unit outside this import: write the code from the template's list (or "
    "the unit's full name)."
)
ERR_UNIT_NOT_FOUND = _(
    "“%(code)s” is no unit of this import: write the unit's code from the template's list, or leave the cell "
    "empty (a new person then goes into the import's unit)."
)
ERR_ORG_SEVERAL = _("Several units of this import are named “%(code)s”: write the code of the right one.")
ERR_UNIT_ELSEWHERE = _(
    "“%(code)s” is a unit outside this import: its people are imported by that unit, or by a unit above both. "
    "If the person belongs to a unit of this import, write its code from the template's list."
)
ERR_UNIT_MERGED = _(
    "“%(code)s”: %(old)s no longer exists since %(date)s; it is now part of %(new)s. Write the unit the person "
    "belongs to now (its code from the template's list)."
)
ERR_UNIT_ABOLISHED = _(
    "“%(code)s”: %(old)s no longer exists since %(date)s. Write the unit the person belongs to now (its code from "
    "the template's list)."
)
ERR_GROUP = _("Unknown target group “%(value)s”; use the names in the template's list, separated by “;”.")
ERR_SCIENTIFIC = _(
    "The number is shown in scientific notation (like 8.6E+10) and has lost digits; format the column as "
    "Text and type the number again."
)

NAME_MAX = 120
POSITION_MAX = 120
EMAIL_MAX = 254
_SCIENTIFIC = re.compile(r"\d+(?:[.,]\d+)?[eE][+-]?\d+")
TEXT_MARKS = "'‘’"  # typed before digits to keep them text (and their leading zeros); a CSV file keeps it
_FLOAT_TEXT = re.compile(r"\d+\.0+")  # a number written out by a program: "1090600124.0"
_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s*(?:[AaPp][Mm]|SA|CH|Z|[+-]\d{2}:?\d{2}))?)?"  # 12:00:00.000 AM
_DMY = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})" + _TIME.replace("[ T]", "\\s+", 1))
_YMD = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})" + _TIME)
# Degrees written before a name on staff lists: "ThS.", "TS.", "PGS.TS.", "CN.", "KS.", "BS." (with the dot: no
# name begins so)
_ACADEMIC_TITLE = re.compile(r"^(?:(?:GS|PGS|TS|ThS|Th\.S|CN|KS|BS|DS|NCS)\.\s*)+(?=\S)", re.IGNORECASE)
_MONTH_YEAR = re.compile(r"(?:0?[1-9]|1[0-2])\s*[/.\-]\s*(\d{4})")  # 03/1985: a month and a year, no day
_NO_DAY = re.compile(r"0{1,2}[/.\-]0{0,2}\d?[/.\-](\d{4})")  # 00/00/1960, 0/0/1960, 00/05/1960: the year alone
# A date with a two-digit year, "25/12/90": not guessed (1925 or 2025 are both birth years), refused
# with the date Excel would have made of it as the example.
_DMY_SHORT = re.compile(r"(\d{1,2})([/.\-])(\d{1,2})\2(\d{2})")
_BIRTH = FIELDS.index("date_of_birth")  # the birth cell in a row's cells
# The columns where "-" or "Không có" means an empty cell (NONE_MARKS): not the name, sex or unit.
_OPTIONAL = frozenset(FIELDS.index(n) for n in ("date_of_birth", "cccd", "phone", "email", "position", "groups"))
_EXCEL_EPOCH = date(1899, 12, 30)  # serial 61 = 1 March 1900 (Excel's 1900 system, after its fake 29 Feb 1900)
_EXCEL_EPOCH_1904 = date(1904, 1, 1)  # the 1904 system of old Mac workbooks: serial 0 = 1 January 1904

_SEX_KEYS = {
    **dict.fromkeys(("nam", "male", "m", "trai", "namgioi"), Sex.MALE.value),
    **dict.fromkeys(("nu", "female", "f", "gai", "nugioi"), Sex.FEMALE.value),
}
_GROUP_ALIASES = {
    TargetGroup.OFFICIAL: (
        "CBCCVC",
        "Cán bộ công chức viên chức",
        "Cán bộ, công chức",
        "Công chức",
        "Viên chức",
        "Cán bộ",
    ),
    TargetGroup.DX_SPECIALIST: (
        "Chuyên trách CĐS",
        "Chuyên trách CNTT",
        "Cán bộ chuyên trách CNTT",
        "Cán bộ chuyên trách chuyển đổi số",
    ),
    TargetGroup.STUDENT: ("Học sinh", "Sinh viên"),
    TargetGroup.WORKER: ("Công nhân", "Lao động"),
    TargetGroup.COMMUNITY_TEAM: ("Tổ công nghệ số cộng đồng", "Tổ CNSCĐ"),
}


@lru_cache(maxsize=4096)
def sex_of(text: str) -> str | None:
    """The sex a cell names ("Nam", "nữ", "M", "Gái"), or None."""
    return _SEX_KEYS.get(header_key(text))


def group_key_of(text: str) -> str | None:
    """The target group a name stands for ("Người dân", "CBCCVC"), or None."""
    return _group_keys().get(header_key(text))


@lru_cache(maxsize=1)
def _group_keys() -> dict[str, str]:
    """Each way of writing a target group (without accents or case: header_key) → the group; read-only."""
    keys: dict[str, str] = {}
    for group in TargetGroup:
        names = [group.value, GROUP_LABELS_VI[group], *_GROUP_ALIASES.get(group, ())]
        for language in ("vi", "en"):  # its labels in both languages, whichever one is active
            with translation.override(language):
                names.append(str(group.label))
        for name in names:
            keys.setdefault(header_key(name), group.value)
    return keys


@dataclass(slots=True)
class ParsedRow:
    """A data row. Optional values are None when the cell is empty: an import never erases stored data."""

    number: int
    cells: list
    errors: list[tuple[str | None, str]] = field(default_factory=list)  # (field or None, message)
    full_name: str = ""
    name_key: str = ""  # fold(full_name), the same as Person.search_text
    date_of_birth: date | None = None
    birth_year: int | None = None  # a year alone, the day not known (kept as Person.birth_year)
    sex: str | None = None
    cccd: str = ""
    cccd_hash: str = ""
    phone: str | None = None
    email: str | None = None
    organisation_id: int | None = None  # None: no unit code in the row
    position: str | None = None
    groups: tuple[str, ...] | None = None
    extras: tuple = ()  # the values of the file's other columns (reading.Table.extra_columns)
    signature: int = 0  # text.name_signature(full_name), once the runner needs it
    person_pk: int | None = None  # the person the row's code names (codes.py), read by the runner

    @property
    def ok(self) -> bool:
        return not self.errors


def cell_text(value) -> str:
    """A cell as text: integral floats lose their '.0' (Excel stores every number as a float)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return str(value).strip()


def digits_text(value) -> str:
    """A cell of digits as typed: full-width digits (an East Asian keyboard layout) made plain, without the
    apostrophe typed to keep the digits text (TEXT_MARKS)."""
    text = cell_text(value)
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    return text.lstrip(TEXT_MARKS)


def number_text(value) -> str:
    """A cell of digits (CCCD, phone) as text, without the apostrophe typed to keep its leading zeros
    (a CSV file keeps it) and without the ".0" a program adds when it writes a number out."""
    text = digits_text(value)
    return text.split(".")[0] if _FLOAT_TEXT.fullmatch(text) else text


def cccd_text(value) -> str:
    """A CCCD cell as text, without a leading apostrophe (TEXT_MARKS). Stored as a number (or written out
    by a program as "1090600124.0") it lost the leading zeros of provinces 001–096: 10 or 11 digits get
    them back. So does text of 10 digits whose two zeros make a province code (001–009), as Excel writes a
    number column into a CSV file; 11 digits are padded by the CCCD rule itself (rules.clean_cccd)."""
    text = digits_text(value)
    if isinstance(value, int | float) or _FLOAT_TEXT.fullmatch(text):
        text = text.split(".")[0]
        if len(text) in (10, 11):
            text = text.zfill(12)
    elif len(text) == 10 and text.isdigit() and text.zfill(12)[1:3] in rules.CCCD_PROVINCE_CODES:
        text = text.zfill(12)
    return text


DAY_FIRST, MONTH_FIRST, BOTH_ORDERS = "day", "month", "both"
ORDER_MARGIN = 10  # month-first dates outnumber day-first ones this much to read a file month first …
ORDER_SHARE = 0.3  # … and are this share of its dates at least (of a US list's, about six in ten)
MIXED_SHARE = 0.2  # both orders this share each: a list merged from both (its ambiguous dates refused)
SUSPECT_CELLS = 5  # date cells, all with a day of 12 or less, to doubt them (one in a hundred by chance)


def date_order(values: Iterable) -> tuple[str, bool]:
    """The order of day and month in a file's text dates, from its first rows (`values`: their birth
    cells), and whether its date cells may be swapped. Vietnam writes dd/mm/yyyy; a computer set to
    English (United States) writes 07/25/1994 in a CSV file (QA round 28). A text date valid in one order
    only says which: its first number above 12, day first; its second, month first; about six in ten of a
    list's birth dates say one or the other. MONTH_FIRST needs two such dates, a real share of the file's
    dates (ORDER_SHARE) and ten times the day-first ones: two slips among thousands of date cells, or in a
    small list, do not make it (QA round 31). BOTH_ORDERS when each order is a real share (MIXED_SHARE): a
    merged list, whose ambiguous dates are refused. Otherwise DAY_FIRST (its month-first dates are slips,
    refused), or "" when nothing tells (read day first).
    A spreadsheet set to one order that opens a list of the other makes its ambiguous dates (03/04/1991)
    into date cells the wrong way round and leaves the others text (QA rounds 29, 30): the cells are
    suspect when they are at least SUSPECT_CELLS, all with a day of 12 or less, no text date is ambiguous,
    and the text dates saying the order are a real share."""
    day = month = ambiguous = cells = texts = 0
    small = True  # every date cell has a day of 12 or less
    for value in values:
        if isinstance(value, date):
            cells += 1
            small = small and value.day <= 12
        elif isinstance(value, str) and (match := _DMY.fullmatch(value.strip())):
            texts += 1
            first, second = int(match[1]), int(match[2])
            if first > 12 or second > 12:
                day_first, month_first = _readings(match[0])
                if (day_first is None) != (month_first is None):  # valid in one order only (not 31/02/1990)
                    day += day_first is not None
                    month += month_first is not None
            elif first and second and first != second:
                ambiguous += 1
    dated = cells + texts
    if month >= 2 and month >= ORDER_SHARE * dated and month > ORDER_MARGIN * day:
        order, saying = MONTH_FIRST, month
    elif min(day, month) >= max(2, MIXED_SHARE * dated):  # one date against the others is a slip
        return BOTH_ORDERS, False
    elif day or month:
        order, saying = DAY_FIRST, day
    else:
        return "", False
    suspect = cells >= SUSPECT_CELLS and small and not ambiguous and saying >= ORDER_SHARE * dated
    return order, suspect


def reads_day_first(text: str, born: date, *, ambiguous: bool) -> bool:
    """Whether a text date is `born` written day first ("25/07/1994", "12/12/1988"; "03/04/1991" too if
    `ambiguous`, for a file read day first): the error workbook gives it back as typed; others year first
    (ErrorWorkbook.add)."""
    match = _DMY.fullmatch(text)
    if match is None:
        return False
    first, second = int(match[1]), int(match[2])
    return (ambiguous or first > 12 or first == second) and (born.day, born.month) == (first, second)


def _readings(text: str) -> tuple[date | None, date | None]:
    """A dd/mm/yyyy-shaped text's day read day first and read month first (None where there is no such day)."""
    match = _DMY.fullmatch(text)
    first, second, year = int(match[1]), int(match[2]), int(match[3])
    days = []
    for day, month in ((first, second), (second, first)):
        try:
            days.append(date(year, month, day))
        except ValueError:
            days.append(None)
    return days[0], days[1]


def parse_date(value, *, date1904: bool = False, month_first: bool = False) -> date:
    """A birth date from a real date cell, an Excel serial number, or text dd/mm/yyyy, d/m/yyyy, yyyy-mm-dd
    (mm/dd/yyyy when `month_first`: see date_order). `date1904`: serial numbers count from 1904 (a
    workbook in Excel's 1904 date system)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int | float):
        if 1900 <= value <= 2100:  # a year typed alone; as a day number it would be a date in 1905
            raise ValueError(value)
        return _serial(value, date1904)
    text = str(value).strip()
    if match := _DMY.fullmatch(text):
        day, month, year = (int(g) for g in match.groups())
        if month_first:
            day, month = month, day
        return date(year, month, day)
    if match := _YMD.fullmatch(text):
        year, month, day = (int(g) for g in match.groups())
        return date(year, month, day)
    if text.isdigit() and len(text) == 5:  # a serial number stored as text
        return _serial(int(text), date1904)
    raise ValueError(text)


def _serial(number: float, date1904: bool) -> date:
    # The first serial and the one after 31/12/9999 (the last date Excel has) in each system.
    epoch, first, end = (_EXCEL_EPOCH_1904, 0, 2_957_004) if date1904 else (_EXCEL_EPOCH, 61, 2_958_466)
    if not first <= number < end:
        raise ValueError(number)
    return epoch + timedelta(days=int(number))


def _comma_separated_groups(group_of: Callable[[str], str | None], text: str) -> tuple[str, ...] | None:
    """The groups one part of the cell names: a group's name ("Cán bộ, công chức, viên chức"), or names
    separated by commas instead of ";" ("Lãnh đạo, Người dân"), read left to right taking at each step the
    longest run of comma-separated words that names a group. None if some part names none."""
    whole = group_of(text)
    if whole is not None or "," not in text:
        return None if whole is None else (whole,)
    pieces = [p.strip() for p in text.split(",")]
    found: list[str] = []
    start = 0
    while start < len(pieces):
        for end in range(len(pieces), start, -1):
            group = group_of(", ".join(pieces[start:end]))
            if group is not None:
                found.append(group)
                start = end
                break
        else:
            return None
    return tuple(found)


# Words units' names are written with in full or short, folded: a unit's name and a row's value are compared
# in their short forms ("Ủy ban nhân dân" as "UBND": QA round 43; "Trường Trung học cơ sở" as "Trường THCS",
# "Tiểu học" as "TH", "Sở GD&ĐT" for "Sở Giáo dục và Đào tạo": QA round 47), whole words only (QA round 48:
# "Trường TH" is no start of "Trường THCS").
_SHORT_FORMS = {
    "uy ban nhan dan": "ubnd",
    "uy ban": "ubnd",
    "hoi dong nhan dan": "hdnd",
    "mat tran to quoc": "mttq",
    "trung hoc co so": "thcs",
    "trung hoc pho thong": "thpt",
    "tieu hoc": "th",
    "mam non": "mn",
    "giao duc va dao tao": "gddt",
    "gd dt": "gddt",
    "khoa hoc va cong nghe": "khcn",
    "kh cn": "khcn",
    "lao dong thuong binh va xa hoi": "ldtbxh",
    "nong nghiep va moi truong": "nnmt",
    "van hoa the thao va du lich": "vhttdl",
    "benh vien da khoa": "bvdk",
    "trung tam y te": "ttyt",
    "van phong": "vp",
    "lien hiep phu nu": "lhpn",
    "cong nghe so cong dong": "cns",  # "Tổ công nghệ số cộng đồng", "Tổ CNSCĐ", "Tổ công nghệ số"
    "cong nghe so": "cns",
    "cns cong dong": "cns",
    "cnscd": "cns",
    "trach nhiem huu han": "tnhh",
    "thanh pho": "tp",
    "mot thanh vien": "mtv",
}
_SHORTEN = re.compile(r"\b(?:" + "|".join(sorted(map(re.escape, _SHORT_FORMS), key=len, reverse=True)) + r")\b")


def _unit_words(text, *, notes: bool = True) -> list[str]:
    """A unit's code or name as compared with what a row gives: its words folded, in their short forms
    (_SHORT_FORMS); `notes=False`: without the notes in brackets."""
    text = str(text) if notes else NOTE.sub(" ", str(text)).replace("*", " ")
    spaced = " ".join(re.findall(r"[a-z0-9]+", fold(text)))
    return _SHORTEN.sub(lambda match: _SHORT_FORMS[match.group()], spaced).split()


def _unit_key(text: str) -> str:
    """… as one string of letters and digits."""
    return "".join(_unit_words(text))


def _bare_unit_key(text: str) -> str:
    """… without the notes in brackets."""
    return "".join(_unit_words(text, notes=False))


def place_keys(names: Iterable[str]) -> tuple[str, ...]:
    """The keys of the places an import lies in (its unit's commune, province: "Xã Giao Long", "Giao Long"),
    longest first: a row may name a unit with them after its name ("…, xã Giao Long", "… tỉnh Vĩnh Long")."""
    return tuple(sorted({key for name in names if (key := _unit_key(name))}, key=len, reverse=True))


# Words of a place's level before its name ("xã Giao Long"): a name may repeat its place after it ("Trường THCS
# Giao Long, xã Giao Long": QA round 48)
_LEVEL_KEYS = ("xa", "phuong", "thitran", "thixa", "tinh", "tp", "huyen", "quan", "dackhu")
_LEVEL_WORDS = frozenset(("xa", "phuong", "thi", "tinh", "tp", "huyen", "quan"))  # "thi" of "thị trấn", "thị xã"
UNIT_PREFIX_MIN = 5  # letters of a value naming the start of several units' names ("Trường THCS"): ambiguous


def _lower_first(name: str) -> str:
    """A place's name inside a sentence: "xã Phú Túc" (the data has "Xã Phú Túc")."""
    return name[:1].lower() + name[1:]


def _without_repeated_place(key: str) -> set[str]:
    """The key without a place at its end whose name it already has ("truongthcsgiaolongxagiaolong")."""
    found = set()
    for level in _LEVEL_KEYS:
        at = key.rfind(level)
        tail = key[at + len(level) :] if at > 0 else ""
        if len(tail) >= 3 and tail in key[:at]:
            found.add(key[:at])
    return found


NAMED_UNITS_SHOWN = 3  # values of a column of places, not units, named in the summary
UNITS_DIFFER_ROWS = 50  # rows whose code and unit name differ, numbered in the summary (check_name_beside)
_ORG = FIELDS.index("org_code")


class RowValidator:
    """Cleans rows of one file. `column(field, row)` gives the column's title in the file; `organisations`
    maps the unit codes this import may use (upper case) to organisation ids, `unit_names` their ids to
    their names; `row_label` names a row in the messages (Table.row_label); `date1904`: the file's
    serial-number dates count from 1904."""

    def __init__(
        self,
        *,
        column: Callable[[str, int], str],
        organisations: Mapping[str, int],
        unit_names: Mapping[int, str] | None = None,
        named_rows: set[int] | frozenset[int] = frozenset(),
        names_beside: dict[int, object] | None = None,
        unit_paths: Mapping[int, str] | None = None,
        places: Iterable[tuple[str, str]] = (),
        row_label: Callable[[int], str] = str,
        today: date | None = None,
        date1904: bool = False,
    ):
        self.column = column
        self.row_label = row_label  # a row's number as the messages name it (Table.row_label)
        self.date1904 = date1904
        self.order = ""  # of day and month in text dates, and whether date cells may be swapped: date_order
        self.date_cells_suspect = False
        self.organisations = organisations
        # QA rounds 37-40: a unit written by its code with other separators ("vl 28807 thcs") or a note after
        # it ("VL-28807-THCS (Trường THCS Giao Long)", the note its name), by its name ("Trường THCS Giao
        # Long"), or by its name without the note in brackets that ends it ("Tổ công nghệ số ấp 1" for "… ấp 1
        # (xã Giao Long)"): each unit's, unless another unit's is the same (None: several units')
        self.unit_by_code: dict[str, int] = {_unit_key(code): pk for code, pk in organisations.items()}
        self.unit_by_name: dict[str, int | None] = {}  # whole
        self.unit_by_bare_name: dict[str, int | None] = {}  # without their notes
        self.unit_name_keys: dict[int, set[str]] = {}
        self.unit_by_short_name: dict[str, int | None] = {}  # … and without "UBND" or "Trường" (QA round 43)
        self.import_name_keys: set[str] = set()  # every name of the import's units, as a note may give them
        for pk, name in (unit_names or {}).items():
            whole, bare = _unit_key(name), _bare_unit_key(name)
            self.unit_name_keys[pk] = {whole, bare}
            shorter = [bare[len(word) :] for word in ("ubnd", "truong") if bare.startswith(word)]
            self.import_name_keys.update((whole, bare, *shorter))
            for aliases, key in (
                (self.unit_by_name, whole),
                (self.unit_by_bare_name, bare),
                *((self.unit_by_short_name, short) for short in shorter),
            ):
                aliases[key] = pk if aliases.get(key, pk) == pk else None
        # QA rounds 47-48: a unit named with the places the import lies in (`places`: (full name, name) of its
        # commune, province) after its name ("UBND xã Giao Long, tỉnh Vĩnh Long"), or without those its name
        # ends with ("Hội Nông dân tỉnh" for "Hội Nông dân tỉnh Vĩnh Long"), unless other units' names start
        # so ("Trường Cao đẳng" for "… Vĩnh Long", beside "… Bến Tre"), or with a place's name without its
        # level, or with it ("UBND Giao Long", "Trường THCS xã Giao Long")
        places = list(places)
        self.place_keys = place_keys(name for pair in places for name in pair)
        levels = ((_unit_key(full), _unit_key(bare)) for full, bare in places)
        self.place_levels = [(full, bare) for full, bare in levels if bare and full != bare]
        self.units_by_start: dict[str, set[int]] = {}  # the first words of units' names → those units
        for pk, name in (unit_names or {}).items():
            for words in {tuple(_unit_words(name)), tuple(_unit_words(name, notes=False))}:
                for end in range(1, len(words)):
                    self.units_by_start.setdefault("".join(words[:end]), set()).add(pk)
        self.unit_by_placeless_name: dict[str, int | None] = {}
        self.unit_by_unplaced_name: dict[str, int | None] = {}
        for pk, keys in self.unit_name_keys.items():
            for key in {short for name_key in keys for short in self.without_places(name_key)}:
                aliases = self.unit_by_placeless_name
                several = self.units_starting(key) - {pk}
                aliases[key] = pk if aliases.get(key, pk) == pk and not several else None
            for key in {self.unplaced(name_key) for name_key in keys}:
                aliases = self.unit_by_unplaced_name
                aliases[key] = pk if aliases.get(key, pk) == pk else None
        # Other units of the platform, and the communes and districts merged or abolished in 2025 in the
        # import's provinces, by their names' keys (know_elsewhere): a value naming one is refused, never read
        # as a place (QA round 48: another commune's staff were put into the import's unit)
        self.units_elsewhere: dict[str, str] = {}
        self.merged_away: dict[str, tuple[str, str, str]] = {}  # key → (old name, what it is part of now, since)
        # A unit column titled by names ("Đơn vị công tác"; `named_rows`: rows whose unit a names column gave
        # beside an empty code) gives units, or places that are no units: hamlets, a commune's departments,
        # other bodies ("Ấp 1", "Phòng Kinh tế", "Sở Nội vụ"), which no rule of words tells apart (QA rounds
        # 42-46). A value naming a unit of the import places its row there; one naming another unit, or a place
        # gone since 2025, is refused (named_elsewhere). The others: the file's first rows decide
        # (decide_named): if two thirds of them name units, the column gives units, and a value that is none is
        # refused; else it is a column of places, whose values naming no unit are not read (the summary says so).
        self.named_rows = named_rows
        # A unit's name beside its code (`names_beside`: row → the names column's value, taken as the rows are
        # checked): a name of another unit of the import, neither the code's unit nor one above it
        # (`unit_paths`), is noted for the summary (check_name_beside)
        self.names_beside = names_beside if names_beside is not None else {}
        self.unit_paths = unit_paths or {}
        self.code_of = {pk: code for code, pk in organisations.items()}
        self.units_differ = 0  # rows so noted (check_name_beside) …
        self.units_differ_shown: list[tuple[int, str, str, str]] = []  # … the first: (row, code, name, its code)
        self.units_differ_rows: list[int] = []  # … and more of them, by number (QA round 54: the rest unnamed)
        self.named_units = True
        self.decided = False  # decide_named ran, or an error workbook said how its import read the column
        self.places_shown: list[str] = []  # the first values of a column of places that name no unit
        self.places_passed_over = 0  # … and the rows with such values
        self.today = today or date.today()
        keys = _group_keys()
        # Lists repeat a handful of group names: normalise each distinct spelling once.
        self.group_of = lru_cache(maxsize=4096)(lambda part: keys.get(header_key(part)))
        self.groups_of = lru_cache(maxsize=4096)(partial(_comma_separated_groups, self.group_of))

    def units_starting(self, key: str) -> set[int]:
        """The units of the import whose names start with the words of `key` (and go on)."""
        return self.units_by_start.get(key, set())

    def unplaced(self, key: str) -> str:
        """The key with the import's places written without their level ("xagiaolong" as "giaolong")."""
        for full, bare in self.place_levels:
            key = key.replace(full, bare)
        return key

    def know_elsewhere(
        self,
        others: Iterable[tuple[str, list[str]]],
        merged: Iterable[tuple[str, list[str], date]] = (),
        current: Iterable[str] = (),
    ) -> None:
        """The platform's units outside the import, (name, the names of the places it lies in): its name is a
        sign of it when it names one of them ("UBND xã Phú Túc", not its "Phòng Kinh tế"); the places that no
        longer exist, (name, the units that hold them now, since when), but for a name one still has
        (`current`), written another way ("Hòa"/"Hoà", renamed so in 2026). See __init__."""
        for name, places in others:
            keys = [key for place in places if (key := _unit_key(place))]
            for key in (_unit_key(name), _bare_unit_key(name)):
                if any(place in key for place in keys):
                    self.units_elsewhere.setdefault(key, name)
        now = {_unit_key(name) for name in current}
        gone: dict[str, tuple[str, list[str], date]] = {}
        for old, successors, since in merged:
            key = _unit_key(old)
            if key in now:
                continue
            name, holders, first = gone.get(key, (old, [], since))  # one name, several places before 2025
            gone[key] = (name, holders + [s for s in successors if s not in holders], min(first, since))
        for key, (old, holders, since) in gone.items():
            value = (_lower_first(old), ", ".join(map(_lower_first, holders)), f"{since:%d/%m/%Y}")
            for form in (key, f"ubnd{key}"):
                self.merged_away.setdefault(form, value)

    def named_elsewhere(self, typed: str) -> tuple | None:
        """(message, parameters) for a value naming a unit outside the import or a place that no longer exists,
        also with its former district or province after it ("UBND xã Tân Bình, huyện Càng Long"), or a body of
        a province that no longer exists ("Sở Nội vụ tỉnh Bến Tre")."""
        words = _unit_words(typed)
        whole = "".join(words)
        heads = ["".join(words[:at]) for at in range(2, len(words)) if words[at] in _LEVEL_WORDS]
        tails = ["".join(words[at:]) for at in range(1, len(words) - 1) if words[at] in _LEVEL_WORDS]
        for key in (whole, _bare_unit_key(typed), *self.without_places(whole), *heads, *tails):
            if key in self.merged_away:
                old, new, since = self.merged_away[key]
                message = ERR_UNIT_MERGED if new else ERR_UNIT_ABOLISHED
                return message, {"old": old, "new": new, "date": since}
            if key in self.units_elsewhere and key not in tails:
                return ERR_UNIT_ELSEWHERE, {}
        return None

    def without_places(self, key: str) -> set[str]:
        """The key without one or more of the import's places at its end (place_keys), never all of it."""
        found, todo = set(), [key]
        while todo:
            key = todo.pop()
            for place in self.place_keys:
                if len(key) > len(place) and key.endswith(place) and (shorter := key[: -len(place)]) not in found:
                    found.add(shorter)
                    todo.append(shorter)
        return found

    def unit_of(self, typed: str) -> tuple[int | None, bool]:
        """The unit a row's "Mã đơn vị" names (see __init__), and whether it names several."""
        pk, several = self.unit_named(typed)
        if pk is not None or several:
            return pk, several
        whole = _unit_key(typed)
        # a name, then places the import lies in, or a place it has already; a place without its level or with it
        shorter = (*self.without_places(whole), *_without_repeated_place(whole), self.unplaced(whole))
        for key in shorter:
            for aliases in (self.unit_by_name, self.unit_by_bare_name, self.unit_by_short_name):
                if key in aliases:
                    return aliases[key], aliases[key] is None
        for aliases, key in ((self.unit_by_placeless_name, whole), (self.unit_by_unplaced_name, self.unplaced(whole))):
            if key in aliases:  # a name without the places it ends with; with a place without its level
                return aliases[key], aliases[key] is None
        if len(whole) >= UNIT_PREFIX_MIN and len(self.units_starting(whole)) > 1:  # "Trường THCS"
            return None, True
        return None, False

    def unit_named(self, typed: str) -> tuple[int | None, bool]:
        """unit_of by the code, the name, the name with its note or without it, or without "UBND"."""
        if pk := self.organisations.get(typed.upper()):
            return pk, False
        whole, bare = _unit_key(typed), _bare_unit_key(typed)
        if whole in self.unit_by_code:
            return self.unit_by_code[whole], False
        if whole in self.unit_by_name:
            return self.unit_by_name[whole], self.unit_by_name[whole] is None
        if whole == bare:  # no note typed: a name without its note, or without "UBND", "Trường"
            for aliases in (self.unit_by_bare_name, self.unit_by_short_name):
                if whole in aliases:
                    return aliases[whole], aliases[whole] is None
            return None, False
        pk = self.unit_by_code.get(bare)  # a code, its note its unit's name
        notes = {_unit_key(note.strip("()[]")) for note in NOTE.findall(typed)}
        if pk is not None and notes <= self.unit_name_keys.get(pk, set()):
            return pk, False
        if notes <= self.import_name_keys:  # a name, its note a unit of the import ("Trường THCS Giao Long (xã
            for aliases in (self.unit_by_name, self.unit_by_bare_name):  # Giao Long)"; QA round 45)
                if bare in aliases:
                    return aliases[bare], aliases[bare] is None
        return None, False

    def decide_named(self, rows: Iterable[tuple[int, list]]) -> None:
        """Whether the column of units' names gives units (see __init__), from the file's first `rows`: at
        least two thirds of those with a value name units (of the import, or others). Rows, not distinct
        values: a few stray values outvoted hundreds of rows naming units (QA round 47); two thirds, not half:
        a hamlet beside a school each second row is a place (QA round 48). No value: a column of places,
        whose values naming units are read all the same."""
        values = [text for number, cells in rows if self.by_name(number) and (text := cell_text(cells[_ORG]).strip())]
        named = {
            value: self.unit_of(value) != (None, False) or bool(self.named_elsewhere(value)) for value in set(values)
        }
        self.named_units = 3 * sum(1 for value in values if named[value]) >= 2 * len(values) > 0
        self.decided = True

    def check_name_beside(self, row: ParsedRow, typed: str, name: str) -> None:
        """Note a row whose unit code (given as a code: "Cơ quan" beside "Đơn vị" are two names) and the
        unit's name beside it are two units of the import, the name's not one above the code's (a commune's
        name beside its school's code). The code places the row, as before; the summary lists such rows
        (units_differ), for a column of names also gives where people live, or the body that manages their
        unit, which a rule of words cannot tell from a unit of theirs (QA round 51). A place's name ("xã Tiểu
        Cần", "phường Bến Tre") is where the unit lies, not a unit."""
        if self.organisations.get(typed.upper()) != row.organisation_id and (
            self.unit_by_code.get(_unit_key(typed)) != row.organisation_id
        ):
            return
        words = _unit_words(name)
        if not words or words[0] in _LEVEL_WORDS or words[:2] == ["dac", "khu"]:
            return
        named, _several = self.unit_of(name)
        if named is None or named == row.organisation_id:
            return
        path, named_path = self.unit_paths.get(row.organisation_id, ""), self.unit_paths.get(named)
        if named_path and path.startswith(named_path):
            return
        self.units_differ += 1
        if len(self.units_differ_rows) < UNITS_DIFFER_ROWS:
            self.units_differ_rows.append(row.number)
        if len(self.units_differ_shown) < NAMED_UNITS_SHOWN:
            shown = nfc(name) if len(name) <= 60 else f"{nfc(name)[:59]}…"
            self.units_differ_shown.append((row.number, nfc(typed), shown, self.code_of.get(named, "")))

    def place_passed_over(self, typed: str) -> None:
        """A value of a column of places (not units) that names no unit: counted, the first few kept."""
        self.places_passed_over += 1
        shown = nfc(typed.strip())
        if shown not in self.places_shown and len(self.places_shown) <= NAMED_UNITS_SHOWN:
            self.places_shown.append(shown)  # one more than shown: "…" follows

    def by_name(self, number: int) -> bool:
        """Whether a row's unit was given in a column titled by the units' names."""
        return number in self.named_rows or names_units(self.column("org_code", number))

    def cell_error(self, row: ParsedRow, name: str | None, message, **params) -> None:
        text = str(message % params) if params else str(message)
        if name is None:
            row.errors.append((None, str(ERR_ROW % {"row": self.row_label(row.number), "message": text})))
        else:
            # a unit given by its name beside an empty code: the column of names (QA round 47)
            column = "org_name" if name == "org_code" and row.number in self.named_rows else name
            where = {"row": self.row_label(row.number), "column": self.column(column, row.number)}
            row.errors.append((name, str(ERR_CELL % {**where, "message": text})))

    def birth(self, row: ParsedRow, raw) -> bool:
        """Read the birth cell into row.date_of_birth, or row.birth_year for a year alone (the day not known:
        no day is made up, Person.birth_year); False once the cell is refused."""
        if _blank(raw):
            return True
        if isinstance(raw, str) and raw.lstrip()[:1] == "'":  # '05/03/1985: text forced, as a CCCD's '0…
            raw = raw.strip()[1:]
        text = raw.strip() if isinstance(raw, str) else ""
        dmy = _DMY.fullmatch(text) if text else None
        if isinstance(raw, date) and self.date_cells_suspect and raw.day <= 12 and raw.day != raw.month:
            first = (
                pgettext_lazy("date order", "month")
                if self.order == MONTH_FIRST
                else pgettext_lazy("date order", "day")
            )
            return self.unclear_birth(row, f"{raw:%d/%m/%Y}", ERR_DATE_CELL_SWAPPED, first=first)
        month_first = self.order == MONTH_FIRST
        if dmy and self.order != DAY_FIRST and self.order != MONTH_FIRST:  # the order is not the file's
            first, second = int(dmy[1]), int(dmy[2])
            ambiguous = 0 < first <= 12 and 0 < second <= 12 and first != second  # 00/00/1960: the year
            if ambiguous and dmy[3] == "1905":  # a year shown as a day, read which way?
                one, other = (_year_alone(d) or d.year for d in _readings(text))
                return self.unclear_birth(row, text, ERR_YEAR_AS_DAY_UNCLEAR, value=text, one=one, other=other)
            if ambiguous and self.order == BOTH_ORDERS:
                one, other = (f"{d:%Y-%m-%d}" for d in _readings(text))
                return self.unclear_birth(row, text, ERR_DATE_ORDER_UNCLEAR, value=text, one=one, other=other)
            month_first = second > 12  # not ambiguous: read as it shows
        year = _year_alone(raw, self.date1904, month_first=month_first)
        if year is not None:
            try:  # its earliest day: the checks of a date then refuse only what no day of the year passes
                rules.clean_birth_date(date(year, 1, 1), today=self.today)
            except rules.RuleError as exc:
                return self.birth_error(row, exc.message)
            row.birth_year = year
            if isinstance(raw, date) or not number_text(raw).isdigit():  # a year shown as a day of 1905 (a
                row.cells = [*row.cells[:_BIRTH], year, *row.cells[_BIRTH + 1 :]]  # date cell, or its text)
            return True
        try:
            born = parse_date(raw, date1904=self.date1904, month_first=month_first)
            row.date_of_birth = rules.clean_birth_date(born, today=self.today)
            return True
        except rules.RuleError as exc:
            return self.birth_error(row, exc.message)
        except (ValueError, OverflowError):
            pass
        text = cell_text(raw)
        if dmy:
            day_first_reading, month_first_reading = _readings(text)
            if month_first and day_first_reading and int(dmy[1]) > 12:  # 25/07/1994 in a month-first file
                return self.birth_error(row, ERR_DAY_FIRST_IN_MONTH_FIRST, value=text)
            if not month_first and month_first_reading and int(dmy[2]) > 12:  # 07/25/1994 in a day-first one
                example = f"{month_first_reading:%d/%m/%Y}"
                return self.birth_error(row, ERR_MONTH_FIRST_DAY, value=text, example=example)
        if dmy or _YMD.fullmatch(text):  # the form is right, the day does not exist
            return self.birth_error(row, ERR_NO_SUCH_DAY, value=text)
        if match := _DMY_SHORT.fullmatch(text):
            day, sep, month, short = match.groups()
            year = int(short) + (2000 if int(short) < 30 else 1900)  # Excel's two-digit-year rule
            example = f"{int(day):02d}{sep}{int(month):02d}{sep}{year}"
            return self.birth_error(row, ERR_SHORT_YEAR, value=text, example=example)
        return self.birth_error(row, ERR_DATE_MONTH_FIRST if month_first else ERR_DATE)

    def unclear_birth(self, row: ParsedRow, shown: str, message, **params) -> bool:
        """Refuse a birth date whose day and month cannot be told apart. The error workbook gives it back as
        text marked " ?", which no reading takes: imported again unchanged, from a file that then says nothing
        of its order, it would be read one way or the other (QA round 30); the user writes it anew."""
        row.cells = [*row.cells[:_BIRTH], f"{shown} ?", *row.cells[_BIRTH + 1 :]]
        return self.birth_error(row, message, **params)

    def birth_error(self, row: ParsedRow, message, **params) -> bool:
        self.cell_error(row, "date_of_birth", message, **params)
        return False

    def parse(self, number: int, cells: list) -> ParsedRow:
        row = ParsedRow(number=number, cells=cells)
        # Cheap for every row: one set lookup a cell (LibreOffice's "Err:502" by its start), the rest if found.
        if any(
            isinstance(c, bool) or isinstance(c, str) and ((t := c.strip()) in UNREADABLE or t[:4] == "Err:")
            for c in cells
        ):
            cells = list(cells)
            for index, cell in enumerate(cells):
                if isinstance(cell, bool):  # TRUE or FALSE typed in Excel: not "True" as a name or a position
                    self.cell_error(row, FIELDS[index], ERR_YES_NO, value=str(cell).upper())
                    cells[index] = None
                elif isinstance(cell, str) and _unreadable(cell):
                    if cell.strip() == NO_VALUE:
                        self.cell_error(row, FIELDS[index], ERR_FORMULA_NO_VALUE)
                    else:
                        self.cell_error(row, FIELDS[index], ERR_EXCEL_ERROR, value=cell.strip())
                    cells[index] = None  # reported once, not again as a missing or bad value
        texts = [c for c in (cells[0], cells[2], cells[7], cells[8]) if isinstance(c, str)]  # the words typed
        if texts and legacy_font("".join(texts)):  # the characters both kinds of garbling leave
            cells = list(cells)
            for index in (0, 2, 7, 8):
                if isinstance(cells[index], str) and legacy_font(cells[index]):
                    message = ERR_MISDECODED if misdecoded(cells[index]) else ERR_LEGACY_FONT
                    self.cell_error(row, FIELDS[index], message)
                    cells[index] = None  # reported once, not again as a bad value
        if any(_none_typed(cells[i], i in _NONE_SAID_IN) for i in _OPTIONAL):
            cells = [
                None if i in _OPTIONAL and _none_typed(cell, i in _NONE_SAID_IN) else cell
                for i, cell in enumerate(cells)
            ]
        raw_name, raw_birth, raw_sex, raw_cccd, raw_phone, raw_email, raw_org, raw_position, raw_groups = cells

        name = _ACADEMIC_TITLE.sub("", nfc(cell_text(raw_name)))  # "ThS. Đàm Văn Khoa": the name (QA round 36)
        if not name:
            if all(field != "full_name" for field, _message in row.errors):  # not as an Excel error already
                self.cell_error(row, "full_name", ERR_NAME_REQUIRED)
        elif len(name) > NAME_MAX:
            self.cell_error(row, "full_name", ERR_TOO_LONG, max=NAME_MAX)
        else:
            try:
                rules.check_name(name)
            except rules.RuleError as exc:
                self.cell_error(row, "full_name", exc.message)
            else:
                row.full_name = name_case(name)
                row.name_key = fold(name)[:255]

        birth_ok, birth_year = self.birth(row, raw_birth), None
        if birth_ok:
            birth_year = row.birth_year

        sex_ok = True
        if not _blank(raw_sex):
            row.sex = sex_of(cell_text(raw_sex))
            if row.sex is None:
                sex_ok = False
                self.cell_error(row, "sex", ERR_SEX_BOTH if raw_sex == BOTH_SEX_MARKS else ERR_SEX)

        if not _blank(raw_cccd):
            text = cccd_text(raw_cccd)
            if _SCIENTIFIC.fullmatch(text):
                self.cell_error(row, "cccd", ERR_SCIENTIFIC)
            else:
                try:
                    born = date(birth_year, 1, 1) if birth_year is not None else row.date_of_birth  # its year checked
                    row.cccd = rules.clean_cccd(
                        text,
                        birth_date=born if birth_ok else None,
                        sex=row.sex if sex_ok else None,
                        today=self.today,
                    )
                except rules.RuleError as exc:
                    if len(digits_text(raw_cccd).split(".")[0]) == 10 and another_register(
                        self.column("cccd", row.number)
                    ):  # QA round 43: an education database's code, padded as a CCCD that lost its zeros
                        self.cell_error(row, "cccd", ERR_REGISTER_CODE)
                    else:
                        self.cell_error(row, "cccd", exc.message)

        if not _blank(raw_phone):
            text = number_text(raw_phone)
            if _SCIENTIFIC.fullmatch(text):
                self.cell_error(row, "phone", ERR_SCIENTIFIC)
            else:
                try:
                    row.phone = rules.clean_phone(text)
                except rules.RuleError as exc:
                    self.cell_error(row, "phone", exc.message)

        if not _blank(raw_email):
            email = cell_text(raw_email).lower()
            try:
                if len(email) > EMAIL_MAX:
                    raise ValidationError(ERR_EMAIL)
                validate_email(email)
            except ValidationError:
                self.cell_error(row, "email", ERR_EMAIL)
            else:
                row.email = email

        beside = self.names_beside.pop(row.number, None) if self.names_beside else None
        if not _blank(raw_org):
            typed = cell_text(raw_org)
            by_name = self.by_name(row.number)
            row.organisation_id, several = self.unit_of(typed)
            elsewhere = self.named_elsewhere(typed) if row.organisation_id is None and by_name and not several else None
            quoted = nfc(typed) if len(typed) <= 80 else f"{nfc(typed)[:79]}…"  # as typed (QA round 27)
            if elsewhere is not None:
                message, params = elsewhere
                self.cell_error(row, "org_code", message, code=quoted, **params)
            elif row.organisation_id is None and by_name and not several and not self.named_units:
                self.place_passed_over(typed)  # a column of places: a value naming no unit is not read
            elif row.organisation_id is None:
                message = ERR_ORG_SEVERAL if several else ERR_UNIT_NOT_FOUND if by_name else ERR_ORG
                self.cell_error(row, "org_code", message, code=quoted)
            elif beside is not None and not by_name:
                self.check_name_beside(row, typed.strip(), cell_text(beside))

        if not _blank(raw_position):
            position = nfc(cell_text(raw_position))
            if len(position) > POSITION_MAX:
                self.cell_error(row, "position", ERR_TOO_LONG, max=POSITION_MAX)
            else:
                row.position = position

        if not _blank(raw_groups):
            groups: set[str] = set()
            for part in re.split(r"[;\n]", cell_text(raw_groups)):
                if not part.strip():
                    continue
                found = self.groups_of(part.strip())
                if found is None:
                    self.cell_error(row, "groups", ERR_GROUP, value=nfc(part)[:60])
                    break
                groups.update(found)
            else:
                row.groups = tuple(sorted(groups))
        return row


# Numbers taken as a year of birth rather than a day: as days they fall in 1904-1905 (serial 2191 is
# 31/12/1905), more than 120 years ago, so the year's own checks say what is wrong with one (2101: future).
_YEAR_NUMBERS = range(1800, 2192)


def _year_alone(value, date1904: bool = False, *, month_first: bool = False) -> int | None:
    """The year, if the cell holds a year and nothing else (1985, "1985", "'1985", "1985.0", and "03/1985" of a
    month and a year); also a year
    typed into a cell formatted as a date, which Excel and LibreOffice show as a day of 1905 (1985 →
    07/06/1905), as a date cell or as that day's text in a CSV file saved from it (QA round 28)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str) and value[:1] == "0" and (no_day := _NO_DAY.fullmatch(value.strip())):
        return int(no_day[1])  # the day (and month) written as zero: not known (QA round 30)
    if isinstance(value, str) and (month_year := _MONTH_YEAR.fullmatch(value.strip())):
        value = month_year[1]  # "03/1985" of a "Tháng, năm sinh" column: the year (no day is made up; QA round 36)
    if (
        isinstance(value, str)
        and ("1905" in value or "1904" in value)
        and (_DMY.fullmatch(value.strip()) or _YMD.fullmatch(value.strip()))
    ):
        try:
            value = parse_date(value, month_first=month_first)
        except ValueError:
            return None
    if isinstance(value, date):
        day = value.date() if isinstance(value, datetime) else value
        value = (day - (_EXCEL_EPOCH_1904 if date1904 else _EXCEL_EPOCH)).days
    elif isinstance(value, float):
        if not value.is_integer():
            return None
        value = int(value)
    elif not isinstance(value, int):
        text = number_text(value)
        if not (text.isdigit() and len(text) == 4):
            return None
        value = int(text)
    return value if value in _YEAR_NUMBERS else None


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# What lists write in a cell for "none" (folded): read as an empty cell in the optional columns.
NONE_MARKS = frozenset(
    [
        "-",
        "--",
        "---",
        "–",
        "—",
        ".",
        "khong",
        "khong co",
        "chua co",
        "chua ro",
        "ko",
        "ko co",
        "k co",
        "kco",
        "n/a",
        "none",
        "khong ro",
    ]
)


# … or says what is not there (QA round 67: hamlet lists of the elderly and of children): "Chưa có CCCD",
# "Chưa làm", "Đang làm", "Mất CCCD", "Không có SĐT", "Không sử dụng", "Chưa có ĐT"
_NONE_SAID = re.compile(  # (in the CCCD, phone and email columns only: "Đang làm" is a position too)
    r"(?:chua|khong|ko|mat|dang cho|dang|cho)(?: (?:co|lam|cap|su dung|sd|dung|lam lai|cap lai|du tuoi))?"
    r"(?: (?:so )?(?:cccd|can cuoc(?: cong dan)?|cmnd|cmt|sdt|so dien thoai|dien thoai|dt|dtdd|di dong|zalo"
    r"|email|e mail|mail|so))?"
    r"|(?:chua du|duoi) \d{1,2} tuoi|tre em|(?:khong|ko|chua) nho"  # a child's: "Chưa đủ 14 tuổi"; "Không nhớ"
)
_NONE_SAID_IN = frozenset(FIELDS.index(name) for name in ("cccd", "phone", "email"))
_NONE_STARTS = frozenset(mark[0] for mark in NONE_MARKS) | frozenset("KCNMDĐTkcnmdđt ")  # a quick first look


def _none_typed(value, said: bool = False) -> bool:
    """A cell that says it is empty: "-", "Không có", "Chưa rõ."; `said`: also what is not there, "Chưa có
    CCCD", "Chờ cấp", "Không có email"."""
    if not (isinstance(value, str) and len(value) <= 30 and value[:1] in _NONE_STARTS):
        return False
    folded = fold(value.strip())
    if folded in NONE_MARKS or folded.rstrip(".") in NONE_MARKS:
        return True
    words = " ".join(folded.rstrip(".").replace("/", " ").replace("-", " ").split())
    return said and words not in ("dang", "mat", "cho") and bool(_NONE_SAID.fullmatch(words))
