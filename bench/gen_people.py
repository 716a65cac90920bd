"""Write an N-row people file (.xlsx or .csv) in the import template's layout, with realistic Vietnamese
names, CCCD numbers consistent with birth date and sex, and phones written the many ways offices write
them (+84, dots, spaces, old 11-digit numbers).

    python bench/gen_people.py 40000 var/bench/people-40k.xlsx --codes X-001,X-002 [--errors 0.01] [--seed 1]

Deterministic for a given seed. `--errors` makes that share of rows invalid (bad CCCD, date or phone)."""

from __future__ import annotations

import argparse
import csv
import random
import sys
from datetime import date, timedelta
from pathlib import Path

# Family names with their approximate shares in Vietnam (the rest spread over the tail).
FAMILY = [
    ("Nguyễn", 38),
    ("Trần", 11),
    ("Lê", 9.5),
    ("Phạm", 7),
    ("Hoàng", 4),
    ("Huỳnh", 3),
    ("Phan", 4.5),
    ("Vũ", 3.9),
    ("Võ", 3),
    ("Đặng", 2.1),
    ("Bùi", 2),
    ("Đỗ", 1.4),
    ("Hồ", 1.3),
    ("Ngô", 1.3),
    ("Dương", 1),
    ("Lý", 0.5),
    ("Đinh", 0.6),
    ("Trương", 0.5),
    ("Lâm", 0.4),
    ("Mai", 0.4),
    ("Tô", 0.3),
    ("Thạch", 0.3),
    ("Kim", 0.2),
]
MIDDLE_MALE = [
    "Văn",
    "Hữu",
    "Đức",
    "Minh",
    "Quang",
    "Thanh",
    "Công",
    "Xuân",
    "Anh",
    "Ngọc",
    "Hoàng",
    "Trung",
    "Quốc",
    "Tuấn",
    "Gia",
    "Bảo",
    "Thành",
    "Đình",
]
MIDDLE_FEMALE = [
    "Thị",
    "Ngọc",
    "Thu",
    "Thanh",
    "Hồng",
    "Kim",
    "Minh",
    "Phương",
    "Thùy",
    "Mai",
    "Bích",
    "Diệu",
    "Khánh",
    "Quỳnh",
    "Hoài",
    "Thảo",
]
GIVEN_MALE = [
    "An",
    "Bình",
    "Cường",
    "Dũng",
    "Đạt",
    "Hải",
    "Hiếu",
    "Hoàng",
    "Hùng",
    "Huy",
    "Khánh",
    "Khoa",
    "Long",
    "Minh",
    "Nam",
    "Nghĩa",
    "Phong",
    "Phúc",
    "Quân",
    "Quang",
    "Sơn",
    "Tài",
    "Thắng",
    "Thành",
    "Thịnh",
    "Tiến",
    "Toàn",
    "Trí",
    "Trung",
    "Tuấn",
    "Việt",
    "Vinh",
    "Vũ",
    "Bảo",
    "Đức",
    "Lộc",
    "Nhân",
    "Tâm",
]
GIVEN_FEMALE = [
    "Anh",
    "Bích",
    "Chi",
    "Diệp",
    "Dung",
    "Giang",
    "Hà",
    "Hạnh",
    "Hằng",
    "Hiền",
    "Hoa",
    "Hồng",
    "Huyền",
    "Hương",
    "Lan",
    "Linh",
    "Loan",
    "Mai",
    "My",
    "Nga",
    "Ngân",
    "Ngọc",
    "Nhung",
    "Oanh",
    "Phương",
    "Quyên",
    "Tâm",
    "Thảo",
    "Thư",
    "Trang",
    "Trinh",
    "Tuyết",
    "Uyên",
    "Vân",
    "Vy",
    "Yến",
    "Xuân",
    "Nhi",
]
POSITIONS = [
    "",
    "",
    "",
    "Chuyên viên",
    "Công chức văn phòng",
    "Kế toán",
    "Giáo viên",
    "Trưởng phòng",
    "Phó phòng",
    "Cán bộ địa chính",
    "Công nhân",
    "Nhân viên",
]
GROUPS = [
    "Cán bộ, công chức, viên chức",
    "Người lao động",
    "Người dân",
    "Học sinh, sinh viên",
    "Giáo viên",
    "Lãnh đạo",
    "Cán bộ chuyên trách CĐS/CNTT",
    "Thành viên Tổ công nghệ số cộng đồng",
]
PROVINCES = ["001", "079", "086", "084", "089", "092", "094", "095", "096", "087", "083", "080", "082"]
MOBILE = [
    "032",
    "033",
    "034",
    "035",
    "036",
    "037",
    "038",
    "039",
    "070",
    "076",
    "077",
    "078",
    "079",
    "081",
    "082",
    "083",
    "084",
    "085",
    "086",
    "088",
    "089",
    "090",
    "091",
    "093",
    "094",
    "096",
    "097",
    "098",
]
OLD_PREFIX = {"039": "0169", "038": "0168", "070": "0120", "079": "0121", "083": "0123", "084": "0124"}
# The import template's headers; this script stays Django-free, so it repeats
# kynangso.people.exports.HEADERS (bench/README.md) rather than importing it.
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


