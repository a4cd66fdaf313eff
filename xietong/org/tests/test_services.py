import pytest

from xietong.audit.models import AuditEntry
from xietong.common.exceptions import ApplicationError
from xietong.org import services
from xietong.org.models import Committee, Department, Person
from xietong.org.selectors import department_schedule, org_search
from xietong.org.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def test_moving_a_department_under_its_own_child_is_refused(world):
    # when
    with pytest.raises(ApplicationError) as error:
        services.department_update(actor=world.admin, department=world.rd, parent=world.rd_hw)
    # then
    assert "parent" in error.value.field_errors
    world.rd.refresh_from_db()
    assert world.rd.parent_id == world.gm.pk
    assert AuditEntry.objects.count() == 0


def test_a_department_cannot_be_its_own_parent(world):
    with pytest.raises(ApplicationError):
        services.department_update(actor=world.admin, department=world.rd, parent=world.rd)
    world.rd.refresh_from_db()
    assert world.rd.parent_id == world.gm.pk


def test_a_head_must_be_an_active_member_of_the_organization(world):
    # given: someone who left, and an account outside the organization
    left = PersonFactory(username="left", department=world.sales, is_active=False)
    outsider = Person.objects.create_superuser("root", "pw")
    # when / then
    for person in (left, outsider):
        with pytest.raises(ApplicationError) as error:
            services.department_update(actor=world.admin, department=world.sales, head=person)
        assert list(error.value.field_errors) == ["head"]
    world.sales.refresh_from_db()
    assert world.sales.head_id is None


def test_liaison_and_deputy_must_be_different_people(world):
    with pytest.raises(ApplicationError) as error:
        services.department_update(actor=world.admin, department=world.rd, deputy_liaison=world.liaison)
    assert list(error.value.field_errors) == ["deputy_liaison"]


def test_updating_a_department_records_old_and_new_values(world):
    # when
    services.department_update(
        actor=world.coordinator, department=world.sales, name="国内销售部", head=world.other_department
    )
    # then
    entry = AuditEntry.objects.get()
    assert entry.actor == world.coordinator
    assert entry.changes == {"name": ["销售部", "国内销售部"], "head": [None, str(world.other_department)]}


def test_an_update_that_changes_nothing_writes_no_audit_entry(world):
    services.department_update(actor=world.admin, department=world.sales, name="销售部")
    assert AuditEntry.objects.count() == 0


def test_an_own_schedule_is_validated_and_normalised(world):
    # when
    dept = services.department_update(
        actor=world.admin, department=world.sales, schedule={"working_hours": ["08:00-20:00"], "days": "all"}
    )
    # then
    assert dept.schedule == {"working_hours": ["08:00-20:00"], "days": "all", "holidays": [], "workdays": []}
    with pytest.raises(ApplicationError) as error:
        services.department_update(
            actor=world.admin, department=world.sales, schedule={"working_hours": ["18:00-09:00"]}
        )
    assert "schedule" in error.value.field_errors
    world.sales.refresh_from_db()
    assert world.sales.schedule["days"] == "all"


def test_sub_departments_inherit_the_nearest_own_schedule(world):
    # given
    services.department_update(
        actor=world.admin,
        department=world.rd,
        schedule={"working_hours": ["08:00-12:00", "13:00-17:00"], "days": "weekdays"},
    )
    # then
    assert department_schedule(world.rd_hw.pk).days == "weekdays"
    assert department_schedule(world.rd.pk).working_hours == ((480, 720), (780, 1020))
    assert department_schedule(world.sales.pk).days == "cn"  # the organization's


def test_an_admin_cannot_deactivate_themself(world):
    with pytest.raises(ApplicationError):
        services.person_set_active(actor=world.admin, person=world.admin, active=False)
    world.admin.refresh_from_db()
    assert world.admin.is_active is True


def test_deactivating_a_person_keeps_them_and_their_history(world):
    services.person_set_active(actor=world.admin, person=world.employee, active=False)
    world.employee.refresh_from_db()
    assert world.employee.is_active is False
    assert world.employee.department == world.rd_hw


def test_a_weak_password_is_refused_with_the_validators_message(world):
    with pytest.raises(ApplicationError) as error:
        services.person_set_password(actor=world.admin, person=world.employee, password="123")
    assert error.value.field_errors["password"]
    world.employee.refresh_from_db()
    assert world.employee.check_password("pw-for-tests-1")


def test_a_committee_needs_members_from_the_organization(world):
    outsider = Person.objects.create_superuser("root", "pw")
    with pytest.raises(ApplicationError):
        services.committee_save(actor=world.admin, committee=None, members=[], code="XT", name="协调委员会")
    with pytest.raises(ApplicationError):
        services.committee_save(actor=world.admin, committee=None, members=[outsider], code="XT", name="协调委员会")
    committee = services.committee_save(
        actor=world.admin,
        committee=None,
        members=[world.head, world.other_department],
        code="XT",
        name="协调委员会",
        chair=world.head,
    )
    assert sorted(committee.members.values_list("username", flat=True)) == ["head", "other"]


def test_a_two_character_chinese_query_finds_people_and_departments(world):
    # when
    by_given_name = org_search("建国")
    by_department = org_search("研发")
    # then
    assert [p.username for p in by_given_name["people"]] == ["employee"]
    assert sorted(d.code for d in by_department["departments"]) == ["RD", "RD-HW"]
    assert org_search("  ") == {"people": [], "departments": []}


def test_people_who_left_are_not_found_by_default(world):
    Person.objects.filter(pk=world.employee.pk).update(is_active=False)
    assert org_search("建国")["people"] == []


def test_department_codes_are_validated(world):
    with pytest.raises(ApplicationError) as error:
        services.department_create(actor=world.admin, code="研发/1", name="x")
    assert "code" in error.value.field_errors
    assert not Department.objects.filter(name="x").exists()


def test_a_department_with_active_sub_departments_cannot_be_closed(world):
    with pytest.raises(ApplicationError) as error:
        services.department_update(actor=world.admin, department=world.rd, is_active=False)
    assert list(error.value.field_errors) == ["is_active"]
    world.rd.refresh_from_db()
    assert world.rd.is_active is True


def test_people_who_left_cannot_join_a_committee(world):
    left = PersonFactory(username="left", department=world.sales, is_active=False)
    with pytest.raises(ApplicationError):
        services.committee_save(actor=world.admin, committee=None, members=[left], code="XT", name="协调委员会")
    assert not Committee.objects.filter(code="XT").exists()
