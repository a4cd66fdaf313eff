from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProcessesConfig(AppConfig):
    name = "xietong.processes"
    label = "processes"
    verbose_name = _("Processes")

    def ready(self) -> None:
        from xietong.common.ticks import register_tick
        from xietong.processes import package  # noqa: F401  (registers the package sections)
        from xietong.processes.services import sla_tick

        register_tick("processes.sla", sla_tick)
