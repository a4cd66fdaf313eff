"""The processes app's sections of the package (processes, records.cases): versioning, what a bad
file reports, due instants on the right schedule, and export that imports back to the same state."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from textwrap import dedent, indent
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from xietong.audit.models import AuditEntry
from xietong.common import clock
from xietong.org.models import Department
from xietong.org.selectors import department_schedule
from xietong.packages.document import load_document
from xietong.packages.exporter import package_export
from xietong.packages.importer import package_import
from xietong.packages.tests.helpers import EXAMPLE, db_snapshot, empty_database, import_problems
from xietong.processes.models import Case, Process, ProcessVersion, Step, StepRun
from xietong.processes.tests.factories import CaseFactory, ProcessVersionFactory, StepFactory, StepRunFactory

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 4, 1, 10, 0, tzinfo=TZ)
LATER = datetime(2026, 4, 2, 15, 0, tzinfo=TZ)
TODAY = date(2026, 5, 1)

# Twelve lines: the sections of each test start on line 13.
BASE = """
    version: 1
    organization: {name: 测试公司}
    departments:
      - {code: GM, name: 总经办}
      - {code: CS, name: 客服部, parent: GM}
      - {code: QA, name: 质量部, parent: GM}
      - {code: PROD, name: 生产部, parent: GM}
      - {code: HOT, name: 热线组, parent: CS, schedule: {working_hours: ["08:00-20:00"], days: all}}
      - {code: HOT-N, name: 夜班组, parent: HOT}
    people:
      - {username: hemei, name: 何梅, department: CS}
      - {username: fengxue, name: 冯雪, department: QA}
"""

# Lines 13 to 20.
COMPLAINT = """
    processes:
      - code: COMPLAINT
        name: 客户投诉处理
        owner: CS
        steps:
          - {code: CP-1, name: 投诉登记, responsible: CS, time_limit: 4h}
          - {code: CP-2, name: 原因分析, responsible: QA, cooperating: [PROD], time_limit: 2d}
          - {code: CP-3, name: 整改答复, responsible: CS, time_limit: 1d}
"""


def versioned(number: int) -> str:
    """COMPLAINT with ``version: number``; its version line is line 17."""
    return COMPLAINT.replace("        owner: CS\n", f"        owner: CS\n        version: {number}\n")


def process_keys(text: str) -> str:
    """More keys for the process of ``versioned``: ``text`` at its indentation."""
    return indent(dedent(text).lstrip("\n"), " " * 8)


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Assert on the English messages, whatever catalogues the project ships."""
    with translation.override("en"):
        yield


def pkg(*sections: str) -> bytes:
    """A package: BASE followed by the given sections, each an indented triple-quoted string."""
    return "".join(dedent(s).lstrip("\n") for s in (BASE, *sections)).encode()


def imported(raw: bytes, *, at: datetime = NOW) -> Any:
    with clock.freeze(at):
        return package_import(raw=raw)


def example_supported() -> bytes:
    """The spec's example without the sections that are not supported yet."""
    unsupported = {"escalation_ladders", "meeting_series", "projects"}
    unsupported_records = {"disputes", "notices", "surveys"}
    kept: list[str] = []
    top, skipping = "", False
    for line in EXAMPLE.read_text(encoding="utf-8").splitlines(keepends=True):
        if line[:1] not in (" ", "#", "\n"):
            top = line.split(":", 1)[0]
            skipping = top in unsupported
        elif top == "records" and line.startswith("  ") and line[2:3] not in (" ", "-"):
            skipping = line.strip().split(":", 1)[0] in unsupported_records
        if not skipping:
            kept.append(line)
    return "".join(kept).encode()


def snapshot() -> dict[str, list[dict[str, Any]]]:
    """Every row an import may touch, the processes app's included."""
    return {
        **db_snapshot(),
        "processes": list(Process.objects.order_by("pk").values()),
        "versions": list(ProcessVersion.objects.order_by("pk").values()),
        "steps": list(Step.objects.order_by("pk").values()),
        "cooperating": list(Step.cooperating.through.objects.order_by("pk").values()),
        "cases": list(Case.objects.order_by("pk").values()),
        "runs": list(StepRun.objects.order_by("pk").values()),
    }


def versions(code: str) -> list[tuple[int, datetime | None]]:
    return list(ProcessVersion.objects.filter(process__code=code).values_list("number", "published_at"))


def steps(code: str, number: int) -> list[tuple[Any, ...]]:
    return [
        (
            s.position,
            s.code,
            s.name,
            s.responsible.code,
            sorted(d.code for d in s.cooperating.all()),
            s.inputs,
            s.outputs,
            s.time_limit,
        )
        for s in Step.objects.filter(version__process__code=code, version__number=number)
        .select_related("responsible")
        .prefetch_related("cooperating")
    ]


def runs(process: str, ref: str) -> list[tuple[Any, ...]]:
    return [
        (
            r.position,
            r.step.code,
            r.responsible.code,
            r.started_at,
            r.due_at,
            r.completed_at,
            r.assignee.username if r.assignee else None,
        )
        for r in StepRun.objects.filter(case__process__code=process, case__ref=ref)
        .select_related("step", "responsible", "assignee")
        .order_by("position")
    ]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


def delete_everything() -> None:
    StepRun.objects.all().delete()
    Case.objects.all().delete()
    Step.objects.all().delete()
    ProcessVersion.objects.all().delete()
    Process.objects.all().delete()
    empty_database()


# --- the spec's example ----------------------------------------------------------------------------------


