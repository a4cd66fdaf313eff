"""Background work of search: thin wrappers around services, safe to run twice."""

from __future__ import annotations

from django_tasks import task

from xietong.search.services import search_drain, search_reindex


@task()
def search_reindex_task() -> dict[str, dict[str, int]]:
    """Refresh every kind's entries (only what changed is written): after a package import, which
    writes in bulk without telling search object by object."""
    return search_reindex()


@task()
def search_drain_task() -> dict[str, int]:
    """Re-read the queued entries: after a change too large to re-read in the request that made it."""
    return search_drain()
