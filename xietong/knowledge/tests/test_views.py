"""The knowledge pages: what they show, the editor and its preview, history and diffs, and their
query counts (constant whatever the data size)."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from xietong.knowledge import services
from xietong.knowledge.models import Page, Space
from xietong.knowledge.tests.factories import PageFactory, SpaceFactory
from xietong.processes.tests.route_matrix_cases import hw_case, sales_case

pytestmark = pytest.mark.django_db


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.fixture
def rd_space(world):
    return SpaceFactory(name="研发内部", department=world.rd, visibility="private")


def test_page_shows_rendered_markdown_safely(client, world, rd_space) -> None:
    # given
    page = PageFactory(space=rd_space, owner=world.liaison, body="## 背景\n\n<script>alert(1)</script> **要点**")
    client.force_login(world.employee)
    # when
    html = client.get(f"/knowledge/pages/{page.pk}/").content.decode()
    # then
    assert "<h2>背景</h2>" in html
    assert "<strong>要点</strong>" in html
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert world.liaison.name in html


def test_preview_renders_markdown_safely(client, world) -> None:
    # given
    client.force_login(world.employee)
    # when
    response = client.post(
        "/knowledge/pages/preview/", {"body": "**粗** [x](javascript:alert(1)) <img src=x onerror=alert(1)>"}
    )
    # then
    html = response.content.decode()
    assert "<strong>粗</strong>" in html
    assert "javascript:" not in html.replace("[x](javascript:alert(1))", "")
    assert "<img" not in html


def test_the_retrospective_template_prefills_the_editor(client, world, rd_space) -> None:
    # given
    client.force_login(world.head)
    # when
    html = client.get(f"/knowledge/spaces/{rd_space.pk}/pages/new/?template=retrospective").content.decode()
    # then
    with translation.override("zh-hans"):
        headings = [
            *(translation.gettext(h) for h in ("Background", "What happened", "What worked", "What to improve")),
            translation.pgettext("retrospective", "Actions"),
        ]
    positions = [html.find(f"## {heading}") for heading in headings]
    assert -1 not in positions
    assert positions == sorted(positions)


def test_creating_a_page_through_the_editor(client, world, rd_space) -> None:
    # given
    client.force_login(world.head)
    case = hw_case(world)
    # when
    response = client.post(
        f"/knowledge/spaces/{rd_space.pk}/pages/new/?template=retrospective",
        {
            "title": "主板烧毁复盘",
            "body": "## 背景\n\n客户退回",
            "owner": world.liaison.pk,
            "review_by": "2030-01-01",
            "case": case.pk,
            "template": "retrospective",
            "summary": "初稿",
        },
    )
    # then
    page = Page.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/knowledge/pages/{page.pk}/"
    assert (page.owner_id, page.case_id, page.template, page.review_by) == (
        world.liaison.pk,
        case.pk,
        "retrospective",
        date(2030, 1, 1),
    )


def test_an_unseen_case_is_refused_on_the_form(client, world, rd_space) -> None:
    # given
    client.force_login(world.head)
    # when
    response = client.post(
        f"/knowledge/spaces/{rd_space.pk}/pages/new/",
        {"title": "x", "owner": world.head.pk, "review_by": "2030-01-01", "case": sales_case(world).pk},
    )
    # then
    assert response.status_code == 200
    assert "case" in response.context["form"].errors
    assert Page.objects.exists() is False


def test_a_stale_edit_shows_the_conflict_and_changes_nothing(client, world, rd_space) -> None:
    # given
    page = PageFactory(space=rd_space, owner=world.liaison)
    services.page_update(actor=world.head, page=page, title=page.title, body="二")
    client.force_login(world.liaison)
    # when
    response = client.post(
        f"/knowledge/pages/{page.pk}/edit/",
        {"title": page.title, "body": "覆盖", "owner": world.liaison.pk, "review_by": "2030-01-01", "base_version": 1},
    )
    # then
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    page.refresh_from_db()
    assert (page.version, page.body) == (2, "二")


def test_diff_shows_changed_lines_escaped(client, world, rd_space) -> None:
    # given
    page = PageFactory(space=rd_space, owner=world.liaison, body="第一行\n第二行\n第三行")
    services.page_update(actor=world.liaison, page=page, title=page.title, body="第一行\n<script>x</script>\n第三行")
    client.force_login(world.employee)
    # when
    response = client.get(f"/knowledge/pages/{page.pk}/diff/")
    # then
    lines = response.context["lines"]
    assert [(line.kind, line.text) for line in lines if line.kind in ("add", "remove")] == [
        ("remove", "第二行"),
        ("add", "<script>x</script>"),
    ]
    html = response.content.decode()
    assert "&lt;script&gt;x&lt;/script&gt;" in html
    assert "<script>x</script>" not in html


def test_diff_of_unknown_versions_is_404(client, world, rd_space) -> None:
    page = PageFactory(space=rd_space, owner=world.liaison)
    client.force_login(world.employee)
    assert client.get(f"/knowledge/pages/{page.pk}/diff/?from=1&to=7").status_code == 404


def test_space_page_lists_pages_needing_review(client, world, rd_space) -> None:
    # given: one page past its review date, one within
    due = PageFactory(space=rd_space, owner=world.liaison, review_by=date(2020, 1, 1), title="过期规范")
    PageFactory(space=rd_space, owner=world.liaison, review_by=date(2099, 1, 1), title="新规范")
    client.force_login(world.employee)
    # when
    response = client.get(f"/knowledge/spaces/{rd_space.pk}/")
    # then
    assert [p.pk for p in response.context["needs_review"]] == [due.pk]
    assert len(response.context["page"]) == 2


# ── Query counts ────────────────────────────────────────────────────────────────────────────────


def _fill(world, n: int) -> None:
    for i in range(n):
        space = SpaceFactory(department=world.rd if i % 2 else None, visibility="private" if i % 2 else "company")
        for _ in range(2):
            PageFactory(
                space=space, owner=world.liaison, review_by=date(2020, 1, 1) if i % 3 == 0 else date(2099, 1, 1)
            )


def test_space_list_costs_the_same_whatever_the_number_of_spaces(client, world) -> None:
    # given
    client.force_login(world.employee)
    _fill(world, 2)
    _queries(client, "/knowledge/")  # warm the caches (organization, department tree)
    small = _queries(client, "/knowledge/")
    # when
    _fill(world, 12)
    large = _queries(client, "/knowledge/")
    # then
    assert small == large


def test_space_page_costs_the_same_whatever_the_number_of_pages(client, world, rd_space) -> None:
    # given
    client.force_login(world.employee)
    for _ in range(2):
        PageFactory(space=rd_space, owner=world.liaison, review_by=date(2020, 1, 1))
    url = f"/knowledge/spaces/{rd_space.pk}/"
    _queries(client, url)
    small = _queries(client, url)
    # when
    for _ in range(15):
        PageFactory(space=rd_space, owner=world.head, review_by=date(2020, 1, 1))
    large = _queries(client, url)
    # then
    assert small == large


def test_history_costs_the_same_whatever_the_number_of_versions(client, world, rd_space) -> None:
    # given
    page = PageFactory(space=rd_space, owner=world.liaison)
    client.force_login(world.employee)
    url = f"/knowledge/pages/{page.pk}/history/"
    services.page_update(actor=world.liaison, page=page, title=page.title, body="1")
    _queries(client, url)
    small = _queries(client, url)
    # when
    for i in range(10):
        services.page_update(actor=world.head if i % 2 else world.liaison, page=page, title=page.title, body=f"v{i}")
    large = _queries(client, url)
    # then
    assert small == large


def test_search_sources_are_registered_with_plain_text_entries(world, rd_space) -> None:
    # given
    from xietong.search.registry import source

    page = PageFactory(
        space=rd_space, owner=world.liaison, title="评审规范", body="## 流程\n\n**客户**确认后 [归档](/x/)"
    )
    # when
    entries = dict(source("page").entries([page.pk]))
    visible_to_sales = source("page").visible(world.other_department).filter(pk=page.pk).exists()
    # then
    assert entries[page.pk].title == "评审规范"
    assert entries[page.pk].body == "研发内部 流程 客户确认后 归档"
    assert entries[page.pk].url == f"/knowledge/pages/{page.pk}/"
    assert visible_to_sales is False
    assert source("post").visible(world.other_department).model._meta.label == "progress.Post"


def test_a_head_creates_only_spaces_of_their_departments(client, world) -> None:
    # given
    client.force_login(world.head)
    # when
    form = client.get("/knowledge/spaces/new/").context["form"]
    refused = client.post("/knowledge/spaces/new/", {"name": "公司制度", "visibility": "company"})
    created = client.post(
        "/knowledge/spaces/new/", {"name": "硬件经验", "visibility": "private", "department": world.rd_hw.pk}
    )
    # then
    assert sorted(d.code for d in form.fields["department"].queryset) == ["RD", "RD-HW"]
    assert "department" in refused.context["form"].errors
    assert created.status_code == 302
    assert list(Space.objects.values_list("name", "department__code")) == [("硬件经验", "RD-HW")]