def test_example_process_and_case_are_stored_exactly():
    # given an empty database
    # when
    result = imported(example_supported())
    # then
    process = Process.objects.select_related("owner").get()
    assert (process.code, process.name, process.description, process.owner.code) == (
        "COMPLAINT",
        "客户投诉处理",
        "",
        "CS",
    )
    assert versions("COMPLAINT") == [(1, NOW)]
    assert steps("COMPLAINT", 1) == [
        (0, "CP-1", "投诉登记与分级", "CS", [], ["客户投诉"], ["投诉单"], "4h"),
        (1, "CP-2", "原因分析", "QA", ["PROD"], ["投诉单"], ["8D报告"], "2d"),
        (2, "CP-3", "整改与答复", "CS", ["SALES"], ["8D报告"], ["客户答复函"], "1d"),
    ]
    case = Case.objects.select_related("process", "version").get()
    assert (case.process.code, case.ref, case.title, case.version.number) == ("COMPLAINT", "TS-0001", "批次外观划伤", 1)
    assert (case.opened_at, case.state, case.closed_at) == (at("2026-03-02T09:30"), "running", None)
    # CP-1: 09:30 + 4h with the lunch break → 14:30. CP-2: 16 working hours from Monday 13:00 (5h on Monday,
    # 8h on Tuesday, 3h on Wednesday) → Wednesday 12:00. CP-3: one working day from Thursday 10:00.
    assert runs("COMPLAINT", "TS-0001") == [
        (0, "CP-1", "CS", at("2026-03-02T09:30"), at("2026-03-02T14:30"), at("2026-03-02T11:00"), None),
        (1, "CP-2", "QA", at("2026-03-02T13:00"), at("2026-03-04T12:00"), at("2026-03-05T10:00"), None),
        (2, "CP-3", "CS", at("2026-03-05T10:00"), at("2026-03-06T10:00"), None, None),
    ]
    assert result.counts()["processes"] == {"create": 1}
    assert result.counts()["records.cases"] == {"create": 1}
    assert list(
        AuditEntry.objects.filter(object_repr__in=["客户投诉处理", "COMPLAINT TS-0001"])
        .order_by("object_repr")
        .values_list("object_repr", "object_id", "action")
    ) == [("COMPLAINT TS-0001", str(case.pk), "import.create"), ("客户投诉处理", str(process.pk), "import.create")]


def test_a_dry_run_reports_the_changes_and_leaves_the_database_as_it_was():
    # given
    before = snapshot()
    # when
    with clock.freeze(NOW):
        result = package_import(raw=example_supported(), dry_run=True)
    # then
    assert (result.counts()["processes"], result.counts()["records.cases"]) == ({"create": 1}, {"create": 1})
    assert snapshot() == before


def test_importing_cases_costs_a_fixed_number_of_queries():
    # given
    imported(pkg(COMPLAINT))

    def cases(refs: list[str]) -> str:
        return "records:\n  cases:\n" + "".join(
            f"""    - process: COMPLAINT
      ref: {ref}
      opened_at: "2026-03-02T09:30"
      steps:
        - {{step: CP-1, started_at: "2026-03-02T09:30", completed_at: "2026-03-02T11:00", assignee: hemei}}
        - {{step: CP-2, started_at: "2026-03-02T13:00", assignee: fengxue}}
"""
            for ref in refs
        )

    # when (each import looking up the content types of its audit entries afresh)
    ContentType.objects.clear_cache()
    with CaptureQueriesContext(connection) as one:
        imported(pkg(COMPLAINT, cases(["A"])))
    ContentType.objects.clear_cache()
    with CaptureQueriesContext(connection) as five:
        imported(pkg(COMPLAINT, cases(["B", "C", "D", "E", "F"])))
    with CaptureQueriesContext(connection) as again:
        imported(pkg(COMPLAINT, cases(["B", "C", "D", "E", "F"])))
    # then
    assert Case.objects.count() == 6
    assert len(five.captured_queries) == len(one.captured_queries)
    assert len(again.captured_queries) < len(five.captured_queries)


def test_reimporting_the_example_changes_nothing():
    # given
    imported(example_supported())
    before = snapshot()
    # when
    result = imported(example_supported(), at=LATER)
    # then
    assert result.changes == []
    assert snapshot() == before


def test_the_example_exports_every_step_run_with_its_due_instant_in_the_organization_timezone():
    # given
    imported(example_supported())
    # when
    data = load_document(package_export(today=TODAY).encode()).data
    # then
    assert data["processes"] == [
        {
            "code": "COMPLAINT",
            "name": "客户投诉处理",
            "owner": "CS",
            "version": "1",
            "steps": [
                {
                    "code": "CP-1",
                    "name": "投诉登记与分级",
                    "responsible": "CS",
                    "inputs": ["客户投诉"],
                    "outputs": ["投诉单"],
                    "time_limit": "4h",
                },
                {
                    "code": "CP-2",
                    "name": "原因分析",
                    "responsible": "QA",
                    "cooperating": ["PROD"],
                    "inputs": ["投诉单"],
                    "outputs": ["8D报告"],
                    "time_limit": "2d",
                },
                {
                    "code": "CP-3",
                    "name": "整改与答复",
                    "responsible": "CS",
                    "cooperating": ["SALES"],
                    "inputs": ["8D报告"],
                    "outputs": ["客户答复函"],
                    "time_limit": "1d",
                },
            ],
        }
    ]
    assert data["records"] == {
        "cases": [
            {
                "process": "COMPLAINT",
                "ref": "TS-0001",
                "title": "批次外观划伤",
                "version": "1",
                "opened_at": "2026-03-02T09:30:00+08:00",
                "steps": [
                    {
                        "step": "CP-1",
                        "started_at": "2026-03-02T09:30:00+08:00",
                        "completed_at": "2026-03-02T11:00:00+08:00",
                        "due_at": "2026-03-02T14:30:00+08:00",
                    },
                    {
                        "step": "CP-2",
                        "started_at": "2026-03-02T13:00:00+08:00",
                        "completed_at": "2026-03-05T10:00:00+08:00",
                        "due_at": "2026-03-04T12:00:00+08:00",
                    },
                    {
                        "step": "CP-3",
                        "started_at": "2026-03-05T10:00:00+08:00",
                        "due_at": "2026-03-06T10:00:00+08:00",
                    },
                ],
            }
        ]
    }


# --- versioning --------------------------------------------------------------------------------------------


