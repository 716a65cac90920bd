"""Vietnamese administrative units across the 2025 reform: the loader and the read selectors.

Versions loaded (files and licences in `data/admin_units/SOURCES.md`):

- **pre-reform** (thanglequoc v2.4.1): 63 provinces, 696 districts, 10,035 communes, valid from
  PRE_FROM = 2025-03-01 (the date the data describes; older history is not loaded, so a date before it
  finds nothing) to PRE_TO = 2025-06-30.
- **reform** (thanglequoc v3.0.2): 34 provinces, 3,321 communes, no districts, valid from 2025-07-01.
- **2026 renames** (thanglequoc master, effective 2026-04-30, 30/2026/QH16 and 237/NQ-UBTVQH16): a unit
  whose Vietnamese name, full name or type changed (202 wards, provinces 38, 56 and 75) gets its 2025
  row closed on 2026-04-29 and a new row from 2026-04-30, its successor. English-name-only changes are
  applied in place to the open row, they are not a legal change.

Successions (`AdminUnitSuccession`), from the dvhcvn/20250701 mapping:

- pre-reform province -> the new province (splits.json, province level);
- pre-reform district -> the new province of its province (districts were abolished);
- pre-reform commune -> the new commune(s) (splits.json); `partial` when the old commune went to several
  new ones or merges.json calls the pair partial;
- reform 2025 row -> its 2026 row when renamed.

The mapping and thanglequoc do not agree everywhere; the loader reports, never crashes on, the
differences (`LoadReport`): 12 old communes only in the mapping; two new codes the mapping spells
differently (resolved by the commune's full name inside the new province); the five island special
zones whose predecessor in merges.json is a district, not a commune (the district still links to its
province, like every district).

A row's `parent`: district -> province, pre-reform commune -> district, reform commune -> the province
row valid on the commune's last day (the open one for an open commune).

Reading figures across the reform: `rollup_map` maps each unit to the unit(s) valid today. A unit that
was split maps to **every** current unit that received part of it, the *primary* one first (the
successor that kept the old code, else the lowest code). To show figures under each new unit use the
whole list; to add figures up without counting them twice use only the first id.
"""

from __future__ import annotations

import gzip
import json
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from .choices import AdminLevel
from .models import AdminUnit, AdminUnitSuccession

DATA_DIR = Path(__file__).resolve().parent / "data" / "admin_units"
PRE_FILE = "thanglequoc_v2.4.1_simplified_json_generated_data_vn_units.json.gz"
REFORM_FILE = "thanglequoc_v3.0.2_full_json_generated_data_vn_units.json.gz"
RENAMED_FILE = "thanglequoc_master_full_json_generated_data_vn_units_2026-07-25__20_49_07.json.gz"
SPLITS_FILE = "dvhcvn_20250701_splits.json.gz"
MERGES_FILE = "dvhcvn_20250701_merges.json.gz"

PRE_FROM = date(2025, 3, 1)
PRE_TO = date(2025, 6, 30)
REFORM_FROM = date(2025, 7, 1)
RENAMED_FROM = date(2026, 4, 30)
REFORM_TO = RENAMED_FROM - timedelta(days=1)

BATCH_SIZE = 500
MAX_GENERATIONS = 10  # successions are at most 3 deep today; a guard against bad data, not a limit

PROVINCE, DISTRICT, COMMUNE = AdminLevel.PROVINCE.value, AdminLevel.DISTRICT.value, AdminLevel.COMMUNE.value
UNIT_FIELDS = ["name", "full_name", "name_en", "unit_type", "province_code", "valid_to", "parent_id"]

Key = tuple[str, str, date]  # (level, code, valid_from): the natural key of an AdminUnit row


