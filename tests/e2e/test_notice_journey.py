"""A notice's journey in a real browser: the head of RD publishes a notice to RD requiring
acknowledgement, an RD-HW employee acknowledges it (the htmx button), and the head sees the read rate
change on the acknowledgement report. Screenshots (desktop and 390px) go to /tmp/shots-notices/.

Every page visited must load without console errors (which include Content Security Policy refusals).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_journeys import expect_path, sign_in
from xietong.notices.models import Notice, NoticeRecipient

pytestmark = pytest.mark.e2e

SHOTS = Path(os.environ.get("XIETONG_SHOTS", "/tmp/shots-notices"))
PHONE = {"width": 390, "height": 844}


def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_a_notice_is_published_acknowledged_and_the_read_rate_changes(new_page: Any, world: Any) -> None:
    # given: the head of RD signs in
    head_page, head_console = new_page()
    sign_in(head_page, "head")

    # when: he publishes a notice to RD (RD-HW included) requiring acknowledgement within 1 working day
    head_page.goto("/notices/new/")
    head_console.assert_none()
    _shot(head_page, "form-desktop")
    head_page.fill("#id_title", "研发中心安全规范")
    head_page.fill("#id_body", "第一条：进入实验室须佩戴防静电手环。\n第二条：离开时关闭电源。")
    head_page.check("#audience-departments")
    head_page.check(f"#department-picker input[value='{world.rd.pk}']")
    head_page.check("#id_requires_ack")
    head_page.fill("#id_ack_within", "1d")
    head_page.click("#notice-submit")

    # then: the notice page; the report shows nobody has acknowledged yet (0 of 3)
    notice = Notice.objects.get(title="研发中心安全规范")
    expect_path(head_page, f"/notices/{notice.pk}/")
    expect(head_page.locator("#notice-body")).to_contain_text("防静电手环")
    head_console.assert_none()
    head_page.click("#report-link")
    expect_path(head_page, f"/notices/{notice.pk}/report/")
    expect(head_page.locator("#total-recipients")).to_have_text("3")
    expect(head_page.locator("#total-rate")).to_have_text("0%")
    expect(head_page.locator("#pending tr[data-person]")).to_have_count(3)
    head_console.assert_none()

    # when: the RD-HW employee finds it in "to acknowledge" and acknowledges it
    employee_page, employee_console = new_page()
    sign_in(employee_page, "employee")
    employee_page.goto("/notices/to-acknowledge/")
    expect(employee_page.locator(f"#to-ack [data-notice='{notice.pk}']")).to_be_visible()
    employee_console.assert_none()
    employee_page.click(f"#to-ack [data-notice='{notice.pk}']")
    expect_path(employee_page, f"/notices/{notice.pk}/")
    _shot(employee_page, "detail-desktop")
    employee_page.click("#ack-button")

    # then: the box turns into "acknowledged" without a page load, and it is recorded once
    expect(employee_page.locator("#ack-done")).to_be_visible()
    employee_console.assert_none()
    row = NoticeRecipient.objects.get(notice=notice, person=world.employee)
    assert row.acknowledged_at is not None
    employee_page.goto("/notices/to-acknowledge/")
    expect(employee_page.locator("#nothing-to-ack")).to_be_visible()
    employee_console.assert_none()

    # and: the head's report shows the rate change: RD-HW 100%, 1 of 3 overall
    head_page.reload()
    expect(head_page.locator("#total-acked")).to_have_text("1")
    expect(head_page.locator("#total-rate")).to_have_text("33%")
    expect(head_page.locator("#rate-by-department tr[data-department='RD-HW'] [data-rate]")).to_have_text("100%")
    expect(head_page.locator("#pending tr[data-person]")).to_have_count(2)
    head_console.assert_none()
    _shot(head_page, "report-desktop")
    for name, path in (("list", "/notices/"), ("to-ack", "/notices/to-acknowledge/")):
        head_page.goto(path)
        head_console.assert_none()
        _shot(head_page, f"{name}-desktop")

    # and on a phone, the pages fit the screen (no sideways scrolling of the page itself)
    phone, phone_console = new_page(viewport=PHONE)
    sign_in(phone, "coordinator")
    for name, path in (
        ("list", "/notices/"),
        ("detail", f"/notices/{notice.pk}/"),
        ("report", f"/notices/{notice.pk}/report/"),
        ("form", "/notices/new/"),
        ("dashboard", "/notices/dashboard/"),
        ("to-ack", "/notices/to-acknowledge/"),
    ):
        phone.goto(path)
        phone_console.assert_none()
        assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], name
        _shot(phone, f"{name}-390")
    phone.goto("/notices/dashboard/")
    expect(phone.locator("[data-figure=required_acks]")).to_have_text("3")
    expect(phone.locator("[data-figure=acks]")).to_have_text("1")
    desktop, desktop_console = new_page()
    sign_in(desktop, "coordinator")
    desktop.goto("/notices/dashboard/")
    desktop_console.assert_none()
    _shot(desktop, "dashboard-desktop")
