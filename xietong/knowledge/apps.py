from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KnowledgeConfig(AppConfig):
    name = "xietong.knowledge"
    label = "knowledge"
    verbose_name = _("Knowledge")

    def ready(self) -> None:
        from xietong.attachments.registry import register_owner
        from xietong.common import workbench
        from xietong.common.navigation import NavItem, register
        from xietong.common.ticks import register_tick
        from xietong.knowledge.generate import write_pages
        from xietong.knowledge.models import Page
        from xietong.knowledge.permissions import pages_visible_to
        from xietong.knowledge.selectors import my_reviews_due_counts, page_search_entries
        from xietong.knowledge.services import review_tick
        from xietong.notify.kinds import register_kind_group
        from xietong.packages.generator import BulkWriter, register_bulk_writer
        from xietong.search.registry import Source, register_source

        register_tick("knowledge.reviews", review_tick)
        register_bulk_writer(
            BulkWriter(
                "pages", _("knowledge pages, written straight to the database (not part of a package)"), write_pages
            )
        )
        # A page's attachments are seen by whoever reads the page.
        register_owner(
            Page,
            lambda user, object_id: object_id.isdigit() and pages_visible_to(user).filter(pk=int(object_id)).exists(),
        )
        register_source(
            Source(
                kind="page",
                label=_("Knowledge pages"),
                entries=page_search_entries,
                visible=pages_visible_to,
                order=60,
            )
        )
        register(NavItem("knowledge.spaces", _("Knowledge"), "knowledge:space_list", order=40))
        register_kind_group("knowledge", _("Knowledge base"))
        workbench.register(
            workbench.Tile(
                "knowledge.my_reviews",
                _("My pages due for review"),
                "knowledge:space_list",
                count=my_reviews_due_counts,
                order=40,
            )
        )
