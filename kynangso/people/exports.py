"""The people workbook: one layout for the import template and the export, so export → edit → import
round-trips. Written in openpyxl's write-only mode: memory stays flat whatever the number of rows."""

from __future__ import annotations

from collections.abc import Iterable
from io import BytesIO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill

from kynangso.core import crypto

from .choices import Sex, TargetGroup
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


def header_row(ws) -> list:
    bold = Font(bold=True, color="FFFFFF")
    fill = PatternFill("solid", fgColor="1F5F99")
    cells = []
    for title in HEADERS:
        cell = WriteOnlyCell(ws, value=title)
        cell.font = bold
        cell.fill = fill
        cells.append(cell)
    return cells


def person_row(person: Person, groups: Iterable[str]) -> list:
    cccd = crypto.decrypt(person.cccd_encrypted) if person.cccd_encrypted else ""
    return [
        person.full_name,
        person.date_of_birth.strftime("%d/%m/%Y") if person.date_of_birth else "",
        SEX_LABELS_VI.get(person.sex, ""),
        cccd,
        person.phone,
        person.email,
        person.organisation.code,
        person.position,
        "; ".join(GROUP_LABELS_VI[g] for g in groups),
    ]


def people_workbook(people: Iterable[Person], *, chunk: int = 2000) -> BytesIO:
    """Write the people (an already scoped, ordered queryset) to an .xlsx in memory-bounded chunks."""
    from .models import PersonTargetGroup

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Danh sách")
    for index, width in enumerate(COLUMN_WIDTHS):
        ws.column_dimensions[chr(ord("A") + index)].width = width
    ws.freeze_panes = "A2"
    ws.append(header_row(ws))
    batch: list[Person] = []

    def flush():
        groups: dict[int, list[str]] = {}
        for pid, group in PersonTargetGroup.objects.filter(person__in=[p.pk for p in batch]).values_list(
            "person_id", "group"
        ):
            groups.setdefault(pid, []).append(group)
        for p in batch:
            ws.append(person_row(p, sorted(groups.get(p.pk, []), key=list(GROUP_LABELS_VI).index)))
        batch.clear()

    for person in people.iterator(chunk_size=chunk) if hasattr(people, "iterator") else people:
        batch.append(person)
        if len(batch) >= chunk:
            flush()
    if batch:
        flush()
    out = BytesIO()
    wb.save(out)
    out.seek(0)
    return out
