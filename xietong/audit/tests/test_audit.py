"""Every write of the organization leaves exactly one audit entry (who, what, {field: [old, new]}),
and administrators read the trail of one object on its page and through the API."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib.contenttypes.models import ContentType

from xietong.audit.models import AuditEntry
from xietong.audit.services import audit_record
from xietong.common import clock
from xietong.common.exceptions import ApplicationError
from xietong.org import services
from xietong.org.models import Organization, Person

pytestmark = pytest.mark.django_db

AT = datetime(2026, 3, 2, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))


def entries(obj: Any) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk)))


def _without_empty(changes: dict[str, Any]) -> dict[str, Any]:
    """A creation's changes without the fields that stay empty ([None, None])."""
    return {field: change for field, change in changes.items() if change != [None, None]}


# ── One entry per service call ──────────────────────────────────────────────────────────────────


def test_department_create_records_the_new_values(world):
    # when
    with clock.freeze(AT):
        qa = services.department_create(
            actor=world.coordinator, code="QA", name="质量部", parent=world.gm, head=world.head
        )
    # then
    [entry] = AuditEntry.objects.all()
    assert (entry.at, entry.actor, entry.actor_repr, entry.action) == (
        AT,
        world.coordinator,
        "李霞 (coordinator)",
        "create",
    )
    assert (entry.content_type.model, entry.object_id, entry.object_repr) == ("department", str(qa.pk), "质量部")
    assert _without_empty(entry.changes) == {
        "code": [None, "QA"],
        "name": [None, "质量部"],
        "parent": [None, "总经办"],
        "head": [None, "陈浩 (head)"],
    }


def test_department_create_records_no_field_that_stays_empty(world):
    # when
    services.department_create(actor=world.admin, code="QA", name="质量部")
    # then
    assert AuditEntry.objects.get().changes == {"code": [None, "QA"], "name": [None, "质量部"]}


def test_department_update_records_only_what_changed(world):
    # when
    services.department_update(
        actor=world.admin, department=world.rd, name="研发与工程中心", head=world.head, liaison=world.employee
    )
    # then
    [entry] = entries(world.rd)
    assert (entry.actor, entry.action) == (world.admin, "update")
    assert entry.changes == {"name": ["研发中心", "研发与工程中心"], "liaison": ["刘洋 (liaison)", "王建国 (employee)"]}


def test_an_update_that_changes_nothing_records_nothing(world):
    # when
    services.department_update(actor=world.admin, department=world.rd, name="研发中心")
    services.person_update(actor=world.admin, person=world.employee, name="王建国")
    # then
    assert AuditEntry.objects.exists() is False


def test_a_refused_update_records_nothing(world):
    # when: a cycle
    with pytest.raises(ApplicationError):
        services.department_update(actor=world.admin, department=world.rd, parent=world.rd_hw)
    # then
    assert AuditEntry.objects.exists() is False


def test_person_create_records_the_new_values_but_never_the_password(world):
    # when
    newbie = services.person_create(
        actor=world.admin, username="newbie", name="新同事", department=world.rd_hw, password="N3w-secret-pass"
    )
    # then
    [entry] = AuditEntry.objects.all()
    assert (entry.actor, entry.action, entry.object_id) == (world.admin, "create", str(newbie.pk))
    assert entry.changes == {"username": [None, "newbie"], "name": [None, "新同事"], "department": [None, "硬件研发部"]}


def test_person_update_records_old_and_new_values(world):
    # when
    services.person_update(actor=world.coordinator, person=world.employee, title="工程师", department=world.sales)
    # then
    [entry] = entries(world.employee)
    assert (entry.actor, entry.action) == (world.coordinator, "update")
    assert entry.changes == {"title": ["", "工程师"], "department": ["硬件研发部", "销售部"]}


def test_person_set_password_records_the_act_without_the_password(world):
    # when
    services.person_set_password(actor=world.admin, person=world.employee, password="N3w-secret-pass")
    # then
    [entry] = entries(world.employee)
    assert (entry.actor, entry.action, entry.changes) == (world.admin, "set_password", {})


