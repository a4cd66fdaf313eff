"""Progress updates: short posts about a department's or a process case's work.

A post has exactly one target. Today that is a department or a case; a project is the planned third
(add a nullable ``project`` foreign key and widen ``progress_post_one_target``: every read goes
through ``permissions.posts_visible_to`` and ``Post.target``, the only places that know the targets).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

BODY_MAX_LENGTH = 2000


class Post(models.Model):
    """One progress update. Deleting one (its author) keeps the row, hidden (``deleted_at``)."""

    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("progress"), max_length=BODY_MAX_LENGTH)
    department = models.ForeignKey(
        "org.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    case = models.ForeignKey(
        "processes.Case", verbose_name=_("case"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # A department's post is read by everyone signed in, unless internal to the department.
    is_internal = models.BooleanField(_("internal to the department"), default=False)
    created_at = models.DateTimeField(_("posted at"))
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-pk")
        verbose_name = _("progress update")
        verbose_name_plural = _("progress updates")
        constraints = [
            models.CheckConstraint(
                condition=(Q(department__isnull=False) & Q(case__isnull=True))
                | (Q(department__isnull=True) & Q(case__isnull=False)),
                name="progress_post_one_target",
            ),
            models.CheckConstraint(
                condition=Q(is_internal=False) | Q(department__isnull=False),
                name="progress_post_internal_needs_department",
            ),
        ]
        indexes = [
            models.Index(fields=("department", "created_at"), name="progress_post_department_idx"),
            models.Index(fields=("case", "created_at"), name="progress_post_case_idx"),
        ]

    def __str__(self) -> str:
        return self.body[:40]

    @property
    def target(self) -> models.Model | None:
        return self.department or self.case
