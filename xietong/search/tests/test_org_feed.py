"""People and departments in the index: every write of the org services queues, in its own transaction,
the entries it makes stale (its objects', and those showing a name it changed); they are re-read right
after the commit, whichever door the write came through (services, API, pages). What is still queued
(a crash, a failure) the "search.queue" tick re-reads, at one query when nothing is queued. Writes
around the services are not seen: `xietong reindex` repairs them."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction

from xietong.common.exceptions import ApplicationError
from xietong.org import services as org
from xietong.org.models import Department, Person
from xietong.org.tests.factories import DepartmentFactory, PersonFactory
from xietong.search import services
from xietong.search.models import Document, Pending
from xietong.search.selectors import search
from xietong.search.services import queue_tick, search_drain, search_refresh

pytestmark = pytest.mark.django_db


@pytest.fixture
def indexed(world: Any) -> Any:
    """The world's people and departments in the index, nothing queued."""
    search_refresh("person")
    search_refresh("department")
    return world


def _found(user: Any, query: str, kind: str | None = None) -> list[tuple[str, int]]:
    return [(hit.kind, hit.object_id) for hit in search(user, query, kind=kind)[0:50]]


def _body(kind: str, pk: int) -> str:
    return Document.objects.get(kind=kind, object_id=pk).body


# ── Through the services ────────────────────────────────────────────────────────────────────────


def test_a_new_person_is_found_right_after_the_commit_and_not_before(indexed, django_capture_on_commit_callbacks):
    # when
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        person = org.person_create(actor=indexed.admin, username="sunyue", name="孙悦", department=indexed.sales)
    # then: queued in the same transaction, not yet indexed
    assert list(Pending.objects.values_list("kind", "object_id")) == [("person", person.pk)]
    assert _found(indexed.employee, "孙悦") == []
    # when the transaction commits
    for callback in callbacks:
        callback()
    # then
    assert _found(indexed.employee, "孙悦") == [("person", person.pk)]
    assert _body("person", person.pk) == "销售部 · sunyue"
    assert Pending.objects.exists() is False


def test_renaming_a_person_updates_them_and_the_departments_they_head(indexed, django_capture_on_commit_callbacks):
    # when: the head of RD is renamed
    with django_capture_on_commit_callbacks(execute=True):
        org.person_update(actor=indexed.admin, person=indexed.head, name="陈志远")
    # then: the person and RD (which shows its head's name) are current, nothing else was touched
    assert _found(indexed.employee, "陈浩") == []
    assert _found(indexed.employee, "志远") == [("person", indexed.head.pk), ("department", indexed.rd.pk)]
    assert _body("department", indexed.rd.pk) == "RD · 总经办 · 陈志远"
    assert Pending.objects.exists() is False


