"""The notices' search source: published notices only (drafts, scheduled and withdrawn ones are left
out of the index), found only by those who may see them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from xietong.notices.models import Notice
from xietong.notices.permissions import notices_visible_to
from xietong.search.registry import Entry, Source


def entries(pks: Sequence[int] | None) -> Iterable[tuple[int, Entry]]:
    notices = Notice.objects.filter(state=Notice.State.PUBLISHED).order_by("pk")
    if pks is not None:
        notices = notices.filter(pk__in=list(pks))
    for pk, title, body in notices.values_list("pk", "title", "body").iterator(chunk_size=1000):
        yield pk, Entry(title=title, body=body, url=reverse("notices:detail", args=[pk]))


def visible(user: Any) -> Any:
    return notices_visible_to(user)


SOURCE = Source(kind="notice", label=_("Notices"), entries=entries, visible=visible, order=40)
