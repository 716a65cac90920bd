"""The administrative units loaded by the root conftest (`load_admin_units`, once per session)."""

from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.db.models import Count

from kynangso.orgs.admin_units import (
    PRE_FROM,
    current_units,
    load_admin_units,
    rollup_map,
    unit_on,
    units_valid_on,
)
from kynangso.orgs.choices import AdminLevel
from kynangso.orgs.management.commands.load_admin_units import Command
from kynangso.orgs.models import AdminUnit, AdminUnitSuccession

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 25)
BEFORE_REFORM = date(2025, 6, 1)
PROVINCE, DISTRICT, COMMUNE = AdminLevel.PROVINCE, AdminLevel.DISTRICT, AdminLevel.COMMUNE

MAPPING_ONLY = ["07693", "07732", "07744", "16387", "16411", "18448"]
MAPPING_ONLY += ["20176", "20674", "25102", "25174", "25177", "25186"]


def old(code: str, level: str = COMMUNE) -> AdminUnit:
    return unit_on(code, level, BEFORE_REFORM)


def now_codes(unit: AdminUnit) -> list[str]:
    return [u.code for u in current_units(unit, TODAY)]


def test_34_provinces_and_3321_communes_are_valid_today():
    assert units_valid_on(TODAY, PROVINCE).count() == 34
    assert units_valid_on(TODAY, COMMUNE).count() == 3321
    assert not units_valid_on(TODAY, DISTRICT).exists()
    assert units_valid_on(date.today()).count() == 34 + 3321


def test_63_provinces_696_districts_and_10035_communes_were_valid_before_the_reform():
    assert units_valid_on(BEFORE_REFORM, PROVINCE).count() == 63
    assert units_valid_on(BEFORE_REFORM, DISTRICT).count() == 696
    assert units_valid_on(BEFORE_REFORM, COMMUNE).count() == 10035


def test_loading_again_changes_nothing():
    before = AdminUnit.objects.count(), AdminUnitSuccession.objects.count()

    report = load_admin_units()

    assert (report.created, report.updated) == (0, 0)
    assert (report.successions_created, report.successions_updated, report.successions_deleted) == (0, 0, 0)
    assert (AdminUnit.objects.count(), AdminUnitSuccession.objects.count()) == before
    duplicates = AdminUnit.objects.values("level", "code", "valid_from").annotate(n=Count("id")).filter(n__gt=1)
    assert not duplicates.exists()
    assert report.units[("pre-2025", COMMUNE)] == 10035
    assert report.units[("2025", COMMUNE)] == 3321
    assert report.units[("2026", COMMUNE)] == 202


def test_loading_again_repairs_an_edited_row():
    AdminUnit.objects.filter(code="00004", valid_from=PRE_FROM).update(name="sửa tay")

    report = load_admin_units()

    assert report.updated == 1
    assert old("00004").name == "Trúc Bạch"


def test_the_command_prints_the_anomalies(capsys):
    call_command("load_admin_units")

    out = capsys.readouterr().out
    assert "Safe to run again" in Command().create_parser("manage.py", "load_admin_units").format_help()
    assert "07693" in out and "25186" in out
    assert "06970 → 06978" in out


def test_the_report_lists_mapping_codes_absent_from_the_pre_reform_list():
    report = load_admin_units()

    assert report.mapping_only == MAPPING_ONLY
    assert report.source_only == []
    assert report.resolved_by_name == [("06970", "06978"), ("23737", "23938")]
    assert report.unknown_successors == []
    assert report.without_predecessor == ["11948", "19742", "20333", "21548", "26732"]  # island special zones
    assert report.cross_province == [("30622", "30259")]
    assert not AdminUnit.objects.filter(code__in=MAPPING_ONLY, level=COMMUNE, valid_from=PRE_FROM).exists()


def test_a_reused_code_means_a_different_unit_before_and_after_the_reform():
    assert unit_on("00004", COMMUNE, BEFORE_REFORM).full_name == "Phường Trúc Bạch"
    assert unit_on("00004", COMMUNE, date(2025, 7, 1)).full_name == "Phường Ba Đình"
    assert unit_on("00004", COMMUNE, PRE_FROM - timedelta(days=1)) is None  # older history is not loaded


