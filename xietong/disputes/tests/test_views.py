"""The dispute pages: raising, the dispute page and its actions per role, the lists, the dashboard and
the ladder editor.

The role × route statuses are in route_matrix.py; these tests check what the pages do and show. The
organization is the ``d`` fixture of conftest.py (ladder: 1 heads of the parties 1d, 2 the general
manager 2d, 3 the committee 1d), plus FIN: a department that is party to nothing here, with a staff
member (the outsider) and a committee member (who handles level 3 only).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from xietong.attachments.models import Attachment
from xietong.common import clock
from xietong.disputes import services
from xietong.disputes.models import Dispute, DisputeEvent, EscalationLadder, LadderLevel, Proposal
from xietong.disputes.tests.conftest import Disputes
from xietong.disputes.tests.factories import at
from xietong.org.tests.factories import DepartmentFactory, PersonFactory

pytestmark = pytest.mark.django_db


def zh(message: str, **values: Any) -> str:
    """The message as the Simplified Chinese UI shows it, with ``values`` put in (when given)."""
    with translation.override("zh-hans"):
        text = translation.gettext(message)
    return text.format(**values) if values else text


def messages_of(response: Any) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


@dataclasses.dataclass
class Cast:
    """The people of the permission matrix, by role."""

    d: Disputes
    outsider: Any  # FIN staff: party to nothing
    committee_member: Any  # FIN staff on the committee: handles level 3

    def person(self, role: str) -> Any:
        w = self.d.world
        return {
            "party_head": w.head,  # RD's head
            "party_staff": w.employee,  # RD-HW, under RD
            "raiser": w.other_department,  # SALES staff, who raised it
            "outsider": self.outsider,
            "level_2_handler": self.d.boss,  # the general manager (an executive)
            "committee_member": self.committee_member,
            "coordinator": w.coordinator,
            "admin": w.admin,
        }[role]


ROLES = (
    "party_head",
    "party_staff",
    "raiser",
    "outsider",
    "level_2_handler",
    "committee_member",
    "coordinator",
    "admin",
)


@pytest.fixture
def cast(d: Disputes) -> Cast:
    fin = DepartmentFactory(code="FIN", name="财务部", parent=d.world.gm)
    outsider = PersonFactory(username="fin_staff", name="钱多", department=fin)
    member = PersonFactory(username="fin_member", name="严谨", department=fin)
    d.committee.members.add(member)
    return Cast(d, outsider, member)


def rd_sales(cast: Cast, *, level: int = 1, proposal: bool = False) -> Dispute:
    """RD against SALES, raised by SALES staff on Monday 09:00, taken to ``level`` by hand; with a
    pending proposal of SALES's head when ``proposal``."""
    w = cast.d.world
    with clock.freeze(at("2026-03-02T09:00")):
        dispute = services.dispute_raise(
            actor=w.other_department,
            title="插单导致排产冲突",
            description="销售插单，研发排期冲突",
            parties=[w.rd, w.sales],
        )
        if proposal:
            services.dispute_propose(actor=cast.d.sales_head, dispute=dispute, text="交付顺延一周")
        for _n in range(level - 1):
            dispute = services.dispute_escalate(actor=w.head, dispute=dispute, reason="协商未果")
    return dispute


def snapshot(dispute: Dispute) -> tuple[Any, ...]:
    return (
        Dispute.objects.filter(pk=dispute.pk).values_list("state", "level", "due_at", "outcome", "closed_at").get(),
        list(Proposal.objects.filter(dispute=dispute).order_by("pk").values_list("state", flat=True)),
        list(DisputeEvent.objects.filter(dispute=dispute).order_by("pk").values_list("kind", flat=True)),
    )


# ── Raising ─────────────────────────────────────────────────────────────────────────────────────


