"""The disputes app's rows of the role × route matrix (tests/test_route_matrix.py): pages and API.

The world gets, on first use (``dispute_world``):
- FIN (财务部) under GM, headed by fin_head; SALES headed by sales_head; the coordination committee
  CC (the coordinator and cc_member); gm_boss, an executive heading GM;
- the default ladder STD: 1 heads of the parties (2d), 2 committee CC (1d), 3 gm_boss (1d); and
  SPARE, a ladder no dispute uses;
- RD-SALES, a dispute between RD and SALES raised by RD's head (every role but anonymous sees it:
  RD-HW lies under RD); RD-SALES-2, the same at level 2 (the committee's); SALES-FIN, a dispute
  between SALES and FIN that nobody of RD sees.

Seeing a dispute is 404-or-not (``access_dispute``). On the pages every action a person may see is a
POST whose refusal the service decides and the dispute page shows as a message (302 back). In the
API a refusal is 403 with the service's message, a done action 200. Ladders: everyone signed in
reads them; coordinators and administrators write them.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from xietong.common.testing.routes import UNKNOWN_ID, Route, by_role, managers, signed_in
from xietong.disputes import services
from xietong.disputes.models import Dispute, DisputeEvent, EscalationLadder, LadderLevel, Proposal
from xietong.org.models import Committee, Department, Person

API_ANONYMOUS = 403  # NotAuthenticated without a WWW-Authenticate header


@dataclasses.dataclass
class DisputeWorld:
    fin: Department
    sales_head: Person
    fin_head: Person
    cc_member: Person
    gm_boss: Person
    committee: Committee
    ladder: EscalationLadder


def _person(username: str, name: str, department: Department, **extra: Any) -> Person:
    from xietong.org.tests.factories import PersonFactory

    existing = Person.objects.filter(username=username).first()
    return existing or PersonFactory(username=username, name=name, department=department, **extra)


def dispute_world(world: Any) -> DisputeWorld:
    """The people, committee and ladders of the disputes' rows (made once per test)."""
    from xietong.org.tests.factories import DepartmentFactory

    fin = Department.objects.filter(code="FIN").first() or DepartmentFactory(code="FIN", name="财务部", parent=world.gm)
    sales_head = _person("sales_head", "周强", world.sales, level="manager")
    fin_head = _person("fin_head", "孙丽", fin, level="manager")
    cc_member = _person("cc_member", "吴磊", world.gm)
    gm_boss = _person("gm_boss", "王军", world.gm, level="executive")
    if world.sales.head_id is None:
        Department.objects.filter(pk=world.sales.pk).update(head=sales_head)
        world.sales.head = sales_head
        Department.objects.filter(pk=fin.pk).update(head=fin_head)
        fin.head = fin_head
        Department.objects.filter(pk=world.gm.pk).update(head=gm_boss)
        world.gm.head = gm_boss
    committee = Committee.objects.filter(code="CC").first()
    if committee is None:
        committee = Committee.objects.create(code="CC", name="跨部门协调委员会")
        committee.members.set([world.coordinator, cc_member])
    ladder = EscalationLadder.objects.filter(code="STD").first()
    if ladder is None:
        ladder = EscalationLadder.objects.create(code="STD", name="标准升级路径", is_default=True)
        LadderLevel.objects.create(
            ladder=ladder, number=1, name="部门负责人协商", handler_kind="heads_of_parties", time_limit="2d"
        )
        LadderLevel.objects.create(
            ladder=ladder, number=2, name="协调委员会", handler_kind="committee", committee=committee, time_limit="1d"
        )
        LadderLevel.objects.create(
            ladder=ladder, number=3, name="总经理裁决", handler_kind="person", person=gm_boss, time_limit="1d"
        )
    return DisputeWorld(fin, sales_head, fin_head, cc_member, gm_boss, committee, ladder)


def spare_ladder(world: Any) -> EscalationLadder:
    """A ladder no dispute uses (not the default)."""
    dispute_world(world)
    ladder = EscalationLadder.objects.filter(code="SPARE").first()
    if ladder is None:
        ladder = EscalationLadder.objects.create(code="SPARE", name="备用路径", is_default=False)
        LadderLevel.objects.create(
            ladder=ladder, number=1, name="协商", handler_kind="heads_of_parties", time_limit="1d"
        )
    return ladder


