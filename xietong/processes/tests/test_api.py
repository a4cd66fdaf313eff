"""Processes and cases over REST (/api/v1/processes/): reading, filtering, acting through the services.

Who gets which status on every route is in the role × route matrix (route_matrix_api.py); these
tests say what the answers contain, what the writes do, and that a refused write changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation
from django.utils.translation import gettext
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

from xietong.audit.models import AuditEntry
from xietong.common import clock
from xietong.common.testing.routes import SIGNED_IN
from xietong.org.tests.factories import DepartmentFactory, PersonFactory
from xietong.processes import services
from xietong.processes.models import Case, CaseEvent, Process, ProcessVersion, Step, StepRun
from xietong.processes.tests.route_matrix_api import idea, order, plan, quote

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")
PROCESSES = "/api/v1/processes/processes/"
CASES = "/api/v1/processes/cases/"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


def iso(text: str) -> str:
    """An organization-local instant as the API writes it (the caller's timezone is the organization's)."""
    return at(text).isoformat()


def zh(message: str, **values: Any) -> str:
    """``message`` as a caller speaking the organization's language (zh-hans) reads it."""
    with translation.override("zh-hans"):
        return gettext(message).format(**values)


def _json(client: Any, method: str, url: str, data: Any = None) -> Any:
    return getattr(client, method)(url, data, content_type="application/json")


@pytest.fixture
def catalogue(world: Any) -> dict[str, Process]:
    """ORDER (O-1 RD-HW → O-2 SALES, RD cooperating), PLAN (v1 and a draft v2), IDEA (a draft only),
    QUOTE (Q-1 SALES): the processes of the route matrix."""
    return {"ORDER": order(world), "PLAN": plan(world), "IDEA": idea(world), "QUOTE": quote(world)}


def open_case(world: Any, process: Process, ref: str, when: str = "2026-03-02T09:00", actor: Any = None) -> Case:
    with clock.freeze(at(when)):
        return services.case_open(actor=actor or world.employee, process=process, title=f"案件 {ref}", ref=ref)


def case_snapshot(case: Case) -> tuple[Any, ...]:
    return (
        Case.objects.filter(pk=case.pk).values().get(),
        list(StepRun.objects.filter(case=case).order_by("position").values()),
        list(CaseEvent.objects.filter(case=case).values_list("kind", flat=True)),
        AuditEntry.objects.count(),
    )


def process_snapshot(process: Process) -> tuple[Any, ...]:
    return (
        Process.objects.filter(pk=process.pk).values().get(),
        list(ProcessVersion.objects.filter(process=process).order_by("number").values()),
        list(Step.objects.filter(version__process=process).order_by("version__number", "position").values()),
        AuditEntry.objects.count(),
    )


# ── Processes ───────────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("role", SIGNED_IN)
def test_every_signed_in_role_lists_the_published_processes(client, world, catalogue, role):
    # given
    client.force_login(world.user(role))
    # when
    response = client.get(PROCESSES)
    # then
    assert response.status_code == 200
    body = response.json()
    assert (body["count"], body["next"], body["previous"]) == (3, None, None)
    assert body["results"][0] == {
        "id": catalogue["ORDER"].pk,
        "code": "ORDER",
        "name": "订单交付",
        "description": "",
        "owner": None,
        "current_version": 1,
        "published_at": iso("2026-01-05T09:00"),
        "draft_version": None,
    }
    assert [(p["code"], p["current_version"]) for p in body["results"]] == [("ORDER", 1), ("PLAN", 1), ("QUOTE", 1)]


def test_editors_list_the_drafts_too_when_they_ask(client, world, catalogue):
    # given
    client.force_login(world.coordinator)
    # when
    plain = client.get(PROCESSES).json()
    with_drafts = client.get(PROCESSES, {"include": "drafts"}).json()
    # then
    assert [(p["code"], p["draft_version"]) for p in plain["results"]] == [
        ("ORDER", None),
        ("PLAN", 2),
        ("QUOTE", None),
    ]
    assert [(p["code"], p["current_version"], p["draft_version"]) for p in with_drafts["results"]] == [
        ("IDEA", None, 1),
        ("ORDER", 1, None),
        ("PLAN", 1, 2),
        ("QUOTE", 1, None),
    ]


def test_asking_for_drafts_shows_nothing_more_to_someone_who_does_not_edit(client, world, catalogue):
    # given
    client.force_login(world.head)
    # when
    body = client.get(PROCESSES, {"include": "drafts"}).json()
    # then
    assert [(p["code"], p["draft_version"]) for p in body["results"]] == [
        ("ORDER", None),
        ("PLAN", None),
        ("QUOTE", None),
    ]


