"""Property: arbitrary malformed rows never crash the importer, never write an invalid person, and the counts
always add up."""

from datetime import date, datetime
from itertools import count

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kynangso.core import crypto
from kynangso.core.text import fold, name_sort_key
from kynangso.people import rules
from kynangso.people import services as people_services
from kynangso.people.choices import TargetGroup
from kynangso.people.imports.choices import ImportMode, ImportStatus
from kynangso.people.imports.testing import make_cccd, run_import, write_xlsx
from kynangso.people.models import Person, PersonTargetGroup

pytestmark = pytest.mark.django_db
FILES = count()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


printable = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=30)
junk = st.one_of(
    st.none(),
    printable,
    st.integers(-(10**15), 10**15),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.dates(date(1800, 1, 1), date(2200, 1, 1)),
    st.datetimes(datetime(1800, 1, 1), datetime(2200, 1, 1)),
)
births = st.dates(date(1930, 1, 1), date(2010, 12, 31))


@st.composite
def plausible_row(draw):
    """A row that is often valid, with a fair chance of any cell being replaced by junk."""
    birth = draw(births)
    sex = draw(st.sampled_from(["male", "female"]))
    row = [
        draw(st.sampled_from(["Nguyễn Văn An", "Trần Thị Bình", "Lê  Hoàng Nam ", "Phạm Thị Ánh", "Ô"])),
        draw(st.sampled_from([birth, birth.strftime("%d/%m/%Y"), birth.isoformat()])),
        "Nam" if sex == "male" else "Nữ",
        draw(st.sampled_from([make_cccd(birth, sex, draw(st.integers(0, 50))), ""])),
        draw(st.sampled_from(["0912345678", "+84 912 345 679", "01689123456", "", "912345670"])),
        draw(st.sampled_from(["", "a@example.vn", "B@Example.VN"])),
        draw(st.sampled_from(["", "X-A", "x-a"])),
        draw(st.sampled_from(["", "Chuyên viên"])),
        draw(st.sampled_from(["", "Người dân", "Cán bộ, công chức, viên chức; Lãnh đạo"])),
    ]
    for index in draw(st.sets(st.integers(0, 8), max_size=3)):
        row[index] = draw(junk)
    return row


def assert_valid(person: Person) -> None:
    person.full_clean(exclude=["cccd_encrypted", "created_by"])
    assert person.full_name and person.full_name == person.full_name.strip()
    assert person.search_text == fold(person.full_name)[:255] and person.sort_key == name_sort_key(person.full_name)
    if person.phone:
        assert rules.clean_phone(person.phone) == person.phone
    if person.date_of_birth:
        rules.clean_birth_date(person.date_of_birth)
    if person.cccd_encrypted:
        cccd = crypto.decrypt(person.cccd_encrypted)
        assert person.cccd_hash == people_services.cccd_hash(cccd)
        rules.clean_cccd(cccd, birth_date=person.date_of_birth, sex=person.sex or None)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(
    rows=st.lists(st.one_of(plausible_row(), st.lists(junk, min_size=9, max_size=9)), max_size=8),
    all_or_nothing=st.booleans(),
    accounts=st.booleans(),
)
def test_malformed_rows_never_crash_never_write_an_invalid_person_and_counts_add_up(
    cast, tmp_path, rows, all_or_nothing, accounts
):
    path = write_xlsx(tmp_path / f"p{next(FILES)}.xlsx", rows)
    imp = run_import(
        actor=cast.owner,
        organisation=cast.unit_a,
        path=path,
        create_accounts=accounts,
        mode=ImportMode.ALL_OR_NOTHING if all_or_nothing else ImportMode.COMMIT_VALID,
    )
    refused = all_or_nothing and imp.rejected_count > 0
    accepted = imp.rows_read - imp.rejected_count
    expected = ImportStatus.REFUSED if refused else ImportStatus.DONE if accepted else ImportStatus.FAILED
    assert imp.status == expected, imp.message  # failed: no data rows at all (only blank ones), or all rejected
    assert imp.rows_read == imp.created_count + imp.updated_count + imp.unchanged_count + imp.rejected_count
    assert imp.rows_read <= len(rows)
    assert imp.rows_valid == imp.rows_read - imp.rejected_count
    if all_or_nothing and imp.rejected_count:
        assert imp.rows_written == 0
    for person in Person.objects.filter(organisation__path__startswith=cast.unit_a.path).select_related("organisation"):
        assert_valid(person)
    assert not PersonTargetGroup.objects.exclude(group__in=TargetGroup.values).exists()
