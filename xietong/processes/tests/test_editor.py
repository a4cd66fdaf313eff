"""The process editor's services (xietong.processes.editor): create, save the draft, publish, discard."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from django.utils import translation

from xietong.audit.models import AuditEntry
from xietong.common import clock
from xietong.common.exceptions import ApplicationError
from xietong.processes import editor
from xietong.processes.editor import StepInput
from xietong.processes.models import Process, ProcessVersion, Step
from xietong.processes.tests.factories import TZ, CaseFactory, ProcessFactory, ProcessVersionFactory, StepFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 4, 1, 10, 0, tzinfo=TZ)


@pytest.fixture(autouse=True)
def _english() -> Any:
    """Messages are compared in English (the source text); one test checks the Chinese one."""
    with translation.override("en"):
        yield


def two_steps(world: Any, **first: Any) -> list[StepInput]:
    return [
        StepInput(
            **{
                "code": "D-1",
                "name": "设计",
                "responsible": world.rd_hw,
                "time_limit": "2d",
                "cooperating": [world.sales],
                "inputs": ["需求书", " "],
                "outputs": ["图纸"],
            }
            | first
        ),
        StepInput(code="D-2", name="评审", responsible=world.rd, time_limit="4h"),
    ]


def versions(process: Process) -> list[tuple[int, bool]]:
    return list(ProcessVersion.objects.filter(process=process).order_by("number").values_list("number", "published_at"))


def audit_actions(process: Process) -> list[str]:
    return list(AuditEntry.objects.filter(object_id=str(process.pk)).order_by("pk").values_list("action", flat=True))


# ── process_create ──────────────────────────────────────────────────────────────────────────────


def test_create_makes_a_process_without_versions_and_audits_it(world) -> None:
    # when
    process = editor.process_create(actor=world.coordinator, code="DEV", name="产品开发", owner=world.rd)
    # then
    stored = Process.objects.get(code="DEV")
    assert (stored.pk, stored.name, stored.owner_id) == (process.pk, "产品开发", world.rd.pk)
    assert versions(process) == []
    entry = AuditEntry.objects.get(object_id=str(process.pk))
    assert (entry.action, entry.actor_id, entry.changes["code"]) == ("create", world.coordinator.pk, [None, "DEV"])


def test_create_refuses_a_taken_code_and_writes_nothing(world) -> None:
    # given
    ProcessFactory(code="DEV")
    # when
    with pytest.raises(ApplicationError) as caught:
        editor.process_create(actor=world.coordinator, code="DEV", name="又一个")
    # then
    assert list(caught.value.field_errors) == ["code"]
    assert Process.objects.count() == 1
    assert AuditEntry.objects.count() == 0


def test_create_refuses_a_closed_owner(world) -> None:
    # given
    world.sales.is_active = False
    world.sales.save(update_fields=["is_active"])
    # when
    with pytest.raises(ApplicationError) as caught:
        editor.process_create(actor=world.coordinator, code="DEV", name="产品开发", owner=world.sales)
    # then
    assert list(caught.value.field_errors) == ["owner"]
    assert Process.objects.exists() is False


# ── draft_save ──────────────────────────────────────────────────────────────────────────────────


def test_first_save_makes_draft_1_with_the_steps_in_order(world) -> None:
    # given
    process = ProcessFactory()
    # when
    draft = editor.draft_save(actor=world.coordinator, process=process, steps=two_steps(world))
    # then
    assert (draft.number, draft.published_at) == (1, None)
    steps = list(Step.objects.filter(version=draft).order_by("position"))
    assert [(s.position, s.code, s.responsible_id, s.time_limit) for s in steps] == [
        (0, "D-1", world.rd_hw.pk, "2d"),
        (1, "D-2", world.rd.pk, "4h"),
    ]
    assert (steps[0].inputs, steps[0].outputs) == (["需求书"], ["图纸"])  # blank lines dropped
    assert list(steps[0].cooperating.values_list("pk", flat=True)) == [world.sales.pk]
    assert audit_actions(process) == ["draft_save"]


def test_saving_again_replaces_the_draft_steps(world) -> None:
    # given
    process = ProcessFactory()
    first = editor.draft_save(actor=world.coordinator, process=process, steps=two_steps(world))
    # when
    again = editor.draft_save(
        actor=world.admin,
        process=process,
        steps=[StepInput(code="D-9", name="一步到位", responsible=world.rd, time_limit="1d")],
    )
    # then
    assert again.pk == first.pk
    assert list(Step.objects.filter(version=again).values_list("code", flat=True)) == ["D-9"]
    assert audit_actions(process) == ["draft_save", "draft_save"]
    last = AuditEntry.objects.filter(object_id=str(process.pk)).latest("pk")
    assert [s["code"] for s in last.changes["steps"][0]] == ["D-1", "D-2"]


def test_a_draft_of_a_published_process_takes_the_next_number_and_leaves_the_published_one(world) -> None:
    # given
    v1 = ProcessVersionFactory(number=1)
    StepFactory(version=v1, code="OLD-1", responsible=world.rd, time_limit="1d")
    # when
    draft = editor.draft_save(actor=world.coordinator, process=v1.process, steps=two_steps(world))
    # then
    assert draft.number == 2
    assert list(v1.steps.values_list("code", "time_limit")) == [("OLD-1", "1d")]


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"responsible": None}, "steps.0.responsible"),
        ({"time_limit": "0d"}, "steps.0.time_limit"),
        ({"time_limit": "2 days"}, "steps.0.time_limit"),
        ({"time_limit": ""}, "steps.0.time_limit"),
        ({"code": "D-2"}, "steps.1.code"),  # the same code as the second step
        ({"code": "bad code!"}, "steps.0.code"),
        ({"name": "  "}, "steps.0.name"),
    ],
)
def test_save_refuses_an_invalid_step_and_writes_nothing(world, change: dict[str, Any], key: str) -> None:
    # given
    process = ProcessFactory()
    # when
    with pytest.raises(ApplicationError) as caught:
        editor.draft_save(actor=world.coordinator, process=process, steps=two_steps(world, **change))
    # then
    assert list(caught.value.field_errors) == [key]
    assert ProcessVersion.objects.filter(process=process).exists() is False
    assert AuditEntry.objects.count() == 0


def test_zero_time_limit_gets_the_parser_message(world) -> None:
    # when
    with pytest.raises(ApplicationError) as caught:
        editor.draft_save(actor=world.coordinator, process=ProcessFactory(), steps=two_steps(world, time_limit="0d"))
    # then
    assert caught.value.field_errors == {"steps.0.time_limit": ["“0d” is not above zero."]}


def test_errors_come_in_the_user_language(world) -> None:
    # when
    with translation.override("zh-hans"), pytest.raises(ApplicationError) as caught:
        editor.draft_save(actor=world.coordinator, process=ProcessFactory(), steps=two_steps(world, time_limit="0d"))
    # then: the parser's own message, translated
    assert caught.value.field_errors == {"steps.0.time_limit": ["“0d”必须大于零。"]}


def test_save_refuses_no_steps(world) -> None:
    # when
    with pytest.raises(ApplicationError) as caught:
        editor.draft_save(actor=world.coordinator, process=ProcessFactory(), steps=[])
    # then
    assert caught.value.field_errors == {"steps": ["A process needs at least one step."]}
    assert ProcessVersion.objects.exists() is False


def test_save_refuses_a_closed_responsible_department(world) -> None:
    # given
    world.sales.is_active = False
    world.sales.save(update_fields=["is_active"])
    # when
    with pytest.raises(ApplicationError) as caught:
        editor.draft_save(
            actor=world.coordinator, process=ProcessFactory(), steps=two_steps(world, responsible=world.sales)
        )
    # then
    assert list(caught.value.field_errors) == ["steps.0.responsible", "steps.0.cooperating"]
    assert ProcessVersion.objects.exists() is False


def test_save_refuses_the_responsible_department_as_cooperating(world) -> None:
    # when
    with pytest.raises(ApplicationError) as caught:
        editor.draft_save(
            actor=world.coordinator,
            process=ProcessFactory(),
            steps=two_steps(world, cooperating=[world.sales, world.rd_hw]),
        )
    # then
    assert caught.value.field_errors == {
        "steps.0.cooperating": ["“硬件研发部” is responsible for this step; it cannot also cooperate on it."]
    }


def test_save_refuses_a_step_code_of_another_process(world) -> None:
    # given: another process's published step D-2
    other = ProcessFactory(name="售后")
    StepFactory(version=ProcessVersionFactory(process=other), code="D-2", responsible=world.rd)
    # when
    with pytest.raises(ApplicationError) as caught:
        editor.draft_save(actor=world.coordinator, process=ProcessFactory(), steps=two_steps(world))
    # then
    assert caught.value.field_errors == {"steps.1.code": ["The step code “D-2” is already used by the process “售后”."]}


def test_save_accepts_the_codes_of_the_process_own_published_version(world) -> None:
    # given
    v1 = ProcessVersionFactory(number=1)
    StepFactory(version=v1, code="D-1", responsible=world.rd)
    # when
    draft = editor.draft_save(actor=world.coordinator, process=v1.process, steps=two_steps(world))
    # then
    assert list(draft.steps.values_list("code", flat=True)) == ["D-1", "D-2"]


# ── draft_publish ───────────────────────────────────────────────────────────────────────────────


def test_publish_makes_the_draft_version_1_with_the_clock_and_the_actor(world) -> None:
    # given
    process = ProcessFactory()
    draft = editor.draft_save(actor=world.coordinator, process=process, steps=two_steps(world))
    # when
    with clock.freeze(NOW):
        published = editor.draft_publish(actor=world.admin, process=process)
    # then
    published.refresh_from_db()
    assert (published.pk, published.number, published.published_at, published.published_by_id) == (
        draft.pk,
        1,
        NOW,
        world.admin.pk,
    )
    assert audit_actions(process) == ["draft_save", "publish"]
    assert AuditEntry.objects.filter(action="publish").get().changes == {"version": [None, 1]}


def test_publish_numbers_the_version_after_the_highest_published_one(world) -> None:
    # given: versions 1 and 3 published (3 imported), a draft numbered 2 before the import
    process = ProcessFactory()
    ProcessVersionFactory(process=process, number=1)
    draft = ProcessVersionFactory(process=process, number=2, published_at=None)
    StepFactory(version=draft, code="X-1", responsible=world.rd)
    ProcessVersionFactory(process=process, number=3)
    # when
    with clock.freeze(NOW):
        published = editor.draft_publish(actor=world.coordinator, process=process)
    # then
    assert published.number == 4
    assert [n for n, _at in versions(process)] == [1, 3, 4]
    assert ProcessVersion.objects.filter(process=process, published_at__isnull=True).exists() is False


def test_running_cases_keep_their_version_when_a_new_one_is_published(world) -> None:
    # given
    v1 = ProcessVersionFactory(number=1)
    StepFactory(version=v1, code="D-1", responsible=world.rd)
    case = CaseFactory(version=v1)
    editor.draft_save(actor=world.coordinator, process=v1.process, steps=two_steps(world))
    # when
    editor.draft_publish(actor=world.coordinator, process=v1.process)
    # then
    case.refresh_from_db()
    assert case.version_id == v1.pk
    assert list(v1.steps.values_list("code", flat=True)) == ["D-1"]


def test_publish_checks_the_draft_again(world) -> None:
    # given: a saved draft whose responsible department closed afterwards
    process = ProcessFactory()
    editor.draft_save(actor=world.coordinator, process=process, steps=two_steps(world))
    world.rd.is_active = False
    world.rd.save(update_fields=["is_active"])
    # when
    with pytest.raises(ApplicationError) as caught:
        editor.draft_publish(actor=world.coordinator, process=process)
    # then
    assert list(caught.value.field_errors) == ["steps.1.responsible"]
    assert versions(process) == [(1, None)]
    assert audit_actions(process) == ["draft_save"]


def test_publish_without_a_draft_is_refused(world) -> None:
    # given
    v1 = ProcessVersionFactory(number=1)
    # when
    with pytest.raises(ApplicationError) as caught:
        editor.draft_publish(actor=world.coordinator, process=v1.process)
    # then
    assert caught.value.code == "no_draft"
    assert [n for n, _at in versions(v1.process)] == [1]


# ── draft_discard ───────────────────────────────────────────────────────────────────────────────


def test_discard_deletes_the_draft_and_its_steps_only(world) -> None:
    # given
    v1 = ProcessVersionFactory(number=1)
    StepFactory(version=v1, code="D-1", responsible=world.rd)
    editor.draft_save(actor=world.coordinator, process=v1.process, steps=two_steps(world))
    # when
    editor.draft_discard(actor=world.admin, process=v1.process)
    # then
    assert [n for n, _at in versions(v1.process)] == [1]
    assert list(Step.objects.values_list("code", flat=True)) == ["D-1"]
    entry = AuditEntry.objects.filter(object_id=str(v1.process.pk)).latest("pk")
    assert (entry.action, entry.actor_id, entry.changes["draft"]) == ("draft_discard", world.admin.pk, [2, None])


def test_discard_without_a_draft_is_refused(world) -> None:
    # given
    process = ProcessFactory()
    # when
    with pytest.raises(ApplicationError):
        editor.draft_discard(actor=world.coordinator, process=process)
    # then
    assert AuditEntry.objects.count() == 0


def test_a_process_is_renamed_and_its_owner_changed_with_an_audit_entry(world):
    # given
    from xietong.audit.models import AuditEntry

    process = editor.process_create(actor=world.coordinator, code="NPD", name="新产品开发", owner=world.rd)
    # when
    editor.process_update(actor=world.coordinator, process=process, name="新产品导入", description="", owner=world.gm)
    # then
    process.refresh_from_db()
    assert (process.code, process.name, process.owner) == ("NPD", "新产品导入", world.gm)
    assert AuditEntry.objects.filter(action="update").get().changes == {
        "name": ["新产品开发", "新产品导入"],
        "owner": [str(world.rd), str(world.gm)],
    }


def test_a_process_needs_a_name(world):
    process = editor.process_create(actor=world.coordinator, code="NPD", name="新产品开发")
    with pytest.raises(ApplicationError):
        editor.process_update(actor=world.coordinator, process=process, name="  ")
    process.refresh_from_db()
    assert process.name == "新产品开发"
