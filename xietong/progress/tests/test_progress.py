"""Progress updates: posting, who sees what, deleting, the feed and the case page's block."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.template import Context, Template
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from xietong.attachments.selectors import attachments_for
from xietong.audit.models import AuditEntry
from xietong.common.exceptions import ApplicationError
from xietong.processes.tests.route_matrix_cases import hw_case, sales_case
from xietong.progress import services
from xietong.progress.models import Post
from xietong.progress.permissions import posts_visible_to
from xietong.progress.selectors import post_search_entries, progress_for_case
from xietong.progress.tests.factories import PostFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def indexed(monkeypatch):
    calls: list[tuple[str, list[int]]] = []
    monkeypatch.setattr(
        "xietong.progress.services.search_index_on_commit", lambda kind, pks: calls.append((kind, list(pks)))
    )
    return calls


# ── Services ────────────────────────────────────────────────────────────────────────────────────


def test_a_department_person_posts_its_progress_with_files(world, indexed) -> None:
    # given
    upload = io.BytesIO(b"week 12\n")
    upload.name = "周报.txt"
    # when
    post = services.post_create(actor=world.head, body="  样机完成\r\n下周评审 ", department=world.rd, files=[upload])
    # then
    post.refresh_from_db()
    assert (post.body, post.department_id, post.case_id, post.author_id) == (
        "样机完成\n下周评审",
        world.rd.pk,
        None,
        world.head.pk,
    )
    assert [a.filename for a in attachments_for(post)] == ["周报.txt"]
    assert AuditEntry.objects.filter(object_id=str(post.pk), action="create").count() == 1
    assert indexed == [("post", [post.pk])]


def test_posting_for_another_department_is_refused(world) -> None:
    # when
    with pytest.raises(ApplicationError) as refused:
        services.post_create(actor=world.employee, body="x", department=world.sales)
    # then
    assert refused.value.code == "forbidden"
    assert Post.objects.exists() is False


def test_posting_on_a_case_needs_to_see_it(world) -> None:
    # given
    case = hw_case(world)
    # when
    post = services.post_create(actor=world.employee, body="诊断完成", case=case)
    with pytest.raises(ApplicationError) as refused:
        services.post_create(actor=world.employee, body="x", case=sales_case(world))
    # then
    assert post.case_id == case.pk
    assert refused.value.code == "forbidden"
    assert Post.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "target", "internal"),
    [
        ("", "department", False),
        ("x" * 2001, "department", False),
        ("x", "both", False),
        ("x", "none", False),
        ("x", "case", True),
    ],
)
def test_bad_posts_are_refused(world, body, target, internal) -> None:
    # given
    department = world.rd if target in ("department", "both") else None
    case = hw_case(world) if target in ("case", "both") else None
    # when
    with pytest.raises(ApplicationError):
        services.post_create(actor=world.head, body=body, department=department, case=case, is_internal=internal)
    # then
    assert Post.objects.exists() is False


def test_only_the_author_or_an_administrator_deletes(world, indexed) -> None:
    # given
    post = PostFactory(author=world.liaison, department=world.rd)
    # when
    with pytest.raises(ApplicationError):
        services.post_delete(actor=world.head, post=post)
    services.post_delete(actor=world.liaison, post=post)
    # then
    post.refresh_from_db()
    assert post.deleted_at is not None
    assert posts_visible_to(world.liaison).exists() is False
    assert indexed == [("post", [post.pk])]


# ── Who sees what ───────────────────────────────────────────────────────────────────────────────


EXPECTED = {
    "employee": {"sales_public", "rd_internal", "hw_case"},
    "head": {"sales_public", "rd_internal", "hw_case"},
    "other_department": {"sales_public", "sales_case"},
    "coordinator": {"sales_public", "rd_internal", "hw_case", "sales_case"},
    "admin": {"sales_public", "rd_internal", "hw_case", "sales_case"},
}


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_each_role_sees_exactly_its_posts(world, role) -> None:
    # given
    posts = {
        PostFactory(author=world.other_department, department=world.sales).pk: "sales_public",
        PostFactory(author=world.liaison, department=world.rd, is_internal=True).pk: "rd_internal",
        PostFactory(author=world.employee, department=None, case=hw_case(world)).pk: "hw_case",
        PostFactory(author=world.other_department, department=None, case=sales_case(world)).pk: "sales_case",
    }
    deleted = PostFactory(author=world.other_department, department=world.sales)
    services.post_delete(actor=world.other_department, post=deleted)
    # when
    seen = {posts[pk] for pk in posts_visible_to(getattr(world, role)).values_list("pk", flat=True)}
    # then
    assert seen == EXPECTED[role]
    assert posts_visible_to(AnonymousUser()).exists() is False


def test_guessing_ids_of_unseen_posts_and_their_attachments_is_404(client, world) -> None:
    # given: a post on the SALES-only case, with a file
    upload = io.BytesIO(b"quote\n")
    upload.name = "报价.txt"
    post = services.post_create(actor=world.other_department, body="报价已发", case=sales_case(world), files=[upload])
    attachment = attachments_for(post).get()
    urls = [f"/progress/posts/{post.pk}/", f"/attachments/{attachment.pk}/", f"/api/v1/progress/posts/{post.pk}/"]
    # when
    client.force_login(world.head)
    guessed = [client.get(url).status_code for url in urls]
    client.force_login(world.other_department)
    owned = [client.get(url).status_code for url in urls]
    # then
    assert (guessed, owned) == ([404, 404, 404], [200, 200, 200])


# ── Feed, case block, search ────────────────────────────────────────────────────────────────────


def test_feed_filters_by_department_and_case(client, world) -> None:
    # given
    sales = PostFactory(author=world.other_department, department=world.sales)
    rd = PostFactory(author=world.head, department=world.rd)
    on_case = PostFactory(author=world.employee, department=None, case=hw_case(world))
    client.force_login(world.employee)
    # when
    every = [p.pk for p in client.get("/progress/").context["posts"]]
    by_department = [p.pk for p in client.get(f"/progress/?department={world.sales.pk}").context["posts"]]
    by_case = [p.pk for p in client.get(f"/progress/?case={hw_case(world).pk}").context["posts"]]
    # then
    assert sorted(every) == sorted([sales.pk, rd.pk, on_case.pk])
    assert (by_department, by_case) == ([sales.pk], [on_case.pk])


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_feed_costs_the_same_whatever_the_number_of_posts(client, world) -> None:
    # given
    client.force_login(world.employee)
    case = hw_case(world)
    PostFactory(author=world.head, department=world.rd)
    _queries(client, "/progress/")
    small = _queries(client, "/progress/")
    # when
    for i in range(12):
        post = services.post_create(
            actor=world.employee if i % 2 else world.head,
            body=f"进展{i}",
            department=None if i % 2 else world.rd,
            case=case if i % 2 else None,
            files=[_file(f"附件{i}.txt")],
        )
        assert post.pk
    large = _queries(client, "/progress/")
    # then
    assert small == large


def test_api_list_costs_the_same_whatever_the_number_of_posts(client, world) -> None:
    # given
    client.force_login(world.employee)
    PostFactory(author=world.head, department=world.rd)
    _queries(client, "/api/v1/progress/posts/")
    small = _queries(client, "/api/v1/progress/posts/")
    # when
    for i in range(8):
        services.post_create(actor=world.head, body=f"进展{i}", department=world.rd, files=[_file(f"{i}.txt")])
    large = _queries(client, "/api/v1/progress/posts/")
    # then
    assert small == large


def _file(name: str) -> io.BytesIO:
    upload = io.BytesIO(b"progress notes\n")
    upload.name = name
    return upload


def test_progress_for_case_and_the_case_page_block(world) -> None:
    # given
    case = hw_case(world)
    first = PostFactory(author=world.employee, department=None, case=case, body="诊断开始")
    second = PostFactory(author=world.head, department=None, case=case, body="<b>方案</b>审核中")
    PostFactory(author=world.head, department=world.rd)
    request = RequestFactory().get(f"/processes/cases/{case.pk}/")
    request.user = world.employee
    # when
    posts = progress_for_case(case)
    html = Template("{% load progress %}{% case_progress case %}").render(Context({"case": case, "request": request}))
    # then
    assert [p.pk for p in posts] == [second.pk, first.pk]  # newest first
    assert 'id="case-progress"' in html
    assert "诊断开始" in html
    assert "&lt;b&gt;方案&lt;/b&gt;" in html
    assert f'name="case" value="{case.pk}"' in html


def test_search_entries_are_plain_text_with_a_link(world) -> None:
    # given
    post = PostFactory(author=world.head, department=world.rd, body="样机完成\n下周评审")
    # when
    entries = dict(post_search_entries([post.pk]))
    # then
    entry = entries[post.pk]
    assert entry.url == f"/progress/posts/{post.pk}/"
    assert "样机完成" in entry.title
    assert entry.body == f"{world.head.name} 样机完成\n下周评审"


# ── API ─────────────────────────────────────────────────────────────────────────────────────────


def test_api_posts_and_lists_by_case(client, world) -> None:
    # given
    case = hw_case(world)
    client.force_login(world.employee)
    # when
    created = client.post(
        "/api/v1/progress/posts/", {"body": "诊断完成", "case": case.pk}, content_type="application/json"
    )
    listed = client.get(f"/api/v1/progress/posts/?case={case.pk}").json()
    # then
    assert created.status_code == 201
    assert (created.json()["case"], created.json()["author"]["username"]) == (case.pk, "employee")
    assert [p["id"] for p in listed["results"]] == [created.json()["id"]]


def test_api_bad_post_is_a_400_and_writes_nothing(client, world) -> None:
    # given
    client.force_login(world.head)
    # when
    both = client.post(
        "/api/v1/progress/posts/",
        {"body": "x", "department": "RD", "case": hw_case(world).pk},
        content_type="application/json",
    )
    empty = client.post("/api/v1/progress/posts/", {"body": "", "department": "RD"}, content_type="application/json")
    # then
    assert (both.status_code, empty.status_code) == (400, 400)
    assert set(empty.json()["error"]["fields"]) == {"body"}
    assert Post.objects.exists() is False