@dataclass
class LoadReport:
    """What `load_admin_units` found and did. Lists hold codes; pairs are (old code, new code)."""

    units: dict[tuple[str, str], int] = field(default_factory=dict)  # (version, level) -> rows in the data
    created: int = 0
    updated: int = 0
    successions: int = 0
    successions_created: int = 0
    successions_updated: int = 0
    successions_deleted: int = 0
    mapping_only: list[str] = field(default_factory=list)  # old communes in splits.json, not in v2.4.1
    source_only: list[str] = field(default_factory=list)  # v2.4.1 communes absent from splits.json
    resolved_by_name: list[tuple[str, str]] = field(default_factory=list)  # (mapping code, reform code)
    unknown_successors: list[tuple[str, str]] = field(default_factory=list)  # not found in the reform set
    without_predecessor: list[str] = field(default_factory=list)  # reform communes no old commune maps to
    cross_province: list[tuple[str, str]] = field(default_factory=list)  # new commune in another province
    seconds: float = 0.0


# ------------------------------------------------------------------------------------------- the data files


def _read(name: str):
    with gzip.open(DATA_DIR / name, "rt", encoding="utf-8") as f:
        return json.load(f)


def _unit_type(unit: dict) -> str:
    """The type word: "Thành phố" for FullName "Thành phố Hà Nội" and Name "Hà Nội" (reform files name it)."""
    if "AdministrativeUnitShortName" in unit:
        return unit["AdministrativeUnitShortName"]
    full, name = unit["FullName"], unit["Name"]
    return full[: -len(name)].strip() if full.endswith(name) else ""


def _fields(unit: dict, province_code: str, valid_to: date | None, parent: Key | None) -> dict:
    return {
        "name": unit["Name"],
        "full_name": unit["FullName"],
        "name_en": unit["FullNameEn"] or "",
        "unit_type": _unit_type(unit),
        "province_code": province_code,
        "valid_to": valid_to,
        "parent": parent,
    }