def test_a_party_member_raises_a_dispute_with_files_and_lands_on_its_page(client, d):
    # given
    w = d.world
    client.force_login(w.employee)
    upload = SimpleUploadedFile("排产表.txt", "排产计划".encode(), content_type="text/plain")
    # when
    response = client.post(
        reverse("disputes:raise"),
        {
            "title": "插单导致排产冲突",
            "description": "销售插单",
            "parties": [w.rd.pk, w.sales.pk],
            "ladder": d.ladder.pk,
            "attachments": [upload],
        },
    )
    # then
    dispute = Dispute.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("disputes:detail", args=[dispute.pk])
    assert (dispute.title, dispute.level, dispute.ladder_id, dispute.raised_by_id) == (
        "插单导致排产冲突",
        1,
        d.ladder.pk,
        w.employee.pk,
    )
    assert sorted(p.code for p in dispute.parties.all()) == ["RD", "SALES"]
    assert list(Attachment.objects.values_list("filename", flat=True)) == ["排产表.txt"]
    page = client.get(response["Location"])
    assert "排产表.txt" in page.content.decode()
    assert messages_of(response) == [("success", zh("Dispute {ref} raised.", ref=dispute.ref))]


def test_the_raise_form_preselects_the_default_ladder_and_offers_active_departments(client, d):
    # given
    DepartmentFactory(code="OLD", name="旧部门", is_active=False)
    client.force_login(d.world.employee)
    # when
    response = client.get(reverse("disputes:raise"))
    # then
    form = response.context["form"]
    assert form["ladder"].value() == d.ladder.pk
    assert sorted(dep.code for dep in form.fields["parties"].queryset) == ["GM", "RD", "RD-HW", "SALES"]


def test_raising_with_one_party_shows_the_error_and_creates_nothing(client, d):
    # given
    client.force_login(d.world.employee)
    # when
    response = client.post(reverse("disputes:raise"), {"title": "只有一方", "parties": [d.world.rd.pk]})
    # then
    assert response.status_code == 200
    assert response.context["form"].errors["parties"] == [zh("Choose at least two departments.")]
    assert Dispute.objects.count() == 0
    assert DisputeEvent.objects.count() == 0


def test_raising_for_other_departments_is_refused_on_the_form(client, cast):
    # given: the RD-HW employee names SALES and FIN, none of them theirs
    client.force_login(cast.d.world.employee)
    fin = cast.outsider.department
    # when
    response = client.post(reverse("disputes:raise"), {"title": "别人的事", "parties": [cast.d.world.sales.pk, fin.pk]})
    # then
    assert response.status_code == 200
    assert response.context["form"].errors["parties"] == [zh("Your department is not among them.")]
    assert Dispute.objects.count() == 0


# ── The dispute page per role ───────────────────────────────────────────────────────────────────

# Which action forms each role sees on RD-SALES: at level 1 (with SALES's head's pending proposal),
# at level 2 (the general manager's) and at level 3 (the committee's).
FORMS = ("comment-form", "propose-form", "confirm-form", "escalate-form", "decide-form", "withdraw-form")
PAGE_FORMS: dict[int, dict[str, set[str] | None]] = {
    1: {
        "party_head": {"comment-form", "propose-form", "confirm-form", "escalate-form"},
        "party_staff": {"comment-form", "escalate-form"},
        "raiser": {"comment-form", "escalate-form", "withdraw-form"},
        "outsider": None,  # 404
        "level_2_handler": {"comment-form"},
        "committee_member": None,
        "coordinator": {"comment-form", "withdraw-form"},
        "admin": {"comment-form"},
    },
    2: {
        "party_head": {"comment-form", "escalate-form"},
        "party_staff": {"comment-form", "escalate-form"},
        "raiser": {"comment-form", "escalate-form", "withdraw-form"},
        "outsider": None,
        "level_2_handler": {"comment-form", "decide-form"},
        "committee_member": None,
        "coordinator": {"comment-form", "withdraw-form"},
        "admin": {"comment-form"},
    },
    3: {
        "party_head": {"comment-form"},
        "party_staff": {"comment-form"},
        "raiser": {"comment-form", "withdraw-form"},
        "outsider": None,
        "level_2_handler": {"comment-form", "decide-form"},  # the committee's chair too
        "committee_member": {"comment-form", "decide-form"},
        "coordinator": {"comment-form", "withdraw-form"},
        "admin": {"comment-form"},
    },
}


