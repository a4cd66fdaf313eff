from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "xietong.insights"
    label = "insights"
