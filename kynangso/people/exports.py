"""The people workbook: one layout for the import template and the export, so export → edit → import
round-trips. Streamed by core.xlsx as the people are read: a download starts at once and memory stays flat
whatever the number of rows."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from io import BytesIO
from itertools import islice

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from kynangso.core import crypto
from kynangso.core.xlsx import SheetWriter, Style

from .choices import Sex, TargetGroup
from .codes import CODE_HEADER, person_code
from .models import Person

HEADERS = [
    "Họ và tên",
    "Ngày sinh",
    "Giới tính",
    "Số CCCD",
    "Số điện thoại",
    "Email",
    "Mã đơn vị",
    "Chức vụ",
    "Nhóm đối tượng",
]
SEX_LABELS_VI = {Sex.MALE: "Nam", Sex.FEMALE: "Nữ"}
# Target-group names as they stand in the workbooks (Vietnamese, the users' own words).
GROUP_LABELS_VI = {
    TargetGroup.LEADER: "Lãnh đạo",
    TargetGroup.OFFICIAL: "Cán bộ, công chức, viên chức",
    TargetGroup.DX_SPECIALIST: "Cán bộ chuyên trách CĐS/CNTT",
    TargetGroup.WORKER: "Người lao động",
    TargetGroup.CITIZEN: "Người dân",
    TargetGroup.STUDENT: "Học sinh, sinh viên",
    TargetGroup.TEACHER: "Giáo viên",
    TargetGroup.DX_EXPERT: "Chuyên gia chuyển đổi số",
    TargetGroup.COMMUNITY_TEAM: "Thành viên Tổ công nghệ số cộng đồng",
}
COLUMN_WIDTHS = [28, 12, 9, 15, 13, 28, 14, 22, 40]
# An export's last column, after the template's: each person's code (codes.py), by which importing the list
# again finds them whatever was edited in their row. The template has no such column: its people are new.
EXPORT_HEADERS = [*HEADERS, CODE_HEADER]
EXPORT_WIDTHS = [*COLUMN_WIDTHS, 17]
# Column formats: text where Excel must keep what is typed as it is (a CCCD's leading zero), and the date.
COLUMN_STYLES = {
    **{HEADERS.index(title): Style.TEXT for title in ("Số CCCD", "Số điện thoại", "Mã đơn vị")},
    HEADERS.index("Ngày sinh"): Style.DATE,
}
ROW_STYLES = [COLUMN_STYLES.get(i, Style.NORMAL) for i in range(len(EXPORT_HEADERS))]
# A year of birth alone (the day not known) is a number, not a date: 1990, not 12/06/1905.
YEAR_ROW_STYLES = [Style.NORMAL if i == HEADERS.index("Ngày sinh") else style for i, style in enumerate(ROW_STYLES)]
DROPDOWN_UNITS_MAX = 5000  # unit codes in a drop-down list, at most
GUIDE_SHEET = "Hướng dẫn"  # the sheet of instructions: not worth a word when a list is read


def dropdowns(organisations: Sequence[str]) -> list[tuple[int, list[str], bool, str, str]]:
    """The drop-down lists of the people workbook, the import template's and the export's alike: (column,
    values, strict, title, message). Strict lists refuse another value; the target groups take several
    names separated by ";", so theirs only suggests. The unit codes are those the user may import into: at most
    DROPDOWN_UNITS_MAX of them (`organisations` may be a queryset: it is sliced); a list cut short only
    suggests too, for Excel would refuse the codes left out of it."""
    codes = list(organisations[: DROPDOWN_UNITS_MAX + 1])
    every_unit = len(codes) <= DROPDOWN_UNITS_MAX
    lists = [
        (
            HEADERS.index("Giới tính"),
            list(SEX_LABELS_VI.values()),
            True,
            _("Sex"),
            _("Choose Nam or Nữ from the list."),
        ),
        (
            HEADERS.index("Nhóm đối tượng"),
            list(GROUP_LABELS_VI.values()),
            False,
            _("Target groups"),
            _("Pick one, or type several separated by ;"),
        ),
        (
            HEADERS.index("Mã đơn vị"),
            codes[:DROPDOWN_UNITS_MAX],
            every_unit,
            _("Unit code"),
            _("Choose a unit code from the list.")
            if every_unit
            else _("Choose a unit code from the list, or type the code of another of your units."),
        ),
    ]
    return [entry for entry in lists if entry[1]]


EXPORT_FIELDS = (  # the columns of the template, as person_row reads them
    "pk",
    "full_name",
    "date_of_birth",
    "birth_year",
    "sex",
    "cccd_encrypted",
    "phone",
    "email",
    "organisation__code",
    "position",
)


def person_row(values: tuple, groups: Iterable[str]) -> list:
    """A row of the template from a person's EXPORT_FIELDS (tuples, not model instances: building 200,000
    people and their units as models took a quarter of an export's time)."""
    pk, full_name, born, year, sex, cccd_encrypted, phone, email, org_code, position = values
    return [
        full_name,
        born or year,
        SEX_LABELS_VI.get(sex, ""),
        crypto.decrypt(cccd_encrypted) if cccd_encrypted else "",
        phone,
        email,
        org_code,
        position,
        "; ".join(GROUP_LABELS_VI[g] for g in groups),
        person_code(pk),
    ]


