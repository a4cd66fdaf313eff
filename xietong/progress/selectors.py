"""Reads of progress updates; each costs a fixed number of queries whatever the data size."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse

from xietong.attachments.selectors import attachments_by_owner
from xietong.processes.models import Case
from xietong.progress.models import Post
from xietong.search.registry import Entry


def feed(posts: QuerySet[Post], *, department_id: int | None = None, case_id: int | None = None) -> QuerySet[Post]:
    """Posts (already narrowed to what the reader sees), newest first, with author and target (one
    query); filtered to one department or one case."""
    if department_id is not None:
        posts = posts.filter(department_id=department_id)
    if case_id is not None:
        posts = posts.filter(case_id=case_id)
    return posts.select_related("author", "author__department", "department", "case", "case__process").order_by(
        "-created_at", "-pk"
    )


def with_attachments(posts: Sequence[Post]) -> list[Post]:
    """The posts, each with ``attachment_list`` (one query for all of them)."""
    posts = list(posts)
    found = attachments_by_owner(posts)
    for post in posts:
        post.attachment_list = found.get(post.pk, [])  # type: ignore[attr-defined]  # read by the templates
    return posts


def progress_for_case(case: Case, *, limit: int = 20) -> list[Post]:
    """A case's latest posts with their attachments (two queries). Whoever may see the case sees all
    of its posts: fetch the case with ``access_case`` first."""
    posts = (
        Post.objects.filter(case=case, deleted_at__isnull=True)
        .select_related("author", "author__department")
        .order_by("-created_at", "-pk")[:limit]
    )
    return with_attachments(list(posts))


def post_search_entries(pks: Sequence[int] | None) -> Iterable[tuple[int, Entry]]:
    """The search index's entries of posts (every live post when ``pks`` is None)."""
    posts = Post.objects.filter(deleted_at__isnull=True).select_related("author", "department", "case__process")
    if pks is not None:
        posts = posts.filter(pk__in=list(pks))
    for post in posts.order_by("pk").iterator(chunk_size=500):
        case = post.case
        target: Any = post.department.name if post.department else f"{case.process.code} {case.ref}" if case else ""
        first_line = post.body.strip().splitlines()[0] if post.body.strip() else ""
        yield (
            post.pk,
            Entry(
                title=f"{target} · {first_line[:60]}",
                body=f"{post.author.name} {post.body}",
                url=reverse("progress:post_detail", args=[post.pk]),
            ),
        )
