from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NoticesConfig(AppConfig):
    name = "xietong.notices"
    label = "notices"
    verbose_name = _("Notices")

    def ready(self) -> None:
        from xietong.attachments.registry import register_owner
        from xietong.common import workbench
        from xietong.common.navigation import NavItem, register
        from xietong.common.ticks import register_tick
        from xietong.notices import package  # noqa: F401  (registers the records.notices section)
        from xietong.notices.models import Notice
        from xietong.notices.permissions import notices_visible_to
        from xietong.notices.search import SOURCE
        from xietong.notices.selectors import to_acknowledge_counts
        from xietong.notices.services import notices_tick
        from xietong.notify.kinds import register_kind_group
        from xietong.search.registry import register_source

        register_tick("notices.reminders", notices_tick)
        # A notice's attachments are seen by whoever sees the notice (drafts: author and managers).
        register_owner(
            Notice,
            lambda user, object_id: object_id.isdigit() and notices_visible_to(user).filter(pk=int(object_id)).exists(),
        )
        register_source(SOURCE)
        register(NavItem("notices.list", _("Notices"), "notices:list", order=40))
        register_kind_group("notice", _("Notices"))
        workbench.register(
            workbench.Tile(
                "notices.to_acknowledge",
                _("Notices to acknowledge"),
                "notices:to_acknowledge",
                count=to_acknowledge_counts,
                urgent_label=_("late"),
                order=20,
            )
        )
