from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DisputesConfig(AppConfig):
    name = "xietong.disputes"
    label = "disputes"
    verbose_name = _("Disputes")

    def ready(self) -> None:
        from xietong.attachments.registry import register_owner
        from xietong.common import workbench
        from xietong.common.navigation import NavItem, register
        from xietong.common.ticks import register_tick
        from xietong.disputes import package  # noqa: F401  (registers the package sections)
        from xietong.disputes.models import Dispute, DisputeEvent
        from xietong.disputes.permissions import can_manage_ladders, disputes_visible_to
        from xietong.disputes.search import DISPUTES
        from xietong.disputes.selectors import dispute_queue_counts
        from xietong.disputes.services import escalation_tick
        from xietong.notify.kinds import register_kind_group
        from xietong.search.registry import register_source

        register_tick("disputes.escalation", escalation_tick)
        register_source(DISPUTES)  # found by whoever sees them (xietong/disputes/search.py)
        register_kind_group("dispute", _("Disputes"))
        workbench.register(
            workbench.Tile(
                "disputes.queue",
                _("Disputes waiting for my decision"),
                "disputes:queue",
                count=dispute_queue_counts,
                urgent_label=_("overdue"),
                order=30,
            )
        )
        register(NavItem("disputes.list", _("Disputes"), "disputes:list", order=40))
        register(
            NavItem(
                "disputes.ladders",
                _("Escalation ladders"),
                "disputes:ladder_list",
                order=40,
                visible=can_manage_ladders,
                section="admin",
            )
        )
        # A dispute's files (raised with it, or added with a comment) are seen by whoever sees the dispute.
        register_owner(Dispute, lambda user, object_id: disputes_visible_to(user).filter(pk=int(object_id)).exists())
        register_owner(
            DisputeEvent,
            lambda user, object_id: disputes_visible_to(user).filter(events=int(object_id)).exists(),
        )