@pytest.mark.parametrize("level", [1, 2, 3])
@pytest.mark.parametrize("role", ROLES)
def test_each_role_sees_the_actions_it_may_take(client, cast, role, level):
    # given
    dispute = rd_sales(cast, level=level, proposal=level == 1)
    client.force_login(cast.person(role))
    # when
    response = client.get(reverse("disputes:detail", args=[dispute.pk]))
    # then
    expected = PAGE_FORMS[level][role]
    if expected is None:
        assert response.status_code == 404
        return
    html = response.content.decode()
    assert response.status_code == 200
    assert {form for form in FORMS if f'id="{form}"' in html} == expected


def test_the_page_shows_the_ladder_where_it_stands_and_who_handles_it(client, cast):
    # given: RD-SALES at level 2 (the general manager's, 2 working days from Monday 09:00)
    dispute = rd_sales(cast, level=2)
    client.force_login(cast.d.world.head)
    # when: Monday 10:00
    with clock.freeze(at("2026-03-02T10:00")):
        response = client.get(reverse("disputes:detail", args=[dispute.pk]))
    # then
    html = response.content.decode()
    assert response.context["handlers"] == [cast.d.boss]
    assert response.context["left"].overdue is False
    assert response.context["left"].text == zh("{amount} left").format(amount=zh("{n} working days").format(n="1.9"))
    assert 'data-level="2" aria-current="step"' in html
    assert "2026-03-03 18:00" in html  # due: two working days on, Tuesday at the end of the day
    assert [event.kind for event, _attachments in response.context["events"]] == ["raised", "escalate"]


def test_a_party_without_a_head_is_pointed_out_at_level_1(client, d):
    # given: RD-HW has no head
    w = d.world
    with clock.freeze(at("2026-03-02T09:00")):
        dispute = services.dispute_raise(actor=w.employee, title="接口", description="", parties=[w.rd_hw, w.sales])
    client.force_login(w.employee)
    # when
    response = client.get(reverse("disputes:detail", args=[dispute.pk]))
    # then
    assert 'id="headless-warning"' in response.content.decode()
    assert [p.code for p in response.context["headless_parties"]] == ["RD-HW"]


# ── The actions per role ────────────────────────────────────────────────────────────────────────

# (action, the dispute's level, the POST data, the roles whose request succeeds)
ACTIONS: list[tuple[str, int, dict[str, Any], set[str]]] = [
    (
        "comment",
        1,
        {"note": "补充：客户已同意延期"},
        {"party_head", "party_staff", "raiser", "level_2_handler", "coordinator", "admin"},
    ),
    ("propose", 1, {"text": "研发加班一周"}, {"party_head"}),
    ("confirm", 1, {}, {"party_head"}),
    ("escalate", 1, {"reason": "协商未果"}, {"party_head", "party_staff", "raiser"}),
    ("decide", 2, {"decision": "按原计划交付", "reasoning": "合同约定在先"}, {"level_2_handler"}),
    ("decide", 3, {"decision": "按原计划交付", "reasoning": "合同约定在先"}, {"level_2_handler", "committee_member"}),
    ("withdraw", 1, {"reason": "客户取消订单"}, {"raiser", "coordinator"}),
]
UNSEEN = {1: {"outsider", "committee_member"}, 2: {"outsider", "committee_member"}, 3: {"outsider"}}


def _expected_change(action: str, before: tuple[Any, ...], after: tuple[Any, ...]) -> bool:
    (state, level, *_rest), proposals, events = after
    if action == "comment":
        return events[-1] == "comment" and state == "open"
    if action == "propose":
        return proposals[-1] == "pending" and proposals[:-1] == ["superseded"] and events[-1] == "propose"
    if action == "confirm":
        return state == "resolved" and proposals == ["final"] and events[-2:] == ["confirm", "resolve"]
    if action == "escalate":
        return level == before[0][1] + 1 and events[-1] == "escalate"
    if action == "decide":
        return state == "resolved" and events[-2:] == ["decide", "resolve"] and after[0][3] == "按原计划交付"
    return state == "withdrawn" and events[-1] == "withdraw" and after[0][3] == "客户取消订单"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("action", "level", "data", "allowed"), ACTIONS, ids=[f"{a[0]} at {a[1]}" for a in ACTIONS])