def _dispute(title: str, raiser: Any, parties: list[Department]) -> Dispute:
    existing = Dispute.objects.filter(title=title).first()
    if existing is not None:
        return existing
    return services.dispute_raise(actor=raiser, title=title, description="交付日期分歧", parties=parties)


def rd_sales(world: Any) -> Dispute:
    """RD and SALES, raised by RD's head, at level 1."""
    dispute_world(world)
    return _dispute("RD-SALES 交付日期", world.head, [world.rd, world.sales])


def rd_sales_level_2(world: Any) -> Dispute:
    """RD and SALES, escalated by RD's head to level 2 (the committee: the coordinator and cc_member)."""
    dispute_world(world)
    existing = Dispute.objects.filter(title="RD-SALES-2 验收标准").first()
    if existing is not None:
        return existing
    dispute = _dispute("RD-SALES-2 验收标准", world.head, [world.rd, world.sales])
    return services.dispute_escalate(actor=world.head, dispute=dispute, reason="协商未果")


def sales_fin(world: Any) -> Dispute:
    """SALES and FIN, raised by SALES's head: nobody of RD sees it."""
    extra = dispute_world(world)
    return _dispute("SALES-FIN 回款责任", extra.sales_head, [world.sales, extra.fin])


def pending_proposal(world: Any) -> Proposal:
    """SALES's head proposes a resolution of RD-SALES; RD's head is asked to confirm it."""
    dispute = rd_sales(world)
    existing = Proposal.objects.filter(dispute=dispute, state=Proposal.State.PENDING).first()
    if existing is not None:
        return existing
    extra = dispute_world(world)
    return services.dispute_propose(actor=extra.sales_head, dispute=dispute, text="交付日期顺延两周")


def dispute_state(world: Any) -> tuple[Any, ...]:
    """Every dispute's state, level and outcome, every proposal's state, and the number of events."""
    return (
        list(Dispute.objects.order_by("pk").values_list("ref", "state", "level", "due_at", "outcome")),
        list(Proposal.objects.order_by("pk").values_list("pk", "state")),
        DisputeEvent.objects.count(),
    )


def ladder_state(world: Any) -> tuple[Any, ...]:
    return (
        list(EscalationLadder.objects.order_by("code").values_list("code", "name", "is_default")),
        list(LadderLevel.objects.order_by("ladder__code", "number").values_list("name", "handler_kind", "time_limit")),
    )


def _pk_of(make: Any) -> Any:
    return lambda world: {"pk": make(world).pk}


def _unknown(world: Any) -> dict[str, Any]:
    return {"pk": UNKNOWN_ID}


_rd_sales, _rd_sales_2, _sales_fin = _pk_of(rd_sales), _pk_of(rd_sales_level_2), _pk_of(sales_fin)
_std, _spare = _pk_of(lambda w: dispute_world(w).ladder), _pk_of(spare_ladder)

# ── Pages ───────────────────────────────────────────────────────────────────────────────────────

SEES_SALES_FIN = by_role(anonymous=302, employee=404, other_department=200, head=404, coordinator=200, admin=200)
ACTS_RD_SALES = signed_in(302)  # everyone signed in sees it: back to its page, done or refused
ACTS_SALES_FIN = by_role(anonymous=302, employee=404, other_department=302, head=404, coordinator=302, admin=302)
DASHBOARD = by_role(anonymous=302, employee=403, other_department=403, head=200, coordinator=200, admin=200)


def _raise_data(world: Any) -> dict[str, Any]:
    dispute_world(world)
    return {"title": "新争议", "description": "接口分歧", "parties": [world.rd.pk, world.sales.pk]}


PAGE_ACTIONS: list[tuple[str, Any]] = [
    ("disputes:comment", lambda w: {"note": "补充说明"}),
    ("disputes:propose", lambda w: {"text": "各承担一半"}),
    ("disputes:confirm", lambda w: {"proposal": pending_proposal(w).pk}),
    ("disputes:escalate", lambda w: {"reason": "协商未果"}),
    ("disputes:decide", lambda w: {"decision": "由研发承担", "reasoning": "设计变更在先"}),
    ("disputes:withdraw", lambda w: {"reason": "已私下解决"}),
]


