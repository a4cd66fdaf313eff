"""Reads of processes and their versions that span relations; each costs a fixed number of queries."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Prefetch, QuerySet

from xietong.processes.models import ProcessVersion, Step


def current_versions(*, process_ids: Iterable[int] | None = None) -> dict[int, ProcessVersion]:
    """The current version of each process that has one: its highest-numbered published version.
    Keyed by process id (one query)."""
    qs = ProcessVersion.objects.filter(published_at__isnull=False).order_by("process_id", "number")
    if process_ids is not None:
        qs = qs.filter(process_id__in=list(process_ids))
    return {version.process_id: version for version in qs}  # the highest number comes last


def versions_with_steps(*, process_codes: Iterable[str]) -> QuerySet[ProcessVersion]:
    """Every version (published or draft) of these processes, with their steps in order, each step's
    responsible department and cooperating departments (three queries)."""
    steps = Step.objects.select_related("responsible").prefetch_related("cooperating").order_by("position")
    return (
        ProcessVersion.objects.filter(process__code__in=list(process_codes))
        .select_related("process")
        .prefetch_related(Prefetch("steps", queryset=steps))
        .order_by("process__code", "number")
    )


def published_steps(*, process_codes: Iterable[str]) -> dict[tuple[str, int], list[Step]]:
    """The steps of every published version of these processes, in order, keyed by
    (process code, version number); each step with its version and process (one query)."""
    rows = (
        Step.objects.filter(version__process__code__in=list(process_codes), version__published_at__isnull=False)
        .select_related("version__process")
        .order_by("version__process__code", "version__number", "position")
    )
    steps: dict[tuple[str, int], list[Step]] = {}
    for step in rows:
        steps.setdefault((step.version.process.code, step.version.number), []).append(step)
    return steps