def test_person_set_active_records_the_change_of_state(world):
    # when
    services.person_set_active(actor=world.admin, person=world.employee, active=False)
    services.person_set_active(actor=world.admin, person=world.employee, active=True)
    # then: newest first
    assert [(e.action, e.changes) for e in entries(world.employee)] == [
        ("update", {"is_active": [False, True]}),
        ("update", {"is_active": [True, False]}),
    ]


def test_committee_save_records_creation_with_its_members(world):
    # when
    committee = services.committee_save(
        actor=world.coordinator,
        committee=None,
        members=[world.head, world.other_department],
        code="XT",
        name="协调委员会",
        chair=world.head,
    )
    # then
    [entry] = AuditEntry.objects.all()
    assert (entry.actor, entry.action, entry.object_id) == (world.coordinator, "create", str(committee.pk))
    assert entry.changes == {
        "code": [None, "XT"],
        "name": [None, "协调委员会"],
        "chair": [None, "陈浩 (head)"],
        "members": [[], ["head", "other"]],
    }


def test_committee_save_records_a_changed_member_list_in_one_entry(world):
    # given
    committee = services.committee_save(actor=world.admin, committee=None, members=[world.head], code="XT", name="协调")
    # when
    services.committee_save(
        actor=world.coordinator, committee=committee, members=[world.head, world.employee], name="协调委员会"
    )
    # then
    newest = entries(committee)[0]
    assert len(entries(committee)) == 2
    assert (newest.actor, newest.action) == (world.coordinator, "update")
    assert newest.changes == {"name": ["协调", "协调委员会"], "members": [["head"], ["employee", "head"]]}


def test_committee_save_without_changes_records_nothing(world):
    # given
    committee = services.committee_save(actor=world.admin, committee=None, members=[world.head], code="XT", name="协调")
    # when
    services.committee_save(actor=world.admin, committee=committee, members=[world.head], name="协调")
    # then
    assert len(entries(committee)) == 1


def test_organization_update_records_old_and_new_values(world):
    # when
    services.organization_update(actor=world.admin, name="华东精密", language="en")
    # then
    [entry] = entries(Organization.objects.get())
    assert (entry.actor, entry.action, entry.object_repr) == (world.admin, "update", "华东精密")
    assert entry.changes == {"name": ["华东精密制造有限公司", "华东精密"], "language": ["zh-hans", "en"]}


def test_a_write_without_a_person_is_recorded_as_the_system(world):
    # when
    entry = audit_record(actor=None, obj=world.rd, action="import", changes={"name": ["旧", "新"]})
    # then
    assert (entry.actor, entry.actor_repr, entry.changes) == (None, "system", {"name": ["旧", "新"]})


# ── The same through the pages ──────────────────────────────────────────────────────────────────


def test_editing_a_department_on_its_page_records_one_entry_with_only_the_changes(client, world):
    # given
    client.force_login(world.coordinator)
    form = {"code": "RD", "name": "研发与工程中心", "parent": world.gm.pk, "head": world.head.pk}
    form |= {"liaison": world.liaison.pk, "is_active": "on", "schedule-days": "cn"}
    # when
    response = client.post(f"/org/departments/{world.rd.pk}/edit/", form)
    # then
    assert response.status_code == 302
    [entry] = AuditEntry.objects.all()
    assert (entry.actor, entry.action, entry.changes) == (
        world.coordinator,
        "update",
        {"name": ["研发中心", "研发与工程中心"]},
    )


def test_setting_a_password_on_the_person_page_records_one_entry(client, world):
    # given
    client.force_login(world.admin)
    # when
    response = client.post(f"/org/people/{world.employee.pk}/password/", {"password": "N3w-secret-pass"})
    # then
    assert response.status_code == 302
    assert [(e.actor, e.action, e.changes) for e in AuditEntry.objects.all()] == [(world.admin, "set_password", {})]


# ── Reading the trail ───────────────────────────────────────────────────────────────────────────


def _history(world: Any) -> None:
    with clock.freeze(AT):
        services.department_update(actor=world.coordinator, department=world.rd, name="研发与工程中心")
    with clock.freeze(AT.replace(hour=10)):
        services.department_update(actor=world.admin, department=world.rd, liaison=None)
    services.department_update(actor=world.admin, department=world.sales, name="国内销售部")  # another object