def test_process_detail_shows_the_current_version_with_its_steps_and_the_versions(client, world, catalogue):
    # given
    step = Step.objects.get(code="O-2")
    step.inputs, step.outputs = ["报价单"], ["客户确认书"]
    step.save(update_fields=["inputs", "outputs"])
    step.cooperating.add(world.gm)
    client.force_login(world.employee)
    # when
    response = client.get(f"{PROCESSES}{catalogue['ORDER'].pk}/")
    # then
    assert response.status_code == 200
    assert response.json() == {
        "id": catalogue["ORDER"].pk,
        "code": "ORDER",
        "name": "订单交付",
        "description": "",
        "owner": None,
        "current_version": {
            "number": 1,
            "is_published": True,
            "published_at": iso("2026-01-05T09:00"),
            "published_by": None,
            "steps": [
                {
                    "position": 0,
                    "code": "O-1",
                    "name": "步骤 O-1",
                    "responsible": "RD-HW",
                    "cooperating": [],
                    "inputs": [],
                    "outputs": [],
                    "time_limit": "1d",
                },
                {
                    "position": 1,
                    "code": "O-2",
                    "name": "步骤 O-2",
                    "responsible": "SALES",
                    "cooperating": ["GM", "RD"],
                    "inputs": ["报价单"],
                    "outputs": ["客户确认书"],
                    "time_limit": "1d",
                },
            ],
        },
        "draft": None,
        "versions": [
            {"number": 1, "is_published": True, "published_at": iso("2026-01-05T09:00"), "published_by": None}
        ],
    }


def test_only_editors_see_a_draft_and_the_processes_that_have_nothing_else(client, world, catalogue):
    # given
    plan_url, idea_url = f"{PROCESSES}{catalogue['PLAN'].pk}/", f"{PROCESSES}{catalogue['IDEA'].pk}/"
    # when
    client.force_login(world.employee)
    employee_plan, employee_idea = client.get(plan_url), client.get(idea_url)
    client.force_login(world.admin)
    admin_plan, admin_idea = client.get(plan_url).json(), client.get(idea_url).json()
    # then
    assert (employee_plan.json()["draft"], [v["number"] for v in employee_plan.json()["versions"]]) == (None, [1])
    assert employee_idea.status_code == 404
    assert (admin_plan["draft"]["number"], [v["number"] for v in admin_plan["versions"]]) == (2, [1, 2])
    assert admin_plan["draft"]["steps"][0]["cooperating"] == ["RD"]
    assert (admin_idea["current_version"], admin_idea["draft"]["number"]) == (None, 1)


def test_process_figures_as_of_an_instant(client, world, catalogue):
    # given: two ORDER cases; the first has O-1 completed on time, the second's O-1 is open
    first = open_case(world, catalogue["ORDER"], "SO-1")
    with clock.freeze(at("2026-03-02T10:00")):
        services.step_complete(actor=world.employee, run=first.step_runs.get(), note="方案已发出")
    open_case(world, catalogue["ORDER"], "SO-2", when="2026-03-03T09:00")
    client.force_login(world.other_department)
    url = f"{PROCESSES}{catalogue['ORDER'].pk}/figures/"
    # when
    before = client.get(url, {"as_of": "2026-03-02"})
    between = client.get(url, {"as_of": "2026-03-02T12:00"})
    later = client.get(url, {"as_of": "2026-03-31T00:00:00+08:00"})
    # then
    assert before.json() == {
        "process": "ORDER",
        "as_of": iso("2026-03-02T00:00"),
        "cases_total": 0,
        "cases_completed": 0,
        "steps_completed": 0,
        "steps_on_time": 0,
        "on_time_rate": None,
        "median_cycle_hours": None,
        "overdue_open_steps": 0,
        "bottleneck_step": None,
        "handoff_hours_median": None,
    }
    assert {k: between.json()[k] for k in ("cases_total", "steps_completed", "steps_on_time", "on_time_rate")} == {
        "cases_total": 1,
        "steps_completed": 1,
        "steps_on_time": 1,
        "on_time_rate": 1.0,
    }
    # by the end of March both open steps (O-2 of SO-1, O-1 of SO-2) are long overdue
    assert (later.json()["cases_total"], later.json()["overdue_open_steps"]) == (2, 2)


def test_process_figures_default_to_now(client, world, catalogue):
    # given
    client.force_login(world.employee)
    # when
    with clock.freeze(at("2026-04-01T12:00")):
        response = client.get(f"{PROCESSES}{catalogue['QUOTE'].pk}/figures/")
    # then
    assert (response.status_code, response.json()["as_of"], response.json()["process"]) == (
        200,
        iso("2026-04-01T12:00"),
        "QUOTE",
    )


def test_process_figures_refuse_an_instant_they_cannot_read(client, world, catalogue):
    # given
    client.force_login(world.employee)
    # when
    response = client.get(f"{PROCESSES}{catalogue['ORDER'].pk}/figures/", {"as_of": "31/03/2026"})
    # then
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "as_of": [zh("“{value}” is not a date or datetime such as 2026-06-30T18:00:00+08:00", value="31/03/2026")]
    }


