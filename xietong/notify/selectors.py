"""Reading notifications: a person's inbox and their unread count (no relations to preload)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from xietong.notify.models import Notification


def notifications_of(person: Any) -> QuerySet[Notification]:
    """Every notification of ``person``, newest first."""
    return Notification.objects.filter(recipient_id=person.pk).order_by("-created_at", "-pk")


def notification_inbox(*, person: Any, unread_only: bool = False) -> QuerySet[Notification]:
    """``person``'s inbox, newest first; only the unread ones if asked (one query per page)."""
    inbox = notifications_of(person)
    return inbox.filter(read_at__isnull=True) if unread_only else inbox


def notification_unread_count(*, person: Any) -> int:
    """How many of ``person``'s notifications are unread: one COUNT on the inbox index."""
    return Notification.objects.filter(recipient_id=person.pk, read_at__isnull=True).count()
