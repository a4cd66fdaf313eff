"""The knowledge base and progress feed in a real browser: a case retrospective created from its
template, edited, and its change seen in the diff; every knowledge page clean on a desktop and a phone.

Every page visited must load without console errors (which include Content Security Policy refusals).
Set XIETONG_E2E_SHOTS=/some/dir to also save a screenshot of each page the screens test visits.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.utils import translation
from playwright.sync_api import expect

from tests.e2e.test_journeys import PHONE, expect_path, horizontal_overflow, shoot, sign_in, zh
from xietong.knowledge import services as knowledge
from xietong.knowledge.models import Page, Space
from xietong.processes.tests.route_matrix_cases import hw_case
from xietong.progress import services as progress

pytestmark = pytest.mark.e2e


def test_a_retrospective_is_written_from_its_template_edited_and_its_change_seen(new_page: Any, world: Any) -> None:
    # given: RD's private space; RD's head signs in
    space = Space.objects.create(name="研发内部", department=world.rd, visibility=Space.Visibility.PRIVATE)
    page, console = new_page()
    sign_in(page, "head")

    # when: they open the space from the knowledge base and choose the retrospective template
    page.goto("/knowledge/")
    page.locator(f"[data-space='{space.pk}']").click()
    expect_path(page, f"/knowledge/spaces/{space.pk}/")
    console.assert_none()
    page.click("#new-page")
    page.click("[data-template=retrospective]")

    # then: the editor is pre-filled with the five sections, in order
    expect_path(page, f"/knowledge/spaces/{space.pk}/pages/new/")
    body = page.locator("#id_body")
    headings = [*(zh(h) for h in ("Background", "What happened", "What worked", "What to improve")), pzh("Actions")]
    text = body.input_value()
    positions = [text.find(f"## {heading}") for heading in headings]
    assert -1 not in positions, text
    assert positions == sorted(positions), text
    console.assert_none()

    # when: they write the background and ask for a preview
    page.fill("#id_title", "主板烧毁复盘")
    body.fill(text.replace(f"## {headings[0]}\n", f"## {headings[0]}\n\n客户退回的主板**无法上电**。\n", 1))
    page.click("#preview-button")

    # then: the preview shows the rendered Markdown
    expect(page.locator("#preview h2").first).to_have_text(headings[0])
    expect(page.locator("#preview strong")).to_have_text("无法上电")
    console.assert_none()

    # when: they save it
    page.click("#save-page")

    # then: the page shows the rendered write-up, its owner and version 1
    created = Page.objects.get(title="主板烧毁复盘")
    expect_path(page, f"/knowledge/pages/{created.pk}/")
    expect(page.locator("#page-body h2")).to_have_count(5)
    expect(page.locator("#page-body strong")).to_have_text("无法上电")
    expect(page.locator("#page-owner")).to_have_text("陈浩")
    console.assert_none()

    # when: they edit it: a new sentence under "what worked", with a summary of the change
    page.click("#edit-link")
    edited = (
        page.locator("#id_body")
        .input_value()
        .replace(f"## {headings[2]}\n", f"## {headings[2]}\n\n备件库存充足，当天完成更换。\n", 1)
    )
    page.locator("#id_body").fill(edited)
    page.fill("#id_summary", "补充做得好的")
    page.click("#save-page")
    expect_path(page, f"/knowledge/pages/{created.pk}/")
    expect(page.locator("#page-version")).to_contain_text("2")
    console.assert_none()

    # and: they open the history and compare version 1 with version 2
    page.click("#history-link")
    expect(page.locator("#versions tbody tr")).to_have_count(2)
    expect(page.locator("#versions")).to_contain_text("补充做得好的")
    page.click("#compare")

    # then: the diff shows exactly the added line
    expect(page.locator("#diff tr[data-kind=add]")).to_have_count(2)  # the sentence and its blank line
    expect(page.locator("#diff tr[data-kind=add]").first).to_contain_text("备件库存充足")
    expect(page.locator("#diff tr[data-kind=remove]")).to_have_count(0)
    console.assert_none()
    created.refresh_from_db()
    assert (created.version, created.versions.count()) == (2, 2)


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_every_knowledge_page_renders_cleanly(new_page: Any, world: Any, viewport: str) -> None:
    """Each knowledge and progress page on a desktop and a phone: no console error, no sideways scroll."""
    # given: spaces, a retrospective with two versions (one page past its review date), progress updates
    company = knowledge.space_create(actor=world.coordinator, name="公司制度", description="公司级规章制度与流程说明")
    space = knowledge.space_create(
        actor=world.head, name="研发内部", department=world.rd, visibility="private", description="研发中心内部经验"
    )
    retro = knowledge.page_create(
        actor=world.head,
        space=space,
        title="主板烧毁复盘",
        body=knowledge_body(),
        template="retrospective",
        case=hw_case(world),
        review_by=date(2030, 1, 1),
    )
    knowledge.page_update(
        actor=world.liaison,
        page=retro,
        title=retro.title,
        body=knowledge_body().replace("当天完成更换", "当天完成更换，并补充了库存"),
        summary="补充做得好的",
    )
    old = knowledge.page_create(
        actor=world.head, space=space, title="焊接工艺规范 V1", body="旧内容", owner=world.liaison
    )
    Page.objects.filter(pk=old.pk).update(review_by=date(2020, 1, 1))
    knowledge.page_create(
        actor=world.coordinator, space=company, title="差旅报销制度", body="## 标准\n\n- 一线城市 500 元/晚"
    )
    progress.post_create(actor=world.head, body="样机第二轮测试完成，下周进入评审。", department=world.rd)
    progress.post_create(actor=world.employee, body="故障诊断完成：电源模块损坏。", case=hw_case(world))
    page, console = new_page(viewport=PHONE if viewport == "phone" else None)
    sign_in(page, "head")
    screens = [
        ("knowledge-spaces", "/knowledge/"),
        ("knowledge-space", f"/knowledge/spaces/{space.pk}/"),
        ("knowledge-page", f"/knowledge/pages/{retro.pk}/"),
        ("knowledge-editor", f"/knowledge/pages/{retro.pk}/edit/"),
        ("knowledge-new", f"/knowledge/spaces/{space.pk}/pages/new/?template=retrospective"),
        ("knowledge-history", f"/knowledge/pages/{retro.pk}/history/"),
        ("knowledge-version", f"/knowledge/pages/{retro.pk}/versions/1/"),
        ("knowledge-diff", f"/knowledge/pages/{retro.pk}/diff/"),
        ("knowledge-space-form", "/knowledge/spaces/new/"),
        ("progress-feed", "/progress/"),
    ]
    for name, url in screens:
        # when
        response = page.goto(url)
        # then
        assert response is not None
        assert response.status == 200, url
        page.wait_for_load_state("networkidle")
        shoot(page, f"{name}-{viewport}")
        console.assert_none(f"{name} ({viewport})")
        assert horizontal_overflow(page) == 0, f"{name} ({viewport}) scrolls sideways"


def pzh(message: str) -> str:
    """A retrospective template's word as the Simplified Chinese UI shows it."""
    with translation.override("zh-hans"):
        return translation.pgettext("retrospective", message)


def knowledge_body() -> str:
    return (
        f"## {zh('Background')}\n\n客户退回的主板**无法上电**，涉及 3 台设备。\n\n"
        f"## {zh('What happened')}\n\n1. 3 月 2 日收到退货\n2. 3 月 3 日完成诊断：电源模块损坏\n\n"
        f"## {zh('What worked')}\n\n备件库存充足，当天完成更换。\n\n"
        f"## {zh('What to improve')}\n\n> 来料检验没有覆盖电源模块。\n\n"
        f"## {pzh('Actions')}\n\n| {pzh('Action')} | {pzh('Who')} | {pzh('By')} |\n| --- | --- | --- |\n"
        "| 增加来料抽检 | 刘洋 | 2026-04-30 |\n"
    )
