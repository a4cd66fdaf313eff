"""The processes API's rows of the role × route matrix (tests/test_route_matrix.py).

Everyone signed in reads the published catalogue and its figures; coordinators and administrators
(editors) also see drafts, create processes, save drafts and publish. Cases are seen by the people
of the departments of their process's steps, the heads and liaisons above them, coordinators and
administrators; anyone else gets 404, as for an unknown id. Who may act on a visible case is the
services' decision: a refusal is 403. Anonymous callers get 403 (as in the rest of the API).

The world's processes (made on first use):
- ORDER (published v1): O-1 by RD-HW, then O-2 by SALES with RD cooperating;
- PLAN (published v1 by RD-HW, and a draft v2);
- IDEA (only a draft: editors alone see it);
- QUOTE (published v1): Q-1 by SALES only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from xietong.common.testing.routes import UNKNOWN_ID, Route, by_role, managers, signed_in
from xietong.processes import services
from xietong.processes.models import Case, CaseEvent, Process, ProcessVersion, Step, StepRun

API_ANONYMOUS = 403  # NotAuthenticated without a WWW-Authenticate header
PUBLISHED = datetime(2026, 1, 5, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def _process(code: str, name: str, versions: list[tuple[int, bool, list[tuple[str, Any, Any]]]]) -> Process:
    """A process with its versions: (number, published, [(step code, responsible, cooperating or None)])."""
    existing = Process.objects.filter(code=code).first()
    if existing is not None:
        return existing
    process = Process.objects.create(code=code, name=name)
    for number, published, steps in versions:
        version = ProcessVersion.objects.create(
            process=process, number=number, published_at=PUBLISHED if published else None
        )
        for position, (step_code, responsible, cooperating) in enumerate(steps):
            step = Step.objects.create(
                version=version,
                position=position,
                code=step_code,
                name=f"步骤 {step_code}",
                responsible=responsible,
                time_limit="1d",
            )
            if cooperating is not None:
                step.cooperating.add(cooperating)
    return process


def order(world: Any) -> Process:
    return _process("ORDER", "订单交付", [(1, True, [("O-1", world.rd_hw, None), ("O-2", world.sales, world.rd)])])


def plan(world: Any) -> Process:
    return _process(
        "PLAN", "年度计划", [(1, True, [("P-1", world.rd_hw, None)]), (2, False, [("P-1", world.rd_hw, world.rd)])]
    )


def idea(world: Any) -> Process:
    return _process("IDEA", "创意征集", [(1, False, [("I-1", world.rd, None)])])


def quote(world: Any) -> Process:
    return _process("QUOTE", "报价", [(1, True, [("Q-1", world.sales, None)])])


def _case(ref: str, process: Process, opener: Any) -> Case:
    existing = Case.objects.filter(ref=ref).first()
    if existing is not None:
        return existing
    return services.case_open(actor=opener, process=process, title=f"案件 {ref}", ref=ref)


def running_case(world: Any) -> Case:
    """An ORDER case opened by the employee, at O-1 (RD-HW)."""
    return _case("SO-1", order(world), world.employee)


def held_case(world: Any) -> Case:
    """An ORDER case opened by the employee, put on hold."""
    existing = Case.objects.filter(ref="SO-HELD").first()
    if existing is not None:
        return existing
    case = _case("SO-HELD", order(world), world.employee)
    return services.case_hold(actor=world.employee, case=case, reason="等待客户图纸")


def sales_case(world: Any) -> Case:
    """A QUOTE case (SALES only): none of RD's business."""
    return _case("Q-1", quote(world), world.other_department)


def case_state(case: Any) -> Any:
    def state(world: Any) -> tuple[Any, ...]:
        c = case(world)
        return (
            Case.objects.filter(pk=c.pk).values().get(),
            list(StepRun.objects.filter(case=c).order_by("position").values()),
            list(CaseEvent.objects.filter(case=c).values_list("kind", flat=True)),
        )

    return state


def process_state(process: Any) -> Any:
    def state(world: Any) -> tuple[Any, ...]:
        p = process(world)
        return (
            list(ProcessVersion.objects.filter(process=p).order_by("number").values()),
            list(Step.objects.filter(version__process=p).order_by("version__number", "position").values()),
        )

    return state