def _page_action_rows(name: str, data: Any) -> list[Route]:
    return [
        Route(name, method="post", kwargs=_rd_sales, data=data, expect=ACTS_RD_SALES, state=dispute_state),
        Route(
            name,
            method="post",
            label="dispute of other departments",
            kwargs=_sales_fin,
            data=data,
            expect=ACTS_SALES_FIN,
            state=dispute_state,
        ),
        Route(
            name,
            method="post",
            label="unknown id",
            kwargs=_unknown,
            data=data,
            expect=signed_in(404),
            state=dispute_state,
        ),
        Route(name, label="GET", kwargs=_rd_sales, expect=signed_in(405), state=dispute_state),
    ]


LEVEL_FORM = {
    "levels-TOTAL_FORMS": "2",
    "levels-INITIAL_FORMS": "0",
    "levels-MIN_NUM_FORMS": "0",
    "levels-MAX_NUM_FORMS": "20",
    "levels-0-name": "部门协商",
    "levels-0-handler_kind": "heads_of_parties",
    "levels-0-time_limit": "1d",
    "levels-1-name": "",
    "levels-1-handler_kind": "",
    "levels-1-time_limit": "",
}

PAGES: list[Route] = [
    Route("disputes:list", expect=signed_in(200)),
    Route(
        "disputes:list",
        label="filtered",
        data=lambda w: {"state": "all", "level": "1", "mine": "1", "overdue": "1", "q": rd_sales(w).title[:6]},
        expect=signed_in(200),
    ),
    Route("disputes:list", label="bad filters", data=lambda w: {"state": "x", "level": "y"}, expect=signed_in(200)),
    Route("disputes:mine", data=lambda w: {"q": sales_fin(w).title[:5]}, expect=signed_in(200)),
    Route("disputes:queue", kwargs=lambda w: rd_sales(w) and {}, expect=signed_in(200)),
    Route("disputes:raise", expect=signed_in(200)),
    Route("disputes:raise", method="post", data=_raise_data, expect=signed_in(302), state=dispute_state),
    Route(
        "disputes:raise",
        method="post",
        label="one party",
        data=lambda w: _raise_data(w) | {"parties": [w.sales.pk]},
        expect=signed_in(200),
        state=dispute_state,
    ),
    Route("disputes:dashboard", expect=DASHBOARD),
    Route("disputes:detail", kwargs=_rd_sales, expect=signed_in(200)),
    Route("disputes:detail", label="level 2", kwargs=_rd_sales_2, expect=signed_in(200)),
    Route("disputes:detail", label="dispute of other departments", kwargs=_sales_fin, expect=SEES_SALES_FIN),
    Route("disputes:detail", label="unknown id", kwargs=_unknown, expect=signed_in(404)),
    *[row for name, data in PAGE_ACTIONS for row in _page_action_rows(name, data)],
    Route(
        "disputes:decide",
        method="post",
        label="level 2",
        kwargs=_rd_sales_2,
        data=lambda w: {"decision": "由研发承担", "reasoning": "设计变更在先"},
        expect=ACTS_RD_SALES,
        state=dispute_state,
    ),
    Route("disputes:ladder_list", kwargs=lambda w: spare_ladder(w) and {}, expect=signed_in(200)),
    Route("disputes:ladder_create", expect=managers(200)),
    Route(
        "disputes:ladder_create",
        method="post",
        data=lambda w: dispute_world(w) and {"code": "FAST", "name": "快速通道", **LEVEL_FORM},
        expect=managers(302),
        state=ladder_state,
    ),
    Route("disputes:ladder_edit", kwargs=_std, expect=managers(200)),
    Route(
        "disputes:ladder_edit",
        method="post",
        kwargs=_spare,
        data=lambda w: {"name": "备用路径（改）", **LEVEL_FORM},
        expect=managers(302),
        state=ladder_state,
    ),
    Route("disputes:ladder_edit", label="unknown id", kwargs=_unknown, expect=signed_in(404)),
    Route(
        "disputes:ladder_edit",
        method="post",
        label="unknown id",
        kwargs=_unknown,
        data=lambda w: {"name": "猜", **LEVEL_FORM},
        expect=signed_in(404),
        state=ladder_state,
    ),
    Route("disputes:ladder_delete", method="post", kwargs=_spare, expect=managers(302), state=ladder_state),
    Route(
        "disputes:ladder_delete",
        method="post",
        label="in use",
        kwargs=lambda w: rd_sales(w) and {"pk": dispute_world(w).ladder.pk},
        expect=managers(302),
        state=ladder_state,
    ),
    Route(
        "disputes:ladder_delete",
        method="post",
        label="unknown id",
        kwargs=_unknown,
        expect=signed_in(404),
        state=ladder_state,
    ),
    Route("disputes:ladder_delete", label="GET", kwargs=_spare, expect=signed_in(405), state=ladder_state),
]

