"""Writing the index: upsert, remove, on commit, refresh of a kind, ``xietong reindex``. How people and
departments are kept current (the org signal and the queue) is in test_org_feed.py."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from xietong.org.models import Department, Person
from xietong.org.tests.factories import PersonFactory
from xietong.processes.models import Process
from xietong.search.models import Document
from xietong.search.selectors import search
from xietong.search.services import queue_tick, search_index, search_index_on_commit, search_refresh

pytestmark = pytest.mark.django_db


def _found(user, query, kind=None):
    results = search(user, query, kind=kind)
    return [(hit.kind, hit.object_id) for hit in results[0:50]]


def test_index_inserts_then_replaces_an_entry(world, make):
    # given an indexed process
    process = make.process("QA", "质量异常升级", "产线停线")
    document = Document.objects.get(kind="process", object_id=process.pk)
    assert (document.title, document.title_terms) == ("QA 质量异常升级", "qa 质量 量异 异常 常升 升级")
    # when its text changes and it is indexed again
    Process.objects.filter(pk=process.pk).update(name="供应商准入评估")
    written = search_index("process", [process.pk])
    # then the one row is replaced: the old words find nothing, the new ones find it
    assert written == 1
    assert Document.objects.filter(kind="process").count() == 1
    assert _found(world.employee, "异常") == []
    assert _found(world.employee, "准入") == [("process", process.pk)]


def test_index_does_not_rewrite_an_unchanged_entry(world, make):
    process = make.process("QA", "质量异常升级")
    before = Document.objects.get(kind="process", object_id=process.pk).indexed_at
    assert search_index("process", [process.pk]) == 0
    assert Document.objects.get(kind="process", object_id=process.pk).indexed_at == before


def test_index_removes_an_object_that_is_gone(world, make):
    process = make.process("QA", "质量异常升级")
    process.versions.all().delete()
    Process.objects.filter(pk=process.pk).delete()
    assert search_index("process", [process.pk]) == 1
    assert Document.objects.filter(kind="process").exists() is False
    assert _found(world.coordinator, "异常") == []


def test_the_full_text_index_follows_every_write(world, make):
    # given two indexed processes (the FTS table or tsvector columns follow the rows by themselves)
    first = make.process("A1", "客户投诉处理")
    second = make.process("A2", "客户回访")
    # when one is removed and the other changed
    Process.objects.filter(pk=second.pk).update(name="年度预算")
    search_index("process", [second.pk])
    Document.objects.filter(kind="process", object_id=first.pk).delete()
    # then
    assert _found(world.employee, "客户") == []
    assert _found(world.employee, "预算") == [("process", second.pk)]
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO search_document_fts(search_document_fts, rank) VALUES('integrity-check', 1)")


def test_index_on_commit_waits_for_the_commit(world, make, django_capture_on_commit_callbacks):
    process = make.process("QA", "质量异常升级")
    Process.objects.filter(pk=process.pk).update(name="工程变更管理")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        search_index_on_commit("process", [process.pk])
    assert _found(world.employee, "变更") == []
    callbacks[0]()
    assert _found(world.employee, "变更") == [("process", process.pk)]


def test_index_on_commit_refuses_an_unregistered_kind():
    with pytest.raises(ValueError, match="no-such-kind"):
        search_index_on_commit("no-such-kind", [1])


def test_the_services_of_processes_keep_the_index_current(world, django_capture_on_commit_callbacks):
    from xietong.processes import editor

    with django_capture_on_commit_callbacks(execute=True):
        process = editor.process_create(actor=world.coordinator, code="CMP", name="客户投诉处理")
    assert _found(world.coordinator, "投诉") == [("process", process.pk)]
    with django_capture_on_commit_callbacks(execute=True):
        editor.process_update(actor=world.coordinator, process=process, name="售后服务流程")
    assert _found(world.coordinator, "投诉") == []
    assert _found(world.coordinator, "售后") == [("process", process.pk)]


def test_refresh_writes_what_changed_and_removes_what_is_gone(world):
    # given the org indexed
    assert search_refresh("person")["written"] == Person.objects.count()
    search_refresh("department")
    # when a person is renamed, another is deleted, a department renamed, around the services (which
    # would have queued them): only a refresh, as `xietong reindex` does, sees such writes
    Person.objects.filter(pk=world.employee.pk).update(name="王志强")
    gone = PersonFactory(name="孙悦", department=world.sales)
    search_refresh("person")
    Person.objects.filter(pk=gone.pk).delete()
    Department.objects.filter(pk=world.sales.pk).update(name="市场销售部")
    # then a refresh of each kind rewrites what changed since (the department and its member, 赵敏) and
    # removes what is gone; a second finds nothing to do
    assert search_refresh("person") == {"entries": Person.objects.count(), "written": 1, "removed": 1}
    assert search_refresh("department") == {"entries": Department.objects.count(), "written": 1, "removed": 0}
    assert search_refresh("person")["written"] + search_refresh("department")["written"] == 0
    assert _found(world.other_department, "志强") == [("person", world.employee.pk)]
    assert _found(world.other_department, "建国") == []
    assert _found(world.other_department, "孙悦") == []
    assert _found(world.other_department, "市场", kind="department") == [("department", world.sales.pk)]


def test_reindex_command_rebuilds_every_kind_with_progress(world, make):
    # given a process indexed, then the index emptied
    process = make.process("QA", "质量异常升级")
    Document.objects.all().delete()
    out = StringIO()
    # when
    call_command("reindex", stdout=out)
    # then every kind is back, and the console said so
    assert Document.objects.filter(kind="process", object_id=process.pk).exists()
    assert Document.objects.filter(kind="person").count() == Person.objects.count()
    assert Document.objects.filter(kind="department").count() == Department.objects.count()
    assert f"person: {Person.objects.count()} entries, {Person.objects.count()} written, 0 removed" in out.getvalue()
    assert "Search index up to date" in out.getvalue()


def test_reindex_command_one_kind_leaves_the_others(world, make):
    make.process("QA", "质量异常升级")
    call_command("reindex", kind=["person"], stdout=StringIO())
    assert Document.objects.filter(kind="department").exists() is False
    assert Document.objects.filter(kind="process").count() == 1
    assert Document.objects.filter(kind="person").count() == Person.objects.count()


def test_reindex_command_refuses_an_unknown_kind(world):
    with pytest.raises(CommandError, match="Unknown kind nope"):
        call_command("reindex", kind=["nope"], stdout=StringIO())
    assert Document.objects.exists() is False


def test_reindex_drops_kinds_no_longer_registered(world):
    Document.objects.create(
        kind="retired", object_id=1, title="旧", url="/", fingerprint="x", indexed_at="2026-01-01T00:00:00Z"
    )
    call_command("reindex", stdout=StringIO())
    assert Document.objects.filter(kind="retired").exists() is False


def test_a_source_yielding_an_object_twice_is_indexed_once(world):
    from xietong.search import registry
    from xietong.search.registry import Entry, Source

    def entries(pks):
        yield 1, Entry(title="第一", body="", url="/1/")
        yield 1, Entry(title="第二", body="", url="/1/")

    registry.register_source(
        Source(kind="twice", label="Twice", entries=entries, visible=lambda u: Person.objects.all())
    )
    try:
        assert search_index("twice", [1]) == 1
        assert Document.objects.get(kind="twice").title == "第一"
    finally:
        registry._sources.pop("twice")


def test_a_failing_index_update_is_logged_not_raised(world, make, django_capture_on_commit_callbacks, caplog):
    from xietong.search import registry
    from xietong.search.registry import Source

    def entries(pks):
        raise RuntimeError("source broken")

    registry.register_source(
        Source(kind="broken", label="Broken", entries=entries, visible=lambda u: Person.objects.all())
    )
    try:
        with django_capture_on_commit_callbacks(execute=True):
            search_index_on_commit("broken", [1])
    finally:
        registry._sources.pop("broken")
    assert "search: could not index broken [1]" in caplog.text
    assert Document.objects.filter(kind="broken").exists() is False


def test_the_queue_tick_is_registered_and_the_full_scan_tick_is_gone():
    from xietong.common import ticks

    assert ticks._ticks["search.queue"] is queue_tick
    assert "search.org" not in ticks._ticks
