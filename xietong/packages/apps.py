from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PackagesConfig(AppConfig):
    name = "xietong.packages"
    label = "packages"
    verbose_name = _("Packages")

    def ready(self) -> None:
        from xietong.common.navigation import NavItem, register
        from xietong.org.permissions import is_admin

        register(
            NavItem("packages", _("Import and export"), "packages:index", order=30, visible=is_admin, section="admin")
        )