def _weighted(rng: random.Random, items):
    names, weights = zip(*items, strict=True)
    return rng.choices(names, weights=weights)[0]


def _phone(rng: random.Random) -> str:
    prefix = rng.choice(MOBILE)
    rest = f"{rng.randrange(10_000_000):07d}"
    style = rng.random()
    if style < 0.5:
        return prefix + rest
    if style < 0.65:
        return f"+84 {prefix[1:]} {rest[:3]} {rest[3:]}"
    if style < 0.8:
        return f"{prefix}{rest[0]}.{rest[1:4]}.{rest[4:]}"
    if style < 0.9 and prefix in OLD_PREFIX:
        return OLD_PREFIX[prefix] + rest
    return f"{prefix[:4]}-{prefix[4:]}{rest}" if len(prefix) > 4 else f"{prefix}-{rest[:3]}-{rest[3:]}"


def people_rows(n: int, *, codes: list[str], seed: int = 1, errors: float = 0.0, excel: bool = True):
    """Yield n rows (lists in HEADERS order). Dates are real dates for Excel (or text dd/mm/yyyy for a
    share of rows, as offices type them), always text for CSV."""
    rng = random.Random(seed)
    used: set[str] = set()
    start = date(1961, 1, 1)
    span = (date(2008, 12, 31) - start).days
    for i in range(n):
        female = rng.random() < 0.5
        family = _weighted(rng, FAMILY)
        middle = rng.choice(MIDDLE_FEMALE if female else MIDDLE_MALE)
        given = rng.choice(GIVEN_FEMALE if female else GIVEN_MALE)
        extra = rng.choice(MIDDLE_FEMALE if female else MIDDLE_MALE) + " " if rng.random() < 0.25 else ""
        name = f"{family} {extra}{middle} {given}"
        birth = start + timedelta(days=rng.randrange(span))
        century = (birth.year // 100 - 19) * 2 + (1 if female else 0)
        while True:
            cccd = f"{rng.choice(PROVINCES)}{century}{birth.year % 100:02d}{rng.randrange(1_000_000):06d}"
            if cccd not in used:
                used.add(cccd)
                break
        phone = _phone(rng) if rng.random() < 0.85 else ""
        email = f"{given.lower()}{i}@example.vn" if rng.random() < 0.3 else ""
        email = email.replace("đ", "d")
        email = "".join(ch for ch in email if ch.isascii())
        groups = "; ".join(sorted(set(rng.sample(GROUPS, 1 if rng.random() < 0.85 else 2))))
        birth_cell = birth if excel and rng.random() < 0.8 else birth.strftime("%d/%m/%Y")
        row = [
            name,
            birth_cell,
            "Nữ" if female else "Nam",
            cccd,
            phone,
            email,
            rng.choice(codes),
            rng.choice(POSITIONS),
            groups,
        ]
        if errors and rng.random() < errors:
            kind = rng.randrange(3)
            if kind == 0:
                row[3] = "12" + cccd[2:]  # not a province code
            elif kind == 1:
                row[1] = "31/02/1990"
            else:
                row[4] = "12345"
        yield row


def write(path: Path, n: int, *, codes: list[str], seed: int = 1, errors: float = 0.0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh, delimiter=";")
            writer.writerow(HEADERS)
            writer.writerows(people_rows(n, codes=codes, seed=seed, errors=errors, excel=False))
        return path
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Danh sách")
    ws.append(HEADERS)
    for row in people_rows(n, codes=codes, seed=seed, errors=errors):
        cells = []
        for index, value in enumerate(row):
            cell = WriteOnlyCell(ws, value=value)
            if index == 1 and isinstance(value, date):
                cell.number_format = "DD/MM/YYYY"
            elif index == 3:
                cell.number_format = "@"
            cells.append(cell)
        ws.append(cells)
    wb.save(path)
    return path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("rows", type=int)
    parser.add_argument("out", type=Path)
    parser.add_argument("--codes", default="X-001", help="comma-separated unit codes to spread the rows over")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--errors", type=float, default=0.0)
    args = parser.parse_args(argv)
    write(args.out, args.rows, codes=args.codes.split(","), seed=args.seed, errors=args.errors)
    print(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
