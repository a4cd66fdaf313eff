from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from xietong.common.navigation import items_for


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "admin_nav_items": [], "ui_languages": settings.LANGUAGES}
    path = request.path
    items, admin_items = items_for(user), items_for(user, "admin")
    # The entry whose URL is the longest prefix of the path is the current one (/org/people/ is
    # "People", not also "Departments" at /org/).
    matches = [i for i in [*items, *admin_items] if path.startswith(i["url"])]
    current = max(matches, key=lambda i: len(i["url"]))["key"] if matches else None
    for item in [*items, *admin_items]:
        item["active"] = item["key"] == current
    return {
        "nav_items": items,
        "admin_nav_items": admin_items,
        "admin_nav_active": any(i["active"] for i in admin_items),
        "ui_languages": settings.LANGUAGES,
    }