def test_each_action_on_the_page_is_done_only_by_the_roles_that_may(client, cast, role, action, level, data, allowed):
    # given
    dispute = rd_sales(cast, level=level, proposal=level == 1)
    if action == "confirm":
        data = {"proposal": Proposal.objects.get(dispute=dispute, state="pending").pk}
    client.force_login(cast.person(role))
    before = snapshot(dispute)
    # when
    with clock.freeze(at("2026-03-02T10:00")):
        response = client.post(reverse(f"disputes:{action}", args=[dispute.pk]), data)
    # then
    after = snapshot(dispute)
    if role in UNSEEN[level]:
        assert response.status_code == 404
        assert after == before
        return
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("disputes:detail", args=[dispute.pk]))
    levels = [level_tag for level_tag, _text in messages_of(response)]
    if role in allowed:
        assert levels == ["success"]
        assert _expected_change(action, before, after), (before, after)
    else:
        assert levels == ["error"]
        assert after == before


def test_the_proposal_shows_who_confirmed_and_who_still_must(client, cast):
    # given: three parties; SALES's head proposes, RD's head confirms; FIN (no head) has not
    w = cast.d.world
    fin = cast.outsider.department
    with clock.freeze(at("2026-03-02T09:00")):
        dispute = services.dispute_raise(actor=w.head, title="三方争议", description="", parties=[w.rd, w.sales, fin])
        proposal = services.dispute_propose(actor=cast.d.sales_head, dispute=dispute, text="三方分摊")
        services.dispute_confirm(actor=w.head, dispute=dispute, proposal=proposal)
    client.force_login(w.head)
    # when
    response = client.get(reverse("disputes:detail", args=[dispute.pk]))
    # then: not final without FIN's confirmation
    html = response.content.decode()
    assert 'data-confirmed="RD"' in html
    assert 'data-awaiting="FIN"' in html
    assert 'data-awaiting="RD"' not in html
    assert Dispute.objects.get(pk=dispute.pk).state == "open"
    assert 'id="headless-warning"' in html


def test_escalating_past_the_last_level_is_refused_and_changes_nothing(client, cast):
    # given: at level 3, the last
    dispute = rd_sales(cast, level=3)
    client.force_login(cast.d.world.head)
    before = snapshot(dispute)
    # when
    response = client.post(reverse("disputes:escalate", args=[dispute.pk]), {"reason": "再升级"})
    # then
    assert messages_of(response) == [
        (
            "error",
            zh("The dispute is at the last level of its ladder ({level}): it cannot be escalated further.").format(
                level=3
            ),
        )
    ]
    assert snapshot(dispute) == before


def test_acting_on_a_withdrawn_dispute_is_refused_and_changes_nothing(client, cast):
    # given
    dispute = rd_sales(cast)
    services.dispute_withdraw(actor=cast.d.world.other_department, dispute=dispute, reason="撤回")
    client.force_login(cast.d.world.head)
    before = snapshot(dispute)
    # when
    shown = []
    for action, data in (
        ("comment", {"note": "还有话说"}),
        ("propose", {"text": "方案"}),
        ("escalate", {"reason": "升级"}),
    ):
        response = client.post(reverse(f"disputes:{action}", args=[dispute.pk]), data)
        shown.append(messages_of(response))
        client.get(response["Location"])  # the page shows (and so uses up) the message
    # then
    closed = zh("This dispute was withdrawn: nothing can change it any more.")
    assert shown == [[("error", closed)]] * 3
    assert snapshot(dispute) == before
    page = client.get(reverse("disputes:detail", args=[dispute.pk])).content.decode()
    assert 'id="dispute-actions"' not in page
    assert "撤回" in page


