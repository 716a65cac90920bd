"""Pure rules about people: CCCD numbers, Vietnamese phone numbers, working age.

No database access here, so the web forms, the API and the bulk importer all share one definition.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext_lazy as _

from .choices import LawfulBasis, TargetGroup

# Birth-registration province codes used in CCCD numbers (the 63 provinces before the 2025 reform).
CCCD_PROVINCE_CODES = frozenset(
    [
        "01",
        "02",
        "04",
        "06",
        "08",
        "10",
        "11",
        "12",
        "14",
        "15",
        "17",
        "19",
        "20",
        "22",
        "24",
        "25",
        "26",
        "27",
        "30",
        "31",
        "33",
        "34",
        "35",
        "36",
        "37",
        "38",
        "40",
        "42",
        "44",
        "45",
        "46",
        "48",
        "49",
        "51",
        "52",
        "54",
        "56",
        "58",
        "60",
        "62",
        "64",
        "66",
        "67",
        "68",
        "70",
        "72",
        "74",
        "75",
        "77",
        "79",
        "80",
        "82",
        "83",
        "84",
        "86",
        "87",
        "89",
        "91",
        "92",
        "93",
        "94",
        "95",
        "96",
    ]
)

ERR_NAME_CHARS = _("A name may contain only letters, spaces, hyphens, apostrophes and dots.")
ERR_NAME_SHORT = _("A name has at least two letters.")
ERR_CCCD_FORMAT = _("A CCCD number has exactly 12 digits.")
ERR_CCCD_LENGTH = _("A CCCD number has exactly 12 digits; this one has %(count)s.")
ERR_CCCD_OLD_CMND = _(
    "9 digits are the number of an old identity card (CMND): write the person's 12-digit CCCD number."
)
ERR_CCCD_PROVINCE = _("The first three digits of a CCCD number must be a province code (001–096).")
ERR_CCCD_CENTURY = _("The 4th digit of the CCCD number does not match the sex and the century of birth.")
ERR_CCCD_YEAR = _("Digits 5–6 of the CCCD number must be the last two digits of the year of birth.")
ERR_CCCD_BIRTH_YEAR = _("Digits 4–6 of the CCCD number give %(year)s as the year of birth: %(problem)s")
ERR_PHONE = _("Not a Vietnamese mobile number (10 digits starting with 03, 05, 07, 08 or 09).")
ERR_PHONE_LANDLINE = _(
    "This is a landline number (11 digits starting with 02): give a mobile number (10 digits starting with 03, "
    "05, 07, 08 or 09)."
)
ERR_PHONE_SEVERAL = _("The cell holds several phone numbers: keep one mobile number.")
ERR_BIRTH_FUTURE = _("The date of birth is in the future.")
ERR_BIRTH_TOO_OLD = _("The date of birth is implausible (more than 120 years ago).")
ERR_BIRTH_TOO_YOUNG = _(
    "The date of birth makes this person younger than %(age)s years, too young to learn here: check the year."
)
# The youngest learners the programme reaches are primary-school pupils (its targets count schools "from
# primary to upper secondary" with digital-skills activities); primary school starts in the year a child turns 6.
MIN_AGE = 5

MALE, FEMALE = "male", "female"


class RuleError(ValueError):
    """A value breaks a rule; `message` is the translatable text shown to the user."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


_NAME_EXTRA = frozenset(" '-.’")


def check_name(name: str) -> None:
    """Letters (any script, with diacritics), spaces, hyphens, apostrophes and dots; at least two letters.
    The same rule for the form, the API and the import, so that an export re-imports unchanged."""
    if not all(ch.isalpha() or ch in _NAME_EXTRA for ch in name) or not any(ch.isalpha() for ch in name):
        raise RuleError(ERR_NAME_CHARS)
    if sum(ch.isalpha() for ch in name) < 2:  # "x", a typing slip; the shortest names have two ("Vũ")
        raise RuleError(ERR_NAME_SHORT)


def cccd_birth_year(cccd: str) -> int:
    """The year of birth a valid CCCD number gives (digit 4: the century, digits 5–6: the year)."""
    return 1900 + int(cccd[3]) // 2 * 100 + int(cccd[4:6])


def birth_year_alone(date_of_birth: date | None, cccd: str | None, year: int | None = None) -> int:
    """Person.birth_year: the year of birth known without a date (`year` given, or the CCCD's), kept only
    while there is no date of birth; 0: none."""
    if date_of_birth:
        return 0
    return year or (cccd_birth_year(cccd) if cccd else 0)


