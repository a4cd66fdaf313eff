from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AttachmentsConfig(AppConfig):
    """Files attached to any app's objects. Apps register their owner models (``registry.register_owner``)
    from their own ``AppConfig.ready()``; this app imports none of them."""

    name = "xietong.attachments"
    label = "attachments"
    verbose_name = _("Attachments")
