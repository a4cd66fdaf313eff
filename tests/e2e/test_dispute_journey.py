"""A dispute's journey in a real browser: raised by a member of one party, commented on and negotiated
by a party's head, escalated, decided by the level-2 handler, and the outcome seen by the raiser; and
the dispute pages on a desktop and a phone.

Every page visited must load without console errors (which include Content Security Policy refusals).
Set XIETONG_E2E_SHOTS=/some/dir to also save a screenshot of each page the screens test visits.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_journeys import PHONE, expect_path, horizontal_overflow, shoot, sign_in
from xietong.disputes import services
from xietong.disputes.models import Dispute, DisputeEvent
from xietong.disputes.tests.route_matrix import dispute_world, rd_sales, rd_sales_level_2

pytestmark = pytest.mark.e2e


def test_a_dispute_is_raised_negotiated_escalated_and_decided(new_page: Any, world: Any) -> None:
    # given: the default ladder — 1 the parties' heads, 2 the coordination committee (cc_member among
    # its members), 3 the general manager
    extra = dispute_world(world)
    employee_page, employee_console = new_page()
    sign_in(employee_page, "employee")

    # when: an RD-HW employee raises a dispute between RD and SALES
    employee_page.goto("/disputes/")
    employee_page.click("#raise-dispute")
    expect_path(employee_page, "/disputes/raise/")
    employee_console.assert_none()
    employee_page.fill("#id_title", "插单导致排产冲突")
    employee_page.fill("#id_description", "销售临时插单，研发排期无法兑现")
    employee_page.check(f"#dispute-parties input[value='{world.rd.pk}']")
    employee_page.check(f"#dispute-parties input[value='{world.sales.pk}']")
    employee_page.click("#dispute-raise-form button[type=submit]")

    # then: its page shows it at level 1, handled by the parties' heads
    dispute = Dispute.objects.get()
    expect_path(employee_page, f"/disputes/{dispute.pk}/")
    expect(employee_page.locator("#dispute-ladder [aria-current=step]")).to_have_attribute("data-level", "1")
    expect(employee_page.locator("#current-level")).to_contain_text(world.head.name)
    expect(employee_page.locator("#current-level")).to_contain_text(extra.sales_head.name)
    employee_console.assert_none()

    # when: RD's head finds it in their queue, comments and proposes a resolution
    head_page, head_console = new_page()
    sign_in(head_page, "head")
    head_page.goto("/disputes/queue/")
    head_page.click(f"#disputes tr[data-ref='{dispute.ref}'] a")
    expect_path(head_page, f"/disputes/{dispute.pk}/")
    head_page.fill("#id_note", "研发本周满负荷，最早下周开始")
    head_page.click("#comment-form button[type=submit]")
    expect(head_page.locator("#dispute-timeline [data-kind]").last).to_have_attribute("data-kind", "comment")
    head_page.fill("#id_text", "插单顺延一周交付")
    head_page.click("#propose-form button[type=submit]")

    # then: the proposal waits for SALES's head: it is not final
    proposal = head_page.locator("#dispute-proposals [data-state=pending]")
    expect(proposal).to_contain_text("插单顺延一周交付")
    expect(proposal.locator("[data-awaiting]")).to_have_attribute("data-awaiting", "SALES")
    head_console.assert_none()

    # when: with no answer from SALES, RD's head escalates with a reason
    head_page.fill("#id_escalate_reason", "销售负责人未确认")
    head_page.click("#escalate-form button[type=submit]")

    # then: the dispute stands at level 2, the committee's; the pending proposal is superseded
    expect(head_page.locator("#dispute-ladder [aria-current=step]")).to_have_attribute("data-level", "2")
    expect(head_page.locator("#current-level")).to_contain_text(extra.cc_member.name)
    expect(head_page.locator("#dispute-proposals [data-state=superseded]")).to_have_count(1)
    expect(head_page.locator("#decide-form")).to_have_count(0)
    head_console.assert_none()

    # when: a committee member decides, with the reasoning
    member_page, member_console = new_page()
    sign_in(member_page, "cc_member")
    member_page.goto("/disputes/queue/")
    member_page.click(f"#disputes tr[data-ref='{dispute.ref}'] a")
    member_page.fill("#id_decision", "插单顺延一周，销售向客户解释")
    member_page.fill("#id_reasoning", "插单未经排产评审，按流程应顺延")
    member_page.click("#decide-form button[type=submit]")

    # then: the dispute is resolved at level 2 with the decision as its outcome
    expect(member_page.locator(".page-title [data-state]")).to_have_attribute("data-state", "resolved")
    expect(member_page.locator("#dispute-outcome")).to_contain_text("插单顺延一周，销售向客户解释")
    expect(member_page.locator("#dispute-actions")).to_have_count(0)
    member_console.assert_none()
    dispute.refresh_from_db()
    assert (dispute.state, dispute.level, dispute.outcome) == ("resolved", 2, "插单顺延一周，销售向客户解释")
    assert list(DisputeEvent.objects.filter(dispute=dispute).values_list("kind", flat=True)) == [
        "raised",
        "comment",
        "propose",
        "escalate",
        "decide",
        "resolve",
    ]

    # and: the raiser sees the outcome and the reasoning, and finds it among the resolved disputes
    employee_page.goto(f"/disputes/{dispute.pk}/")
    expect(employee_page.locator("#dispute-outcome")).to_contain_text("插单顺延一周")
    expect(employee_page.locator("#dispute-timeline [data-kind=decide]")).to_contain_text("插单未经排产评审")
    employee_page.goto("/disputes/?state=resolved")
    expect(employee_page.locator("#disputes tbody tr[data-ref]")).to_have_count(1)
    employee_console.assert_none()


SCREENS = [
    ("list", "/disputes/?state=all"),
    ("queue", "/disputes/queue/"),
    ("raise", "/disputes/raise/"),
    ("detail", "/disputes/{pk}/"),
    ("detail-level-2", "/disputes/{pk2}/"),
    ("dashboard", "/disputes/dashboard/"),
    ("ladders", "/disputes/ladders/"),
    ("ladder-edit", "/disputes/ladders/{ladder}/edit/"),
]


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_the_dispute_pages_fit_a_desktop_and_a_phone(new_page: Any, world: Any, width: str) -> None:
    # given: a dispute at level 1 with a pending proposal and a comment, one at level 2, one withdrawn
    extra = dispute_world(world)
    first = rd_sales(world)
    services.dispute_comment(actor=world.head, dispute=first, note="研发本周满负荷")
    services.dispute_propose(actor=extra.sales_head, dispute=first, text="交付顺延两周，费用各半")
    second = rd_sales_level_2(world)
    page: Page
    page, console = new_page(viewport=PHONE) if width == "phone" else new_page()
    sign_in(page, "coordinator")
    # when / then: every page loads without errors and nothing scrolls sideways on the phone
    for name, url in SCREENS:
        page.goto(url.format(pk=first.pk, pk2=second.pk, ladder=extra.ladder.pk))
        expect(page.locator(".page-title")).to_be_visible()
        console.assert_none(name)
        if width == "phone":
            assert horizontal_overflow(page) == 0, name
        shoot(page, f"disputes-{name}-{width}")


def test_a_coordinator_builds_a_ladder_in_the_editor(page: Page, console: Any, world: Any) -> None:
    # given: the default ladder exists
    extra = dispute_world(world)
    sign_in(page, "coordinator")
    # when: a new ladder with one level handled by a person
    page.goto("/disputes/ladders/new/")
    level = page.locator("#ladder-levels .level-form").first
    expect(level.locator("[data-target-of=person]")).to_be_hidden()
    page.fill("#id_code", "FAST")
    page.fill("#id_name", "快速通道")
    page.fill("#id_levels-0-name", "总经理裁决")
    page.select_option("#id_levels-0-handler_kind", "person")
    # then: only the person's choice shows for that level
    expect(level.locator("[data-target-of=person]")).to_be_visible()
    expect(level.locator("[data-target-of=department_head]")).to_be_hidden()
    expect(level.locator("[data-target-of=committee]")).to_be_hidden()
    page.select_option("#id_levels-0-person", str(extra.gm_boss.pk))
    page.fill("#id_levels-0-time_limit", "4h")
    page.click("#ladder-form button[type=submit]")
    # and: the ladder is listed with its level; the default stays the default
    expect(page).to_have_url(re.compile(r"/disputes/ladders/#ladder-FAST$"))
    expect(page.locator("#ladder-FAST tr[data-level='1']")).to_contain_text(extra.gm_boss.name)
    expect(page.locator("#ladder-STD [data-default]")).to_have_count(1)
    console.assert_none()


def test_the_search_box_narrows_the_list_as_one_types(page: Page, console: Any, world: Any) -> None:
    # given: two disputes between RD and SALES
    rd_sales(world)
    rd_sales_level_2(world)
    sign_in(page, "head")
    page.goto("/disputes/")
    expect(page.locator("#disputes tbody tr[data-ref]")).to_have_count(2)
    # when
    page.fill("#dispute-q", "验收")
    # then: the results are swapped in place and the address keeps the search
    expect(page.locator("#disputes tbody tr[data-ref]")).to_have_count(1)
    expect(page.locator("#disputes tbody")).to_contain_text("验收标准")
    expect(page).to_have_url(re.compile(r"q=%E9%AA%8C%E6%94%B6"))
    console.assert_none()
