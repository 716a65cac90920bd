"""Data for the demo seed (kynangso.web.demo): Vietnamese names, positions and birth provinces.

Family-name weights follow the published frequency surveys (Nguyễn about 38%, then Trần, Lê, Phạm …),
shifted towards the Mekong delta: Huỳnh and Võ (the southern forms of Hoàng and Vũ) are common there,
and Khmer families of Trà Vinh carry Thạch, Sơn, Kim and Lâm. Weights are relative, not percentages.
"""

from __future__ import annotations

FAMILY_NAMES: list[tuple[str, float]] = [
    ("Nguyễn", 38.0),
    ("Trần", 11.0),
    ("Lê", 9.5),
    ("Phạm", 6.0),
    ("Huỳnh", 4.5),
    ("Hoàng", 1.0),
    ("Võ", 4.5),
    ("Vũ", 0.6),
    ("Phan", 4.0),
    ("Trương", 2.0),
    ("Bùi", 1.5),
    ("Đặng", 1.5),
    ("Đỗ", 1.2),
    ("Ngô", 1.3),
    ("Hồ", 1.6),
    ("Dương", 1.0),
    ("Lý", 0.9),
    ("Đoàn", 0.6),
    ("Đinh", 0.5),
    ("Cao", 0.5),
    ("Châu", 0.5),
    ("Lâm", 0.8),
    ("Mai", 0.4),
    ("Lương", 0.4),
    ("Tô", 0.4),
    ("Lưu", 0.3),
    ("Quách", 0.3),
    ("Tăng", 0.3),
    ("Thạch", 1.0),
    ("Sơn", 0.6),
    ("Kim", 0.4),
]

MALE_MIDDLE_NAMES: list[tuple[str, float]] = [
    ("Văn", 40.0),
    ("Hữu", 6.0),
    ("Minh", 8.0),
    ("Thanh", 6.0),
    ("Quốc", 5.0),
    ("Đức", 4.0),
    ("Công", 3.0),
    ("Hoàng", 3.0),
    ("Tấn", 4.0),
    ("Thành", 3.0),
    ("Ngọc", 3.0),
    ("Trung", 2.0),
    ("Chí", 2.0),
    ("Phước", 2.0),
    ("Duy", 2.0),
    ("Quang", 2.0),
    ("Gia", 2.0),
    ("Hoài", 1.0),
    ("Nhựt", 1.0),
]

FEMALE_MIDDLE_NAMES: list[tuple[str, float]] = [
    ("Thị", 45.0),
    ("Ngọc", 9.0),
    ("Thu", 5.0),
    ("Kim", 5.0),
    ("Thanh", 5.0),
    ("Hồng", 4.0),
    ("Mỹ", 4.0),
    ("Thùy", 3.0),
    ("Bích", 3.0),
    ("Phương", 3.0),
    ("Hoài", 2.0),
    ("Diễm", 2.0),
    ("Ánh", 2.0),
    ("Bảo", 2.0),
    ("Khánh", 2.0),
    ("Tuyết", 1.0),
]

# A second middle name some women carry ("Nguyễn Thị Ngọc Hân").
FEMALE_SECOND_MIDDLE_NAMES = ["Ngọc", "Kim", "Thu", "Mỹ", "Thanh", "Bích", "Hồng", "Diễm", "Phương"]

MALE_GIVEN_NAMES = [
    "An",
    "Bình",
    "Cường",
    "Dũng",
    "Đạt",
    "Hải",
    "Hùng",
    "Huy",
    "Long",
    "Lâm",
    "Minh",
    "Nam",
    "Nghĩa",
    "Nhân",
    "Phong",
    "Phúc",
    "Quân",
    "Sơn",
    "Tài",
    "Tâm",
    "Thắng",
    "Thành",
    "Thiện",
    "Toàn",
    "Trí",
    "Trung",
    "Tuấn",
    "Vinh",
    "Hậu",
    "Lộc",
    "Phát",
    "Tùng",
    "Hiếu",
    "Khánh",
    "Tín",
    "Lợi",
    "Tường",
    "Thịnh",
    "Đức",
    "Hưng",
    "Quang",
    "Sang",
    "Tân",
    "Việt",
    "Nhựt",
    "Hòa",
    "Thuận",
    "Danh",
    "Kha",
    "Vũ",
]

# Names more frequent among those born after about 1995.
MALE_GIVEN_NAMES_RECENT = [
    "Khang",
    "Khoa",
    "Kiệt",
    "Bảo",
    "Duy",
    "Huy",
    "Khôi",
    "Nguyên",
    "Phúc",
    "Quý",
    "Thái",
    "Thịnh",
    "Hoàng",
    "Anh",
    "Đăng",
    "Vỹ",
]