def test_a_process_without_version_whose_steps_differ_is_published_as_the_next_version():
    # given version 1
    imported(pkg(COMPLAINT))
    changed = COMPLAINT.replace("time_limit: 1d}", "time_limit: 1.5d}")
    # when
    result = imported(pkg(changed), at=LATER)
    # then version 1 is kept as published; the new steps are version 2
    assert versions("COMPLAINT") == [(1, NOW), (2, LATER)]
    assert [s[-1] for s in steps("COMPLAINT", 1)] == ["4h", "2d", "1d"]
    assert [s[-1] for s in steps("COMPLAINT", 2)] == ["4h", "2d", "1.5d"]
    assert [(c.section, c.key, c.action, c.fields) for c in result.changes] == [
        ("processes", "COMPLAINT", "update", {"version": [1, 2]})
    ]


def test_a_process_without_version_with_the_same_steps_changes_nothing():
    # given
    imported(pkg(COMPLAINT))
    before = snapshot()
    # the same steps, written differently: a time limit as 2.0d, flow lists as block lists
    same = """
        processes:
          - code: COMPLAINT
            name: 客户投诉处理
            owner: CS
            steps:
              - {code: CP-1, name: 投诉登记, responsible: CS, time_limit: 4h, inputs: []}
              - code: CP-2
                name: 原因分析
                responsible: QA
                cooperating:
                  - PROD
                time_limit: 2.0d
              - {code: CP-3, name: 整改答复, responsible: CS, time_limit: 1d}
    """
    # when
    result = imported(pkg(same), at=LATER)
    # then
    assert result.changes == []
    assert snapshot() == before


def test_cooperating_departments_compare_as_a_set():
    # given
    imported(pkg(COMPLAINT.replace("cooperating: [PROD]", "cooperating: [PROD, GM]")))
    before = snapshot()
    # when
    result = imported(pkg(COMPLAINT.replace("cooperating: [PROD]", "cooperating: [GM, PROD]")), at=LATER)
    # then
    assert result.changes == []
    assert snapshot() == before


def test_a_process_with_the_stored_version_and_the_same_steps_changes_nothing():
    # given
    imported(pkg(COMPLAINT))
    before = snapshot()
    # when
    result = imported(pkg(versioned(1)), at=LATER)
    # then
    assert result.changes == []
    assert snapshot() == before


def test_a_process_with_the_stored_version_and_other_steps_is_an_error_naming_the_stored_version():
    # given
    imported(pkg(COMPLAINT))
    before = snapshot()
    changed = versioned(1).replace("整改答复", "整改")
    # when
    problems = import_problems(pkg(changed))
    # then
    assert problems == [
        "processes[0].version (line 17): version 1 of the process “COMPLAINT” is already published with other"
        " steps, and a published version never changes: give the next version, 2, or leave out “version”"
    ]
    assert snapshot() == before


def test_a_process_with_a_higher_version_is_published_as_that_version():
    # given
    imported(pkg(COMPLAINT))
    changed = versioned(3).replace("整改答复", "整改")
    # when
    result = imported(pkg(changed), at=LATER)
    # then
    assert versions("COMPLAINT") == [(1, NOW), (3, LATER)]
    assert [s[2] for s in steps("COMPLAINT", 3)] == ["投诉登记", "原因分析", "整改"]
    assert [s[2] for s in steps("COMPLAINT", 1)] == ["投诉登记", "原因分析", "整改答复"]
    assert [(c.key, c.action, c.fields) for c in result.changes] == [("COMPLAINT", "update", {"version": [1, 3]})]


def test_a_process_with_a_higher_version_and_the_same_steps_is_published_as_that_version():
    # given
    imported(pkg(COMPLAINT))
    # when
    imported(pkg(versioned(2)), at=LATER)
    # then
    assert versions("COMPLAINT") == [(1, NOW), (2, LATER)]
    assert steps("COMPLAINT", 2) == steps("COMPLAINT", 1)


def test_a_process_with_a_lower_version_is_an_error_naming_the_stored_version():
    # given version 2 stored
    imported(pkg(versioned(2)))
    before = snapshot()
    # when version 1 is imported, even with the same steps
    problems = import_problems(pkg(versioned(1)))
    # then
    assert problems == [
        "processes[0].version (line 17): the process “COMPLAINT” is at version 2: import version 2 with the same"
        " steps, or a higher version"
    ]
    assert snapshot() == before


def test_a_new_process_with_version_and_previous_versions_publishes_them_all():
    # given
    process = """
        processes:
          - code: COMPLAINT
            name: 客户投诉处理
            version: 3
            steps:
              - {code: CP-1, name: 投诉登记, responsible: CS, time_limit: 4h}
              - {code: CP-2, name: 原因分析, responsible: QA, time_limit: 2d}
            previous_versions:
              - version: 1
                steps:
                  - {code: CP-1, name: 登记, responsible: CS, time_limit: 8h}
    """
    # when
    result = imported(pkg(process))
    # then
    assert versions("COMPLAINT") == [(1, NOW), (3, NOW)]
    assert steps("COMPLAINT", 1) == [(0, "CP-1", "登记", "CS", [], [], [], "8h")]
    assert steps("COMPLAINT", 3) == [
        (0, "CP-1", "投诉登记", "CS", [], [], [], "4h"),
        (1, "CP-2", "原因分析", "QA", [], [], [], "2d"),
    ]
    assert [(c.key, c.action, c.fields) for c in result.changes if c.section == "processes"] == [
        (
            "COMPLAINT",
            "create",
            {"name": [None, "客户投诉处理"], "version": [None, 3], "previous_versions": [None, [1]]},
        )
    ]


def test_a_stored_previous_version_given_with_other_steps_is_an_error():
    # given version 2 stored
    imported(pkg(versioned(2)))
    before = snapshot()
    previous = """
            previous_versions:
              - version: 1
                steps:
                  - {code: CP-1, name: 登记, responsible: CS, time_limit: 8h}
              - version: 2
                steps:
                  - {code: CP-1, name: 登记, responsible: CS, time_limit: 8h}
    """
    # when the file gives another version 2
    problems = import_problems(pkg(versioned(3) + process_keys(previous)))
    # then
    assert problems == [
        "processes[0].previous_versions[1].version (line 26): version 2 of the process “COMPLAINT” is already"
        " published with other steps; a published version never changes"
    ]
    assert snapshot() == before