def test_an_empty_comment_is_refused_with_the_field_named(client, cast):
    # given
    dispute = rd_sales(cast)
    client.force_login(cast.d.world.head)
    before = snapshot(dispute)
    # when
    response = client.post(reverse("disputes:comment", args=[dispute.pk]), {"note": ""})
    # then
    [(tag, text)] = messages_of(response)
    assert tag == "error"
    assert text.startswith(zh("Comment"))
    assert snapshot(dispute) == before


def test_confirming_a_proposal_of_another_dispute_is_refused(client, cast):
    # given
    first = rd_sales(cast, proposal=True)
    with clock.freeze(at("2026-03-02T09:00")):
        second = services.dispute_raise(
            actor=cast.d.world.head, title="另一争议", description="", parties=[cast.d.world.rd, cast.d.world.sales]
        )
    other = Proposal.objects.get(dispute=first)
    client.force_login(cast.d.world.head)
    before = snapshot(second)
    # when
    response = client.post(reverse("disputes:confirm", args=[second.pk]), {"proposal": other.pk})
    # then
    assert messages_of(response) == [("error", zh("This proposal is not one of this dispute's."))]
    assert snapshot(second) == before
    assert Proposal.objects.get(pk=other.pk).state == "pending"


def test_a_decision_is_shown_with_its_reasoning_and_found_again_by_search(client, cast):
    # given: the general manager decides at level 2
    dispute = rd_sales(cast, level=2)
    client.force_login(cast.d.boss)
    client.post(
        reverse("disputes:decide", args=[dispute.pk]), {"decision": "销售承担延误成本", "reasoning": "插单未走流程"}
    )
    # when
    page = client.get(reverse("disputes:detail", args=[dispute.pk])).content.decode()
    found = client.get(reverse("disputes:list"), {"state": "resolved", "q": "延误成本"})
    # then
    assert 'id="dispute-outcome"' in page
    assert "销售承担延误成本" in page
    assert "插单未走流程" in page
    assert [row["dispute"].pk for row in found.context["rows"]] == [dispute.pk]


# ── Lists ───────────────────────────────────────────────────────────────────────────────────────


def test_the_list_shows_open_disputes_with_time_left_and_overdue_at_the_last_level(client, cast):
    # given: one at level 1, one at level 3 past its due instant (Tuesday ~09:00 + 1d)
    fresh = rd_sales(cast)
    late = rd_sales(cast, level=3)
    client.force_login(cast.d.world.coordinator)
    # when: Thursday 12:00 (level 3 entered Monday 09:00, due Tuesday 09:00)
    with clock.freeze(at("2026-03-05T12:00")):
        services.escalation_tick()
        response = client.get(reverse("disputes:list"))
        overdue_only = client.get(reverse("disputes:list"), {"overdue": "1"})
    # then
    rows = {row["dispute"].pk: row for row in response.context["rows"]}
    assert rows[late.pk]["is_overdue"] is True
    assert rows[fresh.pk]["is_overdue"] is False
    assert [row["dispute"].pk for row in overdue_only.context["rows"]] == [late.pk]
    assert 'data-overdue="1"' in overdue_only.content.decode()


def test_my_queue_holds_the_disputes_whose_current_level_i_handle(client, cast):
    # given: one at level 1 (the heads'), one at level 2 (the general manager's)
    first = rd_sales(cast)
    second = rd_sales(cast, level=2)
    # when
    client.force_login(cast.d.world.head)
    head_queue = client.get(reverse("disputes:queue"))
    client.force_login(cast.d.boss)
    boss_queue = client.get(reverse("disputes:queue"))
    client.force_login(cast.d.world.employee)
    employee_queue = client.get(reverse("disputes:queue"))
    # then
    assert [row["dispute"].pk for row in head_queue.context["rows"]] == [first.pk]
    assert [row["dispute"].pk for row in boss_queue.context["rows"]] == [second.pk]
    assert employee_queue.context["rows"] == []