class _Plan:
    """The rows and successions the data files describe, keyed by natural keys (no database ids)."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[Key, dict]] = {PROVINCE: {}, DISTRICT: {}, COMMUNE: {}}
        self.counts: dict[tuple[str, str], int] = defaultdict(int)
        self.successions: dict[tuple[Key, Key], bool] = {}  # (predecessor, successor) -> partial

    def add(self, version: str, level: str, code: str, valid_from: date, values: dict) -> Key:
        key = (level, code, valid_from)
        self.rows[level][key] = values
        self.counts[(version, level)] += 1
        return key

    def link(self, predecessor: Key, successor: Key, partial: bool = False) -> None:
        pair = (predecessor, successor)
        self.successions[pair] = self.successions.get(pair, False) or partial


def _plan_pre(plan: _Plan) -> dict[str, str]:
    """Add the pre-reform rows; return {commune code: province code}."""
    commune_province = {}
    for p in _read(PRE_FILE):
        pkey = plan.add("pre-2025", PROVINCE, p["Code"], PRE_FROM, _fields(p, p["Code"], PRE_TO, None))
        for d in p["District"]:
            dkey = plan.add("pre-2025", DISTRICT, d["Code"], PRE_FROM, _fields(d, p["Code"], PRE_TO, pkey))
            for w in d["Ward"] or []:
                plan.add("pre-2025", COMMUNE, w["Code"], PRE_FROM, _fields(w, p["Code"], PRE_TO, dkey))
                commune_province[w["Code"]] = p["Code"]
    return commune_province


def _same(a: dict, b: dict) -> bool:
    return (a["Name"], a["FullName"], _unit_type(a)) == (b["Name"], b["FullName"], _unit_type(b))


def _plan_reform(plan: _Plan) -> tuple[dict[tuple[str, str], Key], dict[str, dict]]:
    """Add the 2025 rows and the 2026 renames. Return the 2025 key of each (level, code) and the 2025
    communes by code (for the mapping checks)."""
    first: dict[tuple[str, str], Key] = {}
    province_rows: dict[str, list[tuple[date | None, Key]]] = defaultdict(list)  # code -> (valid_to, key)

    def versions(level, code, province_code, a, b, parent_on):
        """Add the row(s) of one unit: a from 2025 (or None), b from 2026 (or None)."""
        if a and b and _same(a, b):
            key = plan.add("2025", level, code, REFORM_FROM, _fields(b, province_code, None, parent_on(None)))
            first[(level, code)] = key
            return [(None, key)]
        out = []
        if a:
            key = plan.add("2025", level, code, REFORM_FROM, _fields(a, province_code, REFORM_TO, parent_on(REFORM_TO)))
            first[(level, code)] = key
            out.append((REFORM_TO, key))
        if b:
            new = plan.add("2026", level, code, RENAMED_FROM, _fields(b, province_code, None, parent_on(None)))
            first.setdefault((level, code), new)
            out.append((None, new))
            if a:
                plan.link(key, new)
        return out

    def province_on(code: str, day: date | None) -> Key | None:
        for valid_to, key in province_rows[code]:  # oldest first
            if valid_to is None or (day is not None and valid_to >= day):
                return key
        return None

    old = {p["Code"]: p for p in _read(REFORM_FILE)}
    new = {p["Code"]: p for p in _read(RENAMED_FILE)}
    for code in sorted(old.keys() | new.keys()):
        province_rows[code] = versions(PROVINCE, code, code, old.get(code), new.get(code), lambda day: None)

    def wards(provinces):
        return {w["Code"]: w for p in provinces.values() for w in p["Wards"]}

    old_w, new_w = wards(old), wards(new)
    for code in sorted(old_w.keys() | new_w.keys()):
        a, b = old_w.get(code), new_w.get(code)
        pcode = (b or a)["ProvinceCode"]
        versions(COMMUNE, code, pcode, a, b, lambda day, pcode=pcode: province_on(pcode, day))
    return first, old_w


def _plan_successions(plan: _Plan, report: LoadReport, commune_province: dict[str, str], first, reform_w):
    """Link pre-reform units to their reform successors from the dvhcvn mapping, recording anomalies."""
    splits, merges = _read(SPLITS_FILE)["data"], _read(MERGES_FILE)["data"]
    partial_pairs = set()  # (old code, new code) that merges.json calls partial
    for p in merges:
        for unit, new_code in [(p, p["level1_id"]), *((c, c["level2_id"]) for c in p["level2s"])]:
            partial_pairs.update((m["old_id"], new_code) for m in unit["merges"] if m["type"] == "partial")
    by_name = {(w["ProvinceCode"], w["FullName"]): code for code, w in reform_w.items()}
    new_provinces: dict[str, list[str]] = {}
    mapped_old, mapped_new = set(), set()

    for p in splits:
        old_code, targets = p["level1_id"], [s["new_id"] for s in p["splits"]]
        new_provinces[old_code] = targets
        old_key = (PROVINCE, old_code, PRE_FROM)
        for new_code in targets:
            partial = len(targets) > 1 or (old_code, new_code) in partial_pairs
            if old_key in plan.rows[PROVINCE] and (PROVINCE, new_code) in first:
                plan.link(old_key, first[(PROVINCE, new_code)], partial)
            else:
                report.unknown_successors.append((old_code, new_code))

    for key, values in plan.rows[DISTRICT].items():
        targets = new_provinces.get(values["province_code"], [])
        for new_code in targets:
            if (PROVINCE, new_code) in first:
                plan.link(key, first[(PROVINCE, new_code)], len(targets) > 1)

    def resolve(new_code: str, name: str, new_province_codes: list[str]) -> str | None:
        """The reform code for a mapping code, by full name in the new province if the codes differ."""
        if new_code in reform_w:
            return new_code
        found = {by_name[(pc, name)] for pc in new_province_codes if (pc, name) in by_name}
        if len(found) != 1:
            return None
        (code,) = found
        if (new_code, code) not in report.resolved_by_name:
            report.resolved_by_name.append((new_code, code))
        return code

    for p in splits:
        for c in p["level3s"]:
            old_code, targets = c["level3_id"], c["splits"]
            mapped_old.add(old_code)
            old_key = (COMMUNE, old_code, PRE_FROM)
            if old_key not in plan.rows[COMMUNE]:
                report.mapping_only.append(old_code)
                continue
            old_province_successors = new_provinces.get(commune_province[old_code], [])
            for s in targets:
                new_code = resolve(s["new_id"], s["name"], old_province_successors)
                if new_code is None:
                    report.unknown_successors.append((old_code, s["new_id"]))
                    continue
                partial = len(targets) > 1 or (old_code, s["new_id"]) in partial_pairs
                plan.link(old_key, first[(COMMUNE, new_code)], partial)
                mapped_new.add(new_code)
                if reform_w[new_code]["ProvinceCode"] not in old_province_successors:
                    report.cross_province.append((old_code, new_code))

    report.source_only = sorted(set(commune_province) - mapped_old)
    report.mapping_only.sort()
    report.without_predecessor = sorted(set(reform_w) - mapped_new)


# ---------------------------------------------------------------------------------------------- writing


def _write_level(level: str, rows: dict[Key, dict], ids: dict[Key, int], report: LoadReport) -> None:
    """Create and update one level's rows in batches; fill `ids` with the id of every planned row."""
    existing = {(u.level, u.code, u.valid_from): u for u in AdminUnit.objects.filter(level=level)}
    to_create, to_update, changed_fields = [], [], set()
    for key, values in rows.items():
        values = {**values, "parent_id": ids[values["parent"]] if values["parent"] else None}
        del values["parent"]
        unit = existing.get(key)
        if unit is None:
            to_create.append(AdminUnit(level=key[0], code=key[1], valid_from=key[2], **values))
            continue
        changed = [name for name in UNIT_FIELDS if getattr(unit, name) != values[name]]
        for name in changed:
            setattr(unit, name, values[name])
        if changed:
            to_update.append(unit)
            changed_fields.update(changed)
    AdminUnit.objects.bulk_create(to_create, batch_size=BATCH_SIZE)
    if to_update:  # only the fields that changed somewhere: bulk_update's cost grows with rows x fields
        fields = [name for name in UNIT_FIELDS if name in changed_fields]
        AdminUnit.objects.bulk_update(to_update, fields, batch_size=BATCH_SIZE)
    report.created += len(to_create)
    report.updated += len(to_update)
    if any(u.pk is None for u in to_create):  # a database that cannot return ids from a bulk insert
        existing = {(u.level, u.code, u.valid_from): u for u in AdminUnit.objects.filter(level=level)}
    else:
        existing.update({(u.level, u.code, u.valid_from): u for u in to_create})
    ids.update({key: existing[key].pk for key in rows})


