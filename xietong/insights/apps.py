from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "xietong.insights"
    label = "insights"

    def ready(self) -> None:
        # insights reads the domain apps' figures; nothing imports it back.
        from xietong.insights.report import register_section
        from xietong.org.selectors import organization_schedule
        from xietong.processes.figures import process_figures

        register_section("processes", lambda as_of: process_figures(as_of, organization_schedule()))