def test_a_coordinator_creates_a_process_through_the_editor(client, world, catalogue):
    # given
    client.force_login(world.coordinator)
    # when
    response = _json(client, "post", PROCESSES, {"code": "RMA", "name": "退货处理", "owner": "SALES"})
    # then
    assert response.status_code == 201
    process = Process.objects.get(code="RMA")
    assert (process.name, process.owner, process.versions.count()) == ("退货处理", world.sales, 0)
    assert response.json() | {"id": None} == {
        "id": None,
        "code": "RMA",
        "name": "退货处理",
        "description": "",
        "owner": "SALES",
        "current_version": None,
        "draft": None,
        "versions": [],
    }
    assert AuditEntry.objects.filter(object_id=str(process.pk), action="create").count() == 1


def test_a_process_code_is_checked_by_the_editor(client, world, catalogue):
    # given
    client.force_login(world.admin)
    # when
    response = _json(client, "post", PROCESSES, {"code": "ORDER", "name": "重复"})
    # then
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"code"}
    assert Process.objects.count() == 4


def test_someone_who_does_not_edit_processes_creates_none(client, world, catalogue):
    # given
    client.force_login(world.head)
    # when
    response = _json(client, "post", PROCESSES, {"code": "RMA", "name": "退货处理"})
    # then
    assert (response.status_code, response.json()["error"]["code"]) == (403, "permission_denied")
    assert (Process.objects.filter(code="RMA").exists(), AuditEntry.objects.count()) == (False, 0)


def test_an_editor_saves_a_draft_and_publishes_it_as_the_next_version(client, world, catalogue):
    # given
    client.force_login(world.coordinator)
    url = f"{PROCESSES}{catalogue['ORDER'].pk}/"
    steps = [
        {"code": "O-1", "name": "方案设计", "responsible": "RD-HW", "time_limit": "4h", "outputs": ["方案"]},
        {"code": "O-3", "name": "评审", "responsible": "RD", "cooperating": ["SALES", "RD-HW"], "time_limit": "2d"},
    ]
    # when
    saved = _json(client, "put", f"{url}draft/", {"steps": steps})
    published = _json(client, "post", f"{url}publish/")
    # then
    assert saved.status_code == 200
    assert (saved.json()["current_version"]["number"], saved.json()["draft"]["number"]) == (1, 2)
    assert [(s["code"], s["cooperating"], s["outputs"]) for s in saved.json()["draft"]["steps"]] == [
        ("O-1", [], ["方案"]),
        ("O-3", ["RD-HW", "SALES"], []),
    ]
    assert published.status_code == 200
    body = published.json()
    assert (body["current_version"]["number"], body["current_version"]["published_by"], body["draft"]) == (
        2,
        "coordinator",
        None,
    )
    assert [s["code"] for s in body["current_version"]["steps"]] == ["O-1", "O-3"]
    assert [(v["number"], v["is_published"]) for v in body["versions"]] == [(1, True), (2, True)]


def test_a_draft_with_mistakes_names_the_step_fields_and_saves_nothing(client, world, catalogue):
    # given
    client.force_login(world.admin)
    process = catalogue["ORDER"]
    before = process_snapshot(process)
    steps = [{"code": "O-1", "name": "方案设计", "responsible": "RD-HW", "time_limit": "soon"}]
    # when
    response = _json(client, "put", f"{PROCESSES}{process.pk}/draft/", {"steps": steps})
    # then
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["steps.0.time_limit"]
    assert process_snapshot(process) == before


def test_an_unknown_department_in_a_draft_is_a_field_error(client, world, catalogue):
    # given
    client.force_login(world.admin)
    process = catalogue["ORDER"]
    before = process_snapshot(process)
    steps = [{"code": "O-1", "name": "方案设计", "responsible": "NOPE", "time_limit": "4h"}]
    # when
    response = _json(client, "put", f"{PROCESSES}{process.pk}/draft/", {"steps": steps})
    # then
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["steps.0.responsible"]  # keyed as the editor keys its own
    assert process_snapshot(process) == before


@pytest.mark.parametrize("role", ["employee", "other_department", "head"])
def test_people_who_do_not_edit_processes_neither_save_publish_nor_discard_drafts(client, world, catalogue, role):
    # given
    client.force_login(world.user(role))
    process = catalogue["PLAN"]
    before = process_snapshot(process)
    url = f"{PROCESSES}{process.pk}/"
    steps = [{"code": "P-1", "name": "计划", "responsible": "RD-HW", "time_limit": "4h"}]
    # when
    statuses = [
        _json(client, "put", f"{url}draft/", {"steps": steps}).status_code,
        _json(client, "post", f"{url}publish/").status_code,
        _json(client, "delete", f"{url}draft/").status_code,
    ]
    # then
    assert statuses == [403, 403, 403]
    assert process_snapshot(process) == before


