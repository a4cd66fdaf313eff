"""Every write of progress updates: posting one (with attachments) and deleting one."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from xietong.attachments.services import attachments_add
from xietong.audit.services import audit_record
from xietong.common import clock
from xietong.common.exceptions import ApplicationError
from xietong.org.models import Department, Person
from xietong.processes.models import Case
from xietong.progress.models import BODY_MAX_LENGTH, Post
from xietong.progress.permissions import can_delete_post, can_post_to_case, can_post_to_department
from xietong.search.services import search_index_on_commit


@transaction.atomic
def post_create(
    *,
    actor: Person,
    body: str,
    department: Department | None = None,
    case: Case | None = None,
    is_internal: bool = False,
    files: Iterable[Any] = (),
) -> Post:
    """Post a progress update about a department or a case (exactly one of them)."""
    body = (body or "").replace("\r\n", "\n").strip()
    if (department is None) == (case is None):
        raise ApplicationError(_("A progress update is about one department or one case."), code="invalid")
    if department is not None and not can_post_to_department(actor, department):
        raise ApplicationError(
            _("Only the people of {department} post its progress.").format(department=department.name),
            code="forbidden",
        )
    if case is not None and not can_post_to_case(actor, case):
        raise ApplicationError(_("There is no such case."), code="forbidden")
    if case is not None and is_internal:
        raise ApplicationError(
            _("Only a department's update can be internal: a case's is read by whoever sees the case."),
            field_errors={"is_internal": [_("Not for a case.")]},
        )
    if not body:
        raise ApplicationError(_("Write what progressed."), field_errors={"body": [_("This field is required.")]})
    if len(body) > BODY_MAX_LENGTH:
        message = _("At most {n} characters.").format(n=BODY_MAX_LENGTH)
        raise ApplicationError(message, field_errors={"body": [message]})
    post = Post.objects.create(
        author=actor, body=body, department=department, case=case, is_internal=is_internal, created_at=clock.now()
    )
    attachments_add(actor=actor, owner=post, uploads=files)
    audit_record(
        actor=actor,
        obj=post,
        action="create",
        changes={
            "department": [None, department.code if department else None],
            "case": [None, case.pk if case else None],
            "is_internal": [None, is_internal],
        },
    )
    search_index_on_commit("post", [post.pk])
    return post


@transaction.atomic
def post_delete(*, actor: Person, post: Post) -> Post:
    """Delete a post (its author, or an administrator): hidden everywhere, kept for the audit."""
    post = Post.objects.select_for_update().get(pk=post.pk)
    if not can_delete_post(actor, post):
        raise ApplicationError(_("Only its author deletes a progress update."), code="forbidden")
    if post.deleted_at is not None:
        return post
    post.deleted_at = clock.now()
    post.save(update_fields=["deleted_at"])
    audit_record(actor=actor, obj=post, action="delete", changes={"deleted_at": [None, post.deleted_at]})
    search_index_on_commit("post", [post.pk])
    return post
