"""The knowledge API: spaces and pages with versions, scoped, in the API's error format."""

from __future__ import annotations

import pytest

from xietong.knowledge.models import Page, PageVersion, Space
from xietong.knowledge.tests.factories import PageFactory, SpaceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def rd_space(world):
    return SpaceFactory(name="研发内部", department=world.rd, visibility="private")


def test_spaces_list_only_what_the_caller_reads(client, world, rd_space) -> None:
    # given
    SpaceFactory(name="销售内部", department=world.sales, visibility="private")
    SpaceFactory(name="公司")
    client.force_login(world.employee)
    # when
    body = client.get("/api/v1/knowledge/spaces/").json()
    # then
    assert sorted(s["name"] for s in body["results"]) == ["公司", "研发内部"]
    assert next(s for s in body["results"] if s["name"] == "研发内部")["department"] == "RD"


def test_create_page_then_save_new_versions_and_read_them(client, world, rd_space) -> None:
    # given
    client.force_login(world.head)
    # when: create
    created = client.post(
        "/api/v1/knowledge/pages/",
        {
            "space": rd_space.pk,
            "title": "评审规范",
            "body": "## 背景\n\n<b>x</b>",
            "review_by": "2030-01-01",
            "summary": "初稿",
        },
        content_type="application/json",
    )
    page_id = created.json()["id"]
    # and: save version 2 (only the body), then read the versions
    saved = client.patch(
        f"/api/v1/knowledge/pages/{page_id}/",
        {"body": "## 背景\n\n改过", "summary": "修订", "base_version": 1},
        content_type="application/json",
    )
    versions = client.get(f"/api/v1/knowledge/pages/{page_id}/versions/").json()
    first = client.get(f"/api/v1/knowledge/pages/{page_id}/versions/1/").json()
    # then
    assert created.status_code == 201
    assert created.json()["html"] == "<h2>背景</h2>\n<p>&lt;b&gt;x&lt;/b&gt;</p>\n"
    assert (saved.status_code, saved.json()["version"], saved.json()["title"]) == (200, 2, "评审规范")
    assert [(v["number"], v["summary"], v["author"]) for v in versions["results"]] == [
        (2, "修订", "head"),
        (1, "初稿", "head"),
    ]
    assert first["body"] == "## 背景\n\n<b>x</b>"


def test_a_stale_save_is_a_400_conflict_and_changes_nothing(client, world, rd_space) -> None:
    # given
    page = PageFactory(space=rd_space, owner=world.liaison, version=1)
    client.force_login(world.liaison)
    client.patch(
        f"/api/v1/knowledge/pages/{page.pk}/", {"body": "二", "base_version": 1}, content_type="application/json"
    )
    # when
    response = client.patch(
        f"/api/v1/knowledge/pages/{page.pk}/", {"body": "三", "base_version": 1}, content_type="application/json"
    )
    # then
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "conflict"
    assert PageVersion.objects.filter(page=page).count() == 2


def test_bad_input_is_a_400_with_fields(client, world, rd_space) -> None:
    # given
    client.force_login(world.head)
    # when
    response = client.post(
        "/api/v1/knowledge/pages/",
        {"space": rd_space.pk, "title": "", "review_by": "not a date"},
        content_type="application/json",
    )
    # then
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"title", "review_by"}
    assert Page.objects.exists() is False


def test_a_private_space_elsewhere_is_not_a_valid_space_to_write_in(client, world) -> None:
    # given
    sales = SpaceFactory(department=world.sales, visibility="private")
    client.force_login(world.head)
    # when
    response = client.post(
        "/api/v1/knowledge/pages/", {"space": sales.pk, "title": "x"}, content_type="application/json"
    )
    # then
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"space"}
    assert Page.objects.exists() is False


def test_pages_filter_by_space_and_review(client, world, rd_space) -> None:
    # given
    from datetime import date

    due = PageFactory(space=rd_space, owner=world.liaison, review_by=date(2020, 1, 1))
    PageFactory(space=rd_space, owner=world.liaison, review_by=date(2099, 1, 1))
    PageFactory(space=SpaceFactory(), owner=world.liaison)
    client.force_login(world.employee)
    # when
    in_space = client.get(f"/api/v1/knowledge/pages/?space={rd_space.pk}").json()
    needing = client.get(f"/api/v1/knowledge/pages/?space={rd_space.pk}&needs_review=true").json()
    # then
    assert in_space["count"] == 2
    assert [p["id"] for p in needing["results"]] == [due.pk]
    assert needing["results"][0]["needs_review"] is True


def test_space_update_cannot_move_a_space(client, world, rd_space) -> None:
    # given
    client.force_login(world.coordinator)
    # when
    response = client.patch(
        f"/api/v1/knowledge/spaces/{rd_space.pk}/", {"department": "SALES"}, content_type="application/json"
    )
    # then
    assert response.status_code == 400
    assert Space.objects.get(pk=rd_space.pk).department_id == world.rd.pk


def _queries(client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("url", ["/api/v1/knowledge/pages/", "/api/v1/knowledge/spaces/"])
def test_lists_cost_the_same_whatever_the_data_size(client, world, rd_space, url) -> None:
    # given
    client.force_login(world.employee)
    PageFactory(space=rd_space, owner=world.liaison)
    _queries(client, url)  # warm the caches
    small = _queries(client, url)
    # when
    for i in range(10):
        space = SpaceFactory(department=world.rd_hw, visibility="private")
        space.editors.set([world.head])
        PageFactory(space=space if i % 2 else rd_space, owner=world.head)
    large = _queries(client, url)
    # then
    assert small == large


def test_the_openapi_schema_describes_knowledge_and_progress_without_warnings() -> None:
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.validation import validate_schema

    # given
    GENERATOR_STATS.reset()
    # when
    schema = SchemaGenerator().get_schema(request=None, public=True)
    # then
    validate_schema(schema)
    warnings = [
        message
        for message in (*GENERATOR_STATS._warn_cache, *GENERATOR_STATS._error_cache)
        if "knowledge" in message.lower() or "progress" in message.lower()
    ]
    assert warnings == []
    paths = {
        path: sorted(ops)
        for path, ops in schema["paths"].items()
        if path.startswith(("/api/v1/knowledge/", "/api/v1/progress/"))
    }
    assert paths == {
        "/api/v1/knowledge/spaces/": ["get", "post"],
        "/api/v1/knowledge/spaces/{id}/": ["delete", "get", "patch"],
        "/api/v1/knowledge/pages/": ["get", "post"],
        "/api/v1/knowledge/pages/{id}/": ["delete", "get", "patch"],
        "/api/v1/knowledge/pages/{id}/versions/": ["get"],
        "/api/v1/knowledge/pages/{id}/versions/{number}/": ["get"],
        "/api/v1/progress/posts/": ["get", "post"],
        "/api/v1/progress/posts/{id}/": ["delete", "get"],
    }