def test_a_missing_previous_version_is_created_and_a_stored_identical_one_changes_nothing():
    # given version 2 stored
    imported(pkg(versioned(2)))
    previous = """
            previous_versions:
              - version: 1
                steps:
                  - {code: CP-1, name: 登记, responsible: CS, time_limit: 8h}
    """
    # when
    result = imported(pkg(versioned(2) + process_keys(previous)), at=LATER)
    # then only version 1 is created
    assert versions("COMPLAINT") == [(1, LATER), (2, NOW)]
    assert steps("COMPLAINT", 1) == [(0, "CP-1", "登记", "CS", [], [], [], "8h")]
    assert [(c.key, c.action, c.fields) for c in result.changes] == [
        ("COMPLAINT", "update", {"previous_versions": [None, [1]]})
    ]


def test_previous_versions_are_lower_than_version_listed_once_and_need_version():
    # given
    before = snapshot()
    processes = """
        processes:
          - code: COMPLAINT
            name: 客户投诉处理
            version: 2
            steps:
              - {code: CP-1, name: 投诉登记, responsible: CS, time_limit: 4h}
            previous_versions:
              - {version: 1, steps: [{code: CP-1, name: 登记, responsible: CS, time_limit: 8h}]}
              - {version: 1, steps: [{code: CP-1, name: 登记, responsible: CS, time_limit: 8h}]}
              - {version: 2, steps: [{code: CP-1, name: 登记, responsible: CS, time_limit: 8h}]}
          - code: RMA
            name: 退货
            steps:
              - {code: R-1, name: 登记, responsible: CS, time_limit: 4h}
            previous_versions:
              - {version: 1, steps: [{code: R-1, name: 登记, responsible: CS, time_limit: 8h}]}
    """
    # when
    problems = import_problems(pkg(processes))
    # then
    assert problems == [
        "processes[0].previous_versions[1].version (line 21): version 1 is listed twice"
        " (first at processes[0].previous_versions[0].version)",
        "processes[0].previous_versions[2].version (line 22): version 2 is not lower than the process's version 2",
        "processes[1].previous_versions (line 27): previous_versions needs the version number of the current"
        " steps: add “version”",
    ]
    assert snapshot() == before


def test_an_unpublished_draft_blocks_importing_a_version_at_or_above_its_number(world):
    # given version 1 published and a draft of version 2, made in the application
    published = ProcessVersionFactory(process__code="COMPLAINT", number=1)
    StepFactory(version=published, code="CP-1", responsible=world.sales, time_limit="4h")
    ProcessVersionFactory(process=published.process, number=2, published_at=None)
    before = snapshot()
    raw = pkg(
        """
        processes:
          - code: COMPLAINT
            name: 客户投诉处理
            steps:
              - {code: CP-1, name: 投诉登记, responsible: CS, time_limit: 4h}
        """
    )
    # when
    problems = import_problems(raw)
    # then
    assert problems == [
        "processes[0] (line 14): the process “COMPLAINT” has an unpublished draft (version 2); publish or discard"
        " it before importing version 2"
    ]
    assert snapshot() == before


# --- bad processes ------------------------------------------------------------------------------------------


def test_step_problems_are_all_reported_with_their_paths():
    # given
    before = snapshot()
    processes = """
        processes:
          - code: COMPLAINT
            name: 客户投诉处理
            owner: NOPE
            steps:
              - {code: CP-1, name: 登记, responsible: CS, cooperating: [CS, PROD, PROD], time_limit: 0d}
              - {code: CP-1, name: 分析, responsible: XX, cooperating: [YY], time_limit: 4 h}
          - code: RMA
            name: 退货
            steps: []
          - code: COMPLAINT
            name: 重复
            steps:
              - {code: CP-1, name: 登记, responsible: CS, time_limit: 3x}
          - code: ORDER
            name: 订单
            steps:
              - {code: CP-1, name: 登记, responsible: CS, time_limit: 1d}
    """
    # when
    problems = import_problems(pkg(processes))
    # then
    assert problems == [
        "processes[0].owner (line 16): no department has the code “NOPE”",
        "processes[0].steps[0].cooperating[0] (line 18): “CS” is the responsible department of this step;"
        " it cannot also be cooperating",
        "processes[0].steps[0].cooperating[2] (line 18): “PROD” is listed twice",
        "processes[0].steps[0].time_limit (line 18): “0d” is not above zero.",
        "processes[0].steps[1].code (line 19): the step code “CP-1” is used twice in these steps"
        " (first at processes[0].steps[0].code)",
        "processes[0].steps[1].cooperating[0] (line 19): no department has the code “YY”",
        "processes[0].steps[1].responsible (line 19): no department has the code “XX”",
        "processes[0].steps[1].time_limit (line 19): “4 h” must be written without spaces, as “4h”.",
        "processes[1].steps (line 22): list at least one step",
        "processes[2].code (line 23): duplicate process code “COMPLAINT” (first defined at processes[0].code)",
        "processes[2].steps[0].time_limit (line 26): “3x” is not a duration such as 4h, 2d, 1.5d or 30m.",
        "processes[3].steps[0].code (line 30): duplicate step code “CP-1” (first defined at"
        " processes[0].steps[0].code)",
    ]
    assert snapshot() == before


def test_a_step_code_of_another_stored_process_is_an_error(world):
    # given a process made in the application
    StepFactory(version__process__code="ORDER", code="CP-2", responsible=world.sales)
    before = snapshot()
    # when
    problems = import_problems(pkg(COMPLAINT))
    # then
    assert problems == [
        "processes[0].steps[1].code (line 19): the step code “CP-2” is already used by the process “ORDER”"
    ]
    assert snapshot() == before


def test_missing_keys_and_typos_are_errors():
    # given
    before = snapshot()
    processes = """
        processes:
          - code: COMPLAINT
            steps:
              - {code: CP-1, name: 登记, responsible: CS, time_limt: 4h}
    """
    # when
    problems = import_problems(pkg(processes))
    # then
    assert problems == [
        "processes[0] (line 14): missing required key “name”",
        "processes[0].steps[0] (line 16): missing required key “time_limit”",
        "processes[0].steps[0].time_limt (line 16): unknown key “time_limt”; did you mean “time_limit”?",
    ]
    assert snapshot() == before


# --- cases ---------------------------------------------------------------------------------------------------