def guide_lines() -> list[str]:
    """The people workbook's instructions (its GUIDE_SHEET), in the active language."""
    return [
        _("One person per row, under the header row. Do not change the column titles."),
        _("Họ và tên is required. Leave a cell empty to keep what is already stored."),
        _(
            "Ngày sinh: a date, or text dd/mm/yyyy; when only the year is known, the year alone (1990). "
            "Số CCCD: 12 digits (the column is text: keep the leading 0)."
        ),
        _("Số điện thoại: a Vietnamese mobile number; +84, spaces, dots and old 11-digit numbers are accepted."),
        _(
            "Mã đơn vị: a code from the list (or the unit's full name); empty means the unit chosen when "
            "importing. The units' names are beside their codes on the hidden sheet “Danh mục” (right-click a "
            "sheet's tab, then Unhide)."
        ),
        _(
            "A list of your own may give the units by their names under “Đơn vị” or “Đơn vị công tác”. If most of "
            "them are units of the list, each must be one; if most are not (hamlets, departments), the column is not "
            "read and people go into the unit chosen when importing."
        ),
        _("Nhóm đối tượng: names from the list, several separated by “;”."),
        _("The same CCCD number is the same person: importing again updates, it never duplicates."),
        _(
            "Mã hồ sơ KNS, the last column of a list exported from the platform, is each person's code: keep it on "
            "its person's row (sort the whole table, never some columns alone), and importing the list again updates "
            "that person: their unit, phone and the like; their name, date of birth or sex only beside their CCCD "
            "as stored, a sex or a CCCD also beside their full date of birth (else on their page). Leave it empty "
            "for new people."
        ),
        _("A workbook may hold one list a sheet (one a hamlet or a class): every visible sheet's list is read."),
        _(
            "Without a CCCD number a person is found by name, date of birth and unit: a name corrected in the "
            "file is another person (refused if born the same day with the same phone or email). Correct the "
            "name on the person's page and in your file alike, or add their CCCD number first."
        ),
    ]


def people_stream(
    people: QuerySet[Person], *, organisations: Sequence[tuple[str, str]] = (), chunk: int = 2000, codes: bool = True
) -> Iterator[bytes]:
    """The people (an already scoped, ordered queryset) as an .xlsx, its bytes as they are written: the
    import template itself, filled in (the template is this with no people). Its drop-down lists, the unit
    codes' names beside them in the hidden lists sheet (`organisations`: (code, name) of the units the user
    may import into), the date column's hint, and the guide sheet. The people are read `chunk` at a time,
    with their target groups, as the bytes are taken; `codes`: with the column of their codes (EXPORT_HEADERS,
    not the template's)."""
    sheet = SheetWriter(
        sheet_name="Danh sách",
        widths=EXPORT_WIDTHS if codes else COLUMN_WIDTHS,
        frozen_rows=1,
        column_styles=COLUMN_STYLES,
    )
    template_aids(sheet, organisations)
    sheet.append(EXPORT_HEADERS if codes else HEADERS, Style.HEADER)
    return sheet.stream(_people_rows(people, chunk), batch=chunk)


def template_aids(sheet: SheetWriter, organisations: Sequence[tuple[str, str]]) -> None:
    """What helps fill in the template's columns, on a sheet whose first columns are the template's (the
    export's, the error workbook's): the drop-down lists, the unit codes' names beside them in the hidden
    lists sheet (`organisations`: (code, name)), the date column's hint, and the guide sheet."""
    units = list(organisations[: DROPDOWN_UNITS_MAX + 1])  # one more than a list holds: see dropdowns
    for column, values, strict, title, message in dropdowns([code for code, _name in units]):
        sheet.dropdown(column, values, strict=strict, title=title, message=message)
    sheet.list_notes = [name for _code, name in units[:DROPDOWN_UNITS_MAX]]
    birth = HEADERS.index("Ngày sinh")
    sheet.date_hint(birth, title=_("Date of birth"), message=_("dd/mm/yyyy, or the year alone (1990)"))
    sheet.guide_sheet(GUIDE_SHEET, guide_lines())


def _people_rows(people: QuerySet[Person], chunk: int) -> Iterator[tuple[list, list[Style]]]:
    from .models import PersonTargetGroup

    order = {group: index for index, group in enumerate(GROUP_LABELS_VI)}
    values = people.values_list(*EXPORT_FIELDS).iterator(chunk_size=chunk)
    while batch := list(islice(values, chunk)):
        groups: dict[int, list[str]] = {}
        for pid, group in PersonTargetGroup.objects.filter(person__in=[p[0] for p in batch]).values_list(
            "person_id", "group"
        ):
            groups.setdefault(pid, []).append(group)
        for p in batch:
            styles = ROW_STYLES if p[2] or not p[3] else YEAR_ROW_STYLES
            yield person_row(p, sorted(groups.get(p[0], []), key=order.__getitem__)), styles


def people_workbook(
    people: QuerySet[Person], *, organisations: Sequence[tuple[str, str]] = (), codes: bool = True
) -> BytesIO:
    """people_stream's workbook in memory (the template, tests, the bench)."""
    return BytesIO(b"".join(people_stream(people, organisations=organisations, codes=codes)))