# ── API ─────────────────────────────────────────────────────────────────────────────────────────


def _api(status: int) -> dict[str, int]:
    return signed_in(status, anonymous=API_ANONYMOUS)


def _api_roles(**statuses: int) -> dict[str, int]:
    return by_role(anonymous=API_ANONYMOUS, **statuses)


API_SEES_SALES_FIN = _api_roles(employee=404, other_department=200, head=404, coordinator=200, admin=200)


def _seen_by_sales(*, other_department: int, coordinator: int, admin: int) -> dict[str, int]:
    """Statuses on SALES-FIN: RD's people (employee, head) do not see it."""
    return _api_roles(employee=404, other_department=other_department, head=404, coordinator=coordinator, admin=admin)


# (action, body, statuses on RD-SALES at level 1, statuses on SALES-FIN at level 1)
API_ACTIONS: list[tuple[str, Any, dict[str, int], dict[str, int]]] = [
    (
        "api:dispute-comment",
        lambda w: {"note": "补充说明"},
        _api(200),
        _seen_by_sales(other_department=200, coordinator=200, admin=200),
    ),
    (
        "api:dispute-propose",
        lambda w: {"text": "各承担一半"},
        _api_roles(employee=403, other_department=403, head=200, coordinator=403, admin=403),
        _seen_by_sales(other_department=403, coordinator=403, admin=403),
    ),
    (
        # SALES-FIN: the proposal is RD-SALES's, not one of this dispute's
        "api:dispute-confirm",
        lambda w: {"proposal": pending_proposal(w).pk},
        _api_roles(employee=403, other_department=403, head=200, coordinator=403, admin=403),
        _seen_by_sales(other_department=400, coordinator=400, admin=400),
    ),
    (
        "api:dispute-escalate",
        lambda w: {"reason": "协商未果"},
        _api_roles(employee=200, other_department=200, head=200, coordinator=403, admin=403),
        _seen_by_sales(other_department=200, coordinator=403, admin=403),
    ),
    (
        # decisions are taken above level 1: a clear 400 for everyone who sees the dispute
        "api:dispute-decide",
        lambda w: {"decision": "由研发承担", "reasoning": "设计变更在先"},
        _api(400),
        _seen_by_sales(other_department=400, coordinator=400, admin=400),
    ),
    (
        "api:dispute-withdraw",
        lambda w: {"reason": "已私下解决"},
        _api_roles(employee=403, other_department=403, head=200, coordinator=200, admin=403),
        _seen_by_sales(other_department=403, coordinator=200, admin=403),
    ),
]


def _api_action_rows(name: str, data: Any, on_rd_sales: dict[str, int], on_sales_fin: dict[str, int]) -> list[Route]:
    return [
        Route(name, method="post", kwargs=_rd_sales, data=data, expect=on_rd_sales, state=dispute_state),
        Route(
            name,
            method="post",
            label="dispute of other departments",
            kwargs=_sales_fin,
            data=data,
            expect=on_sales_fin,
            state=dispute_state,
        ),
        Route(name, method="post", label="unknown id", kwargs=_unknown, data=data, expect=_api(404)),
        Route(name, label="GET", kwargs=_rd_sales, expect=_api(405), state=dispute_state),
    ]