def test_an_editor_discards_the_draft(client, world, catalogue):
    # given
    client.force_login(world.coordinator)
    process = catalogue["PLAN"]
    # when
    response = _json(client, "delete", f"{PROCESSES}{process.pk}/draft/")
    again = _json(client, "delete", f"{PROCESSES}{process.pk}/draft/")
    # then
    assert response.status_code == 204
    assert list(process.versions.values_list("number", "published_at")) == [(1, at("2026-01-05T09:00"))]
    assert (again.status_code, again.json()["error"]["code"]) == (400, "no_draft")


# ── Cases: reading ──────────────────────────────────────────────────────────────────────────────


def test_case_list_shows_the_cases_the_caller_may_see_with_their_running_step(client, world, catalogue):
    # given
    mine = open_case(world, catalogue["ORDER"], "SO-1")
    open_case(world, catalogue["QUOTE"], "Q-1", actor=world.other_department)
    client.force_login(world.employee)
    # when
    with clock.freeze(at("2026-03-02T12:00")):
        response = client.get(CASES)
    # then
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    run = mine.step_runs.get()
    assert body["results"] == [
        {
            "id": mine.pk,
            "process": "ORDER",
            "version": 1,
            "ref": "SO-1",
            "title": "案件 SO-1",
            "state": "running",
            "opened_at": iso("2026-03-02T09:00"),
            "opened_by": "employee",
            "closed_at": None,
            "held_since": None,
            "current_step": {
                "id": run.pk,
                "position": 0,
                "step": "O-1",
                "name": "步骤 O-1",
                "responsible": "RD-HW",
                "assignee": None,
                "started_at": iso("2026-03-02T09:00"),
                "due_at": iso("2026-03-02T18:00"),  # one working day: 09–12 and 13–18
                "completed_at": None,
                "output_note": "",
                "is_overdue": False,
            },
        }
    ]


@pytest.mark.parametrize(
    ("role", "refs"),
    [
        ("employee", ["SO-2", "SO-1"]),
        ("other_department", ["Q-1", "SO-2", "SO-1"]),
        ("head", ["SO-2", "SO-1"]),
        ("coordinator", ["Q-1", "SO-2", "SO-1"]),
        ("admin", ["Q-1", "SO-2", "SO-1"]),
    ],
)
def test_each_role_lists_the_cases_of_its_departments_newest_first(client, world, catalogue, role, refs):
    # given
    open_case(world, catalogue["ORDER"], "SO-1", when="2026-03-02T09:00")
    open_case(world, catalogue["ORDER"], "SO-2", when="2026-03-03T09:00")
    open_case(world, catalogue["QUOTE"], "Q-1", when="2026-03-04T09:00", actor=world.other_department)
    client.force_login(world.user(role))
    # when
    body = client.get(CASES).json()
    # then
    assert [c["ref"] for c in body["results"]] == refs


@pytest.fixture
def cases(world, catalogue) -> dict[str, Case]:
    """SO-1 at O-2 (SALES) overdue; SO-2 at O-1 (RD-HW) on time; SO-3 on hold at O-1; SO-4 cancelled;
    Q-1 at Q-1 (SALES), overdue. Now is Tuesday 2026-03-03 12:00."""
    so1 = open_case(world, catalogue["ORDER"], "SO-1", when="2026-03-02T09:00")
    with clock.freeze(at("2026-03-02T10:00")):
        services.step_complete(actor=world.employee, run=so1.step_runs.get(), note="")
    so2 = open_case(world, catalogue["ORDER"], "SO-2", when="2026-03-03T11:00")
    so3 = open_case(world, catalogue["ORDER"], "SO-3", when="2026-03-02T09:30")
    with clock.freeze(at("2026-03-02T10:00")):
        services.case_hold(actor=world.employee, case=so3, reason="等待图纸")
    so4 = open_case(world, catalogue["ORDER"], "SO-4", when="2026-03-02T08:00")
    with clock.freeze(at("2026-03-02T08:30")):
        services.case_cancel(actor=world.employee, case=so4, reason="撤单")
    q1 = open_case(world, catalogue["QUOTE"], "Q-1", when="2026-03-02T11:00", actor=world.other_department)
    return {"SO-1": so1, "SO-2": so2, "SO-3": so3, "SO-4": so4, "Q-1": q1}


