"""A case's journey in a real browser: opened by the first step's department, completed step by step by
the right departments, seen completed; and an overdue step highlighted on "My work".

Every page visited must load without console errors (which include Content Security Policy refusals).
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.e2e.test_journeys import expect_path, sign_in, zh
from xietong.processes.models import Case
from xietong.processes.tests.factories import CaseFactory, StepRunFactory
from xietong.processes.tests.route_matrix_cases import hw_process

pytestmark = pytest.mark.e2e


def test_a_case_is_opened_completed_by_each_department_and_seen_completed(new_page: Any, world: Any) -> None:
    # given: HW-FIX — RD-HW diagnoses, then RD reviews
    process = hw_process(world)
    employee_page, employee_console = new_page()
    sign_in(employee_page, "employee")

    # when: an RD-HW employee opens a case
    employee_page.goto(f"/processes/{process.pk}/open/")
    employee_console.assert_none()
    employee_page.fill("#id_title", "主板烧毁")
    employee_page.fill("#id_description", "客户退回的主板无法上电")
    employee_page.click("#case-open-form button[type=submit]")

    # then: the case page shows its first step running at RD-HW
    case = Case.objects.get(process=process)
    expect_path(employee_page, f"/processes/cases/{case.pk}/")
    expect(employee_page.locator("#current-step")).to_contain_text("故障诊断")
    expect(employee_page.locator("#case-steps tr[aria-current=step]")).to_have_attribute("data-step", "H-1")
    employee_console.assert_none()

    # when: the employee completes it with an output note
    employee_page.fill("#id_note", "电源模块损坏")
    employee_page.click("#complete-form button[type=submit]")

    # then: the second step (RD) runs; the employee can no longer complete anything
    expect(employee_page.locator("#case-steps tr[aria-current=step]")).to_have_attribute("data-step", "H-2")
    expect(employee_page.locator("#case-steps")).to_contain_text("电源模块损坏")
    expect(employee_page.locator("#complete-form")).to_have_count(0)
    employee_console.assert_none()

    # when: RD's head signs in and completes the review
    head_page, head_console = new_page()
    sign_in(head_page, "head")
    head_page.goto(f"/processes/cases/{case.pk}/")
    head_page.fill("#id_note", "同意更换")
    head_page.click("#complete-form button[type=submit]")

    # then: the case is completed, and its timeline ends with it
    expect(head_page.locator(".page-title [data-state]")).to_have_attribute("data-state", "completed")
    expect(head_page.locator("#case-timeline [data-kind]").last).to_have_attribute("data-kind", "completed")
    expect(head_page.locator("#case-actions")).to_have_count(0)
    head_console.assert_none()
    case.refresh_from_db()
    assert case.state == Case.State.COMPLETED

    # and: the employee sees it completed in the case list
    employee_page.goto("/processes/cases/?state=completed")
    expect(employee_page.locator("#cases tbody tr")).to_have_count(1)
    expect(employee_page.locator("#cases tbody tr [data-state]")).to_have_attribute("data-state", "completed")
    employee_console.assert_none()


def test_an_overdue_step_is_highlighted_first_on_my_work(page: Page, console: Any, world: Any) -> None:
    # given: two cases at RD-HW's first step, one due two days ago, one due in a week
    version = hw_process(world).versions.get()
    first = version.steps.get(position=0)
    now = timezone.now()
    for ref, due in (("FRESH", now + timedelta(days=7)), ("LATE", now - timedelta(days=2))):
        StepRunFactory(
            case=CaseFactory(version=version, ref=ref), step=first, started_at=due - timedelta(days=3), due_at=due
        )

    # when: the RD-HW employee opens "My work" from the navigation
    sign_in(page, "employee")
    page.locator("#navbar-menu").get_by_role("link", name=zh("My work"), exact=True).click()

    # then: the overdue step comes first, highlighted
    expect_path(page, "/processes/my-work/")
    rows = page.locator("#my-work tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_have_attribute("data-case", "LATE")
    expect(rows.first).to_have_class(re.compile(r"\btable-danger\b"))
    expect(rows.nth(1)).not_to_have_class(re.compile(r"\btable-danger\b"))
    console.assert_none()
