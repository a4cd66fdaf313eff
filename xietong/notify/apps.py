from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotifyConfig(AppConfig):
    name = "xietong.notify"
    label = "notify"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from xietong.common.navigation import NavItem, register
        from xietong.common.ticks import register_tick
        from xietong.notify import channels
        from xietong.notify.delivery import EmailChannel, WebhookChannel, deliveries_tick
        from xietong.org.permissions import is_admin

        channels.register(EmailChannel())
        channels.register(WebhookChannel())
        register_tick("notify.deliveries", deliveries_tick)
        register(
            NavItem(
                "notify.webhooks",
                _("Group-robot webhooks"),
                "notify:webhook_list",
                order=60,
                visible=is_admin,  # a head reaches their departments' robots from the notification settings
                section="admin",
            )
        )
        register(
            NavItem(
                "notify.deliveries",
                _("Notification deliveries"),
                "notify:deliveries",
                order=61,
                visible=is_admin,
                section="admin",
            )
        )