def _ladder_body(code: str) -> Any:
    return lambda w: (
        dispute_world(w)
        and {
            "code": code,
            "name": "快速通道",
            "is_default": False,
            "levels": [
                {"name": "部门协商", "handler": "heads_of_parties", "time_limit": "1d"},
                {"name": "委员会", "handler": "committee:CC", "time_limit": "4h"},
            ],
        }
    )


API: list[Route] = [
    Route("api:dispute-list", kwargs=lambda w: sales_fin(w) and {}, expect=_api(200)),
    Route(
        "api:dispute-list",
        label="filtered",
        data=lambda w: {"state": "open", "level": 1, "mine": "true", "overdue": "false", "q": "交付"},
        expect=_api(200),
    ),
    Route("api:dispute-list", label="queue", data=lambda w: {"queue": "true"}, expect=_api(200)),
    Route("api:dispute-list", label="bad state", data=lambda w: {"state": "closed"}, expect=_api(400)),
    Route(
        "api:dispute-list",
        method="post",
        data=lambda w: dispute_world(w) and {"title": "新争议", "parties": ["RD", "SALES"]},
        expect=_api_roles(employee=201, other_department=201, head=201, coordinator=201, admin=201),
        state=dispute_state,
    ),
    Route(
        "api:dispute-list",
        method="post",
        label="one party",
        data=lambda w: dispute_world(w) and {"title": "新争议", "parties": ["SALES"]},
        expect=_api(400),
        state=dispute_state,
    ),
    Route(
        "api:dispute-list",
        method="post",
        label="not a party",
        data=lambda w: dispute_world(w) and {"title": "新争议", "parties": ["SALES", "FIN"]},
        expect=_api_roles(employee=403, other_department=201, head=403, coordinator=201, admin=201),
        state=dispute_state,
    ),
    Route("api:dispute-detail", kwargs=_rd_sales, expect=_api(200)),
    Route("api:dispute-detail", label="dispute of other departments", kwargs=_sales_fin, expect=API_SEES_SALES_FIN),
    Route("api:dispute-detail", label="unknown id", kwargs=_unknown, expect=_api(404)),
    *[row for name, data, on_rd, on_fin in API_ACTIONS for row in _api_action_rows(name, data, on_rd, on_fin)],
    Route(
        "api:dispute-decide",
        method="post",
        label="level 2",
        kwargs=_rd_sales_2,
        data=lambda w: {"decision": "由研发承担", "reasoning": "设计变更在先"},
        expect=_api_roles(employee=403, other_department=403, head=403, coordinator=200, admin=403),
        state=dispute_state,
    ),
    Route("api:ladder-list", kwargs=lambda w: spare_ladder(w) and {}, expect=_api(200)),
    Route(
        "api:ladder-list",
        method="post",
        data=_ladder_body("FAST"),
        expect=managers(201, anonymous=API_ANONYMOUS),
        state=ladder_state,
    ),
    Route("api:ladder-detail", kwargs=_std, expect=_api(200)),
    Route("api:ladder-detail", label="unknown id", kwargs=_unknown, expect=_api(404)),
    Route(
        "api:ladder-detail",
        method="put",
        kwargs=_spare,
        data=_ladder_body("SPARE"),
        expect=managers(200, anonymous=API_ANONYMOUS),
        state=ladder_state,
    ),
    Route(
        "api:ladder-detail",
        method="put",
        label="unknown id",
        kwargs=_unknown,
        data=_ladder_body("X"),
        expect=_api(404),
        state=ladder_state,
    ),
    Route(
        "api:ladder-detail",
        method="delete",
        kwargs=_spare,
        expect=managers(204, anonymous=API_ANONYMOUS),
        state=ladder_state,
    ),
    Route(
        "api:ladder-detail",
        method="delete",
        label="in use",
        kwargs=lambda w: rd_sales(w) and {"pk": dispute_world(w).ladder.pk},
        expect=managers(400, anonymous=API_ANONYMOUS),
        state=ladder_state,
    ),
    Route("api:ladder-detail", method="delete", label="unknown id", kwargs=_unknown, expect=_api(404)),
]

ROUTES: list[Route] = PAGES + API
