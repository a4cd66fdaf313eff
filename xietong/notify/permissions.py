"""A person sees their own notifications, and nobody else's: anyone else's id is 404, as an unknown one."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from xietong.notify.models import Notification
from xietong.notify.selectors import notifications_of


def _is_member(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def visible_to(user: Any) -> QuerySet[Notification]:
    """The notifications ``user`` may see: their own."""
    return notifications_of(user) if _is_member(user) else Notification.objects.none()


def access_notification(user: Any, pk: int) -> Notification:
    """``user``'s notification ``pk``; Http404 if it is someone else's or does not exist."""
    notification = visible_to(user).filter(pk=pk).first()
    if notification is None:
        raise Http404
    return notification
