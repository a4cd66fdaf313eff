from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProcessesConfig(AppConfig):
    name = "xietong.processes"
    label = "processes"
    verbose_name = _("Processes")

    def ready(self) -> None:
        from xietong.attachments.registry import register_owner
        from xietong.common import clock, workbench
        from xietong.common.navigation import NavItem, register
        from xietong.common.ticks import register_tick
        from xietong.notify.kinds import register_kind_group
        from xietong.processes import package  # noqa: F401  (registers the package sections)
        from xietong.processes.models import StepRun
        from xietong.processes.permissions import cases_visible_to
        from xietong.processes.search import CASES, PROCESSES
        from xietong.processes.selectors import my_work_counts
        from xietong.processes.services import sla_tick
        from xietong.search.registry import register_source

        register_tick("processes.sla", sla_tick)
        for found in (PROCESSES, CASES):
            register_source(found)  # search sources (xietong/processes/search.py)
        # A step run's attachments are seen by whoever sees its case.
        register_owner(
            StepRun, lambda user, object_id: cases_visible_to(user).filter(step_runs=int(object_id)).exists()
        )
        register(NavItem("processes.catalogue", _("Processes"), "processes:catalogue", order=30))
        register(NavItem("processes.my_work", _("My work"), "processes:my_work", order=31))
        register_kind_group("process", _("Processes"))
        workbench.register(
            workbench.Tile(
                "processes.my_work",
                _("Steps waiting in my departments"),
                "processes:my_work",
                count=lambda user: my_work_counts(user, now=clock.now()),
                urgent_label=_("overdue"),
                order=10,
            )
        )