FEMALE_GIVEN_NAMES = [
    "An",
    "Anh",
    "Bích",
    "Chi",
    "Diễm",
    "Dung",
    "Duyên",
    "Giang",
    "Hà",
    "Hạnh",
    "Hằng",
    "Hiền",
    "Hoa",
    "Hồng",
    "Hương",
    "Huyền",
    "Lan",
    "Liên",
    "Linh",
    "Loan",
    "Mai",
    "Nga",
    "Ngân",
    "Nhung",
    "Oanh",
    "Phượng",
    "Thảo",
    "Thanh",
    "Thu",
    "Thủy",
    "Trang",
    "Trinh",
    "Tuyết",
    "Vân",
    "Xuân",
    "Yến",
    "Cúc",
    "Lài",
    "Đào",
    "Lệ",
    "Nương",
]

FEMALE_GIVEN_NAMES_RECENT = [
    "Hân",
    "Ngọc",
    "Nhi",
    "My",
    "Vy",
    "Uyên",
    "Quyên",
    "Thư",
    "Quỳnh",
    "Tiên",
    "Trâm",
    "Như",
    "Ngân",
    "Diệp",
    "Châu",
    "Hạ",
]

# CCCD birth-registration province codes (digits 2–3 after the leading 0), weighted for people living in
# the new Vĩnh Long: the three merged provinces first, then the Mekong neighbours and Hồ Chí Minh City.
BIRTH_PROVINCES: list[tuple[str, float]] = [
    ("086", 30.0),  # Vĩnh Long (before 2025)
    ("083", 26.0),  # Bến Tre
    ("084", 26.0),  # Trà Vinh
    ("092", 4.0),  # Cần Thơ
    ("093", 2.0),  # Hậu Giang
    ("087", 3.0),  # Đồng Tháp
    ("082", 3.0),  # Tiền Giang
    ("094", 3.0),  # Sóc Trăng
    ("079", 2.0),  # Hồ Chí Minh City
    ("089", 1.0),  # An Giang
]

# Mobile prefixes in use since the 2018 renumbering (Viettel, VinaPhone, MobiFone, Vietnamobile).
MOBILE_PREFIXES = [
    "086",
    "096",
    "097",
    "098",
    "032",
    "033",
    "034",
    "035",
    "036",
    "037",
    "038",
    "039",
    "088",
    "091",
    "094",
    "081",
    "082",
    "083",
    "084",
    "085",
    "089",
    "090",
    "093",
    "070",
    "076",
    "077",
    "078",
    "079",
    "092",
    "056",
    "058",
]

# --- positions by kind of organisation ------------------------------------------------------------
# A "ladder" is filled in order by the first people of an organisation (one director, then deputies …);
# the "pool" is drawn from, with weights, for everyone after. Each entry: (position, target groups).

Entry = tuple[str, tuple[str, ...]]

LEADER = ("leader", "official")
OFFICIAL = ("official",)
DX = ("official", "dx_specialist")

DEPARTMENT_LADDER: list[Entry] = [
    ("Giám đốc", LEADER),
    ("Phó Giám đốc", LEADER),
    ("Chuyên viên công nghệ thông tin", DX),
    ("Phó Giám đốc", LEADER),
    ("Chánh Văn phòng", LEADER),
    ("Chuyên viên chuyển đổi số", DX),
    ("Trưởng phòng", LEADER),
]
DEPARTMENT_POOL: list[tuple[Entry, float]] = [
    (("Trưởng phòng", LEADER), 1.0),
    (("Phó Trưởng phòng", LEADER), 1.5),
    (("Chuyên viên chính", OFFICIAL), 2.0),
    (("Chuyên viên", OFFICIAL), 6.0),
    (("Kế toán", OFFICIAL), 0.5),
    (("Văn thư", OFFICIAL), 0.5),
    (("Chuyên viên công nghệ thông tin", DX), 0.3),
]

# The two-tier commune government from 1/7/2025: an office of the People's Council and Committee, an
# economic and a cultural-social division, and a public administrative service centre.
COMMUNE_LADDER: list[Entry] = [
    ("Chủ tịch UBND", LEADER),
    ("Phó Chủ tịch UBND", LEADER),
    ("Chánh Văn phòng HĐND và UBND", LEADER),
    ("Công chức phụ trách chuyển đổi số", DX),
    ("Phó Chủ tịch UBND", LEADER),
    ("Trưởng phòng Kinh tế", LEADER),
    ("Trưởng phòng Văn hóa - Xã hội", LEADER),
    ("Giám đốc Trung tâm Phục vụ hành chính công", LEADER),
]
COMMUNE_POOL: list[tuple[Entry, float]] = [
    (("Chuyên viên Văn phòng HĐND và UBND", OFFICIAL), 1.0),
    (("Chuyên viên Phòng Kinh tế", OFFICIAL), 1.0),
    (("Chuyên viên Phòng Văn hóa - Xã hội", OFFICIAL), 1.0),
    (("Chuyên viên Trung tâm Phục vụ hành chính công", OFFICIAL), 0.7),
    (("Nông dân", ("citizen",)), 4.0),
    (("Tiểu thương", ("citizen",)), 1.5),
    (("Lao động tự do", ("citizen",)), 2.0),
    (("Nội trợ", ("citizen",)), 1.0),
    (("Hưu trí", ("citizen",)), 0.8),
    (("", ("citizen",)), 2.0),
]