def _write_successions(wanted: dict[tuple[int, int], bool], managed: set[int], report: LoadReport) -> None:
    existing = {(s.predecessor_id, s.successor_id): s for s in AdminUnitSuccession.objects.all()}
    to_create = [
        AdminUnitSuccession(predecessor_id=p, successor_id=s, partial=partial)
        for (p, s), partial in wanted.items()
        if (p, s) not in existing
    ]
    to_update = []
    for pair, row in existing.items():
        if pair in wanted and row.partial != wanted[pair]:
            row.partial = wanted[pair]
            to_update.append(row)
    stale = [row.pk for pair, row in existing.items() if pair not in wanted and set(pair) <= managed]
    AdminUnitSuccession.objects.bulk_create(to_create, batch_size=BATCH_SIZE)
    AdminUnitSuccession.objects.bulk_update(to_update, ["partial"], batch_size=BATCH_SIZE)
    for start in range(0, len(stale), BATCH_SIZE):
        AdminUnitSuccession.objects.filter(pk__in=stale[start : start + BATCH_SIZE]).delete()
    report.successions_created, report.successions_updated = len(to_create), len(to_update)
    report.successions_deleted = len(stale)


def load_admin_units() -> LoadReport:
    """Load (or bring up to date) every unit and succession from the files in DATA_DIR.

    Idempotent: rows are matched on (level, code, valid_from), changed fields updated, nothing
    duplicated; a second run creates and updates nothing. Rows outside the data set are left alone."""
    started = time.perf_counter()
    report = LoadReport()
    plan = _Plan()
    commune_province = _plan_pre(plan)
    first, reform_w = _plan_reform(plan)
    _plan_successions(plan, report, commune_province, first, reform_w)
    report.units = dict(plan.counts)
    report.successions = len(plan.successions)

    ids: dict[Key, int] = {}
    with transaction.atomic():
        for level in (PROVINCE, DISTRICT, COMMUNE):
            _write_level(level, plan.rows[level], ids, report)
        wanted = {(ids[p], ids[s]): partial for (p, s), partial in plan.successions.items()}
        _write_successions(wanted, set(ids.values()), report)
    report.seconds = round(time.perf_counter() - started, 2)
    return report


