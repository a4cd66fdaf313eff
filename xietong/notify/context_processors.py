"""The bell in the top bar: how many notifications the signed-in person has not read."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from xietong.notify.selectors import notification_unread_count


def unread_notifications(request: HttpRequest) -> dict[str, Any]:
    """``notify_unread_count``: one COUNT query, made only when a template shows it (the full pages,
    through base.html; not the htmx fragments) and only for a signed-in person; 0 for anyone else."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"notify_unread_count": 0}
    return {"notify_unread_count": SimpleLazyObject(lambda: notification_unread_count(person=user))}