def test_the_order_and_times_of_step_runs_are_checked():
    # given
    before = snapshot()
    cases = """
        records:
          cases:
            - process: COMPLAINT
              ref: GAP
              opened_at: "2026-03-02T09:30"
              steps:
                - {step: CP-1, started_at: "2026-03-02T09:00", completed_at: "2026-03-02T11:00"}
                - {step: CP-3, started_at: "2026-03-02T12:00"}
            - process: COMPLAINT
              ref: TIMES
              opened_at: "2026-03-02T09:30"
              steps:
                - {step: CP-1, started_at: "2026-03-02T09:30", completed_at: "2026-03-02T11:00"}
                - {step: CP-2, started_at: "2026-03-02T10:00", completed_at: "2026-03-02T09:59"}
                - {step: CP-3, started_at: "2026-03-02T12:00", due_at: "2026-03-02T11:00"}
            - process: COMPLAINT
              ref: MIDDLE
              opened_at: "2026-03-02T09:30"
              steps:
                - {step: CP-1, started_at: "2026-03-02T09:30"}
                - {step: CP-2, started_at: "2026-03-02T13:00"}
    """
    # when
    problems = import_problems(pkg(COMPLAINT, cases))
    # then
    assert problems == [
        "records.cases[0].steps[0].started_at (line 27): the first step starts before the case was opened"
        " (2026-03-02T09:30:00+08:00)",
        "records.cases[0].steps[1].step (line 28): expected the step “CP-2” here: a case lists the first steps of"
        " its version in order, without gaps",
        "records.cases[1].steps[1].completed_at (line 34): this step is completed before it started"
        " (2026-03-02T10:00:00+08:00)",
        "records.cases[1].steps[1].started_at (line 34): this step starts before the previous step was completed"
        " (2026-03-02T11:00:00+08:00)",
        "records.cases[1].steps[2].due_at (line 35): this step is due before it started (2026-03-02T12:00:00+08:00)",
        "records.cases[2].steps[0] (line 40): only the last listed step may be still running: this step needs"
        " “completed_at”",
    ]
    assert snapshot() == before


def test_unknown_processes_steps_versions_people_and_duplicate_refs_are_errors():
    # given
    before = snapshot()
    cases = """
        records:
          cases:
            - {process: NOPE, ref: A, opened_at: "2026-03-02T09:30", steps: []}
            - process: COMPLAINT
              ref: B
              opened_at: "2026-03-02T09:30"
              steps:
                - {step: CP-9, started_at: "2026-03-02T09:30", assignee: nobody}
            - {process: COMPLAINT, ref: C, version: 7, opened_at: "2026-03-02T09:30", steps: []}
            - {process: COMPLAINT, ref: B, opened_at: "2026-03-02T09:30", steps: []}
            - process: COMPLAINT
              ref: D
              opened_at: "2026-03-02T09:30"
              steps:
                - {step: CP-1, started_at: "2026-03-02T09:30", completed_at: "2026-03-02T09:40"}
                - {step: CP-2, started_at: "2026-03-02T09:40", completed_at: "2026-03-02T09:50"}
                - {step: CP-3, started_at: "2026-03-02T09:50", completed_at: "2026-03-02T10:00"}
                - {step: CP-3, started_at: "2026-03-02T10:00"}
    """
    # when
    problems = import_problems(pkg(COMPLAINT, cases))
    # then
    assert problems == [
        "records.cases[0].process (line 23): no process has the code “NOPE”",
        "records.cases[1].steps[0].assignee (line 28): “nobody” is not a person of the organization",
        "records.cases[1].steps[0].step (line 28): “CP-9” is not a step of version 1 of the process “COMPLAINT”",
        "records.cases[2].version (line 29): the process “COMPLAINT” has no version 7",
        "records.cases[3].ref (line 30): duplicate case reference “B” (first defined at records.cases[1].ref)",
        "records.cases[4].steps[3].step (line 38): version 1 of the process “COMPLAINT” has only 3 steps",
    ]
    assert snapshot() == before


def test_a_case_of_a_stored_process_without_a_published_version_is_an_error(world):
    # given a process that has only a draft
    ProcessVersionFactory(process__code="DRAFTY", published_at=None)
    before = snapshot()
    cases = """
        records:
          cases:
            - {process: DRAFTY, ref: A, opened_at: "2026-03-02T09:30", steps: []}
    """
    # when
    problems = import_problems(pkg(cases))
    # then
    assert problems == ["records.cases[0].process (line 15): the process “DRAFTY” has no published version"]
    assert snapshot() == before


def test_a_case_is_completed_when_every_step_of_its_version_is_completed():
    # given
    cases = """
        records:
          cases:
            - process: COMPLAINT
              ref: DONE
              title: 已结案
              opened_at: "2026-03-02T09:30"
              steps:
                - {step: CP-1, started_at: "2026-03-02T09:30", completed_at: "2026-03-02T11:00", assignee: hemei}
                - {step: CP-2, started_at: "2026-03-02T11:00", completed_at: "2026-03-03T17:00", assignee: fengxue}
                - {step: CP-3, started_at: "2026-03-04T09:00", completed_at: "2026-03-04T16:00"}
            - process: COMPLAINT
              ref: OPEN
              opened_at: "2026-03-02T09:30"
              steps: []
    """
    # when
    imported(pkg(COMPLAINT, cases))
    # then
    done = Case.objects.get(ref="DONE")
    assert (done.title, done.state, done.closed_at) == ("已结案", "completed", at("2026-03-04T16:00"))
    assert [r[-1] for r in runs("COMPLAINT", "DONE")] == ["hemei", "fengxue", None]
    still_open = Case.objects.get(ref="OPEN")
    assert (still_open.title, still_open.state, still_open.closed_at) == ("", "running", None)
    assert runs("COMPLAINT", "OPEN") == []


