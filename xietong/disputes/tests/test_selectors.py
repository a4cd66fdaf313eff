"""The dispute selectors: filters, queues, proposals, levels, ladders; constant query counts."""

from __future__ import annotations

import pytest

from xietong.common import clock
from xietong.disputes import selectors, services
from xietong.disputes.tests.conftest import raise_dispute
from xietong.disputes.tests.factories import at
from xietong.org.tests.factories import DepartmentFactory, PersonFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("monday_morning")]


@pytest.fixture
def three(d):
    """A: open at level 1; B (RD-HW vs SALES, raised by the coordinator): open at level 2; C: decided."""
    a = raise_dispute(d, "2026-03-02T09:00")
    b = raise_dispute(d, "2026-03-02T09:00", actor=d.world.coordinator, parties=[d.world.rd_hw, d.world.sales])
    services.dispute_escalate(actor=d.sales_head, dispute=b, reason="1")
    c = raise_dispute(d, "2026-03-02T09:00")
    services.dispute_escalate(actor=d.world.head, dispute=c, reason="1")
    services.dispute_decide(actor=d.boss, dispute=c, decision="按合同交付为准", reasoning="先例")
    for x in (a, b, c):
        x.refresh_from_db()
    return a, b, c


def refs(queryset):
    return sorted(dispute.ref for dispute in queryset)


def test_the_list_filters_by_state_level_mine_and_words(d, three):
    a, b, c = three
    w = d.world
    assert refs(selectors.dispute_list(w.admin)) == refs([a, b])
    assert refs(selectors.dispute_list(w.admin, state="resolved")) == [c.ref]
    assert refs(selectors.dispute_list(w.admin, state=None)) == refs([a, b, c])
    assert refs(selectors.dispute_list(w.admin, level=2)) == [b.ref]
    # a decision is found again as a precedent
    assert refs(selectors.dispute_list(w.admin, state=None, q="合同 交付")) == [c.ref]
    # mine: the boss handles level 2 of B; the employee raised A (and RD-HW is a party to B)
    assert refs(selectors.dispute_list(d.boss, mine=True)) == [b.ref]
    assert refs(selectors.dispute_list(w.employee, mine=True)) == refs([a, b])
    assert refs(selectors.dispute_list(w.coordinator, mine=True)) == [b.ref]
    listed = selectors.dispute_list(w.admin).get(pk=a.pk)
    assert listed.level_count == 3


def test_overdue_means_past_the_due_instant_at_the_last_level(d, three):
    a, b, _c = three
    services.dispute_escalate(actor=d.sales_head, dispute=b, reason="2")  # level 3, 1d from 09:30 → Tue 09:30
    with clock.freeze(at("2026-03-03T09:30:01")):
        assert refs(selectors.dispute_list(d.world.admin, overdue=True)) == [b.ref]
        rows = selectors.open_by_level(d.world.admin)
    assert rows == [
        {
            "level": 1,
            "count": 1,
            "overdue": 0,
            "names": [a.ladder.levels.get(number=1).name],
            "name": a.ladder.levels.get(number=1).name,
        },
        {
            "level": 3,
            "count": 1,
            "overdue": 1,
            "names": [b.ladder.levels.get(number=3).name],
            "name": b.ladder.levels.get(number=3).name,
        },
    ]
    with clock.freeze(at("2026-03-03T09:30")):
        assert refs(selectors.dispute_list(d.world.admin, overdue=True)) == []


def test_queues_hold_the_open_disputes_whose_current_level_one_handles(d, three):
    a, b, _c = three
    assert refs(selectors.dispute_queue(d.world.head)) == [a.ref]  # level 1: the parties' heads
    assert refs(selectors.dispute_queue(d.sales_head)) == [a.ref]
    assert refs(selectors.dispute_queue(d.boss)) == [b.ref]  # level 2; C is resolved
    assert refs(selectors.dispute_queue(d.world.employee)) == []


def test_proposals_say_who_still_must_confirm(d):
    qa_head = PersonFactory(username="qa_head", level="manager")
    qa = DepartmentFactory(code="QA", name="质量部", head=qa_head)
    dispute = raise_dispute(d, parties=[d.world.rd, d.world.sales, qa])
    first = services.dispute_propose(actor=d.world.head, dispute=dispute, text="一")
    second = services.dispute_propose(actor=d.world.head, dispute=dispute, text="二")
    services.dispute_confirm(actor=qa_head, dispute=dispute, proposal=second)
    proposals = selectors.dispute_proposals(dispute)
    assert [(p.pk, p.state) for p in proposals] == [(first.pk, "superseded"), (second.pk, "pending")]
    assert [x.code for x in proposals[1].awaiting] == ["SALES"]
    assert [c.department.code for c in proposals[1].confirmations.all()] == ["QA"]
    timeline = selectors.dispute_timeline(dispute)
    assert [(e.kind, e.actor.username) for e in timeline] == [
        ("raised", "employee"),
        ("propose", "head"),
        ("propose", "head"),
        ("confirm", "qa_head"),
    ]


def test_ladder_list_counts_its_disputes(d, three):
    services.ladder_create(
        actor=d.world.coordinator,
        code="FAST",
        name="快",
        is_default=False,
        levels=[{"name": "协商", "handler": "heads_of_parties", "time_limit": "4h"}],
    )
    ladders = list(selectors.ladder_list())
    assert [(x.code, x.is_default, x.dispute_count, x.open_count, len(x.levels.all())) for x in ladders] == [
        (d.ladder.code, True, 3, 2, 3),
        ("FAST", False, 0, 0, 1),
    ]


def test_lists_cost_a_fixed_number_of_queries(d, django_assert_num_queries):
    def grow(n):
        for _ in range(n):
            dispute = raise_dispute(d, "2026-03-02T09:00")
            services.dispute_escalate(actor=d.world.head, dispute=dispute, reason="x")

    def measure():
        with django_assert_num_queries(2):
            list(selectors.dispute_list(d.world.employee, mine=True))
        with django_assert_num_queries(2):
            list(selectors.dispute_queue(d.boss))
        with django_assert_num_queries(2):
            selectors.open_by_level(d.world.employee)
        with django_assert_num_queries(2):
            [list(ladder.levels.all()) for ladder in selectors.ladder_list()]
        with django_assert_num_queries(1):
            [event.actor for event in selectors.dispute_timeline(busy)]
        with django_assert_num_queries(3):
            [(p.awaiting, list(p.confirmations.all())) for p in selectors.dispute_proposals(busy)]

    busy = raise_dispute(d, "2026-03-02T09:00")

    def talk(n):
        for _ in range(n):
            services.dispute_comment(actor=d.world.head, dispute=busy, note="意见")
            services.dispute_propose(actor=d.world.head, dispute=busy, text="方案")

    grow(2)
    talk(1)
    measure()
    grow(5)
    talk(4)
    measure()
    assert selectors.dispute_queue(d.boss).count() == 7