def _pk_of(make: Any) -> Any:
    return lambda world: {"pk": make(world).pk}


def _unknown(world: Any) -> dict[str, Any]:
    return {"pk": UNKNOWN_ID}


def _api(status: int) -> dict[str, int]:
    return signed_in(status, anonymous=API_ANONYMOUS)


def _editors(status: int, *, others: int = 403) -> dict[str, int]:
    return managers(status, anonymous=API_ANONYMOUS, others=others)


def _steerers(status: int) -> dict[str, int]:
    """The case's opener (employee), the head above its running step's department, coordinators, admins."""
    return by_role(
        anonymous=API_ANONYMOUS, employee=status, other_department=403, head=status, coordinator=status, admin=status
    )


def _draft_body(code: str) -> Any:
    return lambda world: {"steps": [{"code": code, "name": "方案设计", "responsible": "RD-HW", "time_limit": "4h"}]}


_order, _plan, _idea = _pk_of(order), _pk_of(plan), _pk_of(idea)
_running, _held, _sales = _pk_of(running_case), _pk_of(held_case), _pk_of(sales_case)

PROCESSES = [
    Route("api:process-list", expect=_api(200)),
    Route("api:process-list", label="with drafts", data=lambda w: {"include": "drafts"}, expect=_api(200)),
    Route("api:process-list", label="bad include", data=lambda w: {"include": "all"}, expect=_api(400)),
    Route(
        "api:process-list",
        method="post",
        data=lambda w: {"code": "NEWP", "name": "新流程", "owner": "RD"},
        expect=_editors(201),
        state=lambda w: list(Process.objects.values_list("code", flat=True)),
    ),
    Route("api:process-detail", kwargs=_order, expect=_api(200)),
    Route("api:process-detail", label="draft only", kwargs=_idea, expect=_editors(200, others=404)),
    Route("api:process-detail", label="unknown id", kwargs=_unknown, expect=_api(404)),
    Route("api:process-detail", method="put", kwargs=_order, data=lambda w: {}, expect=_api(405)),
    Route("api:process-figures", kwargs=_order, expect=_api(200)),
    Route(
        "api:process-figures", label="as of", kwargs=_order, data=lambda w: {"as_of": "2026-03-31"}, expect=_api(200)
    ),
    Route("api:process-figures", label="bad as of", kwargs=_order, data=lambda w: {"as_of": "31/3"}, expect=_api(400)),
    Route("api:process-figures", label="draft only", kwargs=_idea, expect=_editors(200, others=404)),
    Route("api:process-figures", label="unknown id", kwargs=_unknown, expect=_api(404)),
    Route(
        "api:process-draft",
        method="put",
        kwargs=_order,
        data=_draft_body("O-1"),
        expect=_editors(200),
        state=process_state(order),
    ),
    Route(
        "api:process-draft",
        method="put",
        label="draft only",
        kwargs=_idea,
        data=_draft_body("I-1"),
        expect=_editors(200, others=404),
        state=process_state(idea),
    ),
    Route(
        "api:process-draft",
        method="put",
        label="unknown id",
        kwargs=_unknown,
        data=_draft_body("X-1"),
        expect=_api(404),
    ),
    Route("api:process-draft", label="GET", kwargs=_plan, expect=_api(405)),
    Route(
        "api:process-draft",
        method="delete",
        kwargs=_plan,
        expect=_editors(204),
        state=process_state(plan),
    ),
    Route("api:process-draft", method="delete", label="unknown id", kwargs=_unknown, expect=_api(404)),
    Route(
        "api:process-publish",
        method="post",
        kwargs=_plan,
        expect=_editors(200),
        state=process_state(plan),
    ),
    Route(
        "api:process-publish",
        method="post",
        label="nothing to publish",
        kwargs=_order,
        expect=_editors(400),
        state=process_state(order),
    ),
    Route("api:process-publish", method="post", label="unknown id", kwargs=_unknown, expect=_api(404)),
]

