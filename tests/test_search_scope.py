"""Search is airtight across every kind: one word in a SALES-only notice, knowledge page, progress update,
case and dispute is found by SALES and by nobody of RD, on the page, through the API and with a kind filter.
Each object is made through its app's services, which keep the index current after commit."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from xietong.disputes.services import dispute_raise, ladder_create
from xietong.knowledge.models import Space
from xietong.knowledge.services import page_create, space_create
from xietong.notices.tests.factories import publish
from xietong.org.tests.factories import DepartmentFactory
from xietong.processes import services as processes
from xietong.processes.tests.route_matrix_cases import sales_process
from xietong.progress.services import post_create
from xietong.search.selectors import search

pytestmark = pytest.mark.django_db

WORD = "鲲鹏"
KINDS = {"notice", "page", "post", "case", "dispute"}
TITLES = ("计划报价纪律", "客户拜访记录", "项目报价已提交", "年度报价", "订单回款争议")


@pytest.fixture
def sales_only(world: Any, django_capture_on_commit_callbacks: Any) -> None:
    """One thing of each kind about 鲲鹏, seen only by SALES (and leadership, coordinators, administrators)."""
    sales = world.other_department
    finance = DepartmentFactory(code="FIN", name="财务部", parent=world.gm)
    with django_capture_on_commit_callbacks(execute=True):
        publish(world.coordinator, title=f"{WORD}计划报价纪律", departments=[world.sales])
        space = space_create(
            actor=world.coordinator, name="销售部内部", department=world.sales, visibility=Space.Visibility.PRIVATE
        )
        page_create(actor=sales, space=space, title=f"{WORD}客户拜访记录", body="只给销售部看。")
        post_create(actor=sales, body=f"{WORD}项目报价已提交。", department=world.sales, is_internal=True)
        processes.case_open(actor=world.coordinator, process=sales_process(world), title=f"{WORD}年度报价", ref="Q-9")
        ladder_create(
            actor=world.coordinator,
            code="STD",
            name="标准升级路径",
            is_default=True,
            levels=[{"name": "部门负责人协商", "handler": "heads_of_parties", "time_limit": "3d"}],
        )
        dispute_raise(actor=sales, title=f"{WORD}订单回款争议", description="", parties=[world.sales, finance])


def kinds_found(user: Any, kind: str | None = None) -> set[str]:
    return {hit.kind for hit in search(user, WORD, kind=kind)[:50]}


@pytest.mark.usefixtures("sales_only")
def test_sales_finds_every_kind_and_rd_finds_none(world):
    assert kinds_found(world.other_department) == KINDS
    assert kinds_found(world.coordinator) == KINDS
    for person in (world.employee, world.head, world.liaison):
        assert kinds_found(person) == set(), person.username
        for kind in sorted(KINDS):
            assert kinds_found(person, kind) == set(), (person.username, kind)


@pytest.mark.usefixtures("sales_only")
def test_the_page_and_the_api_show_rd_nothing(client, world):
    # given
    client.force_login(world.employee)
    # when
    page = client.get(reverse("search:search"), {"q": WORD})
    api = client.get(reverse("api:search"), {"q": WORD})
    by_kind = [client.get(reverse("api:search"), {"q": WORD, "kind": kind}) for kind in sorted(KINDS)]
    # then
    assert page.status_code == 200
    html = page.content.decode()
    assert not any(title in html for title in TITLES)
    assert api.status_code == 200
    assert api.json()["count"] == 0
    assert all(response.json()["count"] == 0 for response in by_kind)
    # and SALES, through the same API, finds one of each
    client.force_login(world.other_department)
    found = client.get(reverse("api:search"), {"q": WORD}).json()
    assert found["count"] == len(KINDS)
    html = client.get(reverse("search:search"), {"q": WORD}).content.decode()
    assert all(title in html for title in TITLES)