@pytest.mark.parametrize(
    ("params", "refs"),
    [
        ({}, ["SO-2", "Q-1", "SO-3", "SO-1", "SO-4"]),
        ({"process": "ORDER"}, ["SO-2", "SO-3", "SO-1", "SO-4"]),
        ({"process": "NOPE"}, []),
        ({"state": "running"}, ["SO-2", "Q-1", "SO-1"]),
        ({"state": "on_hold"}, ["SO-3"]),
        ({"state": "cancelled"}, ["SO-4"]),
        ({"department": "SALES"}, ["Q-1", "SO-1"]),
        ({"department": "RD-HW"}, ["SO-2", "SO-3"]),
        ({"overdue": "true"}, ["Q-1", "SO-1"]),
        ({"overdue": "false"}, ["SO-2", "SO-3", "SO-4"]),
        ({"process": "ORDER", "department": "SALES", "overdue": "true"}, ["SO-1"]),
    ],
)
def test_case_list_filters(client, world, cases, params, refs):
    # given
    client.force_login(world.coordinator)
    # when
    with clock.freeze(at("2026-03-03T12:00")):
        body = client.get(CASES, params).json()
    # then
    assert [c["ref"] for c in body["results"]] == refs


def test_an_overdue_running_step_is_flagged_but_not_one_on_hold(client, world, cases):
    # given
    client.force_login(world.coordinator)
    # when
    with clock.freeze(at("2026-03-03T12:00")):
        body = client.get(CASES).json()
    # then
    assert {c["ref"]: c["current_step"] and c["current_step"]["is_overdue"] for c in body["results"]} == {
        "SO-2": False,
        "Q-1": True,
        "SO-3": False,
        "SO-1": True,
        "SO-4": None,
    }


@pytest.mark.parametrize(("params", "field"), [({"state": "lost"}, "state"), ({"overdue": "maybe"}, "overdue")])
def test_a_filter_that_makes_no_sense_is_a_400(client, world, params, field):
    # given
    client.force_login(world.employee)
    # when
    response = client.get(CASES, params)
    # then
    assert response.status_code == 400
    assert (response.json()["error"]["code"], list(response.json()["error"]["fields"])) == ("invalid", [field])


def test_case_detail_shows_every_step_run_and_the_timeline(client, world, catalogue):
    # given
    case = open_case(world, catalogue["ORDER"], "SO-1")
    with clock.freeze(at("2026-03-02T10:00")):
        services.step_complete(actor=world.employee, run=case.step_runs.get(), note="方案已发出")
    with clock.freeze(at("2026-03-02T11:00")):
        services.step_assign(
            actor=world.coordinator, run=case.step_runs.get(position=1), assignee=world.other_department
        )
    client.force_login(world.head)
    # when
    with clock.freeze(at("2026-03-02T12:00")):
        response = client.get(f"{CASES}{case.pk}/")
    # then
    assert response.status_code == 200
    body = response.json()
    assert (body["process_name"], body["description"], body["current_step"]["step"]) == ("订单交付", "", "O-2")
    assert [
        (r["step"], r["responsible"], r["assignee"], r["completed_at"], r["output_note"]) for r in body["step_runs"]
    ] == [
        ("O-1", "RD-HW", None, iso("2026-03-02T10:00"), "方案已发出"),
        ("O-2", "SALES", "other", None, ""),
    ]
    assert body["events"] == [
        {"at": iso("2026-03-02T09:00"), "kind": "opened", "actor": "employee", "step": None, "note": ""},
        {"at": iso("2026-03-02T09:00"), "kind": "step_started", "actor": "employee", "step": "O-1", "note": ""},
        {
            "at": iso("2026-03-02T10:00"),
            "kind": "step_completed",
            "actor": "employee",
            "step": "O-1",
            "note": "方案已发出",
        },
        {"at": iso("2026-03-02T10:00"), "kind": "step_started", "actor": "employee", "step": "O-2", "note": ""},
        {"at": iso("2026-03-02T11:00"), "kind": "assigned", "actor": "coordinator", "step": "O-2", "note": "赵敏"},
    ]


def test_a_case_of_another_department_is_404_as_an_unknown_one(client, world, catalogue):
    # given
    theirs = open_case(world, catalogue["QUOTE"], "Q-1", actor=world.other_department)
    client.force_login(world.employee)
    # when
    hidden, unknown = client.get(f"{CASES}{theirs.pk}/"), client.get(f"{CASES}999999/")
    # then
    assert (hidden.status_code, unknown.status_code) == (404, 404)
    assert hidden.json() == unknown.json()


# ── Cases: opening and acting ───────────────────────────────────────────────────────────────────


def test_opening_a_case_starts_its_first_step(client, world, catalogue):
    # given
    client.force_login(world.employee)
    # when
    with clock.freeze(at("2026-03-02T11:00")):
        response = _json(
            client, "post", CASES, {"process": "ORDER", "title": "华东客户订单", "ref": "SO-7", "description": "100 台"}
        )
    # then
    assert response.status_code == 201
    case = Case.objects.get()
    body = response.json()
    assert (body["id"], body["ref"], body["title"], body["description"], body["state"]) == (
        case.pk,
        "SO-7",
        "华东客户订单",
        "100 台",
        "running",
    )
    assert (body["current_step"]["step"], body["current_step"]["due_at"]) == ("O-1", iso("2026-03-03T11:00"))
    assert [e["kind"] for e in body["events"]] == ["opened", "step_started"]


