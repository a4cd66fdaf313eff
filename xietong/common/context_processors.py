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
    items = items_for(user)
    for item in items:
        item["active"] = path.startswith(item["url"]) and (item["url"] != "/" or path == "/")
    return {
        "nav_items": items,
        "admin_nav_items": items_for(user, "admin"),
        "ui_languages": settings.LANGUAGES,
    }
