from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SearchConfig(AppConfig):
    name = "xietong.search"
    label = "search"
    verbose_name = _("Search")

    def ready(self) -> None:
        from xietong.common.navigation import NavItem, register
        from xietong.common.ticks import register_tick
        from xietong.org.signals import org_changed
        from xietong.packages.registry import register_after_import
        from xietong.search import org
        from xietong.search.registry import register_source
        from xietong.search.services import queue_tick

        # The org app lies below search: its sources are registered here, and its services' signal
        # queues the entries a change makes stale, in the change's own transaction.
        register_source(org.PEOPLE)
        register_source(org.DEPARTMENTS)
        org_changed.connect(org.org_changed_receiver, dispatch_uid="search.org_changed")
        # Re-reads what is still queued after a crash or a failure (one query when nothing is).
        register_tick("search.queue", queue_tick)
        # A package import writes in bulk: refresh the index in the background once it has committed.
        register_after_import(_reindex_after_import)
        # The top bar's box is hidden on small screens: the menu leads to the search page there.
        register(NavItem("search", _("Search"), "search:search", order=900))


def _reindex_after_import() -> None:
    """Every kind (a section may feed several: people, cases …); unchanged entries cost no write."""
    from xietong.search.tasks import search_reindex_task

    search_reindex_task.enqueue()