# ---------------------------------------------------------------------------------------------- selectors


def _valid_on(on: date, prefix: str = "") -> Q:
    return Q(**{f"{prefix}valid_from__lte": on}) & (
        Q(**{f"{prefix}valid_to__isnull": True}) | Q(**{f"{prefix}valid_to__gte": on})
    )


def units_valid_on(on: date, level: str | None = None) -> QuerySet[AdminUnit]:
    """The units valid on a date, optionally of one level (ordered by code; paginate before showing)."""
    qs = AdminUnit.objects.filter(_valid_on(on))
    return qs.filter(level=level) if level else qs


def unit_on(code: str, level: str, on: date) -> AdminUnit | None:
    """Which unit this code meant on that date (codes were reused by the reform)."""
    return units_valid_on(on, level).filter(code=code).first()


def rollup_map(unit_ids: Iterable[int], today: date | None = None) -> dict[int, list[int]]:
    """Map each unit id to the ids of the units valid `today` that it became, the primary one first.

    A unit valid today maps to itself; an unknown id, or a chain that ends without reaching today
    (a unit with no successor, a successor not yet valid), maps to []. A split unit maps to each
    current unit that received part of it (see the module docstring for how to add figures up).
    Queries: one, plus one per generation of successors followed (not one per unit)."""
    today = today or timezone.localdate()
    ids = list(dict.fromkeys(unit_ids))
    result: dict[int, list[int]] = {i: [] for i in ids}
    if not ids:
        return result
    frontier: dict[int, list[int]] = {}  # origin -> the closed units to follow next
    for pk, valid_from, valid_to in AdminUnit.objects.filter(pk__in=ids).values_list("pk", "valid_from", "valid_to"):
        if valid_from <= today and (valid_to is None or valid_to >= today):
            result[pk] = [pk]
        elif valid_to is not None and valid_to < today:
            frontier[pk] = [pk]
    seen = {i: {i} for i in frontier}
    for _generation in range(MAX_GENERATIONS):
        nodes = {n for nodes in frontier.values() for n in nodes}
        if not nodes:
            break
        children: dict[int, list[tuple]] = defaultdict(list)
        rows = AdminUnitSuccession.objects.filter(predecessor_id__in=nodes).values_list(
            "predecessor_id",
            "predecessor__code",
            "successor_id",
            "successor__code",
            "partial",
            "successor__valid_from",
            "successor__valid_to",
        )
        for pred, pred_code, succ, succ_code, partial, valid_from, valid_to in rows:
            children[pred].append(((partial, succ_code != pred_code, succ_code), succ, valid_from, valid_to))
        for origin, nodes_of_origin in frontier.items():
            following = []
            for node in nodes_of_origin:
                for _order, succ, valid_from, valid_to in sorted(children[node]):
                    if succ in seen[origin]:
                        continue
                    seen[origin].add(succ)
                    if valid_from <= today and (valid_to is None or valid_to >= today):
                        result[origin].append(succ)
                    elif valid_to is not None and valid_to < today:
                        following.append(succ)
            frontier[origin] = following
    return result


def current_units(unit: AdminUnit, today: date | None = None) -> list[AdminUnit]:
    """Which unit(s) this one is today: itself if still valid, else its successors valid today."""
    today = today or timezone.localdate()
    if unit.valid_from <= today and (unit.valid_to is None or unit.valid_to >= today):
        return [unit]
    ids = rollup_map([unit.pk], today)[unit.pk]
    by_id = AdminUnit.objects.in_bulk(ids)
    return [by_id[i] for i in ids]