def test_a_kept_due_at_is_stored_as_given_and_a_time_with_an_offset_is_that_instant():
    # given
    cases = """
        records:
          cases:
            - process: COMPLAINT
              ref: HELD
              opened_at: "2026-03-02T01:30Z"
              steps:
                - {step: CP-1, started_at: "2026-03-02T09:30+08:00", due_at: "2026-03-03T10:00"}
    """
    # when
    imported(pkg(COMPLAINT, cases))
    # then
    assert Case.objects.get().opened_at == at("2026-03-02T09:30")
    assert runs("COMPLAINT", "HELD") == [(0, "CP-1", "CS", at("2026-03-02T09:30"), at("2026-03-03T10:00"), None, None)]


def test_a_step_over_the_spring_festival_is_due_on_the_make_up_saturday():
    # given one working day from Friday 2026-02-13 17:00 on the organization's cn schedule: one hour on
    # Friday; Saturday 2026-02-14 is a make-up working day (调休上班), so the other seven hours run on it
    cases = """
        records:
          cases:
            - process: COMPLAINT
              ref: CNY
              opened_at: "2026-02-13T17:00"
              steps:
                - {step: CP-1, started_at: "2026-02-13T17:00"}
    """
    # when
    imported(pkg(COMPLAINT.replace("time_limit: 4h", "time_limit: 1d"), cases))
    # then
    assert runs("COMPLAINT", "CNY") == [(0, "CP-1", "CS", at("2026-02-13T17:00"), at("2026-02-14T17:00"), None, None)]


def test_a_department_with_its_own_schedule_times_its_steps_and_those_of_its_sub_departments():
    # given HOT works 08:00-20:00 every day (a 12-hour working day); HOT-N inherits it
    processes = """
        processes:
          - code: HOTLINE
            name: 热线工单
            steps:
              - {code: H-1, name: 受理, responsible: HOT, time_limit: 2h}
              - {code: H-2, name: 夜班回访, responsible: HOT-N, time_limit: 1d}
    """
    cases = """
        records:
          cases:
            - process: HOTLINE
              ref: W-1
              opened_at: "2026-03-07T18:00"
              steps:
                - {step: H-1, started_at: "2026-03-07T18:00", completed_at: "2026-03-07T19:00"}
                - {step: H-2, started_at: "2026-03-07T19:00"}
    """
    # when
    imported(pkg(processes, cases))
    # then Saturday 18:00 + 2h → 20:00, the very end of the day; Saturday 19:00 + 12h → Sunday 19:00
    assert runs("HOTLINE", "W-1") == [
        (0, "H-1", "HOT", at("2026-03-07T18:00"), at("2026-03-07T20:00"), at("2026-03-07T19:00"), None),
        (1, "H-2", "HOT-N", at("2026-03-07T19:00"), at("2026-03-08T19:00"), None, None),
    ]


def test_due_instants_use_the_schedule_the_same_file_gives_a_department():
    # given HOT stored with its 08:00-20:00 schedule, and that schedule read (and cached) by the application
    imported(pkg())
    assert department_schedule(Department.objects.get(code="HOT").pk).working_hours == ((480, 1200),)
    processes = """
        processes:
          - code: HOTLINE
            name: 热线工单
            steps:
              - {code: H-1, name: 受理, responsible: HOT, time_limit: 2h}
    """
    cases = """
        records:
          cases:
            - process: HOTLINE
              ref: W-1
              opened_at: "2026-03-07T19:00"
              steps:
                - {step: H-1, started_at: "2026-03-07T19:00"}
    """
    # when the file makes HOT work around the clock
    imported(pkg(processes, cases).replace(b'["08:00-20:00"]', b'["00:00-24:00"]'))
    # then the step runs on the new schedule: Saturday 19:00 + 2h → 21:00
    assert runs("HOTLINE", "W-1") == [(0, "H-1", "HOT", at("2026-03-07T19:00"), at("2026-03-07T21:00"), None, None)]


def test_a_case_runs_on_the_version_the_file_gives_unless_it_names_another():
    # given a process at version 2, with version 1 still in the file
    processes = """
        processes:
          - code: COMPLAINT
            name: 客户投诉处理
            version: 2
            steps:
              - {code: CP-1, name: 投诉登记, responsible: CS, time_limit: 4h}
              - {code: CP-2, name: 原因分析, responsible: QA, time_limit: 2d}
            previous_versions:
              - {version: 1, steps: [{code: CP-1, name: 登记, responsible: QA, time_limit: 1h}]}
    """
    cases = """
        records:
          cases:
            - process: COMPLAINT
              ref: NEW
              opened_at: "2026-03-02T09:30"
              steps:
                - {step: CP-1, started_at: "2026-03-02T09:30"}
            - process: COMPLAINT
              ref: OLD
              version: 1
              opened_at: "2026-03-02T09:30"
              steps:
                - {step: CP-1, started_at: "2026-03-02T09:30", completed_at: "2026-03-02T09:45"}
    """
    # when
    imported(pkg(processes, cases))
    # then the new case runs version 2 (4h on CS); the old one version 1 (1h on QA), which it completed
    new = Case.objects.select_related("version").get(ref="NEW")
    old = Case.objects.select_related("version").get(ref="OLD")
    assert (new.version.number, new.state) == (2, "running")
    assert (old.version.number, old.state, old.closed_at) == (1, "completed", at("2026-03-02T09:45"))
    assert runs("COMPLAINT", "NEW") == [(0, "CP-1", "CS", at("2026-03-02T09:30"), at("2026-03-02T14:30"), None, None)]
    assert runs("COMPLAINT", "OLD") == [
        (0, "CP-1", "QA", at("2026-03-02T09:30"), at("2026-03-02T10:30"), at("2026-03-02T09:45"), None)
    ]


def test_a_case_of_a_process_the_file_leaves_out_runs_on_its_stored_current_version():
    # given versions 1 and 2 stored
    imported(pkg(COMPLAINT))
    imported(pkg(COMPLAINT.replace("time_limit: 4h", "time_limit: 2h")), at=LATER)
    cases = """
        records:
          cases:
            - process: COMPLAINT
              ref: X
              opened_at: "2026-03-02T09:30"
              steps:
                - {step: CP-1, started_at: "2026-03-02T09:30"}
    """
    # when
    imported(pkg(cases))
    # then
    assert Case.objects.get().version.number == 2
    assert runs("COMPLAINT", "X") == [(0, "CP-1", "CS", at("2026-03-02T09:30"), at("2026-03-02T11:30"), None, None)]


