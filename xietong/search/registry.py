"""What can be searched: each domain app registers a ``Source`` for each kind of thing it owns
(from its ``AppConfig.ready()``), so the search app imports no domain app.

A source says how to turn its objects into index entries, and which of them a person may see.
Its app keeps the index current by calling ``xietong.search.services.search_index_on_commit``
from the services that change those objects; ``xietong reindex`` rebuilds everything.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db.models import QuerySet


@dataclasses.dataclass(frozen=True)
class Entry:
    """One object as the index stores it: plain text (no markup) and a link on this site."""

    title: str
    body: str
    url: str


@dataclasses.dataclass(frozen=True)
class Source:
    kind: str  # "person", "department", "process", "case", "notice", "page", "post", "dispute" …
    label: Any  # a lazy translation, the plural shown in the results ("Notices")
    # (pk, entry) for these pks, or for every object when None. A pk that no longer exists, or
    # should not be found (a draft, a withdrawn notice…), is simply left out: it is removed.
    entries: Callable[[Sequence[int] | None], Iterable[tuple[int, Entry]]]
    # The objects ``user`` may see, as a queryset whose ``values("pk")`` serves as a subquery.
    visible: Callable[[Any], QuerySet[Any]]
    order: int = 100  # where its results group when ranks tie


_sources: dict[str, Source] = {}


def register_source(source: Source) -> None:
    _sources[source.kind] = source


def sources() -> list[Source]:
    return sorted(_sources.values(), key=lambda s: (s.order, s.kind))


def source(kind: str) -> Source:
    return _sources[kind]