def clean_cccd(raw: str, *, birth_date: date | None = None, sex: str | None = None, today: date | None = None) -> str:
    """Return the 12-digit CCCD, or raise RuleError.

    Digits 1–3: birth-registration province; digit 4: century and sex (0/1 = male/female born 1900–1999,
    2/3 = 2000–2099, 4/5 = 2100–2199 …); digits 5–6: the last two digits of the year of birth.
    A number that lost its leading zero in a spreadsheet (11 digits, the first not 0) is padded back; 11
    digits that begin with 0 lost a digit of their own, and are refused as too short. Without a birth date,
    the year it gives must pass the checks of one (it becomes the person's year of birth: birth_year_alone)."""
    digits = re.sub(r"[\s.\-]", "", str(raw))
    if digits.isdigit() and len(digits) == 11 and digits[0] != "0":
        digits = "0" + digits
    if not digits.isdigit():
        raise RuleError(ERR_CCCD_FORMAT)
    if len(digits) == 9:  # QA round 42
        raise RuleError(ERR_CCCD_OLD_CMND)
    if len(digits) != 12:
        raise RuleError(ERR_CCCD_LENGTH % {"count": len(digits)})
    if digits[1:3] not in CCCD_PROVINCE_CODES or digits[0] != "0":
        raise RuleError(ERR_CCCD_PROVINCE)
    if birth_date is None:  # the sex (even digit: male) and a century of living people (1900–2099)
        if digits[3] > "3" or (sex is not None and int(digits[3]) % 2 != (sex == FEMALE)):
            raise RuleError(ERR_CCCD_CENTURY)
        year = cccd_birth_year(digits)
        try:  # its earliest day: only a year no day of which passes is refused
            clean_birth_date(date(year, 1, 1), today=today)
        except RuleError as exc:
            raise RuleError(ERR_CCCD_BIRTH_YEAR % {"year": year, "problem": exc.message}) from None
    else:
        century_index = birth_date.year // 100 - 19
        if not 0 <= century_index <= 4:
            raise RuleError(ERR_CCCD_CENTURY)
        expected = century_index * 2
        if sex is not None:
            expected += 1 if sex == FEMALE else 0
            if int(digits[3]) != expected:
                raise RuleError(ERR_CCCD_CENTURY)
        elif int(digits[3]) // 2 != century_index:
            raise RuleError(ERR_CCCD_CENTURY)
        if digits[4:6] != f"{birth_date.year % 100:02d}":
            raise RuleError(ERR_CCCD_YEAR)
    return digits


def mask_cccd(cccd: str) -> str:
    """'012345678945' → '0*********45'."""
    return cccd[0] + "*" * 9 + cccd[-2:]


# The 2018 switch from 11-digit to 10-digit mobile numbers (old prefix → new prefix).
OLD_MOBILE_PREFIXES = {
    "0120": "070",
    "0121": "079",
    "0122": "077",
    "0126": "076",
    "0128": "078",
    "0123": "083",
    "0124": "084",
    "0125": "085",
    "0127": "081",
    "0129": "082",
    "0162": "032",
    "0163": "033",
    "0164": "034",
    "0165": "035",
    "0166": "036",
    "0167": "037",
    "0168": "038",
    "0169": "039",
    "0186": "056",
    "0188": "058",
    "0199": "059",
}
_MOBILE = re.compile(r"0[35789]\d{8}")
_LANDLINE = re.compile(r"02\d{9}")  # area code 2xx and 8 digits, since 2017


_PHONE_LABEL = re.compile(
    r"^\s*(?:s[ốo]\s*)?(?:s?[đd]t(?:d[đd])?|d[đd]|tel|phone|mobile|zalo|di động|điện thoại)(?:\s*/\s*zalo)?\s*[:.]*\s*",
    re.IGNORECASE,
)
# A note that says the number is the person's mobile: "(Zalo)", "[cá nhân]". Another note ("(của chồng)",
# "(cũ)") leaves the cell refused: the number may not be theirs, or no longer.
_PHONE_NOTE = re.compile(r"[(\[]\s*(?:zalo|cá nhân|di động|dđ|chính)\s*[)\]]", re.IGNORECASE)


_PHONE_SEPARATOR = re.compile(r"\s*[;,/\n]\s*|\s+[-–—]\s+|\s+(?:và|hoặc|or)\s+")  # between numbers in a cell


