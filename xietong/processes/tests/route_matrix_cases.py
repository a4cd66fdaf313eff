"""The case pages' rows of the role × route matrix (tests/test_route_matrix.py).

The world gets two processes on first use: HW-FIX (RD-HW diagnoses, then RD reviews) with a case
opened by the coordinator, and SALES-Q (SALES only) with a case the RD people cannot see; plus a
process whose only version is a draft. Seeing a case is 404-or-not (``access_case``); every action a
person may see is a POST whose refusal the service decides and the case page shows as a message (302
back to the case). Hand-offs are for coordinators, administrators and executives.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from xietong.common.testing.routes import UNKNOWN_ID, Route, by_role, signed_in
from xietong.processes import services
from xietong.processes.models import Case, CaseEvent, Process, ProcessVersion, Step, StepRun

TZ = ZoneInfo("Asia/Shanghai")
PUBLISHED = datetime(2026, 1, 5, 9, 0, tzinfo=TZ)


def hw_process(world: Any) -> Process:
    """HW-FIX: RD-HW diagnoses (1d), RD reviews (4h), SALES cooperating on neither."""
    existing = Process.objects.filter(code="HW-FIX").first()
    if existing is not None:
        return existing
    process = Process.objects.create(code="HW-FIX", name="硬件故障处理")
    version = ProcessVersion.objects.create(process=process, number=1, published_at=PUBLISHED)
    Step.objects.create(
        version=version, position=0, code="H-1", name="故障诊断", responsible=world.rd_hw, time_limit="1d"
    )
    Step.objects.create(version=version, position=1, code="H-2", name="方案审核", responsible=world.rd, time_limit="4h")
    return process


def sales_process(world: Any) -> Process:
    existing = Process.objects.filter(code="SALES-Q").first()
    if existing is not None:
        return existing
    process = Process.objects.create(code="SALES-Q", name="报价")
    version = ProcessVersion.objects.create(process=process, number=1, published_at=PUBLISHED)
    Step.objects.create(version=version, position=0, code="Q-1", name="报价", responsible=world.sales, time_limit="1d")
    return process


def draft_process(world: Any) -> Process:
    existing = Process.objects.filter(code="DRAFT").first()
    if existing is not None:
        return existing
    process = Process.objects.create(code="DRAFT", name="草稿流程")
    version = ProcessVersion.objects.create(process=process, number=1, published_at=None)
    Step.objects.create(version=version, position=0, code="D-1", name="草稿", responsible=world.rd_hw, time_limit="1d")
    return process


def hw_case(world: Any) -> Case:
    """A running HW-FIX case, opened by the coordinator; its first step (RD-HW) runs."""
    existing = Case.objects.filter(process__code="HW-FIX", ref="HW-1").first()
    if existing is not None:
        return existing
    return services.case_open(actor=world.coordinator, process=hw_process(world), title="主板烧毁", ref="HW-1")


def sales_case(world: Any) -> Case:
    """A running SALES-Q case: nothing of it involves RD or RD-HW."""
    existing = Case.objects.filter(process__code="SALES-Q", ref="Q-1").first()
    if existing is not None:
        return existing
    return services.case_open(actor=world.coordinator, process=sales_process(world), title="年度报价", ref="Q-1")


def case_state(world: Any) -> tuple[Any, ...]:
    """Every case's state and every step run's completion and assignee."""
    return (
        list(Case.objects.order_by("pk").values_list("ref", "state", "held_since", "closed_at")),
        list(StepRun.objects.order_by("pk").values_list("pk", "completed_at", "assignee", "due_at")),
        CaseEvent.objects.count(),
    )


def _hw_case(world: Any) -> dict[str, Any]:
    return {"pk": hw_case(world).pk}


def _sales_case(world: Any) -> dict[str, Any]:
    return {"pk": sales_case(world).pk}


def _hw_process(world: Any) -> dict[str, Any]:
    return {"pk": hw_process(world).pk}


def _draft_process(world: Any) -> dict[str, Any]:
    return {"pk": draft_process(world).pk}


def _unknown(world: Any) -> dict[str, Any]:
    return {"pk": UNKNOWN_ID}


# Who sees the HW-FIX case: RD-HW (employee), RD's head (RD is responsible), coordinators, admins.
SEES_HW = by_role(anonymous=302, employee=200, other_department=404, head=200, coordinator=200, admin=200)
SEES_SALES = by_role(anonymous=302, employee=404, other_department=200, head=404, coordinator=200, admin=200)
# An action on a visible case always comes back to the case page (done, or refused with a message).
ACTS_HW = by_role(anonymous=302, employee=302, other_department=404, head=302, coordinator=302, admin=302)
ACTS_SALES = by_role(anonymous=302, employee=404, other_department=302, head=404, coordinator=302, admin=302)
OPENS_HW = by_role(anonymous=302, employee=200, other_department=403, head=200, coordinator=200, admin=200)

ACTIONS: list[tuple[str, Any]] = [
    ("processes:step_complete", lambda w: {"note": "已完成"}),
    ("processes:step_assign", lambda w: {"assignee": w.employee.pk}),
    ("processes:case_hold", lambda w: {"reason": "等待备件"}),
    ("processes:case_resume", lambda w: {}),
    ("processes:case_cancel", lambda w: {"reason": "客户撤回"}),
]


def _action_rows(name: str, data: Any) -> list[Route]:
    return [
        Route(name, method="post", kwargs=_hw_case, data=data, expect=ACTS_HW, state=case_state),
        Route(
            name,
            method="post",
            label="case of another department",
            kwargs=_sales_case,
            data=data,
            expect=ACTS_SALES,
            state=case_state,
        ),
        Route(
            name,
            method="post",
            label="unknown id",
            kwargs=_unknown,
            data=data,
            expect=signed_in(404),
            state=case_state,
        ),
        Route(name, label="GET", kwargs=_hw_case, expect=signed_in(405), state=case_state),
    ]


ROUTES: list[Route] = [
    Route("processes:case_list", expect=signed_in(200)),
    Route(
        "processes:case_list",
        label="filtered",
        data=lambda w: {"process": hw_case(w).process_id, "state": "running", "department": w.rd_hw.pk, "overdue": "1"},
        expect=signed_in(200),
    ),
    Route("processes:case_detail", kwargs=_hw_case, expect=SEES_HW),
    Route("processes:case_detail", label="case of another department", kwargs=_sales_case, expect=SEES_SALES),
    Route("processes:case_detail", label="unknown id", kwargs=_unknown, expect=signed_in(404)),
    *[row for name, data in ACTIONS for row in _action_rows(name, data)],
    Route("processes:case_open", kwargs=_hw_process, expect=OPENS_HW),
    Route(
        "processes:case_open",
        method="post",
        kwargs=_hw_process,
        data=lambda w: {"title": "新故障", "ref": "", "description": ""},
        expect=by_role(anonymous=302, employee=302, other_department=403, head=302, coordinator=302, admin=302),
        state=case_state,
    ),
    Route("processes:case_open", label="unknown id", kwargs=_unknown, expect=signed_in(404)),
    Route(
        "processes:case_open",
        method="post",
        label="unknown id",
        kwargs=_unknown,
        data=lambda w: {"title": "猜"},
        expect=signed_in(404),
        state=case_state,
    ),
    Route("processes:case_open", label="draft only", kwargs=_draft_process, expect=signed_in(404)),
    Route("processes:my_work", expect=signed_in(200)),
    Route(
        "processes:my_work",
        label="one department",
        data=lambda w: {"department": hw_case(w) and w.rd_hw.pk},
        expect=signed_in(200),
    ),
    Route(
        "processes:handoffs",
        expect=by_role(anonymous=302, employee=403, other_department=403, head=403, coordinator=200, admin=200),
    ),
    Route(
        "processes:handoffs",
        label="24 months",
        data=lambda w: {"months": "24"},
        expect=by_role(anonymous=302, employee=403, other_department=403, head=403, coordinator=200, admin=200),
    ),
]
