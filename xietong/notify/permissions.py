"""A person sees their own notifications, and nobody else's: anyone else's id is 404, as an unknown one.

Webhooks and deliveries are for administrators: the lists answer 403 to anyone else, and a
webhook's or a delivery's id 404 (as an unknown one), so ids cannot be probed.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from xietong.notify.models import Delivery, Notification, Webhook
from xietong.notify.selectors import delivery_detail, notifications_of
from xietong.org.permissions import is_admin


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


# ── Webhooks and deliveries: administrators only ────────────────────────────────────────────────


def can_manage_webhooks(user: Any) -> bool:
    """Administrators register webhooks and see the deliveries."""
    return is_admin(user)


def require_webhook_admin(user: Any) -> None:
    """For the lists and creation: 403 for anyone but an administrator (nothing is looked up)."""
    if not can_manage_webhooks(user):
        raise PermissionDenied


def access_webhook(user: Any, pk: int) -> Webhook:
    """Webhook ``pk`` for an administrator; Http404 for anyone else, as for an unknown id."""
    if not can_manage_webhooks(user):
        raise Http404
    webhook = Webhook.objects.select_related("department").filter(pk=pk).first()
    if webhook is None:
        raise Http404
    return webhook


def access_delivery(user: Any, pk: int) -> Delivery:
    """Delivery ``pk`` (with its attempts) for an administrator; Http404 for anyone else."""
    if not can_manage_webhooks(user):
        raise Http404
    delivery = delivery_detail(pk)
    if delivery is None:
        raise Http404
    return delivery