def test_moving_a_person_and_changing_their_title_and_email(indexed, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        org.person_update(
            actor=indexed.admin,
            person=indexed.employee,
            department=indexed.sales,
            title="大客户经理",
            email="wjg@example.cn",
        )
    assert _body("person", indexed.employee.pk) == "大客户经理 · 销售部 · employee · wjg@example.cn"
    assert _found(indexed.other_department, "客户经理") == [("person", indexed.employee.pk)]
    assert _found(indexed.other_department, "wjg") == [("person", indexed.employee.pk)]


def test_a_person_taken_out_of_the_organization_is_found_by_administrators_only(
    indexed, django_capture_on_commit_callbacks
):
    # when: the employee no longer belongs to a department (accounts outside the organization)
    with django_capture_on_commit_callbacks(execute=True):
        org.person_update(actor=indexed.admin, person=indexed.employee, department=None)
    # then
    assert _found(indexed.other_department, "建国") == []
    assert _found(indexed.admin, "建国") == [("person", indexed.employee.pk)]
    assert _body("person", indexed.employee.pk) == "employee"


def test_deactivating_and_reactivating_a_person_keeps_them_in_the_directory(
    indexed, django_capture_on_commit_callbacks
):
    # given: people who left stay in the directory (their pages and history stay readable)
    indexed_at = Document.objects.get(kind="person", object_id=indexed.employee.pk).indexed_at
    # when
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        org.person_set_active(actor=indexed.admin, person=indexed.employee, active=False)
        org.person_set_active(actor=indexed.admin, person=indexed.employee, active=True)
    # then: re-read twice, unchanged, not rewritten
    assert len(callbacks) == 2
    assert Document.objects.get(kind="person", object_id=indexed.employee.pk).indexed_at == indexed_at
    assert _found(indexed.other_department, "建国") == [("person", indexed.employee.pk)]
    assert Pending.objects.exists() is False


def test_a_new_department_is_found(indexed, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        qa = org.department_create(
            actor=indexed.admin, code="QA", name="质量部", parent=indexed.gm, head=indexed.other_department
        )
    assert _found(indexed.employee, "质量") == [("department", qa.pk)]
    assert _body("department", qa.pk) == "QA · 总经办 · 赵敏"


def test_renaming_a_department_updates_its_members_and_sub_departments(indexed, django_capture_on_commit_callbacks):
    # when
    with django_capture_on_commit_callbacks(execute=True):
        org.department_update(actor=indexed.admin, department=indexed.rd, name="研发与工程中心")
    # then: RD, its sub-department RD-HW (shows its parent's name) and its two members
    assert set(_found(indexed.employee, "工程中心")) == {
        ("person", indexed.head.pk),
        ("person", indexed.liaison.pk),
        ("department", indexed.rd.pk),
        ("department", indexed.rd_hw.pk),
    }
    assert _body("department", indexed.rd_hw.pk) == "RD-HW · 研发与工程中心"
    assert _body("person", indexed.liaison.pk) == "研发与工程中心 · liaison"
    assert _found(indexed.employee, "研发中心") == []


def test_moving_a_department_changing_its_code_head_and_closing_it(indexed, django_capture_on_commit_callbacks):
    # when: SALES moves under RD with a new code and head, then closes
    with django_capture_on_commit_callbacks(execute=True):
        org.department_update(
            actor=indexed.admin, department=indexed.sales, parent=indexed.rd, code="MKT", head=indexed.other_department
        )
    assert _body("department", indexed.sales.pk) == "MKT · 研发中心 · 赵敏"
    with django_capture_on_commit_callbacks(execute=True):
        org.department_update(actor=indexed.admin, department=indexed.sales, is_active=False)
    # then: a closed department stays in the directory
    assert _found(indexed.employee, "mkt") == [("department", indexed.sales.pk)]
    assert Pending.objects.exists() is False


def test_a_refused_change_queues_nothing(indexed, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(ApplicationError):
        org.department_update(actor=indexed.admin, department=indexed.rd, parent=indexed.rd_hw)
    assert callbacks == []
    assert Pending.objects.exists() is False


def test_a_change_rolled_back_queues_nothing(indexed, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        org.person_update(actor=indexed.admin, person=indexed.employee, name="王志强")
        transaction.set_rollback(True)
    assert callbacks == []
    assert Pending.objects.exists() is False
    assert _found(indexed.employee, "志强") == []


def test_a_password_or_a_language_queues_nothing(indexed, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        org.person_set_password(actor=indexed.admin, person=indexed.employee, password="N3w-secret-pass")
        org.person_set_language(person=indexed.employee, language="en")
    assert callbacks == []
    assert Pending.objects.exists() is False


def test_the_org_signal_says_what_changed_inside_the_transaction(indexed, django_capture_on_commit_callbacks):
    from xietong.org.signals import org_changed

    # given a receiver that notes what it was told, and what it could already read
    heard: list[tuple[Any, str, tuple[int, ...], tuple[str, ...], str]] = []

    def receiver(sender: Any, *, kind: str, pks: tuple[int, ...], fields: tuple[str, ...], **kwargs: Any) -> None:
        stored = sender.objects.filter(pk__in=pks).values_list("title" if kind == "person" else "name", flat=True)
        heard.append((sender, kind, pks, fields, stored.get()))

    org_changed.connect(receiver, dispatch_uid="test.heard")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            org.department_update(actor=indexed.admin, department=indexed.rd, name="研发与工程中心", head=indexed.head)
            org.person_update(actor=indexed.admin, person=indexed.employee, title="工程师", is_coordinator=True)
    finally:
        org_changed.disconnect(dispatch_uid="test.heard")
    # then: only the fields that changed (the head did not), once the rows were written
    assert heard == [
        (Department, "department", (indexed.rd.pk,), ("name",), "研发与工程中心"),
        (Person, "person", (indexed.employee.pk,), ("title", "is_coordinator"), "工程师"),
    ]


# ── Through the API and the pages ───────────────────────────────────────────────────────────────


def test_the_api_writes_are_found_right_after_the_commit(client, indexed, django_capture_on_commit_callbacks):
    client.force_login(indexed.admin)
    with django_capture_on_commit_callbacks(execute=True):
        created = client.post(
            "/api/v1/org/people/",
            {"username": "sunyue", "name": "孙悦", "department": "SALES"},
            content_type="application/json",
        )
        patched = client.patch(
            f"/api/v1/org/departments/{indexed.sales.pk}/", {"name": "市场部"}, content_type="application/json"
        )
        deactivated = client.post(
            f"/api/v1/org/people/{indexed.other_department.pk}/active/",
            {"active": False},
            content_type="application/json",
        )
    assert (created.status_code, patched.status_code, deactivated.status_code) == (201, 200, 200)
    sunyue = Person.objects.get(username="sunyue")
    assert _found(indexed.employee, "孙悦") == [("person", sunyue.pk)]
    assert set(_found(indexed.employee, "市场")) == {
        ("person", indexed.other_department.pk),
        ("person", sunyue.pk),
        ("department", indexed.sales.pk),
    }
    assert Pending.objects.exists() is False


def test_the_page_writes_are_found_right_after_the_commit(client, indexed, django_capture_on_commit_callbacks):
    client.force_login(indexed.coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        person = client.post(
            f"/org/people/{indexed.employee.pk}/edit/",
            {"name": "王志强", "department": indexed.rd_hw.pk, "title": "", "level": "staff", "email": ""},
        )
        department = client.post(
            "/org/departments/new/",
            {"code": "QA", "name": "质量部", "parent": indexed.gm.pk, "is_active": "on", "schedule-days": "cn"},
        )
    assert (person.status_code, department.status_code) == (302, 302)
    assert _found(indexed.other_department, "志强") == [("person", indexed.employee.pk)]
    assert _found(indexed.other_department, "质量") == [("department", Department.objects.get(code="QA").pk)]


# ── The queue ───────────────────────────────────────────────────────────────────────────────────


def test_what_was_queued_but_not_re_read_is_re_read_by_the_tick(indexed, django_capture_on_commit_callbacks):
    # given: a change committed, but the process died before re-reading (the callback never ran)
    with django_capture_on_commit_callbacks(execute=False):
        org.person_update(actor=indexed.admin, person=indexed.employee, name="王志强")
    assert _found(indexed.employee, "志强") == []
    # when
    result = queue_tick()
    # then
    assert result == {"entries": 1, "changed": 1}
    assert _found(indexed.employee, "志强") == [("person", indexed.employee.pk)]
    assert Pending.objects.exists() is False


def test_a_failed_re_read_stays_queued_and_the_tick_retries_it(
    indexed, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    # given: the index cannot be written right after the commit
    real = services.search_index

    def broken(kind, pks):
        raise RuntimeError("database is locked")

    monkeypatch.setattr(services, "search_index", broken)
    with django_capture_on_commit_callbacks(execute=True):
        org.person_update(actor=indexed.admin, person=indexed.employee, name="王志强")
    # then: the change committed, the failure was logged, the entry stays queued
    assert Person.objects.get(pk=indexed.employee.pk).name == "王志强"
    assert "could not re-read queued person entries; they stay queued" in caplog.text
    assert list(Pending.objects.values_list("kind", "object_id")) == [("person", indexed.employee.pk)]
    assert _found(indexed.employee, "志强") == []
    # when the next tick runs, the database working again
    monkeypatch.setattr(services, "search_index", real)
    assert queue_tick() == {"entries": 1, "changed": 1}
    # then
    assert _found(indexed.employee, "志强") == [("person", indexed.employee.pk)]
    assert Pending.objects.exists() is False


def test_a_large_change_is_re_read_by_a_background_task(indexed, django_capture_on_commit_callbacks, monkeypatch):
    # given: more stale entries than are re-read in the request (the tests' task backend runs at once)
    monkeypatch.setattr(services, "INLINE_LIMIT", 2)
    from xietong.search import tasks

    ran = []

    def spy(**kwargs: Any) -> dict[str, int]:
        ran.append(kwargs)
        return search_drain(**kwargs)

    monkeypatch.setattr(tasks, "search_drain", spy)
    # when: RD is renamed (RD, RD-HW, two members: four entries)
    with django_capture_on_commit_callbacks(execute=True):
        org.department_update(actor=indexed.admin, department=indexed.rd, name="研发与工程中心")
    # then
    assert ran == [{}]  # the task, which drains everything queued
    assert len(_found(indexed.employee, "工程中心")) == 4
    assert Pending.objects.exists() is False


def test_an_object_gone_is_removed_and_a_kind_no_longer_registered_is_dropped(indexed):
    # given: a person deleted after their change was queued, and a row of a retired kind
    person = PersonFactory(name="孙悦", department=indexed.sales)
    search_refresh("person")
    Pending.objects.create(kind="person", object_id=person.pk)
    Person.objects.filter(pk=person.pk).delete()
    Pending.objects.create(kind="retired", object_id=1)
    # when
    result = search_drain()
    # then
    assert result == {"entries": 2, "changed": 1}
    assert Document.objects.filter(kind="person", object_id=person.pk).exists() is False
    assert Pending.objects.exists() is False


def test_a_write_around_the_services_is_repaired_by_reindex_not_by_the_tick(indexed):
    # given: a raw update (no service, no signal, nothing queued)
    Department.objects.filter(pk=indexed.sales.pk).update(name="市场部")
    # when the tick runs: it has nothing to do
    assert queue_tick() == {"entries": 0, "changed": 0}
    assert _found(indexed.employee, "市场") == []
    # when `xietong reindex` runs
    call_command("reindex", stdout=StringIO())
    # then the department and its member are current
    assert set(_found(indexed.employee, "市场")) == {
        ("person", indexed.other_department.pk),
        ("department", indexed.sales.pk),
    }


# ── Cost ────────────────────────────────────────────────────────────────────────────────────────


def _grow(world: Any, people: int) -> None:
    departments = [DepartmentFactory(parent=world.gm) for _ in range(max(1, people // 10))]
    for i in range(people):
        PersonFactory(department=departments[i % len(departments)])
    search_refresh("person")
    search_refresh("department")


@pytest.mark.parametrize("people", [5, 60])
def test_the_tick_with_nothing_queued_costs_one_query_whatever_the_size(indexed, django_assert_num_queries, people):
    _grow(indexed, people)
    with django_assert_num_queries(1):
        assert queue_tick() == {"entries": 0, "changed": 0}


@pytest.mark.parametrize("people", [5, 60])
def test_a_change_costs_the_same_queries_whatever_the_size(
    indexed, django_assert_num_queries, django_capture_on_commit_callbacks, people
):
    # given
    _grow(indexed, people)
    # when: one person renamed (queued in the write, re-read after the commit)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        org.person_update(actor=indexed.admin, person=indexed.employee, name="王志强")
    # then: the re-read costs the same whatever the number of people and departments
    with django_assert_num_queries(11):  # 5 of them savepoints of the test transaction
        for callback in callbacks:
            callback()
    assert _found(indexed.employee, "志强") == [("person", indexed.employee.pk)]
