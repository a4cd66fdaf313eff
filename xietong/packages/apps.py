from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PackagesConfig(AppConfig):
    name = "xietong.packages"
    label = "packages"
    verbose_name = _("Packages")

    def ready(self) -> None:
        from xietong.common.navigation import NavItem, register

        def is_admin(user: object) -> bool:
            return bool(getattr(user, "is_admin", False) or getattr(user, "is_superuser", False))

        register(
            NavItem("packages", _("Import and export"), "packages:index", order=30, visible=is_admin, section="admin")
        )