def test_my_disputes_leave_out_those_i_only_see_as_leadership(client, cast):
    # given: RD-SALES; the general manager (executive) sees it but is no party and no handler at level 1
    dispute = rd_sales(cast)
    client.force_login(cast.d.boss)
    # when
    everything = client.get(reverse("disputes:list"))
    mine = client.get(reverse("disputes:mine"))
    # then
    assert [row["dispute"].pk for row in everything.context["rows"]] == [dispute.pk]
    assert mine.context["rows"] == []


def test_the_search_box_answers_with_the_results_fragment_to_htmx(client, cast):
    # given
    rd_sales(cast)
    client.force_login(cast.d.world.head)
    # when
    response = client.get(reverse("disputes:list"), {"q": "排产"}, HTTP_HX_REQUEST="true")
    # then
    html = response.content.decode()
    assert "<html" not in html
    assert 'id="disputes"' in html
    assert "插单导致排产冲突" in html
    assert "HX-Request" in response["Vary"]


def test_an_htmx_history_restore_gets_the_whole_page(client, cast):
    # given
    client.force_login(cast.d.world.head)
    # when
    response = client.get(
        reverse("disputes:list"), {"q": "排产"}, HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true"
    )
    # then
    assert "<html" in response.content.decode()


# ── Dashboard ───────────────────────────────────────────────────────────────────────────────────


def test_the_dashboard_shows_the_figures_and_open_disputes_by_level(client, cast):
    # given: one resolved at level 1, one open at level 2, one withdrawn
    rd_sales(cast, level=2)
    resolved = rd_sales(cast, proposal=True)
    with clock.freeze(at("2026-03-02T11:00")):
        services.dispute_confirm(
            actor=cast.d.world.head, dispute=resolved, proposal=Proposal.objects.get(dispute=resolved, state="pending")
        )
        services.dispute_withdraw(actor=cast.d.world.coordinator, dispute=rd_sales(cast), reason="撤回")
    client.force_login(cast.d.world.coordinator)
    # when
    with clock.freeze(at("2026-03-02T12:00")):
        response = client.get(reverse("disputes:dashboard"))
    # then
    figures = response.context["figures"]
    assert (figures["total"], figures["resolved"], figures["withdrawn"], figures["resolved_at_level_1"]) == (3, 1, 1, 1)
    assert figures["escalations"] == 1
    assert [(row["level"], row["count"]) for row in response.context["by_level"]] == [(2, 1)]
    html = response.content.decode()
    assert 'data-figure="open_overdue"' in html
    assert 'id="dispute-series"' in html
    assert "vendor/echarts/echarts.min.js" in html


def test_a_department_head_sees_the_part_of_the_dashboard_of_their_parties(client, cast):
    # given
    rd_sales(cast)
    client.force_login(cast.d.world.head)
    # when
    response = client.get(reverse("disputes:dashboard"))
    # then
    assert response.status_code == 200
    assert response.context["figures"] is None
    assert [(row["level"], row["count"]) for row in response.context["by_level"]] == [(1, 1)]
    assert "echarts" not in response.content.decode()


# ── Ladders ─────────────────────────────────────────────────────────────────────────────────────


def _ladder_post(code: str, name: str, *, default: bool, levels: list[dict[str, Any]]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "code": code,
        "name": name,
        "levels-TOTAL_FORMS": str(len(levels) + 1),
        "levels-INITIAL_FORMS": "0",
        "levels-MIN_NUM_FORMS": "0",
        "levels-MAX_NUM_FORMS": "20",
    }
    if default:
        data["is_default"] = "on"
    for index, level in enumerate(levels):
        data |= {f"levels-{index}-{key}": value for key, value in level.items()}
    return data


