"""Test-wide fixtures.

Administrative units are loaded once per test session (they are reference data every app needs).
`cast` is the one shared cast every access test uses: an owner (unit admin) and a read-only colleague
in commune office A, and an outsider (unit admin) in commune office B, all in one province space."""

from dataclasses import dataclass
from datetime import date

import pytest
from django.core.management import call_command

from kynangso.core.testing import make_user


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        call_command("load_admin_units", verbosity=0)


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    """PBKDF2 costs 0.18 s a hash; tests do not need it to be slow."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _empty_cache():
    """The cache holds the counts of failed logins and activations (people.services.attempt_failed)."""
    from django.core.cache import cache

    cache.clear()


@dataclass
class Cast:
    space: object
    root: object
    unit_a: object
    unit_b: object
    owner: object
    readonly: object
    outsider: object
    space_admin: object
    person_a: object
    person_b: object


@pytest.fixture
def cast(db) -> Cast:
    from kynangso.orgs.choices import OrgType, Role, SpaceKind
    from kynangso.orgs.models import AdminUnit
    from kynangso.orgs.services import organisation_create, role_grant, space_create
    from kynangso.people.services import person_create

    province = AdminUnit.objects.filter(level="province", code="86", valid_to__isnull=True).first()
    communes = list(AdminUnit.objects.filter(level="commune", province_code="86", valid_to__isnull=True)[:2])
    root = organisation_create(
        code="T-VL",
        name="Ủy ban nhân dân tỉnh Vĩnh Long",
        org_type=OrgType.PEOPLES_COMMITTEE,
        admin_unit=province,
    )
    space = space_create(name="Tỉnh Vĩnh Long", kind=SpaceKind.PROVINCE, root=root, admin_unit=province)
    unit_a = organisation_create(
        code="X-A",
        name="UBND xã Long Hồ",
        org_type=OrgType.COMMUNE_OFFICE,
        parent=root,
        admin_unit=communes[0] if communes else None,
    )
    unit_b = organisation_create(
        code="X-B",
        name="UBND phường Trà Vinh",
        org_type=OrgType.COMMUNE_OFFICE,
        parent=root,
        admin_unit=communes[1] if len(communes) > 1 else None,
    )
    owner, readonly, outsider, space_admin = (make_user(n) for n in ("owner_a", "viewer_a", "outsider_b", "tinh"))
    role_grant(user=owner, role=Role.UNIT_ADMIN, organisation=unit_a)
    role_grant(user=readonly, role=Role.VIEWER, organisation=unit_a)
    role_grant(user=outsider, role=Role.UNIT_ADMIN, organisation=unit_b)
    role_grant(user=space_admin, role=Role.SPACE_ADMIN, organisation=root)
    person_a = person_create(
        actor=None,
        full_name="Nguyễn Văn An",
        organisation=unit_a,
        sex="male",
        date_of_birth=date(1985, 3, 2),
        cccd="086085001234",
        phone="0912345678",
        target_groups=["official"],
    )
    person_b = person_create(
        actor=None,
        full_name="Trần Thị Bình",
        organisation=unit_b,
        sex="female",
        date_of_birth=date(1990, 7, 9),
        cccd="084190005678",
        target_groups=["citizen"],
    )
    return Cast(space, root, unit_a, unit_b, owner, readonly, outsider, space_admin, person_a, person_b)


@pytest.fixture
def login(client):
    def _login(user):
        client.force_login(user)
        return client

    return _login


@pytest.fixture
def admin_units_reloaded(django_db_blocker):
    """For a test that commits for real (transactional_db, requested after this): the database is emptied
    after it, and the session's administrative units are loaded again for the tests after it."""
    yield  # set up before transactional_db, so this runs after its flush
    with django_db_blocker.unblock():
        call_command("load_admin_units", verbosity=0)
