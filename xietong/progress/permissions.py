"""Who sees and writes progress updates. Fetch-and-authorise in one call: an unknown post and a post
one may not see are both 404.

Seeing a post:
- a department's post: everyone signed in (progress is shared across departments, the point of the
  feed), unless its author marked it internal: then the people of that department and of its
  sub-departments, the heads and liaisons of a department above it, and those who see every case
  (administrators, coordinators, leadership);
- a case's post: whoever may see the case (``cases_visible_to``).

Posting: to a department, its people (and sub-departments' heads and liaisons, as for cases),
coordinators and administrators; to a case, whoever may see it. Deleting: the author, or an
administrator (moderation).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from xietong.org.models import Department
from xietong.org.permissions import is_admin, is_coordinator
from xietong.processes.models import Case
from xietong.processes.permissions import cases_visible_to, sees_every_case, user_department_ids
from xietong.progress.models import Post


def signed_in(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def _reach(user: Any) -> set[int]:
    """The departments whose internal posts ``user`` reads: theirs and those above it."""
    from xietong.knowledge.permissions import reach

    return reach(user)


def posts_visible_to(user: Any) -> QuerySet[Post]:
    if not signed_in(user):
        return Post.objects.none()
    live = Post.objects.filter(deleted_at__isnull=True)
    if sees_every_case(user):
        return live
    return live.filter(
        Q(department__isnull=False, is_internal=False)
        | Q(department__in=_reach(user), is_internal=True)
        | Q(case__in=cases_visible_to(user).values("pk"))
    )


def access_post(user: Any, pk: int) -> Post:
    post = posts_visible_to(user).select_related("author", "department", "case", "case__process").filter(pk=pk).first()
    if post is None:
        raise Http404
    return post


def can_post_to_department(user: Any, department: Department) -> bool:
    if not signed_in(user):
        return False
    return is_admin(user) or is_coordinator(user) or department.pk in user_department_ids(user)


def can_post_to_case(user: Any, case: Case) -> bool:
    return signed_in(user) and cases_visible_to(user).filter(pk=case.pk).exists()


def can_delete_post(user: Any, post: Post) -> bool:
    return signed_in(user) and (post.author_id == user.pk or is_admin(user))


def postable_departments(user: Any) -> QuerySet[Department]:
    if is_admin(user) or is_coordinator(user):
        return Department.objects.filter(is_active=True).order_by("code")
    return Department.objects.filter(pk__in=user_department_ids(user), is_active=True).order_by("code")
