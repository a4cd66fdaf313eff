from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "xietong.insights"
    label = "insights"

    def ready(self) -> None:
        # insights reads the domain apps' figures; nothing imports it back.
        from xietong.disputes.figures import dispute_figures
        from xietong.insights.report import register_section
        from xietong.notices.figures import notice_figures
        from xietong.org.selectors import organization_schedule
        from xietong.processes.figures import process_figures

        register_section("processes", lambda as_of: process_figures(as_of, organization_schedule()))
        register_section("notices", notice_figures)
        register_section("disputes", lambda as_of: dispute_figures(as_of, organization_schedule()))