COMMUNITY_TEAM_LADDER: list[Entry] = [
    ("Tổ trưởng (Trưởng ấp)", ("community_team", "citizen")),
    ("Bí thư Chi đoàn", ("community_team", "citizen")),
    ("Công an ấp", ("community_team", "citizen")),
    ("Chi hội trưởng Chi hội Phụ nữ", ("community_team", "citizen")),
]
COMMUNITY_TEAM_POOL: list[tuple[Entry, float]] = [
    (("Thành viên", ("community_team", "citizen")), 1.0),
]

SCHOOL_LADDER: list[Entry] = [
    ("Hiệu trưởng", ("teacher", "leader")),
    ("Phó Hiệu trưởng", ("teacher", "leader")),
    ("Giáo viên Tin học", ("teacher", "dx_specialist")),
    ("Tổ trưởng chuyên môn", ("teacher",)),
]
SCHOOL_TEACHER_POOL: list[tuple[Entry, float]] = [
    (("Giáo viên", ("teacher",)), 8.0),
    (("Tổ trưởng chuyên môn", ("teacher",)), 0.6),
    (("Nhân viên thư viện - thiết bị", OFFICIAL), 0.4),
    (("Kế toán", OFFICIAL), 0.3),
]
# Pupils of upper-secondary schools (born 2009 and later in the 2026–2027 school year) are younger than the
# demo's birth range (1965–2008), so schools get staff only; students are seeded in the colleges.
COLLEGE_POOL: list[tuple[Entry, float]] = [
    (("Giảng viên", ("teacher",)), 5.0),
    (("Sinh viên", ("student",)), 15.0),
    (("Chuyên viên", OFFICIAL), 0.5),
]

HOSPITAL_LADDER: list[Entry] = [
    ("Giám đốc", LEADER),
    ("Phó Giám đốc", LEADER),
    ("Trưởng phòng Công nghệ thông tin", DX),
    ("Trưởng khoa", LEADER),
]
HOSPITAL_POOL: list[tuple[Entry, float]] = [
    (("Bác sĩ", OFFICIAL), 4.0),
    (("Điều dưỡng", OFFICIAL), 6.0),
    (("Dược sĩ", OFFICIAL), 1.0),
    (("Kỹ thuật viên", OFFICIAL), 1.5),
    (("Nhân viên công nghệ thông tin", DX), 0.3),
    (("Trưởng khoa", LEADER), 0.5),
]

ENTERPRISE_LADDER: list[Entry] = [
    ("Giám đốc", ("worker", "leader")),
    ("Phó Giám đốc", ("worker", "leader")),
    ("Kế toán trưởng", ("worker",)),
    ("Nhân viên công nghệ thông tin", ("worker", "dx_specialist")),
]
ENTERPRISE_POOL: list[tuple[Entry, float]] = [
    (("Công nhân", ("worker",)), 8.0),
    (("Nhân viên kinh doanh", ("worker",)), 2.0),
    (("Nhân viên kỹ thuật", ("worker",)), 1.5),
    (("Nhân viên văn phòng", ("worker",)), 1.5),
    (("Tổ trưởng sản xuất", ("worker",)), 0.7),
]

ASSOCIATION_LADDER: list[Entry] = [
    ("Chủ tịch", LEADER),
    ("Phó Chủ tịch", LEADER),
    ("Trưởng ban", LEADER),
]
ASSOCIATION_POOL: list[tuple[Entry, float]] = [
    (("Chuyên viên", OFFICIAL), 4.0),
    (("Phó Trưởng ban", LEADER), 1.0),
    (("Cán bộ", OFFICIAL), 3.0),
]

NATIONAL_LADDER: list[Entry] = [
    ("Cục trưởng", LEADER),
    ("Phó Cục trưởng", LEADER),
]
NATIONAL_POOL: list[tuple[Entry, float]] = [
    (("Chuyên gia chuyển đổi số", ("official", "dx_expert")), 2.0),
    (("Chuyên viên chính", DX), 2.0),
    (("Chuyên viên", DX), 3.0),
]
