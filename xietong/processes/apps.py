from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProcessesConfig(AppConfig):
    name = "xietong.processes"
    label = "processes"
    verbose_name = _("Processes")

    def ready(self) -> None:
        from xietong.common.navigation import NavItem, register
        from xietong.common.ticks import register_tick
        from xietong.processes import package  # noqa: F401  (registers the package sections)
        from xietong.processes.services import sla_tick

        register_tick("processes.sla", sla_tick)
        register(NavItem("processes.catalogue", _("Processes"), "processes:catalogue", order=30))
        register(NavItem("processes.my_work", _("My work"), "processes:my_work", order=31))
