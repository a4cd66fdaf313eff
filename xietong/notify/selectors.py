"""Reading notifications (a person's inbox, their unread count), preferences, webhooks and deliveries."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet

from xietong.notify import kinds
from xietong.notify.models import Delivery, DeliveryAttempt, Notification, NotificationPreference, Webhook


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


# ── Preferences, webhooks, deliveries ───────────────────────────────────────────────────────────


def notification_preferences_of(person: Any) -> list[dict[str, Any]]:
    """Every registered group of kinds with its label and whether ``person`` chose e-mail (one query)."""
    chosen = set(NotificationPreference.objects.filter(person_id=person.pk, email=True).values_list("group", flat=True))
    return [{"group": group, "label": label, "email": group in chosen} for group, label in kinds.kind_groups()]


def webhook_list(webhooks: QuerySet[Webhook]) -> QuerySet[Webhook]:
    """These webhooks with their departments and how many of their deliveries failed / wait (one query)."""
    return (
        webhooks.select_related("department")
        .annotate(
            failed_count=Count("deliveries", filter=Q(deliveries__status=Delivery.Status.FAILED)),
            pending_count=Count("deliveries", filter=Q(deliveries__status=Delivery.Status.PENDING)),
        )
        .order_by("department__code", "name", "pk")
    )


def delivery_list(*, status: str | None = None, webhook_id: int | None = None) -> QuerySet[Delivery]:
    """Deliveries newest first, with their person and webhook; filtered by status or webhook."""
    qs = Delivery.objects.select_related("recipient", "webhook").order_by("-created_at", "-pk")
    if status:
        qs = qs.filter(status=status)
    if webhook_id is not None:
        qs = qs.filter(webhook_id=webhook_id)
    return qs


def delivery_detail(pk: int) -> Delivery | None:
    """One delivery with its person, webhook and attempts (two queries)."""
    return (
        Delivery.objects.select_related("recipient", "webhook")
        .prefetch_related(Prefetch("tries", queryset=DeliveryAttempt.objects.order_by("number")))
        .filter(pk=pk)
        .first()
    )


def delivery_attempts_recent(*, limit: int = 20) -> list[DeliveryAttempt]:
    """The latest attempts of every delivery, newest first, with what they were about (one query)."""
    return list(
        DeliveryAttempt.objects.select_related("delivery__recipient", "delivery__webhook").order_by(
            "-started_at", "-pk"
        )[:limit]
    )


def delivery_status_counts() -> dict[str, int]:
    """How many deliveries are pending, sent and failed (one query)."""
    counts = dict.fromkeys(Delivery.Status.values, 0)
    counts |= dict(Delivery.objects.order_by().values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    return counts