def clean_phone(raw: str) -> str:
    """Normalise a Vietnamese mobile number to 10 digits ('+84 912.345.678' → '0912345678'); a label before
    it ("ĐT: "), a note in brackets after it ("(Zalo)") and a separator left at its end are not part of it."""
    raw = _PHONE_NOTE.sub("", _PHONE_LABEL.sub("", str(raw))).strip().rstrip(";,")
    digits = re.sub(r"[\s.\-‐‑‒–—―()/]", "", raw)  # spaces, dots, dashes of every width, brackets
    for country in ("+84", "0084", "84"):  # "0084": the international prefix dialled as 00
        if digits.startswith(country) and (country != "84" or len(digits) in (11, 12, 13)):
            rest = digits[len(country) :]
            digits = "0" + (rest[1:] if rest.startswith("0") else rest)  # "+84 (0) 912 …": the 0 once
            break
    else:
        if not digits.startswith("0") and len(digits) in (9, 10):
            digits = "0" + digits  # a leading zero lost in a spreadsheet
    if len(digits) == 11 and digits[:4] in OLD_MOBILE_PREFIXES:
        digits = OLD_MOBILE_PREFIXES[digits[:4]] + digits[4:]
    if not _MOBILE.fullmatch(digits):
        if _LANDLINE.fullmatch(digits):
            raise RuleError(ERR_PHONE_LANDLINE)
        if len(re.findall(r"\d{9,}", re.sub(r"[\s.\-‐‑‒–—―()]", "", str(raw)))) > 1 or len(digits) >= 19:
            parts = [part for part in _PHONE_SEPARATOR.split(raw) if part.strip()]
            mobiles = set()
            for part in parts if len(parts) > 1 else ():  # numbers apart (not "0913300001 0988300003")
                try:
                    mobiles.add(clean_phone(part))
                except RuleError:
                    continue
            if len(mobiles) == 1:  # a mobile beside a landline (QA round 36): the mobile
                return mobiles.pop()
            raise RuleError(ERR_PHONE_SEVERAL)
        raise RuleError(ERR_PHONE)
    return digits


def clean_birth_date(value: date, *, today: date | None = None) -> date:
    today = today or date.today()
    if value > today:
        raise RuleError(ERR_BIRTH_FUTURE)
    if value.year < today.year - 120:
        raise RuleError(ERR_BIRTH_TOO_OLD)
    if (today.year - value.year) - ((today.month, today.day) < (value.month, value.day)) < MIN_AGE:
        raise RuleError(ERR_BIRTH_TOO_YOUNG % {"age": MIN_AGE})
    return value


# Labour Code 2019, art. 169, and Decree 135/2020/NĐ-CP: the normal retirement age rises from 2021 by
# 3 months a year for men (60y3m in 2021 → 62 in 2028) and 4 months a year for women (55y4m → 60 in 2035).
WORKING_AGE_FROM = 15


def _add_months(day: date, months: int) -> date:
    year, month = divmod(day.month - 1 + months, 12)
    year += day.year
    month += 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, candidate)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _retirement_months(sex: str, year: int) -> int:
    if sex == MALE:
        return 60 * 12 + min(max(year - 2020, 0) * 3, 24)
    return 55 * 12 + min(max(year - 2020, 0) * 4, 60)


def retirement_date(birth_date: date, sex: str) -> date:
    """The day a person reaches the normal retirement age (the first year whose age is reached that year)."""
    year = birth_date.year + (55 if sex == FEMALE else 60)
    while True:
        reached = _add_months(birth_date, _retirement_months(sex, year))
        if reached.year <= year:
            return reached
        year += 1


@dataclass(frozen=True)
class WorkingAge:
    starts: date
    ends: date  # the day retirement age is reached (no longer of working age)

    def covers(self, day: date) -> bool:
        return self.starts <= day < self.ends


def working_age(birth_date: date, sex: str) -> WorkingAge:
    return WorkingAge(starts=_add_months(birth_date, WORKING_AGE_FROM * 12), ends=retirement_date(birth_date, sex))


def is_working_age(birth_date: date | None, sex: str | None, on: date | None = None) -> bool | None:
    if birth_date is None or sex not in (MALE, FEMALE):
        return None
    return working_age(birth_date, sex).covers(on or date.today())


def working_age_birth_range(on: date, sex: str) -> tuple[date, date]:
    """The birth dates (first, last) of people of working age on `on`. Retirement dates grow with birth
    dates, so the first one is found by bisection."""
    latest = date.fromordinal(_add_months(on, -WORKING_AGE_FROM * 12).toordinal())
    lo, hi = date(on.year - 70, 1, 1).toordinal(), latest.toordinal()
    while lo < hi:
        mid = (lo + hi) // 2
        if retirement_date(date.fromordinal(mid), sex) > on:
            hi = mid
        else:
            lo = mid + 1
    return date.fromordinal(lo), latest


# Law 91/2025/QH15: personal data is processed with the person's consent or on a basis in law. A list that
# an office imports records no one's consent: officials and public employees (teachers among them) are
# trained by obligation (Law on Cadres and Civil Servants; Decree 89/2021/NĐ-CP), workers under their
# employment, everyone else (citizens, pupils, community teams) as the public task of the agencies that run
# the programme (Decision 146/QĐ-TTg).
_OBLIGED = frozenset((TargetGroup.LEADER, TargetGroup.OFFICIAL, TargetGroup.DX_SPECIALIST, TargetGroup.TEACHER))


def lawful_basis_of(groups) -> str:
    """The lawful basis of a person an office adds without their consent, from their target groups."""
    if groups and not _OBLIGED.isdisjoint(groups):
        return LawfulBasis.LEGAL_OBLIGATION
    if groups and TargetGroup.WORKER in groups:
        return LawfulBasis.CONTRACT
    return LawfulBasis.PUBLIC_TASK