def test_a_ben_tre_commune_is_now_a_vinh_long_commune():
    phuong_8 = old("28759")

    [now] = current_units(phuong_8, TODAY)

    assert (now.code, now.full_name, now.province_code) == ("28756", "Phường Phú Khương", "86")
    assert now.parent.code == "86"


@pytest.mark.parametrize(
    ("old_code", "new_code", "new_name"),
    [
        ("83", "86", "Tỉnh Vĩnh Long"),  # Bến Tre
        ("84", "86", "Tỉnh Vĩnh Long"),  # Trà Vinh
        ("93", "92", "Thành phố Cần Thơ"),  # Hậu Giang
        ("74", "79", "Thành phố Hồ Chí Minh"),  # Bình Dương
        ("75", "75", "Thành phố Đồng Nai"),  # a province in 2025, a city from 30 April 2026
    ],
)
def test_an_old_province_is_now_its_new_province(old_code, new_code, new_name):
    [now] = current_units(old(old_code, PROVINCE), TODAY)

    assert (now.code, now.full_name) == (new_code, new_name)


def test_a_district_now_belongs_to_the_new_province_of_its_province():
    assert now_codes(old("829", DISTRICT)) == ["86"]  # Thành phố Bến Tre


def test_a_ward_renamed_in_2026_has_two_rows_linked_as_successors():
    in_2025 = unit_on("25357", COMMUNE, date(2026, 4, 29))
    in_2026 = unit_on("25357", COMMUNE, date(2026, 4, 30))

    assert (in_2025.full_name, in_2025.valid_to) == ("Xã Tân Khai", date(2026, 4, 29))
    assert (in_2026.full_name, in_2026.unit_type, in_2026.valid_to) == ("Phường Tân Khai", "Phường", None)
    assert current_units(in_2025, TODAY) == [in_2026]
    assert current_units(old("25360"), TODAY) == [in_2026]  # Xã Đồng Nơ, via Xã Tân Khai
    assert current_units(old("25360"), date(2025, 12, 1)) == [in_2025]


def test_a_unit_valid_today_is_its_own_current_unit(django_assert_num_queries):
    ba_dinh = unit_on("00004", COMMUNE, TODAY)

    with django_assert_num_queries(0):
        assert current_units(ba_dinh, TODAY) == [ba_dinh]


def test_a_split_commune_rolls_up_into_each_successor_primary_first():
    cong_vi, hai_lang = old("00007"), old("06886")

    rolled = rollup_map([cong_vi.pk, hai_lang.pk], TODAY)

    assert [u.full_name for u in current_units(cong_vi, TODAY)] == ["Phường Ngọc Hà", "Phường Giảng Võ"]
    assert len(rolled[cong_vi.pk]) == 2
    assert now_codes(hai_lang)[0] == "06886"  # the successor that kept the old code comes first
    assert sorted(now_codes(hai_lang)) == ["06799", "06886", "06978"]  # 06978: the mapping says 06970
    assert set(AdminUnitSuccession.objects.filter(predecessor=cong_vi).values_list("partial", flat=True)) == {True}


def test_rollup_map_needs_one_query_per_generation_not_per_unit(django_assert_max_num_queries):
    pre_communes = list(units_valid_on(BEFORE_REFORM, COMMUNE).values_list("pk", flat=True))
    current = set(units_valid_on(TODAY, COMMUNE).values_list("pk", flat=True))

    with django_assert_max_num_queries(3):  # the units, then 2025 successors, then 2026 renames
        rolled = rollup_map(pre_communes, TODAY)

    assert len(rolled) == 10035
    assert all(ids and set(ids) <= current for ids in rolled.values())


def test_rollup_map_keeps_current_units_and_unknown_ids(django_assert_num_queries):
    ba_dinh = unit_on("00004", COMMUNE, TODAY)

    with django_assert_num_queries(1):
        assert rollup_map([ba_dinh.pk, -1], TODAY) == {ba_dinh.pk: [ba_dinh.pk], -1: []}