def test_the_audit_page_lists_the_object_entries_newest_first(client, world):
    # given
    _history(world)
    client.force_login(world.admin)
    # when
    response = client.get(f"/audit/org.department/{world.rd.pk}/")
    # then
    assert response.status_code == 200
    assert [(e.actor_repr, e.action, e.changes) for e in response.context["page"]] == [
        ("黎俊杰 (admin)", "update", {"liaison": ["刘洋 (liaison)", None]}),
        ("李霞 (coordinator)", "update", {"name": ["研发中心", "研发与工程中心"]}),
    ]
    html = response.content.decode()
    assert "2026-03-02 10:30:00" in html
    assert "研发中心 → 研发与工程中心" in html
    assert "国内销售部" not in html


@pytest.mark.parametrize("role", ["employee", "other_department", "head", "coordinator"])
def test_only_administrators_read_the_audit_page(client, world, role):
    # given
    _history(world)
    client.force_login(world.user(role))
    # when
    response = client.get(f"/audit/org.department/{world.rd.pk}/")
    # then
    assert response.status_code == 403
    assert "研发与工程中心" not in response.content.decode()


def test_the_audit_api_lists_the_object_entries_newest_first(client, world):
    # given
    _history(world)
    client.force_login(world.admin)
    # when
    response = client.get("/api/v1/audit/entries/", {"model": "org.department", "object_id": world.rd.pk})
    # then
    assert response.status_code == 200
    newest, oldest = AuditEntry.objects.filter(object_id=str(world.rd.pk), content_type__model="department")
    assert response.json() == {
        "count": 2,
        "next": None,
        "previous": None,
        "results": [
            {
                "id": newest.pk,
                "at": "2026-03-02T10:30:00+08:00",
                "actor": "admin",
                "actor_repr": "黎俊杰 (admin)",
                "object_id": str(world.rd.pk),
                "object_repr": "研发与工程中心",
                "action": "update",
                "changes": {"liaison": ["刘洋 (liaison)", None]},
            },
            {
                "id": oldest.pk,
                "at": "2026-03-02T09:30:00+08:00",
                "actor": "coordinator",
                "actor_repr": "李霞 (coordinator)",
                "object_id": str(world.rd.pk),
                "object_repr": "研发与工程中心",
                "action": "update",
                "changes": {"name": ["研发中心", "研发与工程中心"]},
            },
        ],
    }


@pytest.mark.parametrize("role", ["employee", "other_department", "head", "coordinator"])
def test_only_administrators_read_the_audit_api(client, world, role):
    # given
    _history(world)
    client.force_login(world.user(role))
    # when
    response = client.get("/api/v1/audit/entries/", {"model": "org.department", "object_id": world.rd.pk})
    # then
    assert response.status_code == 403
    assert set(response.json()) == {"error"}
    assert response.json()["error"]["code"] == "permission_denied"


def test_an_entry_keeps_its_actor_name_after_the_actor_is_gone(client, world):
    # given: the actor account is deleted (SET_NULL); the entry still says who it was
    person = Person.objects.create(username="temp", name="临时工", department=world.gm, is_admin=True)
    services.department_update(actor=person, department=world.rd, name="研发与工程中心")
    person.delete()
    client.force_login(world.admin)
    # when
    response = client.get("/api/v1/audit/entries/", {"model": "org.department", "object_id": world.rd.pk})
    # then
    [result] = response.json()["results"]
    assert (result["actor"], result["actor_repr"]) == (None, "临时工 (temp)")


@pytest.mark.parametrize("entries_count", [1, 5])
def test_reading_the_trail_costs_a_fixed_number_of_queries(client, world, django_assert_num_queries, entries_count):
    # given
    for n in range(entries_count):
        services.department_update(actor=world.admin, department=world.rd, name=f"研发中心{n}")
    client.force_login(world.admin)
    # when
    with django_assert_num_queries(7):
        page = client.get(f"/audit/org.department/{world.rd.pk}/")
    with django_assert_num_queries(4):  # the organization is cached by now
        api = client.get("/api/v1/audit/entries/", {"model": "org.department", "object_id": world.rd.pk})
    # then
    assert (page.status_code, api.status_code) == (200, 200)
    assert api.json()["count"] == entries_count
