"""A person sees their own notifications, and nobody else's: anyone else's id is 404, as an unknown one.

Administrators register group-robot webhooks for the organization and every department; a department's
head registers them for the department and the departments below it. Deliveries are for
administrators. The lists answer 403 to anyone else, and an id one may not see 404 (as an unknown
one), so ids cannot be probed.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from xietong.notify.models import Delivery, Notification, Webhook
from xietong.notify.selectors import delivery_detail, notifications_of
from xietong.org.models import Department
from xietong.org.permissions import is_admin
from xietong.org.selectors import department_subtree_ids


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


# ── Webhooks (administrators; heads for their departments) and deliveries (administrators) ────────


def webhook_department_ids(user: Any) -> set[int] | None:
    """The departments whose webhooks ``user`` manages: None for every department and the organization
    (administrators); else the sub-trees of the active departments they head (maybe none)."""
    if is_admin(user):
        return None
    if not _is_member(user):
        return set()
    headed = Department.objects.filter(head=user, is_active=True).values_list("pk", flat=True)
    return department_subtree_ids(set(headed))


def can_manage_webhooks(user: Any) -> bool:
    """Administrators, and the heads of departments (for their sub-trees)."""
    return webhook_department_ids(user) != set()


def can_manage_webhook_for(user: Any, department_id: int | None) -> bool:
    """Whether ``user`` may register a webhook for this department (None: the whole organization)."""
    allowed = webhook_department_ids(user)
    return allowed is None or (department_id is not None and department_id in allowed)


def webhooks_visible_to(user: Any) -> QuerySet[Webhook]:
    allowed = webhook_department_ids(user)
    if allowed is None:
        return Webhook.objects.all()
    return Webhook.objects.filter(department_id__in=allowed)


def can_see_deliveries(user: Any) -> bool:
    """Administrators see every delivery and retry failed ones."""
    return is_admin(user)


def require_webhook_manager(user: Any) -> None:
    """For the webhook list and creation: 403 for anyone who manages no webhook (nothing is looked up)."""
    if not can_manage_webhooks(user):
        raise PermissionDenied


def require_deliveries(user: Any) -> None:
    """For the deliveries list: 403 for anyone but an administrator."""
    if not can_see_deliveries(user):
        raise PermissionDenied


def access_webhook(user: Any, pk: int) -> Webhook:
    """Webhook ``pk`` if ``user`` manages it; Http404 otherwise, as for an unknown id."""
    webhook = webhooks_visible_to(user).select_related("department").filter(pk=pk).first()
    if webhook is None:
        raise Http404
    return webhook


def access_delivery(user: Any, pk: int) -> Delivery:
    """Delivery ``pk`` (with its attempts) for an administrator; Http404 for anyone else."""
    if not can_see_deliveries(user):
        raise Http404
    delivery = delivery_detail(pk)
    if delivery is None:
        raise Http404
    return delivery