def test_a_coordinator_creates_a_default_ladder_and_the_old_default_steps_down(client, d):
    # given
    client.force_login(d.world.coordinator)
    levels = [
        {"name": "部门协商", "handler_kind": "heads_of_parties", "time_limit": "4h"},
        {"name": "总经理", "handler_kind": "person", "person": d.boss.pk, "time_limit": "1d"},
        {"name": "委员会", "handler_kind": "committee", "committee": d.committee.pk, "time_limit": "1d"},
        {"name": "研发负责人", "handler_kind": "department_head", "department": d.world.rd.pk, "time_limit": "2h"},
    ]
    # when
    response = client.post(
        reverse("disputes:ladder_create"), _ladder_post("FAST", "快速通道", default=True, levels=levels)
    )
    # then
    assert response.status_code == 302
    fast = EscalationLadder.objects.get(code="FAST")
    assert list(EscalationLadder.objects.filter(is_default=True).values_list("code", flat=True)) == ["FAST"]
    assert list(fast.levels.order_by("number").values_list("number", "name", "handler_kind", "time_limit")) == [
        (1, "部门协商", "heads_of_parties", "4h"),
        (2, "总经理", "person", "1d"),
        (3, "委员会", "committee", "1d"),
        (4, "研发负责人", "department_head", "2h"),
    ]
    listing = client.get(reverse("disputes:ladder_list")).content.decode()
    assert 'id="ladder-FAST"' in listing
    assert zh("Head of {department}", department="研发中心") in listing


def test_a_level_without_its_target_or_with_a_bad_time_limit_shows_errors_and_saves_nothing(client, d):
    # given
    client.force_login(d.world.coordinator)
    levels = [
        {"name": "总经理", "handler_kind": "person", "time_limit": "1d"},
        {"name": "协商", "handler_kind": "heads_of_parties", "time_limit": "三天"},
    ]
    # when
    response = client.post(reverse("disputes:ladder_create"), _ladder_post("BAD", "错误", default=False, levels=levels))
    # then: the form's check first (a person is needed), then, once given, the service's (the time limit)
    assert response.status_code == 200
    assert response.context["formset"].forms[0].errors["person"] == [
        zh("Choose the handler's {target}.", target=zh("Person"))
    ]
    levels[0]["person"] = d.boss.pk
    again = client.post(reverse("disputes:ladder_create"), _ladder_post("BAD", "错误", default=False, levels=levels))
    assert again.status_code == 200
    assert list(again.context["formset"].forms[1].errors) == ["time_limit"]
    assert not EscalationLadder.objects.filter(code="BAD").exists()


def test_the_only_default_ladder_cannot_step_down_and_a_used_ladder_cannot_be_deleted(client, cast):
    # given
    rd_sales(cast)
    ladder = cast.d.ladder
    client.force_login(cast.d.world.admin)
    levels = [
        {
            "name": level.name,
            "handler_kind": level.handler_kind,
            "person": level.person_id or "",
            "committee": level.committee_id or "",
            "time_limit": level.time_limit,
        }
        for level in ladder.levels.order_by("number")
    ]
    before = list(LadderLevel.objects.values_list("pk", "name", "time_limit"))
    # when
    edit = client.post(
        reverse("disputes:ladder_edit", args=[ladder.pk]), _ladder_post("", "新名字", default=False, levels=levels)
    )
    delete = client.post(reverse("disputes:ladder_delete", args=[ladder.pk]))
    # then
    assert edit.status_code == 200
    assert edit.context["form"].errors["is_default"] == [zh("Make another ladder the default.")]
    assert messages_of(delete)[-1][0] == "error"
    assert EscalationLadder.objects.get(pk=ladder.pk).name == ladder.name
    assert list(LadderLevel.objects.values_list("pk", "name", "time_limit")) == before


def test_leadership_sees_the_whole_dashboard_and_plain_staff_are_refused(client, cast):
    # given
    rd_sales(cast)
    # when
    client.force_login(cast.d.boss)  # an executive
    boss = client.get(reverse("disputes:dashboard"))
    client.force_login(cast.d.world.employee)
    employee = client.get(reverse("disputes:dashboard"))
    # then
    assert boss.status_code == 200
    assert boss.context["figures"]["total"] == 1
    assert employee.status_code == 403
