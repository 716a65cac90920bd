"""Demo data: a national space and the province space of the new Vĩnh Long, with people and logins.

`seed_demo()` is idempotent: organisations are keyed on their code, people on the keyed hash of their
generated CCCD, accounts on their username and grants on (user, role, organisation). A second run finds
everything and writes nothing; a run with more people adds only the missing ones, because person i is
always the same person (one `random.Random(SEED)` stream, drawn person after person).

Placement of schools (kept consistent everywhere): provincial schools (upper-secondary schools and
colleges) sit under Sở Giáo dục và Đào tạo; primary and lower-secondary schools, which the commune
governments run since 1/7/2025, sit under their commune office. Hospitals and health centres sit under
Sở Y tế; enterprises and mass organisations directly under the provincial People's Committee.

Generated emails use the reserved `.example` top-level domain and `example.com`, so a demo database can
never mail a real person.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta

from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from kynangso.core.text import fold, nfc
from kynangso.orgs.admin_units import units_valid_on
from kynangso.orgs.choices import AdminLevel, OrgType, Role, SpaceKind
from kynangso.orgs.models import AdminUnit, Organisation, RoleGrant, Space
from kynangso.orgs.services import organisation_create, role_grant, space_create
from kynangso.people import rules
from kynangso.people.choices import LawfulBasis, Sex
from kynangso.people.models import Person, PersonTargetGroup, User
from kynangso.people.selectors import person_list
from kynangso.people.services import cccd_fields, cccd_hash, name_fields, username_base

from . import demo_names as names

DEMO_PASSWORD = "KyNangSo@2026"
DEFAULT_PEOPLE = 5000
SEED = 2025
PROVINCE_CODE = "86"
PROVINCE_QUOTA = 40_000
MAIL_DOMAIN = "vinhlong.example"

NATIONAL_ROOT = "BKHCN"
PROVINCE_ROOT = "VL"
DEPT_EDUCATION = "VL-SGDDT"
DEPT_HEALTH = "VL-SYT"

# The first people of the stream go to the two demo communes, so even a small run gives both unit
# admins someone to see (person 0 is the demo learner, a citizen of commune A).
FORCED_SEATS = 12
LOOKUP_CHUNK = 900  # stays under SQLite's bound-parameter limit

Log = Callable[[str], None]


# --- the organisation plan ------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrgPlan:
    code: str
    name: str
    org_type: str
    parent: str | None = None
    admin_unit: AdminUnit | None = None
    profile: str = ""  # which positions its people hold (see PROFILES); "" = nobody is seeded here
    weight: float = 0.0  # share of the generated people
    mail: str = MAIL_DOMAIN


@dataclass(frozen=True)
class SpacePlan:
    root: str
    name: str
    kind: str
    admin_unit: AdminUnit | None = None
    quota: int | None = None


DEPARTMENTS = [
    ("VL-SKHCN", "Sở Khoa học và Công nghệ"),
    ("VL-SNV", "Sở Nội vụ"),
    (DEPT_EDUCATION, "Sở Giáo dục và Đào tạo"),
    (DEPT_HEALTH, "Sở Y tế"),
    ("VL-STC", "Sở Tài chính"),
    ("VL-SCT", "Sở Công Thương"),
    ("VL-SNNMT", "Sở Nông nghiệp và Môi trường"),
    ("VL-SVHTTDL", "Sở Văn hóa, Thể thao và Du lịch"),
    ("VL-STP", "Sở Tư pháp"),
    ("VL-SXD", "Sở Xây dựng"),
    ("VL-VPUBND", "Văn phòng UBND tỉnh"),
]

# Upper-secondary schools: four well-known ones, then schools named after current communes (kept only if
# the commune exists in the loaded data).
UPPER_SCHOOLS = [
    ("VL-THPT-NBK", "Trường THPT chuyên Nguyễn Bỉnh Khiêm"),
    ("VL-THPT-CBT", "Trường THPT chuyên Bến Tre"),
    ("VL-THPT-CTV", "Trường THPT chuyên Trà Vinh"),
    ("VL-THPT-LVL", "Trường THPT Lưu Văn Liệt"),
]
UPPER_SCHOOL_COMMUNES = ["Trà Ôn", "Cầu Kè", "Ba Tri", "Mỏ Cày", "Tiểu Cần", "Bình Minh"]
COLLEGES = [
    ("VL-CD-VL", "Trường Cao đẳng Vĩnh Long"),
    ("VL-CD-BT", "Trường Cao đẳng Bến Tre"),
]
HOSPITALS = [
    ("VL-BV-DKVL", "Bệnh viện Đa khoa tỉnh Vĩnh Long", None),
    ("VL-BV-NDC", "Bệnh viện Nguyễn Đình Chiểu", None),
    ("VL-BV-DKTV", "Bệnh viện Đa khoa tỉnh Trà Vinh", None),
    ("VL-CDC", "Trung tâm Kiểm soát bệnh tật tỉnh Vĩnh Long", None),
    ("VL-TTYT-TRAON", "Trung tâm Y tế khu vực Trà Ôn", "Trà Ôn"),
    ("VL-TTYT-CAUNGANG", "Trung tâm Y tế khu vực Cầu Ngang", "Cầu Ngang"),
]
STATE_ENTERPRISES = [
    ("VL-XSKT-VL", "Công ty TNHH MTV Xổ số kiến thiết Vĩnh Long"),
    ("VL-XSKT-BT", "Công ty TNHH MTV Xổ số kiến thiết Bến Tre"),
    ("VL-XSKT-TV", "Công ty TNHH MTV Xổ số kiến thiết Trà Vinh"),
]
# Fictional private enterprises (any likeness to a real company is accidental).
PRIVATE_ENTERPRISES = [
    ("VL-DN-DUAXANH", "Công ty TNHH Chế biến Dừa Xanh Mỏ Cày", "Mỏ Cày"),
    ("VL-DN-CUULONG", "Công ty Cổ phần Thủy sản Cửu Long Xanh", None),
    ("VL-DN-GOMDO", "Công ty TNHH Gốm Đỏ Sông Mang", None),
    ("VL-DN-MAYTV", "Công ty TNHH May mặc Trà Vinh Việt", None),
    ("VL-HTX-BUOI", "Hợp tác xã Bưởi Năm Roi Bình Minh", "Bình Minh"),
]
ASSOCIATIONS = [
    ("VL-HLHPN", "Hội Liên hiệp Phụ nữ tỉnh Vĩnh Long"),
    ("VL-TINHDOAN", "Tỉnh Đoàn Vĩnh Long"),
    ("VL-HND", "Hội Nông dân tỉnh Vĩnh Long"),
    ("VL-LDLD", "Liên đoàn Lao động tỉnh Vĩnh Long"),
]

# Share of the generated people per kind of organisation (split evenly inside a kind).
SHARES = {
    "national": 0.005,
    "department": 0.11,
    "commune": 0.50,
    "community_team": 0.035,
    "upper_school": 0.06,
    "college": 0.06,
    "commune_school": 0.06,
    "hospital": 0.05,
    "state_enterprise": 0.02,
    "private_enterprise": 0.06,
    "association": 0.025,
}

PROFILES = {
    "national": (names.NATIONAL_LADDER, names.NATIONAL_POOL),
    "department": (names.DEPARTMENT_LADDER, names.DEPARTMENT_POOL),
    "commune": (names.COMMUNE_LADDER, names.COMMUNE_POOL),
    "community_team": (names.COMMUNITY_TEAM_LADDER, names.COMMUNITY_TEAM_POOL),
    "upper_school": (names.SCHOOL_LADDER, names.SCHOOL_TEACHER_POOL),
    "college": (names.SCHOOL_LADDER[:2], names.COLLEGE_POOL),
    "commune_school": (names.SCHOOL_LADDER, names.SCHOOL_TEACHER_POOL),
    "hospital": (names.HOSPITAL_LADDER, names.HOSPITAL_POOL),
    "state_enterprise": (names.ENTERPRISE_LADDER, names.ENTERPRISE_POOL),
    "private_enterprise": (names.ENTERPRISE_LADDER, names.ENTERPRISE_POOL),
    "association": (names.ASSOCIATION_LADDER, names.ASSOCIATION_POOL),
}


@dataclass(frozen=True)
class DemoGeography:
    province: AdminUnit
    communes: list[AdminUnit]  # current communes of the province, by code
    commune_a: AdminUnit  # the first "xã": its office gets the first unit admin
    commune_b: AdminUnit  # the first "phường" (or the second commune): the isolation demo


def commune_office_code(commune: AdminUnit) -> str:
    return f"{PROVINCE_ROOT}-{commune.code}"


def _slug(text: str) -> str:
    return "".join(ch for ch in fold(text) if ch.isalnum())


def _commune_word(commune: AdminUnit) -> str:
    return (commune.unit_type or "xã").lower()


def org_plan(geo: DemoGeography) -> tuple[list[OrgPlan], list[SpacePlan]]:
    """Every organisation of the demo, parents before children, and the two spaces."""
    by_name = {c.name: c for c in geo.communes}
    plans: list[OrgPlan] = []

    def add_kind(kind: str, items: list[OrgPlan]) -> None:
        share = SHARES.get(kind, 0.0) / max(len(items), 1)
        plans.extend(replace(p, profile=kind, weight=share) for p in items)

    plans.append(OrgPlan(NATIONAL_ROOT, "Bộ Khoa học và Công nghệ", OrgType.MINISTRY))
    add_kind(
        "national",
        [OrgPlan("BKHCN-CDSQG", "Cục Chuyển đổi số quốc gia", OrgType.MINISTRY, NATIONAL_ROOT, mail="mst.example")],
    )
    plans.append(OrgPlan("BKHCN-VKTXHS", "Vụ Kinh tế và Xã hội số", OrgType.MINISTRY, NATIONAL_ROOT))

    plans.append(
        OrgPlan(PROVINCE_ROOT, "Ủy ban nhân dân tỉnh Vĩnh Long", OrgType.PEOPLES_COMMITTEE, admin_unit=geo.province)
    )
    add_kind(
        "department",
        [
            OrgPlan(code, name, OrgType.DEPARTMENT, PROVINCE_ROOT, mail=f"{code[3:].lower()}.{MAIL_DOMAIN}")
            for code, name in DEPARTMENTS
        ],
    )
    add_kind(
        "commune",
        [
            OrgPlan(
                commune_office_code(c),
                f"UBND {_commune_word(c)} {c.name}",
                OrgType.COMMUNE_OFFICE,
                PROVINCE_ROOT,
                admin_unit=c,
                mail=f"{_slug(c.name)}.{MAIL_DOMAIN}",
            )
            for c in geo.communes
        ],
    )

    team_communes = [geo.commune_a, geo.commune_b] + [
        c for c in geo.communes[::12] if c not in (geo.commune_a, geo.commune_b)
    ]
    teams = []
    for commune in team_communes:
        hamlet = "khóm" if _commune_word(commune) == "phường" else "ấp"
        for n in (1, 2):
            teams.append(
                OrgPlan(
                    f"{commune_office_code(commune)}-TCN{n}",
                    f"Tổ công nghệ số cộng đồng {hamlet} {n} ({_commune_word(commune)} {commune.name})",
                    OrgType.COMMUNITY_TEAM,
                    commune_office_code(commune),
                    admin_unit=commune,
                )
            )
    add_kind("community_team", teams)

    upper = [OrgPlan(code, name, OrgType.SCHOOL, DEPT_EDUCATION) for code, name in UPPER_SCHOOLS]
    upper += [
        OrgPlan(f"VL-THPT-{by_name[n].code}", f"Trường THPT {n}", OrgType.SCHOOL, DEPT_EDUCATION, by_name[n])
        for n in UPPER_SCHOOL_COMMUNES
        if n in by_name
    ]
    add_kind("upper_school", upper)
    add_kind("college", [OrgPlan(code, name, OrgType.SCHOOL, DEPT_EDUCATION) for code, name in COLLEGES])

    school_communes = [geo.commune_a] + [c for c in geo.communes[::7] if c != geo.commune_a]
    local_schools = [
        OrgPlan(f"{commune_office_code(geo.commune_a)}-THCS", f"Trường THCS {geo.commune_a.name}", OrgType.SCHOOL,
                commune_office_code(geo.commune_a), geo.commune_a)
    ]  # fmt: skip
    for i, commune in enumerate(school_communes):
        level_code, level_name = ("TH", "Tiểu học") if i % 2 == 0 else ("THCS", "THCS")
        code = f"{commune_office_code(commune)}-{level_code}"
        if all(p.code != code for p in local_schools):
            local_schools.append(
                OrgPlan(
                    code, f"Trường {level_name} {commune.name}", OrgType.SCHOOL, commune_office_code(commune), commune
                )
            )
    add_kind("commune_school", local_schools)

    add_kind(
        "hospital",
        [OrgPlan(code, name, OrgType.HOSPITAL, DEPT_HEALTH, by_name.get(place)) for code, name, place in HOSPITALS],
    )
    add_kind(
        "state_enterprise",
        [OrgPlan(code, name, OrgType.STATE_ENTERPRISE, PROVINCE_ROOT) for code, name in STATE_ENTERPRISES],
    )
    add_kind(
        "private_enterprise",
        [
            OrgPlan(code, name, OrgType.PRIVATE_ENTERPRISE, PROVINCE_ROOT, by_name.get(place), mail="example.com")
            for code, name, place in PRIVATE_ENTERPRISES
        ],
    )
    add_kind("association", [OrgPlan(code, name, OrgType.ASSOCIATION, PROVINCE_ROOT) for code, name in ASSOCIATIONS])

    spaces = [
        SpacePlan(NATIONAL_ROOT, "Bộ Khoa học và Công nghệ", SpaceKind.NATIONAL),
        SpacePlan(PROVINCE_ROOT, "Tỉnh Vĩnh Long", SpaceKind.PROVINCE, geo.province, PROVINCE_QUOTA),
    ]
    return plans, spaces


# --- people ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonSpec:
    org_code: str
    full_name: str
    sex: str
    date_of_birth: date
    cccd: str
    phone: str
    email: str
    position: str
    groups: tuple[str, ...]
    lawful_basis: str
    consent_at: datetime | None


# Birth years by target group (the first group of a person's entry that is listed here wins).
BIRTH_YEARS = [
    ("student", 2003, 2008),  # college students; school pupils are younger than the demo range
    ("leader", 1968, 1986),
    ("dx_expert", 1975, 1995),
    ("dx_specialist", 1978, 2002),
    ("teacher", 1968, 2001),
    ("official", 1968, 2002),
    ("worker", 1970, 2006),
    ("community_team", 1968, 2004),
    ("citizen", 1965, 2008),
]
FEMALE_SHARE = {
    "Điều dưỡng": 0.8,
    "Chi hội trưởng Chi hội Phụ nữ": 1.0,
    "Công an ấp": 0.1,
    "Nội trợ": 0.9,
    "Công nhân": 0.6,
}
CONSENT_FROM = datetime(2025, 7, 1, tzinfo=UTC)
CONSENT_MINUTES = 365 * 24 * 60


def _weighted(items: Sequence[tuple[object, float]]) -> tuple[list, list[float]]:
    values, cum, total = [], [], 0.0
    for value, weight in items:
        total += weight
        values.append(value)
        cum.append(total)
    return values, cum


class PeopleGenerator:
    """Draws people one after another from one seeded stream: person i never depends on how many follow."""

    def __init__(self, plans: list[OrgPlan], commune_a: str, commune_b: str, seed: int = SEED) -> None:
        self.rng = random.Random(seed)
        self.plans = {p.code: p for p in plans}
        self.orgs, self.org_cum = _weighted([(p.code, p.weight) for p in plans if p.weight > 0])
        self.commune_a, self.commune_b = commune_a, commune_b
        self.pools = {kind: _weighted(pool) for kind, (_ladder, pool) in PROFILES.items()}
        self.family = _weighted(names.FAMILY_NAMES)
        self.middle = {Sex.MALE: _weighted(names.MALE_MIDDLE_NAMES), Sex.FEMALE: _weighted(names.FEMALE_MIDDLE_NAMES)}
        self.provinces = _weighted(names.BIRTH_PROVINCES)
        self.filled: dict[str, int] = {}  # people placed through each organisation's ladder
        self.cccds: set[str] = set()
        self.count = 0

    def _pick(self, values_cum: tuple[list, list[float]]):
        values, cum = values_cum
        return self.rng.choices(values, cum_weights=cum)[0]

    def _seat(self) -> tuple[str, tuple[str, tuple[str, ...]] | None]:
        i = self.count
        if i == 0:
            return self.commune_a, ("Nông dân", ("citizen",))
        if i < FORCED_SEATS:
            return (self.commune_b if i % 2 else self.commune_a), None
        return self.rng.choices(self.orgs, cum_weights=self.org_cum)[0], None

    def _entry(self, org: OrgPlan) -> tuple[str, tuple[str, ...]]:
        ladder, _pool = PROFILES[org.profile]
        n = self.filled.get(org.code, 0)
        if n < len(ladder):
            self.filled[org.code] = n + 1
            return ladder[n]
        return self._pick(self.pools[org.profile])

    def _birth_date(self, groups: tuple[str, ...]) -> date:
        first, last = next(((a, b) for g, a, b in BIRTH_YEARS if g in groups), (1965, 2008))
        year = self.rng.randint(first, last)
        return date(year, 1, 1) + timedelta(days=self.rng.randrange(366 if year % 4 == 0 else 365))

    def _sex(self, position: str, groups: tuple[str, ...]) -> str:
        share = FEMALE_SHARE.get(position)
        if share is None:
            share = 0.3 if "leader" in groups else 0.68 if "teacher" in groups else 0.5
        return Sex.FEMALE if self.rng.random() < share else Sex.MALE

    def _name(self, sex: str, year: int) -> str:
        rng = self.rng
        if sex == Sex.MALE and rng.random() < 0.004:
            return "Nguyễn Văn An"  # the namesake every search demo looks for
        family = self._pick(self.family)
        middle = self._pick(self.middle[sex])
        if sex == Sex.FEMALE and middle == "Thị" and rng.random() < 0.25:
            middle = f"Thị {rng.choice(names.FEMALE_SECOND_MIDDLE_NAMES)}"
        if sex == Sex.MALE:
            pool = names.MALE_GIVEN_NAMES_RECENT if year >= 1995 and rng.random() < 0.5 else names.MALE_GIVEN_NAMES
        else:
            pool = names.FEMALE_GIVEN_NAMES_RECENT if year >= 1995 and rng.random() < 0.5 else names.FEMALE_GIVEN_NAMES
        given = rng.choice(pool)
        while given in middle.split():
            given = rng.choice(pool)
        return nfc(f"{family} {middle} {given}")

    def _cccd(self, birth: date, sex: str) -> str:
        century = (birth.year // 100 - 19) * 2 + (1 if sex == Sex.FEMALE else 0)
        province = self._pick(self.provinces)
        while True:
            cccd = f"{province}{century}{birth.year % 100:02d}{self.rng.randrange(1_000_000):06d}"
            if cccd not in self.cccds:
                self.cccds.add(cccd)
                return rules.clean_cccd(cccd, birth_date=birth, sex=sex)

    def _phone(self) -> str:
        if self.rng.random() < 0.08:
            return ""
        return rules.clean_phone(f"{self.rng.choice(names.MOBILE_PREFIXES)}{self.rng.randrange(10_000_000):07d}")

    def _email(self, org: OrgPlan, full_name: str, birth: date, groups: tuple[str, ...]) -> str:
        staff = bool({"official", "teacher", "leader"} & set(groups))
        if self.rng.random() >= (0.7 if staff else 0.35):
            return ""
        base = username_base(full_name)
        if staff and org.mail != "example.com":
            return f"{base}{self.rng.randint(1, 9) if self.rng.random() < 0.3 else ''}@{org.mail}"
        return f"{base}{birth.year % 100:02d}{self.rng.randint(1, 99)}@example.com"

    def next(self) -> PersonSpec:
        org_code, forced = self._seat()
        org = self.plans[org_code]
        position, groups = forced or self._entry(org)
        sex = self._sex(position, groups)
        birth = self._birth_date(groups)
        full_name = self._name(sex, birth.year)
        if "citizen" in groups:
            basis = LawfulBasis.CONSENT
        elif "worker" in groups:
            basis = LawfulBasis.CONTRACT
        elif "student" in groups:
            basis = LawfulBasis.PUBLIC_TASK
        else:
            basis = LawfulBasis.LEGAL_OBLIGATION
        consent_at = (
            CONSENT_FROM + timedelta(minutes=self.rng.randrange(CONSENT_MINUTES))
            if basis == LawfulBasis.CONSENT
            else None
        )
        spec = PersonSpec(
            org_code=org_code,
            full_name=full_name,
            sex=str(sex),
            date_of_birth=birth,
            cccd=self._cccd(birth, sex),
            phone=self._phone(),
            email=self._email(org, full_name, birth, groups),
            position=nfc(position),
            groups=tuple(groups),
            lawful_basis=str(basis),
            consent_at=consent_at,
        )
        self.count += 1
        return spec


def generate_people(plans: list[OrgPlan], geo: DemoGeography, count: int) -> list[PersonSpec]:
    gen = PeopleGenerator(plans, commune_office_code(geo.commune_a), commune_office_code(geo.commune_b))
    return [gen.next() for _ in range(count)]


def _existing_hashes(hashes: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(hashes), LOOKUP_CHUNK):
        chunk = hashes[start : start + LOOKUP_CHUNK]
        found.update(Person.objects.filter(cccd_hash__in=chunk).values_list("cccd_hash", flat=True))
    return found


def people_insert(specs: list[PersonSpec], org_ids: dict[str, int]) -> int:
    """Insert the people not in the database yet (by CCCD hash), set-based; return how many were new."""
    hashes = [cccd_hash(s.cccd) for s in specs]
    have = _existing_hashes(hashes)
    todo = [s for s, h in zip(specs, hashes, strict=True) if h not in have]
    people = [
        Person(
            organisation_id=org_ids[s.org_code],
            date_of_birth=s.date_of_birth,
            sex=s.sex,
            phone=s.phone,
            email=s.email,
            position=s.position,
            lawful_basis=s.lawful_basis,
            consent_at=s.consent_at,
            **name_fields(s.full_name),
            **cccd_fields(s.cccd),
        )
        for s in todo
    ]
    Person.objects.bulk_create(people, batch_size=1000)
    groups = [
        PersonTargetGroup(person_id=person.pk, group=group)
        for person, spec in zip(people, todo, strict=True)
        for group in spec.groups
    ]
    PersonTargetGroup.objects.bulk_create(groups, batch_size=1000)
    return len(people)


# --- demo logins ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoginPlan:
    username: str
    label: str  # shown as the account's first name and in the table
    role: str | None  # granted on org_code; None for the superuser's own line
    org_code: str
    scope: str  # what the login can see, for the printed table
    superuser: bool = False
    learner: bool = False


@dataclass
class DemoLogin:
    username: str
    role: str
    label: str
    scope: str
    people_visible: int


def _login_name(commune: AdminUnit) -> str:
    prefix = "phuong" if _commune_word(commune) == "phường" else "xa"
    return f"{prefix}.{_slug(commune.name)}"


def login_plan(geo: DemoGeography) -> list[LoginPlan]:
    a, b = geo.commune_a, geo.commune_b
    office_a = f"UBND {_commune_word(a)} {a.name}"
    office_b = f"UBND {_commune_word(b)} {b.name}"
    return [
        LoginPlan(
            "admin",
            "Quản trị hệ thống",
            Role.NATIONAL_ADMIN,
            NATIONAL_ROOT,
            "Everything + Django admin (/admin/) · toàn bộ hệ thống",
            superuser=True,
        ),
        LoginPlan(
            "quocgia", "Quản trị quốc gia", Role.NATIONAL_ADMIN, NATIONAL_ROOT, "All spaces, all people · toàn quốc"
        ),
        LoginPlan(
            "tinh.vinhlong",
            "Quản trị tỉnh Vĩnh Long",
            Role.SPACE_ADMIN,
            PROVINCE_ROOT,
            "Space Tỉnh Vĩnh Long: every unit and person",
        ),
        LoginPlan(
            _login_name(a),
            f"Quản trị {office_a}",
            Role.UNIT_ADMIN,
            commune_office_code(a),
            f"{office_a} and its sub-units only",
        ),
        LoginPlan(
            _login_name(b),
            f"Quản trị {office_b}",
            Role.UNIT_ADMIN,
            commune_office_code(b),
            f"{office_b} only (isolation demo)",
        ),
        LoginPlan(
            "tacgia", "Tác giả học liệu", Role.AUTHOR, PROVINCE_ROOT, "Author: courses of Tỉnh Vĩnh Long; no people"
        ),
        LoginPlan(
            "khaothi", "Cán bộ khảo thí", Role.EXAMINER, PROVINCE_ROOT, "Examiner: exams of Tỉnh Vĩnh Long; no people"
        ),
        LoginPlan(
            "hocvien",
            "",
            Role.LEARNER,
            commune_office_code(a),
            f"Learner: own record and courses ({office_a})",
            learner=True,
        ),
        LoginPlan(
            "xem.sogddt",
            "Xem báo cáo Sở GD&ĐT",
            Role.VIEWER,
            DEPT_EDUCATION,
            "Read-only: Sở Giáo dục và Đào tạo and its schools",
        ),
    ]


def _link_person(user: User, person: Person) -> None:
    user.person = person
    user.last_name, _, user.first_name = person.full_name.rpartition(" ")


def logins_ensure(
    plans: list[LoginPlan], orgs: dict[str, Organisation], learner: Person | None, reset_passwords: bool
) -> tuple[list[User], int]:
    """Create the missing demo accounts and grants; returns the users and how many accounts were new."""
    existing = User.objects.in_bulk([p.username for p in plans], field_name="username")
    users, created = [], 0
    for plan in plans:
        user = existing.get(plan.username)
        if user is None:
            user = User(username=plan.username, first_name=plan.label)
            if plan.superuser:
                user.is_superuser = user.is_staff = True
            if plan.learner and learner is not None:
                _link_person(user, learner)
            user.set_password(DEMO_PASSWORD)
            user.save()
            created += 1
        else:
            changed = []
            if plan.learner and learner is not None and user.person_id is None:
                _link_person(user, learner)  # an earlier run had no people yet
                changed += ["person", "first_name", "last_name"]
            if reset_passwords:
                user.set_password(DEMO_PASSWORD)
                changed.append("password")
            if changed:
                user.save(update_fields=changed)
        if plan.role:
            role_grant(user=user, role=plan.role, organisation=orgs[plan.org_code])
        users.append(user)
    return users, created


# --- the whole seed -------------------------------------------------------------------------------------


@dataclass
class SeedReport:
    seconds: float = 0.0
    admin_units_loaded: bool = False
    orgs_created: int = 0
    orgs_total: int = 0
    spaces_created: int = 0
    people_created: int = 0
    people_requested: int = 0
    people_in_province: int = 0
    accounts_created: int = 0
    grants_created: int = 0
    logins: list[DemoLogin] = field(default_factory=list)


def geography(today: date | None = None) -> DemoGeography | None:
    today = today or timezone.localdate()
    province = units_valid_on(today, AdminLevel.PROVINCE).filter(code=PROVINCE_CODE).first()
    if province is None:
        return None
    communes = list(units_valid_on(today, AdminLevel.COMMUNE).filter(province_code=PROVINCE_CODE).order_by("code"))
    if len(communes) < 2:
        return None
    xa = [c for c in communes if _commune_word(c) == "xã"]
    phuong = [c for c in communes if _commune_word(c) == "phường"]
    commune_a = xa[0] if xa else communes[0]
    commune_b = phuong[0] if phuong else next(c for c in communes if c != commune_a)
    return DemoGeography(province, communes, commune_a, commune_b)


def admin_units_ensure(log: Log | None = None) -> bool:
    """Load the administrative units if the current province 86 is missing; True if they were loaded."""
    if geography() is not None:
        return False
    if log:
        log("Nạp đơn vị hành chính / loading administrative units …")
    call_command("load_admin_units", verbosity=0)
    return True


def orgs_ensure(plans: list[OrgPlan], spaces: list[SpacePlan], report: SeedReport) -> dict[str, Organisation]:
    orgs = Organisation.objects.in_bulk([p.code for p in plans], field_name="code")
    space_for = {s.root: s for s in spaces}
    for plan in plans:
        org = orgs.get(plan.code)
        if org is None:
            org = organisation_create(
                code=plan.code,
                name=plan.name,
                org_type=plan.org_type,
                parent=orgs[plan.parent] if plan.parent else None,
                admin_unit=plan.admin_unit,
            )
            orgs[plan.code] = org
            report.orgs_created += 1
        space = space_for.get(plan.code)
        if space is not None and not Space.objects.filter(root=org).exists():
            space_create(
                name=space.name,
                kind=space.kind,
                root=org,
                learner_quota=space.quota,
                admin_unit=space.admin_unit,
            )
            report.spaces_created += 1
    report.orgs_total = len(orgs)
    return orgs


def seed_demo(*, people: int = DEFAULT_PEOPLE, reset_passwords: bool = False, log: Log | None = None) -> SeedReport:
    started = time.perf_counter()
    report = SeedReport(people_requested=people)
    report.admin_units_loaded = admin_units_ensure(log)
    geo = geography()
    if geo is None:
        raise RuntimeError(f"No current province {PROVINCE_CODE} with communes after loading administrative units.")
    plans, spaces = org_plan(geo)
    with transaction.atomic():
        orgs = orgs_ensure(plans, spaces, report)
        specs = generate_people(plans, geo, people)
        report.people_created = people_insert(specs, {code: org.pk for code, org in orgs.items()})
        learner = None
        if specs:
            learner = Person.objects.filter(cccd_hash=cccd_hash(specs[0].cccd)).first()
            if learner is not None and User.objects.filter(person=learner).exclude(username="hocvien").exists():
                learner = None  # already has another account
        grants_before = RoleGrant.objects.count()
        users, report.accounts_created = logins_ensure(login_plan(geo), orgs, learner, reset_passwords)
        report.grants_created = RoleGrant.objects.count() - grants_before
    province_root = orgs[PROVINCE_ROOT]
    report.people_in_province = Person.objects.filter(organisation__path__startswith=province_root.path).count()
    for plan, user in zip(login_plan(geo), users, strict=True):
        role = "superuser" if plan.superuser else str(plan.role)
        label = plan.label or f"Học viên {user.person.full_name if user.person_id else ''}".strip()
        report.logins.append(DemoLogin(plan.username, role, label, plan.scope, person_list(actor=user).count()))
    report.seconds = round(time.perf_counter() - started, 2)
    return report


def format_report(report: SeedReport) -> str:
    lines = [
        f"Dữ liệu mẫu / demo data ({report.seconds} s):",
        f"  Đơn vị / organisations: {report.orgs_created} new, {report.orgs_total} in the demo"
        + (f"; spaces created: {report.spaces_created}" if report.spaces_created else ""),
        f"  Người / people: {report.people_created} new of {report.people_requested} requested; "
        f"{report.people_in_province} in Tỉnh Vĩnh Long",
        f"  Tài khoản / accounts: {report.accounts_created} new; quyền / grants: {report.grants_created} new",
        "",
        f"Tài khoản demo / demo logins — mật khẩu / password: {DEMO_PASSWORD}",
        "  Đăng nhập / log in at /login/ (Django admin: /admin/)",
    ]
    header = ("Role", "Vai trò", "Username", "Password", "Sees / Phạm vi", "People")
    rows = [header] + [
        (login.role, login.label, login.username, DEMO_PASSWORD, login.scope, str(login.people_visible))
        for login in report.logins
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for n, row in enumerate(rows):
        lines.append("  " + "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
        if n == 0:
            lines.append("  " + "  ".join("-" * w for w in widths))
    return "\n".join(lines)