# --- re-import ---------------------------------------------------------------------------------------------

CASE = """
    records:
      cases:
        - process: COMPLAINT
          ref: TS-1
          title: 划伤
          opened_at: "2026-03-02T09:30"
          steps:
            - {step: CP-1, started_at: "2026-03-02T09:30", completed_at: "2026-03-02T11:00"}
            - {step: CP-2, started_at: "2026-03-02T13:00"}
"""


def test_reimporting_a_case_with_other_step_runs_replaces_them():
    # given
    imported(pkg(COMPLAINT, CASE))
    first = StepRun.objects.get(position=0).pk
    changed = CASE.replace(
        '{step: CP-2, started_at: "2026-03-02T13:00"}',
        '{step: CP-2, started_at: "2026-03-02T13:00", completed_at: "2026-03-03T10:00", assignee: fengxue}\n'
        '            - {step: CP-3, started_at: "2026-03-03T10:00", completed_at: "2026-03-03T11:00"}',
    )
    # when
    result = imported(pkg(COMPLAINT, changed), at=LATER)
    # then
    case = Case.objects.get()
    assert (case.state, case.closed_at) == ("completed", at("2026-03-03T11:00"))
    assert runs("COMPLAINT", "TS-1") == [
        (0, "CP-1", "CS", at("2026-03-02T09:30"), at("2026-03-02T14:30"), at("2026-03-02T11:00"), None),
        (1, "CP-2", "QA", at("2026-03-02T13:00"), at("2026-03-04T12:00"), at("2026-03-03T10:00"), "fengxue"),
        (2, "CP-3", "CS", at("2026-03-03T10:00"), at("2026-03-04T10:00"), at("2026-03-03T11:00"), None),
    ]
    assert StepRun.objects.get(position=0).pk == first  # an unchanged run stays as it is
    assert [(c.section, c.key, c.action, c.fields) for c in result.changes] == [
        (
            "records.cases",
            "COMPLAINT TS-1",
            "update",
            {
                "state": ["running", "completed"],
                "closed_at": [None, at("2026-03-03T11:00")],
                "steps": [
                    [
                        [
                            "CP-1",
                            "2026-03-02T09:30:00+08:00",
                            "2026-03-02T11:00:00+08:00",
                            "2026-03-02T14:30:00+08:00",
                            None,
                        ],
                        ["CP-2", "2026-03-02T13:00:00+08:00", None, "2026-03-04T12:00:00+08:00", None],
                    ],
                    [
                        [
                            "CP-1",
                            "2026-03-02T09:30:00+08:00",
                            "2026-03-02T11:00:00+08:00",
                            "2026-03-02T14:30:00+08:00",
                            None,
                        ],
                        [
                            "CP-2",
                            "2026-03-02T13:00:00+08:00",
                            "2026-03-03T10:00:00+08:00",
                            "2026-03-04T12:00:00+08:00",
                            "fengxue",
                        ],
                        [
                            "CP-3",
                            "2026-03-03T10:00:00+08:00",
                            "2026-03-03T11:00:00+08:00",
                            "2026-03-04T10:00:00+08:00",
                            None,
                        ],
                    ],
                ],
            },
        )
    ]


def test_reimporting_a_case_with_fewer_step_runs_removes_the_others():
    # given
    imported(pkg(COMPLAINT, CASE))
    shorter = CASE.replace('            - {step: CP-2, started_at: "2026-03-02T13:00"}\n', "").replace(
        ', completed_at: "2026-03-02T11:00"}', "}"
    )
    # when
    imported(pkg(COMPLAINT, shorter), at=LATER)
    # then
    assert runs("COMPLAINT", "TS-1") == [(0, "CP-1", "CS", at("2026-03-02T09:30"), at("2026-03-02T14:30"), None, None)]


def test_a_computed_due_instant_is_kept_when_the_schedule_changes_later():
    # given a case imported while CS worked the default hours
    imported(pkg(COMPLAINT, CASE))
    before = snapshot()
    # when the same case is imported again after CS got its own schedule
    changed = (
        pkg(COMPLAINT, CASE)
        .decode()
        .replace(
            "{code: CS, name: 客服部, parent: GM}",
            '{code: CS, name: 客服部, parent: GM, schedule: {working_hours: ["08:00-20:00"]}}',
        )
    )
    result = imported(changed.encode(), at=LATER)
    # then only the department changed: the due instants were computed when the steps started
    assert [(c.section, c.key) for c in result.changes] == [("departments", "CS")]
    assert snapshot()["runs"] == before["runs"]


def test_a_case_cancelled_in_the_application_stays_cancelled_when_its_runs_change(world):
    # given
    imported(pkg(COMPLAINT, CASE))
    Case.objects.update(state="cancelled", closed_at=at("2026-03-03T09:00"))
    # when
    later_start = CASE.replace('started_at: "2026-03-02T13:00"', 'started_at: "2026-03-02T14:00"')
    imported(pkg(COMPLAINT, later_start), at=LATER)
    # then
    case = Case.objects.get()
    assert (case.state, case.closed_at) == ("cancelled", at("2026-03-03T09:00"))
    assert runs("COMPLAINT", "TS-1")[1][3:5] == (at("2026-03-02T14:00"), at("2026-03-04T14:00"))


# --- export ------------------------------------------------------------------------------------------------

