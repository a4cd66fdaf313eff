from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "xietong.common"
    label = "common"
