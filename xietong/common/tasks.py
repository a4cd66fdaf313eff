"""Background tasks of the common app: thin wrappers, safe to run twice."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from xietong.common.ticks import run_ticks


@task()
def tick_task() -> dict[str, Any]:
    """Run every registered time-driven job once (enqueued by the scheduler)."""
    return run_ticks()