HISTORY = """
    processes:
      - code: COMPLAINT
        name: 客户投诉处理
        description: 客户投诉从登记到答复
        owner: CS
        version: 3
        steps:
          - {code: CP-1, name: 投诉登记, responsible: CS, inputs: [客户投诉], outputs: [投诉单], time_limit: 4h}
          - {code: CP-2, name: 原因分析, responsible: QA, cooperating: [PROD, GM], time_limit: 1.50d}
        previous_versions:
          - {version: 1, steps: [{code: CP-1, name: 登记, responsible: CS, time_limit: 2d}]}
          - {version: 2, steps: [{code: CP-1, name: 登记, responsible: HOT, time_limit: 8h}]}
      - code: HOTLINE
        name: 热线工单
        steps:
          - {code: H-1, name: 受理, responsible: HOT-N, time_limit: 30m}
    records:
      cases:
        - process: COMPLAINT
          ref: OLD-1
          version: 1
          opened_at: "2025-12-30T17:30"
          steps:
            - {step: CP-1, started_at: "2025-12-30T17:30", completed_at: "2026-01-05T10:00", assignee: hemei}
        - process: COMPLAINT
          ref: NEW-1
          title: 新
          opened_at: "2026-03-02T09:30:15.5"
          steps:
            - {step: CP-1, started_at: "2026-03-02T09:30:15.5", completed_at: "2026-03-02T10:00"}
            - {step: CP-2, started_at: "2026-03-02T10:00", due_at: "2026-03-10T18:00"}
        - process: HOTLINE
          ref: "0001"
          opened_at: "2026-03-08T23:50"
          steps:
            - {step: H-1, started_at: "2026-03-08T23:50"}
"""


def test_export_writes_the_current_version_and_the_older_versions_cases_ran_on():
    # given
    imported(pkg(HISTORY))
    # when
    data = load_document(package_export(today=TODAY).encode()).data
    # then version 2, which no case ran on, is not written
    assert data["processes"] == [
        {
            "code": "COMPLAINT",
            "name": "客户投诉处理",
            "description": "客户投诉从登记到答复",
            "owner": "CS",
            "version": "3",
            "steps": [
                {
                    "code": "CP-1",
                    "name": "投诉登记",
                    "responsible": "CS",
                    "inputs": ["客户投诉"],
                    "outputs": ["投诉单"],
                    "time_limit": "4h",
                },
                {
                    "code": "CP-2",
                    "name": "原因分析",
                    "responsible": "QA",
                    "cooperating": ["GM", "PROD"],
                    "time_limit": "1.5d",
                },
            ],
            "previous_versions": [
                {"version": "1", "steps": [{"code": "CP-1", "name": "登记", "responsible": "CS", "time_limit": "2d"}]}
            ],
        },
        {
            "code": "HOTLINE",
            "name": "热线工单",
            "version": "1",
            "steps": [{"code": "H-1", "name": "受理", "responsible": "HOT-N", "time_limit": "30m"}],
        },
    ]
    assert data["records"]["cases"] == [
        {
            "process": "COMPLAINT",
            "ref": "OLD-1",
            "version": "1",
            "opened_at": "2025-12-30T17:30:00+08:00",
            "steps": [
                {
                    "step": "CP-1",
                    "started_at": "2025-12-30T17:30:00+08:00",
                    "completed_at": "2026-01-05T10:00:00+08:00",
                    # 16 working hours: 30 minutes on 2025-12-30, 8 hours on 2025-12-31; 2026-01-01..03 are days
                    # off and Sunday 2026-01-04 is a make-up working day, which gives the other 7.5 hours
                    "due_at": "2026-01-04T17:30:00+08:00",
                    "assignee": "hemei",
                }
            ],
        },
        {
            "process": "COMPLAINT",
            "ref": "NEW-1",
            "title": "新",
            "version": "3",
            "opened_at": "2026-03-02T09:30:15.500000+08:00",
            "steps": [
                {
                    "step": "CP-1",
                    "started_at": "2026-03-02T09:30:15.500000+08:00",
                    "completed_at": "2026-03-02T10:00:00+08:00",
                    "due_at": "2026-03-02T14:30:15.500000+08:00",
                },
                {"step": "CP-2", "started_at": "2026-03-02T10:00:00+08:00", "due_at": "2026-03-10T18:00:00+08:00"},
            ],
        },
        {
            "process": "HOTLINE",
            "ref": "0001",
            "version": "1",
            "opened_at": "2026-03-08T23:50:00+08:00",
            "steps": [
                {"step": "H-1", "started_at": "2026-03-08T23:50:00+08:00", "due_at": "2026-03-09T08:30:00+08:00"}
            ],
        },
    ]


def test_export_writes_the_holiday_calendars_from_the_year_of_the_earliest_case():
    # given a case opened in 2025
    imported(pkg(HISTORY))
    # when
    data = load_document(package_export(today=TODAY).encode()).data
    # then
    assert {d[:4] for d in data["organization"]["schedule"]["holidays"]} == {"2025", "2026", "2027"}


def test_export_then_import_into_an_empty_database_exports_the_same_text():
    # given
    imported(pkg(HISTORY))
    exported = package_export(today=TODAY)
    delete_everything()
    # when
    imported(exported.encode(), at=LATER)
    # then
    assert package_export(today=TODAY) == exported
    assert versions("COMPLAINT") == [(1, LATER), (3, LATER)]


def test_an_exported_file_reimports_with_zero_changes():
    # given
    imported(pkg(HISTORY))
    before = snapshot()
    exported = package_export(today=TODAY)
    # when
    result = imported(exported.encode(), at=LATER)
    # then
    assert result.changes == []
    assert snapshot() == before


def test_an_application_case_exports_and_reimports_unchanged(world):
    # given a case run in the application, with a due instant moved by a hold
    StepRunFactory(
        step__code="S-1",
        step__responsible=world.rd,
        step__version__process__code="ORDER",
        case__ref="SO-1",
        assignee=world.employee,
        due_at=at("2026-03-05T16:00"),
    )
    before = snapshot()
    exported = package_export(today=TODAY)
    # when
    result = imported(exported.encode(), at=LATER)
    # then
    assert result.changes == []
    assert snapshot() == before
    assert load_document(exported.encode()).data["records"]["cases"][0]["steps"] == [
        {
            "step": "S-1",
            "started_at": "2026-03-02T09:00:00+08:00",
            "due_at": "2026-03-05T16:00:00+08:00",
            "assignee": "employee",
        }
    ]


def test_a_case_without_a_title_exports_without_one(world):
    # given
    CaseFactory(ref="E-1", title="", version__process__code="EMPTY")
    # when
    cases = load_document(package_export(today=TODAY).encode()).data["records"]["cases"]
    # then
    assert cases[0] == {
        "process": "EMPTY",
        "ref": "E-1",
        "version": "1",
        "opened_at": "2026-03-02T09:00:00+08:00",
        "steps": [],
    }
