"""The one clock. Tests move it with ``freeze``; code never calls datetime.now() directly."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, tzinfo

from django.utils import timezone

_frozen: datetime | None = None


def now() -> datetime:
    return _frozen if _frozen is not None else timezone.now()


@contextmanager
def freeze(at: datetime) -> Iterator[None]:
    global _frozen
    if timezone.is_naive(at):
        raise ValueError("freeze() needs an aware datetime")
    previous, _frozen = _frozen, at
    try:
        yield
    finally:
        _frozen = previous


AS_OF = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?)?$")


def parse_as_of(text: str, tz: tzinfo) -> datetime:
    """An ISO 8601 date or datetime (``--as-of``, ``?as_of=``); without an offset it is
    organization-local time (metrics.md). Raises ValueError for anything else."""
    if not AS_OF.match(text):
        raise ValueError(text)
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value.replace(tzinfo=tz) if value.tzinfo is None else value
