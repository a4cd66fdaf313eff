"""Notices: an announcement to an audience, its recipients fixed at publication, and their
acknowledgements ("read and understood", 回执)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from xietong.common.models import TimeStampedModel

ACK_WITHIN_DEFAULT = "2d"


class Notice(TimeStampedModel):
    """A notice to everyone or to chosen departments (each with its sub-departments).

    A draft or a scheduled notice has no recipients; publication fixes them (one
    :class:`NoticeRecipient` per person then in the audience) and, when acknowledgement is required,
    keeps the due instant (``due_at``, on the organization's schedule) and the reminder instant.
    A withdrawn notice stays in history: no more acknowledgements, no more reminders.
    """

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
        PUBLISHED = "published", _("Published")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    ref = models.CharField(_("reference"), max_length=64, unique=True)
    title = models.CharField(pgettext_lazy("notice", "title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    audience_all = models.BooleanField(_("everyone"), default=False)
    audience_departments = models.ManyToManyField(
        "org.Department", verbose_name=_("departments"), blank=True, related_name="+"
    )
    requires_ack = models.BooleanField(_("requires acknowledgement"), default=False)
    ack_within = models.CharField(_("acknowledge within"), max_length=16, default=ACK_WITHIN_DEFAULT)
    is_pinned = models.BooleanField(_("pinned"), default=False)
    state = models.CharField(_("state"), max_length=16, choices=State, default=State.DRAFT)
    publish_at = models.DateTimeField(_("scheduled for"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    # Kept at publication when acknowledgement is required (metrics.md: a kept due instant).
    due_at = models.DateTimeField(_("acknowledge by"), null=True, blank=True)
    remind_at = models.DateTimeField(null=True, blank=True)  # 75% of ack_within has passed
    reminded_at = models.DateTimeField(null=True, blank=True)  # claimed by the tick that reminded
    late_notified_at = models.DateTimeField(null=True, blank=True)  # claimed by the tick that listed the late
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ("-is_pinned", "-published_at", "-pk")
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        constraints = [
            models.CheckConstraint(
                condition=~Q(state="published") | Q(published_at__isnull=False),
                name="notices_notice_published_has_instant",
            ),
            models.CheckConstraint(
                condition=~Q(state="scheduled") | Q(publish_at__isnull=False),
                name="notices_notice_scheduled_has_instant",
            ),
            models.CheckConstraint(
                condition=Q(published_at__isnull=True) | Q(requires_ack=False) | Q(due_at__isnull=False),
                name="notices_notice_ack_has_due",
            ),
        ]
        indexes = [
            models.Index(fields=("state", "published_at"), name="notices_notice_state_idx"),
            models.Index(fields=("state", "publish_at"), name="notices_notice_schedule_idx"),
            models.Index(fields=("state", "due_at"), name="notices_notice_due_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_published(self) -> bool:
        return self.state == self.State.PUBLISHED

    @property
    def was_published(self) -> bool:
        return self.published_at is not None


class NoticeRecipient(models.Model):
    """One person a notice was addressed to when it was published, with the department they were
    in then (the read rate is per department), when they first read it and when they acknowledged."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="recipients")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey("org.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)

    class Meta:
        ordering = ("notice", "pk")
        constraints = [
            models.UniqueConstraint(fields=("notice", "person"), name="notices_recipient_unique_person"),
        ]
        indexes = [
            models.Index(fields=("person", "acknowledged_at"), name="notices_recipient_person_idx"),
            # the report: counts per department, read and acknowledged, from the index alone
            models.Index(
                fields=("notice", "department", "acknowledged_at", "read_at"), name="notices_recipient_report_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.notice_id}:{self.person_id}"