def test_someone_of_a_cooperating_department_cannot_open_a_case(client, world, catalogue):
    # given
    client.force_login(world.head)  # RD only cooperates on O-2
    # when
    response = _json(client, "post", CASES, {"process": "ORDER", "title": "订单"})
    # then
    assert response.status_code == 403
    assert response.json() == {
        "error": {
            "status": 403,
            "code": "forbidden",
            "message": zh("Only people of a department responsible for a step of this process open its cases."),
        }
    }
    assert (Case.objects.count(), AuditEntry.objects.count()) == (0, 0)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"process": "IDEA", "title": "x"}, "process"),  # not published
        ({"process": "NOPE", "title": "x"}, "process"),
        ({"process": "ORDER"}, "title"),
        ({"process": "ORDER", "title": "x", "ref": "SO-1"}, "ref"),  # already used
    ],
)
def test_opening_a_case_names_the_field_in_error(client, world, catalogue, data, field):
    # given
    existing = open_case(world, catalogue["ORDER"], "SO-1")
    client.force_login(world.coordinator)
    # when
    response = _json(client, "post", CASES, data)
    # then
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == [field]
    assert list(Case.objects.values_list("pk", flat=True)) == [existing.pk]


def test_completing_the_running_step_starts_the_next(client, world, catalogue):
    # given
    case = open_case(world, catalogue["ORDER"], "SO-1")
    client.force_login(world.employee)
    # when
    with clock.freeze(at("2026-03-02T10:00")):
        response = _json(client, "post", f"{CASES}{case.pk}/complete/", {"note": "方案已发出"})
    # then
    assert response.status_code == 200
    assert [(r["step"], r["completed_at"], r["output_note"]) for r in response.json()["step_runs"]] == [
        ("O-1", iso("2026-03-02T10:00"), "方案已发出"),
        ("O-2", None, ""),
    ]
    assert response.json()["current_step"]["step"] == "O-2"


def test_completing_the_last_step_completes_the_case(client, world, catalogue):
    # given
    case = open_case(world, catalogue["QUOTE"], "Q-1", actor=world.other_department)
    client.force_login(world.other_department)
    # when
    with clock.freeze(at("2026-03-02T10:00")):
        response = _json(client, "post", f"{CASES}{case.pk}/complete/", {})
        again = _json(client, "post", f"{CASES}{case.pk}/complete/", {})
    # then
    assert (response.json()["state"], response.json()["closed_at"], response.json()["current_step"]) == (
        "completed",
        iso("2026-03-02T10:00"),
        None,
    )
    assert again.status_code == 400
    assert again.json()["error"]["message"] == zh(
        "This case is {state}: its steps cannot be completed.", state=zh("Completed")
    )


@pytest.mark.parametrize("role", ["other_department", "head", "coordinator", "admin"])
def test_only_the_running_steps_department_completes_it_and_a_refusal_changes_nothing(client, world, catalogue, role):
    # given
    case = open_case(world, catalogue["ORDER"], "SO-1")
    before = case_snapshot(case)
    client.force_login(world.user(role))
    # when
    response = _json(client, "post", f"{CASES}{case.pk}/complete/", {"note": "越权"})
    # then
    assert (response.status_code, response.json()["error"]["code"]) == (403, "forbidden")
    assert case_snapshot(case) == before


def test_a_step_is_assigned_and_unassigned_by_username(client, world, catalogue):
    # given
    case = open_case(world, catalogue["ORDER"], "SO-1")
    client.force_login(world.head)
    url = f"{CASES}{case.pk}/assign/"
    # when
    assigned = _json(client, "post", url, {"assignee": "liaison"})
    unassigned = _json(client, "post", url, {"assignee": None})
    # then
    assert (assigned.status_code, assigned.json()["current_step"]["assignee"]) == (200, "liaison")
    assert (unassigned.status_code, unassigned.json()["current_step"]["assignee"]) == (200, None)
    assert case.step_runs.get().assignee is None
    assert [e["note"] for e in unassigned.json()["events"] if e["kind"] == "assigned"] == ["刘洋", ""]


def test_assigning_to_someone_unknown_or_gone_changes_nothing(client, world, catalogue):
    # given
    case = open_case(world, catalogue["ORDER"], "SO-1")
    PersonFactory(username="gone", department=world.rd_hw, is_active=False)
    before = case_snapshot(case)
    client.force_login(world.coordinator)
    # when
    unknown = _json(client, "post", f"{CASES}{case.pk}/assign/", {"assignee": "nobody"})
    gone = _json(client, "post", f"{CASES}{case.pk}/assign/", {"assignee": "gone"})
    # then
    assert (unknown.status_code, list(unknown.json()["error"]["fields"])) == (400, ["assignee"])
    assert (gone.status_code, gone.json()["error"]["code"]) == (400, "invalid")
    assert case_snapshot(case) == before


