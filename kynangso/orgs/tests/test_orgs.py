import pytest
from django.core.exceptions import ValidationError

from kynangso.orgs.choices import OrgType, Role
from kynangso.orgs.models import Organisation
from kynangso.orgs.selectors import organisation_list, scope_q, subtree_people_counts
from kynangso.orgs.services import organisation_create, organisation_delete, role_grant

pytestmark = pytest.mark.django_db


def test_paths_and_space_are_inherited(cast):
    school = organisation_create(
        code="TH-A", name="Trường Tiểu học Long Hồ", org_type=OrgType.SCHOOL, parent=cast.unit_a
    )
    assert school.path == f"{cast.unit_a.path}{school.pk:08d}/"
    assert school.depth == 2
    assert school.space == cast.space


def test_subtree_is_one_query(cast, django_assert_num_queries):
    organisation_create(code="TH-A", name="Trường A", org_type=OrgType.SCHOOL, parent=cast.unit_a)
    with django_assert_num_queries(1):
        codes = sorted(Organisation.objects.filter(cast.root.subtree_q()).values_list("code", flat=True))
    assert codes == ["T-VL", "TH-A", "X-A", "X-B"]


def test_cycle_is_refused(cast):
    cast.root.parent = cast.unit_a
    with pytest.raises(ValidationError):
        cast.root.full_clean()


def test_delete_with_dependants_is_refused(cast):
    with pytest.raises(ValidationError):
        organisation_delete(actor=cast.space_admin, org=cast.unit_a)
    assert Organisation.objects.filter(pk=cast.unit_a.pk).exists()


def test_duplicate_code_is_refused(cast):
    with pytest.raises(ValidationError):
        organisation_create(code="x-a", name="Khác", org_type=OrgType.OTHER)


def test_scope_of_a_unit_admin_is_their_subtree(cast):
    assert list(organisation_list(actor=cast.owner).values_list("code", flat=True)) == ["X-A"]
    assert set(organisation_list(actor=cast.space_admin).values_list("code", flat=True)) == {"T-VL", "X-A", "X-B"}


def test_users_without_a_grant_see_nothing(cast):
    from kynangso.core.testing import make_user

    learner = make_user("hv")
    role_grant(user=learner, role=Role.LEARNER, organisation=cast.unit_a)
    assert not organisation_list(actor=learner).exists()
    assert scope_q(learner).children == [("pk__in", [])]


def test_counts_per_subtree(cast, django_assert_num_queries):
    nodes = list(organisation_list(actor=cast.space_admin))
    with django_assert_num_queries(1):
        direct, total = subtree_people_counts(actor=cast.space_admin, nodes=nodes)
    assert total[cast.root.pk] == 2 and total[cast.unit_a.pk] == 1 and direct.get(cast.root.pk, 0) == 0


def test_outsider_counts_only_their_own_people(cast):
    nodes = list(Organisation.objects.all())
    _direct, total = subtree_people_counts(actor=cast.outsider, nodes=nodes)
    assert total[cast.unit_a.pk] == 0 and total[cast.unit_b.pk] == 1


def test_django_admin_works_for_superusers(client, cast):
    from kynangso.core.testing import make_user

    client.force_login(make_user("root", is_superuser=True, is_staff=True))
    for url in (
        "/admin/",
        "/admin/people/person/",
        "/admin/orgs/organisation/",
        "/admin/orgs/adminunit/",
        f"/admin/people/person/{cast.person_a.pk}/change/",
        "/admin/core/auditlog/",
    ):
        assert client.get(url).status_code == 200, url


def test_django_admin_refuses_unit_admins(login, cast):
    assert login(cast.owner).get("/admin/").status_code == 302