CASES = [
    Route("api:case-list", expect=_api(200)),
    Route(
        "api:case-list",
        label="filtered",
        data=lambda w: {"process": "ORDER", "state": "running", "department": "RD-HW", "overdue": "false"},
        expect=_api(200),
    ),
    Route("api:case-list", label="bad state", data=lambda w: {"state": "lost"}, expect=_api(400)),
    Route(
        "api:case-list",
        method="post",
        data=lambda w: {"process": order(w).code, "title": "华东客户订单", "ref": "SO-9"},
        # the people of a department responsible for a step (RD-HW, SALES); RD only cooperates
        expect=by_role(
            anonymous=API_ANONYMOUS, employee=201, other_department=201, head=403, coordinator=201, admin=201
        ),
        state=lambda w: list(Case.objects.values_list("ref", flat=True)),
    ),
    Route("api:case-detail", kwargs=_running, expect=_api(200)),
    Route(
        "api:case-detail",
        label="another department's case",
        kwargs=_sales,
        expect=by_role(
            anonymous=API_ANONYMOUS, employee=404, other_department=200, head=404, coordinator=200, admin=200
        ),
    ),
    Route("api:case-detail", label="unknown id", kwargs=_unknown, expect=_api(404)),
    Route("api:case-detail", method="put", kwargs=_running, data=lambda w: {}, expect=_api(405)),
    # Completing: the running step's department (RD-HW) or its assignee, no one else.
    Route(
        "api:case-complete",
        method="post",
        kwargs=_running,
        data=lambda w: {"note": "方案已发出"},
        expect=by_role(
            anonymous=API_ANONYMOUS, employee=200, other_department=403, head=403, coordinator=403, admin=403
        ),
        state=case_state(running_case),
    ),
    Route(
        "api:case-complete",
        method="post",
        label="another department's case",
        kwargs=_sales,
        data=lambda w: {"note": "报价已发"},
        expect=by_role(
            anonymous=API_ANONYMOUS, employee=404, other_department=200, head=404, coordinator=403, admin=403
        ),
        state=case_state(sales_case),
    ),
    Route("api:case-complete", method="post", label="unknown id", kwargs=_unknown, expect=_api(404)),
    Route("api:case-complete", label="GET", kwargs=_running, expect=_api(405)),
    Route(
        "api:case-assign",
        method="post",
        kwargs=_running,
        data=lambda w: {"assignee": "liaison"},
        expect=_steerers(200),
        state=case_state(running_case),
    ),
    Route(
        "api:case-assign",
        method="post",
        label="unknown id",
        kwargs=_unknown,
        data=lambda w: {"assignee": None},
        expect=_api(404),
    ),
    Route(
        "api:case-hold",
        method="post",
        kwargs=_running,
        data=lambda w: {"reason": "等待客户图纸"},
        expect=_steerers(200),
        state=case_state(running_case),
    ),
    Route(
        "api:case-hold",
        method="post",
        label="another department's case",
        kwargs=_sales,
        data=lambda w: {"reason": "等待客户"},
        expect=by_role(
            anonymous=API_ANONYMOUS, employee=404, other_department=200, head=404, coordinator=200, admin=200
        ),
        state=case_state(sales_case),
    ),
    Route(
        "api:case-hold",
        method="post",
        label="unknown id",
        kwargs=_unknown,
        data=lambda w: {"reason": "x"},
        expect=_api(404),
    ),
    Route(
        "api:case-resume",
        method="post",
        kwargs=_held,
        expect=_steerers(200),
        state=case_state(held_case),
    ),
    Route("api:case-resume", method="post", label="unknown id", kwargs=_unknown, expect=_api(404)),
    Route(
        "api:case-cancel",
        method="post",
        kwargs=_running,
        data=lambda w: {"reason": "客户撤单"},
        expect=_steerers(200),
        state=case_state(running_case),
    ),
    Route(
        "api:case-cancel",
        method="post",
        label="unknown id",
        kwargs=_unknown,
        data=lambda w: {"reason": "x"},
        expect=_api(404),
    ),
]

ROUTES = PROCESSES + CASES
