"""The demo seed: idempotent, realistic, and it respects the access rules it is meant to demonstrate."""

from io import StringIO

import pytest
from django.core.management import call_command

from kynangso.core import crypto
from kynangso.core.text import fold
from kynangso.orgs.choices import OrgType, Role, SpaceKind
from kynangso.orgs.models import AdminUnit, Organisation, RoleGrant, Space
from kynangso.people import rules
from kynangso.people.models import Person, PersonTargetGroup, User
from kynangso.people.selectors import PersonFilters, person_list
from kynangso.web import demo

pytestmark = pytest.mark.django_db

PEOPLE = 300


def _counts() -> dict[str, int]:
    return {
        "orgs": Organisation.objects.count(),
        "spaces": Space.objects.count(),
        "people": Person.objects.count(),
        "groups": PersonTargetGroup.objects.count(),
        "users": User.objects.count(),
        "grants": RoleGrant.objects.count(),
    }


@pytest.fixture
def seeded():
    out = StringIO()
    call_command("seed_demo", "--people", str(PEOPLE), stdout=out)
    return out.getvalue()


def _demo_people():
    return list(Person.objects.prefetch_related("target_groups"))


def test_second_run_changes_nothing(seeded):
    first = _counts()
    assert first["people"] == PEOPLE
    passwords = dict(User.objects.values_list("username", "password"))
    call_command("seed_demo", "--people", str(PEOPLE), "--quiet", stdout=StringIO())
    assert _counts() == first
    assert dict(User.objects.values_list("username", "password")) == passwords


def test_more_people_adds_only_the_missing_ones(seeded):
    before = set(Person.objects.values_list("cccd_hash", flat=True))
    call_command("seed_demo", "--people", str(PEOPLE + 50), "--quiet", stdout=StringIO())
    after = set(Person.objects.values_list("cccd_hash", flat=True))
    assert before < after and len(after) == PEOPLE + 50


def test_output_lists_every_login_and_the_password(seeded):
    assert demo.DEMO_PASSWORD in seeded
    for username in ("admin", "quocgia", "tinh.vinhlong", "tacgia", "khaothi", "hocvien", "xem.sogddt"):
        assert username in seeded


def test_learner_is_linked_once_people_exist():
    call_command("seed_demo", "--people", "0", "--quiet")
    assert User.objects.get(username="hocvien").person is None
    call_command("seed_demo", "--people", "20", "--quiet")
    assert User.objects.get(username="hocvien").person is not None


def test_spaces_and_organisations():
    call_command("seed_demo", "--people", "0", "--quiet")
    national = Space.objects.get(root__code=demo.NATIONAL_ROOT)
    assert national.kind == SpaceKind.NATIONAL and national.root.org_type == OrgType.MINISTRY
    assert Organisation.objects.get(code="BKHCN-CDSQG").parent == national.root

    province = Space.objects.get(root__code=demo.PROVINCE_ROOT)
    assert province.kind == SpaceKind.PROVINCE and province.learner_quota == 40_000
    assert province.admin_unit.code == "86" and province.admin_unit.valid_to is None
    assert province.root.name == "Ủy ban nhân dân tỉnh Vĩnh Long"
    assert province.root.org_type == OrgType.PEOPLES_COMMITTEE

    communes = AdminUnit.objects.filter(level="commune", province_code="86", valid_to__isnull=True)
    assert communes.count() > 100
    offices = Organisation.objects.filter(org_type=OrgType.COMMUNE_OFFICE, space=province)
    assert set(offices.values_list("admin_unit_id", flat=True)) == set(communes.values_list("pk", flat=True))
    assert all(o.code == f"VL-{o.admin_unit.code}" and o.parent_id == province.root.pk for o in offices)
    assert all(o.name.startswith(("UBND xã ", "UBND phường ", "UBND đặc khu ")) for o in offices)

    departments = set(
        Organisation.objects.filter(org_type=OrgType.DEPARTMENT, parent=province.root).values_list("name", flat=True)
    )
    assert {"Sở Khoa học và Công nghệ", "Sở Nông nghiệp và Môi trường", "Văn phòng UBND tỉnh"} <= departments
    assert len(departments) == 11
    for org_type in (OrgType.SCHOOL, OrgType.HOSPITAL, OrgType.STATE_ENTERPRISE, OrgType.PRIVATE_ENTERPRISE):
        assert Organisation.objects.filter(org_type=org_type, space=province).exists()
    assert Organisation.objects.filter(org_type=OrgType.SCHOOL, space=province).count() >= 20
    teams = Organisation.objects.filter(org_type=OrgType.COMMUNITY_TEAM)
    assert teams.exists() and all(t.parent.org_type == OrgType.COMMUNE_OFFICE for t in teams)
    # Every node of the province tree is in the province space and under its root.
    tree = Organisation.objects.filter(path__startswith=province.root.path)
    assert tree.count() == Organisation.objects.filter(space=province).count()


