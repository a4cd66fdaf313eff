from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    name = "xietong.org"
    label = "org"
    verbose_name = _("Organization")

    def ready(self) -> None:
        from xietong.common.navigation import NavItem, register
        from xietong.org import package  # noqa: F401  (registers the package sections)
        from xietong.org.permissions import can_manage_org, is_admin

        register(NavItem("org.departments", _("Departments"), "org:department_tree", order=20))
        register(NavItem("org.people", _("People"), "org:person_list", order=21))
        register(NavItem("org.committees", _("Committees"), "org:committee_list", order=22))
        register(
            NavItem(
                "org.settings",
                _("Organization settings"),
                "org:organization_edit",
                order=10,
                visible=is_admin,
                section="admin",
            )
        )
        register(
            NavItem(
                "org.new_department",
                _("New department"),
                "org:department_create",
                order=11,
                visible=can_manage_org,
                section="admin",
            )
        )
