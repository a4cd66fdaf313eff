"""Time-driven work (SLA warnings, escalations, reminders). Apps register a tick function; the
scheduler enqueues one task that runs them all; ``xietong tick`` runs them now (for cron).

Every tick function must be safe to run twice at once: it claims each due item with a
conditional UPDATE whose row count says who won (../shared/notes/sqlite.md), so several workers
never do the same work twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from xietong.common import clock

logger = logging.getLogger(__name__)

_ticks: dict[str, Callable[..., dict[str, int]]] = {}


def register_tick(name: str, function: Callable[..., dict[str, int]]) -> None:
    _ticks[name] = function


def run_ticks(*, now: datetime | None = None) -> dict[str, Any]:
    now = now or clock.now()
    results: dict[str, Any] = {}
    for name, function in sorted(_ticks.items()):
        results[name] = function(now=now)
    if any(any(r.values()) for r in results.values()):
        logger.info("tick %s: %s", now.isoformat(), results)
    return results
