"""metrics.md's dispute figures: as-of semantics, escalations due but not recorded yet, the median in
working days, and a constant number of queries."""

from __future__ import annotations

import pytest

from xietong.common import clock
from xietong.disputes import services
from xietong.disputes.figures import dispute_figures, dispute_series
from xietong.disputes.tests.conftest import raise_dispute
from xietong.disputes.tests.factories import at

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("monday_morning")]

EMPTY = {
    "total": 0,
    "resolved": 0,
    "withdrawn": 0,
    "resolved_at_level_1": 0,
    "escalations": 0,
    "auto_escalations": 0,
    "median_resolution_working_days": None,
    "open_overdue": 0,
    "open_by_level": {},
}


def resolve_by_agreement(d, dispute, when):
    with clock.freeze(at(when)):
        proposal = services.dispute_propose(actor=d.world.head, dispute=dispute, text="方案")
        services.dispute_confirm(actor=d.sales_head, dispute=dispute, proposal=proposal)


def test_no_disputes_give_zeros_and_nulls(d):
    assert dispute_figures(at("2026-04-01T00:00")) == EMPTY


def test_every_figure_counts_only_what_happened_by_as_of(d):
    # given: A resolved at level 1 after 4 working hours; B escalated by hand then withdrawn; C opened later
    a = raise_dispute(d, "2026-03-02T09:00")
    resolve_by_agreement(d, a, "2026-03-02T14:00")  # 09-12 + 13-14 = 4h
    b = raise_dispute(d, "2026-03-03T09:00")
    with clock.freeze(at("2026-03-03T10:00")):
        services.dispute_escalate(actor=d.world.head, dispute=b, reason="僵持")
    with clock.freeze(at("2026-03-04T10:00")):
        services.dispute_withdraw(actor=d.world.employee, dispute=b, reason="撤回")
    raise_dispute(d, "2026-03-05T09:00")
    # then: before anything closed
    assert dispute_figures(at("2026-03-02T13:00")) == EMPTY | {"total": 1, "open_by_level": {"1": 1}}
    # after B's escalation, before its withdrawal
    assert dispute_figures(at("2026-03-03T12:00")) == EMPTY | {
        "total": 2,
        "resolved": 1,
        "resolved_at_level_1": 1,
        "escalations": 1,
        "median_resolution_working_days": 0.5,
        "open_by_level": {"2": 1},
    }
    # at the end
    assert dispute_figures(at("2026-03-05T10:00")) == EMPTY | {
        "total": 3,
        "resolved": 1,
        "withdrawn": 1,
        "resolved_at_level_1": 1,
        "escalations": 1,
        "median_resolution_working_days": 0.5,
        "open_by_level": {"1": 1},
    }


def test_escalations_due_but_not_recorded_yet_count(d):
    # given: opened Friday 02-13 15:00; level 1 due Saturday 02-14 15:00 (make-up day), level 2 (2d)
    # due Wednesday 02-25 15:00, level 3 (1d) due Thursday 02-26 15:00; the tick has not run
    raise_dispute(d, "2026-02-13T15:00")
    # an escalation due exactly at as_of has happened
    exactly = dispute_figures(at("2026-02-14T15:00"))
    assert (exactly["escalations"], exactly["auto_escalations"], exactly["open_by_level"]) == (1, 1, {"2": 1})
    just_before = dispute_figures(at("2026-02-14T14:59:59"))
    assert (just_before["escalations"], just_before["open_by_level"]) == (0, {"1": 1})
    # a future as_of: both levels pass, and it is overdue at the last level after its due instant
    at_due = dispute_figures(at("2026-02-26T15:00"))
    assert (at_due["auto_escalations"], at_due["open_by_level"], at_due["open_overdue"]) == (2, {"3": 1}, 0)
    late = dispute_figures(at("2026-02-26T15:00:01"))
    assert (late["auto_escalations"], late["open_overdue"]) == (2, 1)
    # the tick records them; the figures stay the same, and a past as_of still sees level 1
    services.escalation_tick(now=at("2026-03-01T00:00"))
    assert dispute_figures(at("2026-02-26T15:00:01")) == late
    assert dispute_figures(at("2026-02-14T14:00"))["open_by_level"] == {"1": 1}


def test_the_median_resolution_time_is_in_working_days(d):
    # 4h, 12h and 20h of working time (a working day is 8h)
    resolve_by_agreement(d, raise_dispute(d, "2026-03-02T09:00"), "2026-03-02T14:00")  # 4h
    second = raise_dispute(d, "2026-03-02T09:00")  # 8h + 4h, decided at level 2 (escalated at 18:00)
    with clock.freeze(at("2026-03-03T14:00")):
        services.dispute_decide(actor=d.boss, dispute=second, decision="裁决", reasoning="理由")
    assert dispute_figures(at("2026-03-04T00:00"))["median_resolution_working_days"] == 1.0  # (0.5 + 1.5) / 2
    third = raise_dispute(d, "2026-03-04T09:00")
    with clock.freeze(at("2026-03-05T09:00")):
        services.dispute_escalate(actor=d.world.head, dispute=third, reason="x")
    with clock.freeze(at("2026-03-06T14:00")):  # 20h after opening, decided at level 2
        services.dispute_decide(actor=d.boss, dispute=third, decision="裁决", reasoning="理由")
    result = dispute_figures(at("2026-03-07T00:00"))
    assert (result["median_resolution_working_days"], result["resolved"], result["resolved_at_level_1"]) == (1.5, 3, 1)


def test_figures_cost_the_same_queries_whatever_the_number_of_disputes(d, django_assert_num_queries):
    def grow(n, day):
        for _ in range(n):
            dispute = raise_dispute(d, f"2026-03-{day:02d}T09:00")
            resolve_by_agreement(d, dispute, f"2026-03-{day:02d}T11:00")
            raise_dispute(d, f"2026-03-{day:02d}T10:00")  # left open: escalations due, not recorded

    grow(2, 2)
    as_of = at("2026-03-20T00:00")
    dispute_figures(as_of)  # builds the calendar once
    with django_assert_num_queries(7):
        small = dispute_figures(as_of)
    grow(4, 3)
    with django_assert_num_queries(7):
        large = dispute_figures(as_of)
    assert (small["total"], large["total"]) == (4, 12)
    assert large["auto_escalations"] == 12  # each open one climbed from level 1 to level 3


def test_the_monthly_series(d):
    resolve_by_agreement(d, raise_dispute(d, "2026-02-13T15:00"), "2026-02-13T16:00")
    other = raise_dispute(d, "2026-03-02T09:00")
    with clock.freeze(at("2026-03-02T10:00")):
        services.dispute_escalate(actor=d.world.head, dispute=other, reason="x")
    rows = dispute_series(at("2026-03-31T00:00"), months=3)
    assert rows == [
        {"month": "2026-01", "raised": 0, "resolved": 0, "escalations": 0},
        {"month": "2026-02", "raised": 1, "resolved": 1, "escalations": 0},
        {"month": "2026-03", "raised": 1, "resolved": 0, "escalations": 1},
    ]
