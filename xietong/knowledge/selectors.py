"""Reads of the knowledge base; each costs a fixed number of queries whatever the data size."""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from xietong.common import clock
from xietong.knowledge.markdown import plain_text
from xietong.knowledge.models import Page, PageVersion, Space
from xietong.knowledge.permissions import pages_visible_to
from xietong.org.selectors import organization_schedule
from xietong.search.registry import Entry


def space_list(spaces: QuerySet[Space], *, today: date) -> QuerySet[Space]:
    """Spaces (already narrowed to what the reader sees) with their department, page count and
    how many pages are past their review date (one query)."""
    return (
        spaces.select_related("department")
        .annotate(
            page_count=Count("pages", distinct=True),
            review_count=Count("pages", filter=Q(pages__review_by__lt=today), distinct=True),
        )
        .order_by("department__code", "name", "pk")
    )


def space_pages(space: Space) -> QuerySet[Page]:
    """A space's pages, latest change first, with owner and last editor (one query)."""
    return Page.objects.filter(space=space).select_related("owner", "updated_by").order_by("-updated_at", "-pk")


def pages_needing_review(space: Space, *, today: date) -> QuerySet[Page]:
    """A space's pages past their review-by date, the longest overdue first (one query)."""
    return Page.objects.filter(space=space, review_by__lt=today).select_related("owner").order_by("review_by", "pk")


def page_versions(page: Page) -> QuerySet[PageVersion]:
    """A page's versions, newest first, with their authors (one query); bodies left out."""
    return PageVersion.objects.filter(page=page).select_related("author").defer("body").order_by("-number")


@dataclasses.dataclass(frozen=True)
class DiffLine:
    kind: str  # "add", "remove", "context", "hunk"
    old: int | None
    new: int | None
    text: str


def version_diff(old: PageVersion, new: PageVersion, *, context: int = 3) -> list[DiffLine]:
    """A unified diff of two versions (title first, then the Markdown), line by line. The text is
    left as it is: the template escapes it."""
    before = [f"# {old.title}", "", *old.body.splitlines()]
    after = [f"# {new.title}", "", *new.body.splitlines()]
    lines: list[DiffLine] = []
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for group in matcher.get_grouped_opcodes(context):
        first, last = group[0], group[-1]
        lines.append(
            DiffLine(
                "hunk",
                None,
                None,
                _("Lines {a}–{b} → {c}–{d}").format(a=first[1] + 1, b=last[2], c=first[3] + 1, d=last[4]),
            )
        )
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines.extend(
                    DiffLine("context", i + 1, j + 1, before[i])
                    for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
                )
                continue
            if tag in ("replace", "delete"):
                lines.extend(DiffLine("remove", i + 1, None, before[i]) for i in range(i1, i2))
            if tag in ("replace", "insert"):
                lines.extend(DiffLine("add", None, j + 1, after[j]) for j in range(j1, j2))
    return lines


def page_search_entries(pks: Sequence[int] | None) -> Iterable[tuple[int, Entry]]:
    """The search index's entries of pages (every page when ``pks`` is None)."""
    pages = Page.objects.select_related("space").only("pk", "title", "body", "space__name").order_by("pk")
    if pks is not None:
        pages = pages.filter(pk__in=list(pks))
    for page in pages.iterator(chunk_size=500):
        body = plain_text(page.body)
        yield (
            page.pk,
            Entry(
                title=page.title,
                body=f"{page.space.name} {body}".strip(),
                url=reverse("knowledge:page_detail", args=[page.pk]),
            ),
        )


def retrospective_template() -> str:
    """The experience-sharing / case retrospective write-up, in the reader's language."""
    sections = [
        (_("Background"), _("What was the situation, and why does it matter?")),
        (_("What happened"), _("The course of events, in order, with dates.")),
        (_("What worked"), _("What went well and should be kept.")),
        (_("What to improve"), _("What went wrong or could be done better, and why.")),
        (pgettext("retrospective", "Actions"), _("Who does what by when.")),
    ]
    parts = [f"## {heading}\n\n> {hint}\n" for heading, hint in sections]
    columns = [pgettext("retrospective", "Action"), pgettext("retrospective", "Who"), pgettext("retrospective", "By")]
    parts.append(f"| {' | '.join(columns)} |\n| --- | --- | --- |\n|  |  |  |\n")
    return "\n".join(parts)


def template_body(template: str) -> str:
    return retrospective_template() if template == Page.Template.RETROSPECTIVE else ""


def annotate_review(pages: Sequence[Any], today: date) -> None:
    for page in pages:
        page.needs_review = page.review_by < today


def my_reviews_due_counts(user: Any) -> tuple[int, int]:
    """(pages I own whose review date has passed, the same): the start page's tile, one query. Every
    such page is already late, so the urgent count is the total."""
    if not getattr(user, "is_authenticated", False):
        return 0, 0
    due = pages_visible_to(user).filter(owner=user.pk, review_by__lt=_today()).count()
    return due, 0


def _today() -> date:
    return clock.now().astimezone(organization_schedule().tz).date()
