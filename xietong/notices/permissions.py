"""Who may see, publish and follow up notices. Fetch-and-authorise in one call; unknown ids are 404.

- Heads, liaisons and deputy liaisons of an active department, coordinators and administrators
  publish notices.
- A published (or withdrawn) notice is seen by its recipients, its author, coordinators and
  administrators, and the leads (head, liaison, deputy liaison) of a department — or of a parent of a
  department — that one of its recipients was in at publication.
- A draft or a scheduled notice is seen only by its author, coordinators and administrators.
- The acknowledgement report is for the author, coordinators and administrators (every department)
  and for those leads (their departments' rows only).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from xietong.notices.models import Notice, NoticeRecipient
from xietong.org.models import Department
from xietong.org.permissions import is_admin, is_coordinator
from xietong.org.selectors import department_subtree_ids


def _signed_in(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def sees_every_notice(user: Any) -> bool:
    return is_admin(user) or is_coordinator(user)


def led_department_ids(user: Any) -> set[int]:
    """The sub-trees of the active departments a person heads or is (deputy) liaison for."""
    if not _signed_in(user):
        return set()
    led = Department.objects.filter(Q(head=user) | Q(liaison=user) | Q(deputy_liaison=user), is_active=True)
    return department_subtree_ids(set(led.values_list("pk", flat=True)))


def can_publish_notices(user: Any) -> bool:
    if not _signed_in(user):
        return False
    if sees_every_notice(user):
        return True
    return Department.objects.filter(Q(head=user) | Q(liaison=user) | Q(deputy_liaison=user), is_active=True).exists()


def can_manage_notice(user: Any, notice: Notice) -> bool:
    """Publish a draft, pin, withdraw: the author (while still a publisher), coordinators, administrators."""
    if sees_every_notice(user):
        return True
    return _signed_in(user) and notice.author_id == user.pk and can_publish_notices(user)


def notices_visible_to(user: Any, *, led: set[int] | None = None) -> QuerySet[Notice]:
    if not _signed_in(user):
        return Notice.objects.none()
    if sees_every_notice(user):
        return Notice.objects.all()
    led = led_department_ids(user) if led is None else led
    received = NoticeRecipient.objects.filter(notice=OuterRef("pk"), person=user)
    reach = Q(Exists(received))
    if led:
        reach |= Q(Exists(NoticeRecipient.objects.filter(notice=OuterRef("pk"), department__in=led)))
    return Notice.objects.filter(Q(author=user) | (Q(published_at__isnull=False) & reach))


def access_notice(user: Any, pk: int) -> Notice:
    """The notice if ``user`` may see it, else 404 (unknown and forbidden look the same)."""
    notice = notices_visible_to(user).select_related("author", "withdrawn_by").filter(pk=pk).first()
    if notice is None:
        raise Http404
    return notice


def report_scope(user: Any, notice: Notice) -> set[int] | None:
    """The departments whose rows of the acknowledgement report ``user`` sees: None for every
    department (author, coordinators, administrators), else the departments they lead (maybe none)."""
    if sees_every_notice(user) or notice.author_id == getattr(user, "pk", None):
        return None
    return led_department_ids(user)


def access_notice_report(user: Any, pk: int) -> tuple[Notice, set[int] | None]:
    """The published notice and the caller's report scope, if they may see its report, else 404."""
    notice = access_notice(user, pk)
    if notice.published_at is None:
        raise Http404
    scope = report_scope(user, notice)
    if scope is not None and not NoticeRecipient.objects.filter(notice=notice, department__in=scope).exists():
        raise Http404
    return notice, scope


def can_see_report(user: Any, notice: Notice) -> bool:
    if notice.published_at is None:
        return False
    scope = report_scope(user, notice)
    return scope is None or NoticeRecipient.objects.filter(notice=notice, department__in=scope).exists()