@pytest.mark.parametrize("action", ["assign", "hold", "cancel"])
def test_someone_outside_the_case_steers_nothing(client, world, catalogue, action):
    # given: other_department sees the case (SALES runs O-2) but neither opened it nor leads RD-HW
    case = open_case(world, catalogue["ORDER"], "SO-1")
    before = case_snapshot(case)
    client.force_login(world.other_department)
    data = {"assignee": "other"} if action == "assign" else {"reason": "越权"}
    # when
    response = _json(client, "post", f"{CASES}{case.pk}/{action}/", data)
    # then
    assert response.status_code == 403
    assert response.json()["error"] == {
        "status": 403,
        "code": "forbidden",
        "message": zh("Only the case's opener, the current department's head or liaisons and coordinators do this."),
    }
    assert case_snapshot(case) == before


def test_hold_then_resume_moves_the_due_instant_by_the_working_time_on_hold(client, world, catalogue):
    # given: O-1 opened Monday 09:00, due 18:00
    case = open_case(world, catalogue["ORDER"], "SO-1")
    client.force_login(world.employee)
    # when: held Monday 10:00 → resumed Tuesday 10:00 (8 working hours)
    with clock.freeze(at("2026-03-02T10:00")):
        held = _json(client, "post", f"{CASES}{case.pk}/hold/", {"reason": "等待客户图纸"})
    with clock.freeze(at("2026-03-03T10:00")):
        resumed = _json(client, "post", f"{CASES}{case.pk}/resume/")
    # then
    assert (held.status_code, held.json()["state"], held.json()["held_since"]) == (
        200,
        "on_hold",
        iso("2026-03-02T10:00"),
    )
    assert (resumed.status_code, resumed.json()["state"], resumed.json()["held_since"]) == (200, "running", None)
    assert resumed.json()["current_step"]["due_at"] == iso("2026-03-03T18:00")
    assert [e["kind"] for e in resumed.json()["events"]][-2:] == ["held", "resumed"]


def test_hold_needs_a_reason_and_resume_a_case_on_hold(client, world, catalogue):
    # given
    case = open_case(world, catalogue["ORDER"], "SO-1")
    before = case_snapshot(case)
    client.force_login(world.employee)
    # when
    no_reason = _json(client, "post", f"{CASES}{case.pk}/hold/", {"reason": ""})
    not_held = _json(client, "post", f"{CASES}{case.pk}/resume/")
    # then
    assert (no_reason.status_code, list(no_reason.json()["error"]["fields"])) == (400, ["reason"])
    assert (not_held.status_code, not_held.json()["error"]["message"]) == (
        400,
        zh("Only a case on hold can be resumed."),
    )
    assert case_snapshot(case) == before


def test_cancelling_closes_the_case_once(client, world, catalogue):
    # given
    case = open_case(world, catalogue["ORDER"], "SO-1")
    client.force_login(world.coordinator)
    # when
    with clock.freeze(at("2026-03-02T10:00")):
        cancelled = _json(client, "post", f"{CASES}{case.pk}/cancel/", {"reason": "客户撤单"})
        again = _json(client, "post", f"{CASES}{case.pk}/cancel/", {"reason": "再撤"})
    # then
    assert (cancelled.status_code, cancelled.json()["state"], cancelled.json()["closed_at"]) == (
        200,
        "cancelled",
        iso("2026-03-02T10:00"),
    )
    assert cancelled.json()["events"][-1] | {"at": None} == {
        "at": None,
        "kind": "cancelled",
        "actor": "coordinator",
        "step": "O-1",
        "note": "客户撤单",
    }
    assert again.status_code == 400
    assert CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.CANCELLED).count() == 1


def test_a_token_caller_acts_in_their_own_name(client, world, catalogue):
    # given
    from rest_framework.authtoken.models import Token

    case = open_case(world, catalogue["ORDER"], "SO-1")
    token = Token.objects.create(user=world.head)
    # when
    response = client.post(
        f"{CASES}{case.pk}/hold/",
        {"reason": "等待"},
        content_type="application/json",
        headers={"Authorization": f"Token {token.key}"},
    )
    # then
    assert response.status_code == 200
    assert CaseEvent.objects.get(case=case, kind=CaseEvent.Kind.HELD).actor == world.head


# ── Query counts ────────────────────────────────────────────────────────────────────────────────

SCALES = (1, 5)