def test_logins_and_grants(seeded):
    geo = demo.geography()
    expected = {
        "admin": (Role.NATIONAL_ADMIN, demo.NATIONAL_ROOT),
        "quocgia": (Role.NATIONAL_ADMIN, demo.NATIONAL_ROOT),
        "tinh.vinhlong": (Role.SPACE_ADMIN, demo.PROVINCE_ROOT),
        demo._login_name(geo.commune_a): (Role.UNIT_ADMIN, demo.commune_office_code(geo.commune_a)),
        demo._login_name(geo.commune_b): (Role.UNIT_ADMIN, demo.commune_office_code(geo.commune_b)),
        "tacgia": (Role.AUTHOR, demo.PROVINCE_ROOT),
        "khaothi": (Role.EXAMINER, demo.PROVINCE_ROOT),
        "hocvien": (Role.LEARNER, demo.commune_office_code(geo.commune_a)),
        "xem.sogddt": (Role.VIEWER, demo.DEPT_EDUCATION),
    }
    assert demo._login_name(geo.commune_a).startswith("xa.")
    for username, (role, org_code) in expected.items():
        user = User.objects.get(username=username)
        assert user.check_password(demo.DEMO_PASSWORD), username
        assert RoleGrant.objects.filter(user=user, role=role, organisation__code=org_code).exists(), username
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    assert not User.objects.get(username="quocgia").is_superuser
    learner = User.objects.get(username="hocvien")
    assert learner.person is not None
    assert learner.person.organisation.code == demo.commune_office_code(geo.commune_a)


def test_generated_people_are_valid_and_vietnamese(seeded):
    people = _demo_people()
    assert len(people) == PEOPLE
    for person in people:
        cccd = crypto.decrypt(person.cccd_encrypted)
        assert rules.clean_cccd(cccd, birth_date=person.date_of_birth, sex=person.sex) == cccd
        assert cccd[:3] in {code for code, _ in demo.names.BIRTH_PROVINCES}
        assert 1965 <= person.date_of_birth.year <= 2008
        if person.phone:
            assert rules.clean_phone(person.phone) == person.phone
        if person.email:
            assert person.email.endswith((".example", "@example.com"))
        person.full_clean(exclude=["cccd_encrypted", "created_by", "organisation"])
        assert person.target_group_codes
        groups = set(person.target_group_codes)
        if "citizen" in groups:
            assert person.lawful_basis == "consent" and person.consent_at is not None
        if groups & {"official", "leader"} and not groups & {"worker", "citizen"}:
            assert person.lawful_basis == "legal_obligation"
    with_diacritics = [p for p in people if fold(p.full_name) != p.full_name.lower()]
    assert len(with_diacritics) > 0.9 * len(people)
    assert sum(p.full_name.startswith("Nguyễn ") for p in people) > 0.25 * len(people)
    assert all(2 <= len(p.full_name.split()) <= 5 for p in people)


def test_search_finds_nguyen_van_an(seeded):
    admin = User.objects.get(username="tinh.vinhlong")
    found = person_list(actor=admin, filters=PersonFilters(q="nguyen van an"))
    assert found.exists()


def test_commune_unit_admins_are_isolated(seeded):
    geo = demo.geography()
    office_a = Organisation.objects.get(code=demo.commune_office_code(geo.commune_a))
    office_b = Organisation.objects.get(code=demo.commune_office_code(geo.commune_b))
    admin_a = User.objects.get(username=demo._login_name(geo.commune_a))
    admin_b = User.objects.get(username=demo._login_name(geo.commune_b))
    people_b = Person.objects.filter(organisation__path__startswith=office_b.path)
    assert people_b.exists() and Person.objects.filter(organisation__path__startswith=office_a.path).exists()

    seen_by_a = person_list(actor=admin_a)
    assert seen_by_a.exists()
    assert all(p.organisation.path.startswith(office_a.path) for p in seen_by_a)
    assert not seen_by_a.filter(pk__in=people_b.values("pk")).exists()
    assert not person_list(actor=admin_b).filter(organisation__path__startswith=office_a.path).exists()
    # The space admin sees both communes.
    space_admin = User.objects.get(username="tinh.vinhlong")
    assert person_list(actor=space_admin).filter(pk__in=people_b.values("pk")).count() == people_b.count()


def test_generation_is_deterministic_and_prefix_stable():
    call_command("seed_demo", "--people", "0", "--quiet")
    geo = demo.geography()
    plans, _spaces = demo.org_plan(geo)
    long_run = demo.generate_people(plans, geo, 120)
    assert demo.generate_people(plans, geo, 40) == long_run[:40]
    assert len({p.cccd for p in long_run}) == len(long_run)
