from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "xietong.audit"
    label = "audit"