def grow(world: Any, catalogue: dict[str, Process], scale: int) -> None:
    """Add ``scale`` × (2 processes of 2 steps, 3 cases at various steps, assigned and not)."""
    for i in range(2 * scale):
        department = DepartmentFactory(code=f"X{i:03d}", parent=world.rd)
        process = Process.objects.create(code=f"PX{i:03d}", name=f"流程{i}", owner=department)
        version = ProcessVersion.objects.create(process=process, number=1, published_at=at("2026-01-05T09:00"))
        first = Step.objects.create(
            version=version, position=0, code=f"X{i}-1", name="一", responsible=world.rd_hw, time_limit="4h"
        )
        first.cooperating.add(department, world.sales)
        Step.objects.create(
            version=version, position=1, code=f"X{i}-2", name="二", responsible=department, time_limit="1d"
        )
        ProcessVersion.objects.create(process=process, number=2)
    for i in range(3 * scale):
        case = open_case(world, catalogue["ORDER"], f"G-{i}", when="2026-03-02T09:00")
        if i % 3 == 1:
            services.step_assign(actor=world.coordinator, run=case.step_runs.get(), assignee=world.liaison)
        if i % 3 == 2:
            services.step_complete(actor=world.employee, run=case.step_runs.get())


# (what, who asks, the URL, the exact number of queries)
LISTS: list[tuple[str, str, str, int]] = [
    ("process list", "employee", PROCESSES, 4),
    ("process list with drafts", "coordinator", f"{PROCESSES}?include=drafts", 4),
    ("case list", "employee", CASES, 6),
    ("case list as a head", "head", CASES, 6),
    ("case list as a coordinator", "coordinator", CASES, 5),
    ("case list filtered", "employee", f"{CASES}?process=ORDER&department=RD-HW&overdue=true&state=running", 6),
]


@pytest.mark.parametrize("scale", SCALES)
@pytest.mark.parametrize(("what", "role", "url", "queries"), LISTS, ids=[row[0] for row in LISTS])
def test_list_costs_a_fixed_number_of_queries(
    client, world, catalogue, django_assert_num_queries, scale, what, role, url, queries
):
    # given
    grow(world, catalogue, scale)
    client.force_login(world.user(role))
    # when
    with django_assert_num_queries(queries):
        response = client.get(url)
    # then
    assert response.status_code == 200


@pytest.mark.parametrize("scale", SCALES)
def test_case_detail_and_process_detail_cost_a_fixed_number_of_queries(
    client, world, catalogue, django_assert_num_queries, scale
):
    # given: a case with many events
    grow(world, catalogue, scale)
    case = open_case(world, catalogue["ORDER"], "SO-1")
    for _ in range(scale):
        services.step_assign(actor=world.coordinator, run=case.step_runs.get(), assignee=world.liaison)
    client.force_login(world.employee)
    # when / then
    with django_assert_num_queries(7):
        assert client.get(f"{CASES}{case.pk}/").status_code == 200
    with django_assert_num_queries(6):
        assert client.get(f"{PROCESSES}{catalogue['ORDER'].pk}/").status_code == 200


def test_grow_adds_what_it_says(world, catalogue):
    # when
    grow(world, catalogue, 5)
    # then
    assert (Process.objects.count(), Case.objects.count(), StepRun.objects.count()) == (14, 15, 20)


# ── Schema ──────────────────────────────────────────────────────────────────────────────────────


def test_the_openapi_schema_describes_the_processes_api_without_warnings():
    # given
    GENERATOR_STATS.reset()
    # when
    schema = SchemaGenerator().get_schema(request=None, public=True)
    # then
    validate_schema(schema)  # raises on an invalid document
    warnings = [
        message
        for message in (*GENERATOR_STATS._warn_cache, *GENERATOR_STATS._error_cache)
        if "processes" in message.lower()
    ]
    assert warnings == []
    assert {path: sorted(ops) for path, ops in schema["paths"].items() if path.startswith("/api/v1/processes/")} == {
        "/api/v1/processes/processes/": ["get", "post"],
        "/api/v1/processes/processes/{id}/": ["get"],
        "/api/v1/processes/processes/{id}/draft/": ["delete", "put"],
        "/api/v1/processes/processes/{id}/figures/": ["get"],
        "/api/v1/processes/processes/{id}/publish/": ["post"],
        "/api/v1/processes/cases/": ["get", "post"],
        "/api/v1/processes/cases/{id}/": ["get"],
        "/api/v1/processes/cases/{id}/complete/": ["post"],
        "/api/v1/processes/cases/{id}/assign/": ["post"],
        "/api/v1/processes/cases/{id}/hold/": ["post"],
        "/api/v1/processes/cases/{id}/resume/": ["post"],
        "/api/v1/processes/cases/{id}/cancel/": ["post"],
    }
    parameters = {p["name"] for p in schema["paths"]["/api/v1/processes/cases/"]["get"]["parameters"]}
    assert parameters == {"page", "page_size", "process", "state", "department", "overdue"}
