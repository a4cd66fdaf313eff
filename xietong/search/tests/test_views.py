"""The search page and /api/v1/search/: results, scope, XSS, pagination, constant query counts."""

from __future__ import annotations

import pytest
from django.urls import reverse

from xietong.search.services import search_refresh

pytestmark = pytest.mark.django_db

XSS = '<script>alert(1)</script><img src=x onerror="alert(2)">'


@pytest.fixture
def sales_case(world, make):
    process = make.process("QUOTE", "报价审批", "销售报价", responsible=world.sales)
    return make.case(process, "Q-1", f"华东客户报价争议{XSS}", f"客户投诉{XSS}报价", opened_by=world.other_department)


def _client(client, user):
    client.force_login(user)
    return client


def _api(client, user):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(user)
    return api


def test_the_page_shows_ranked_highlighted_results_with_counts_per_kind(client, world, sales_case):
    search_refresh("department")
    response = _client(client, world.other_department).get(reverse("search:search"), {"q": "报价"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-kind="case"' in html
    assert 'data-kind="process"' in html
    assert "华东客户<mark>报价</mark>争议" in html
    assert '<a class="nav-link text-nowrap" href="?q=%E6%8A%A5%E4%BB%B7&amp;kind=case" data-kind="case">' in html
    assert response.context["results"].count() == 2


def test_snippets_and_titles_are_escaped(client, world, sales_case):
    response = _client(client, world.other_department).get(reverse("search:search"), {"q": "报价 onerror"})
    html = response.content.decode()
    assert response.context["results"].count() == 1
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x <mark>onerror</mark>=&quot;alert(2)&quot;&gt;" in html


def test_the_query_itself_is_escaped(client, world):
    response = _client(client, world.employee).get(reverse("search:search"), {"q": XSS})
    html = response.content.decode()
    assert "<script>alert(1)" not in html
    assert 'id="search-empty"' in html


def test_the_page_never_shows_what_the_searcher_may_not_see(client, world, sales_case):
    client = _client(client, world.employee)
    for params in ({"q": "报价争议"}, {"q": "报价争议", "kind": "case"}, {"q": "Q-1", "kind": "case"}):
        response = client.get(reverse("search:search"), params)
        assert response.context["results"].count() == 0, params
        html = response.content.decode()
        assert f"/processes/cases/{sales_case.pk}/" not in html
        assert 'data-kind="case"' not in html


def test_empty_states(client, world):
    client = _client(client, world.employee)
    blank = client.get(reverse("search:search")).content.decode()
    assert "Search across the platform" in blank or "全平台" in blank or 'class="empty"' in blank
    nothing = client.get(reverse("search:search"), {"q": "不存在的词"}).content.decode()
    assert 'id="search-empty"' in nothing


def test_the_page_paginates(client, world, make):
    for i in range(25):
        make.process(f"P{i:02d}", f"客户流程{i:02d}")
    client = _client(client, world.employee)
    first = client.get(reverse("search:search"), {"q": "客户"})
    second = client.get(reverse("search:search"), {"q": "客户", "page": 2})
    assert (len(first.context["hits"]), len(second.context["hits"])) == (20, 5)
    assert {h.object_id for h in first.context["hits"]}.isdisjoint({h.object_id for h in second.context["hits"]})
    assert "?q=%E5%AE%A2%E6%88%B7&amp;page=2" in first.content.decode()


@pytest.mark.parametrize("size", [3, 30])
def test_the_page_costs_the_same_queries_whatever_the_data_size(client, world, make, django_assert_num_queries, size):
    process = make.process("CS", "客户投诉处理", responsible=world.rd_hw)
    for i in range(size):
        make.case(process, f"C-{i}", f"客户投诉案例{i}", opened_by=world.employee)
    client = _client(client, world.employee)
    client.get(reverse("search:search"), {"q": "投诉"})  # warm the caches (session, department tree)
    # session, user, the departments the employee leads (case scope), counts, one page, unread count
    with django_assert_num_queries(6):
        response = client.get(reverse("search:search"), {"q": "客户投诉"})
    assert len(response.context["hits"]) == min(20, size + 1)


def test_the_api_returns_scoped_paginated_results_with_facets(world, sales_case):
    # other department sees the case and the process
    body = _api(None, world.other_department).get("/api/v1/search/", {"q": "报价"}).json()
    assert body["count"] == 2
    assert sorted(r["kind"] for r in body["results"]) == ["case", "process"]
    assert [(f["kind"], f["count"]) for f in body["facets"]] == [("process", 1), ("case", 1)]
    case = next(r for r in body["results"] if r["kind"] == "case")
    assert case["id"] == sales_case.pk
    assert case["url"] == f"/processes/cases/{sales_case.pk}/"
    assert case["title_html"].startswith("Q-1 华东客户<mark>报价</mark>争议&lt;script&gt;")
    # the employee outside the case's scope: the process only, with the kind filter nothing
    mine = _api(None, world.employee).get("/api/v1/search/", {"q": "报价"}).json()
    assert [(r["kind"], r["id"]) for r in mine["results"]] == [("process", sales_case.process_id)]
    assert _api(None, world.employee).get("/api/v1/search/", {"q": "报价", "kind": "case"}).json()["count"] == 0


def test_the_api_pages(world, make):
    for i in range(7):
        make.process(f"P{i}", f"客户流程{i}")
    api = _api(None, world.employee)
    first = api.get("/api/v1/search/", {"q": "客户", "page_size": 5}).json()
    second = api.get("/api/v1/search/", {"q": "客户", "page_size": 5, "page": 2}).json()
    assert (first["count"], len(first["results"]), len(second["results"])) == (7, 5, 2)
    assert first["next"].endswith("page=2&page_size=5") or "page=2" in first["next"]


def test_the_api_refuses_bad_queries_clearly(world):
    api = _api(None, world.employee)
    missing = api.get("/api/v1/search/")
    assert missing.status_code == 400
    assert set(missing.json()["error"]["fields"]) == {"q"}
    bad_kind = api.get("/api/v1/search/", {"q": "客户", "kind": "nope"})
    assert bad_kind.status_code == 400
    assert "person" in bad_kind.json()["error"]["fields"]["kind"][0]
    too_long = api.get("/api/v1/search/", {"q": "客" * 201})
    assert too_long.status_code == 400


@pytest.mark.parametrize("size", [3, 30])
def test_the_api_costs_the_same_queries_whatever_the_data_size(world, make, django_assert_num_queries, size):
    process = make.process("CS", "客户投诉处理", responsible=world.rd_hw)
    for i in range(size):
        make.case(process, f"C-{i}", f"客户投诉案例{i}", opened_by=world.employee)
    api = _api(None, world.employee)
    api.get("/api/v1/search/", {"q": "投诉"})
    with django_assert_num_queries(3):  # led departments, counts, one page
        response = api.get("/api/v1/search/", {"q": "客户投诉"})
    assert len(response.json()["results"]) == size + 1


def test_the_openapi_schema_describes_search(world):
    schema = _api(None, world.employee).get("/api/v1/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/search/"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"q", "kind", "page"}
    assert operation["operationId"] == "search"
