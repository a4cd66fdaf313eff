"""Core cross-department processes: published versions of steps, and the cases that run them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from xietong.common.models import TimeStampedModel
from xietong.org.models import code_validator


class Process(TimeStampedModel):
    """A core process (product development, order delivery, complaint handling …)."""

    code = models.CharField(_("code"), max_length=32, unique=True, validators=[code_validator])
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey(
        "org.Department", verbose_name=_("owner"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ("code",)
        verbose_name = _("process")
        verbose_name_plural = _("processes")

    def __str__(self) -> str:
        return self.name


class ProcessVersion(models.Model):
    """The steps of a process as published at one time (a draft until ``published_at`` is set).
    A published version never changes; running cases keep the version they started on."""

    process = models.ForeignKey(Process, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ("process", "number")
        constraints = [
            models.UniqueConstraint(fields=("process", "number"), name="processes_version_unique_number"),
            models.UniqueConstraint(
                fields=("process",), condition=Q(published_at__isnull=True), name="processes_version_one_draft"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.process.code} v{self.number}"

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class Step(models.Model):
    """One step of a process version: who is responsible, who helps, what goes in and out, how long."""

    version = models.ForeignKey(ProcessVersion, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveIntegerField()
    code = models.CharField(_("code"), max_length=32, validators=[code_validator])
    name = models.CharField(_("name"), max_length=200)
    responsible = models.ForeignKey(
        "org.Department", verbose_name=_("responsible department"), on_delete=models.PROTECT, related_name="+"
    )
    cooperating = models.ManyToManyField(
        "org.Department", verbose_name=_("cooperating departments"), blank=True, related_name="+"
    )
    inputs = models.JSONField(_("inputs"), default=list, blank=True)
    outputs = models.JSONField(_("outputs"), default=list, blank=True)
    time_limit = models.CharField(_("time limit"), max_length=16, help_text=_("Working time, e.g. 4h, 2d, 1.5d, 30m."))

    class Meta:
        ordering = ("version", "position")
        constraints = [
            models.UniqueConstraint(fields=("version", "position"), name="processes_step_unique_position"),
            models.UniqueConstraint(fields=("version", "code"), name="processes_step_unique_code"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Case(TimeStampedModel):
    """One run of a process version, from its first step to its last."""

    class State(models.TextChoices):
        RUNNING = "running", _("Running")
        ON_HOLD = "on_hold", _("On hold")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    process = models.ForeignKey(Process, on_delete=models.PROTECT, related_name="cases")
    version = models.ForeignKey(ProcessVersion, on_delete=models.PROTECT, related_name="cases")
    ref = models.CharField(_("reference"), max_length=64)
    title = models.CharField(pgettext_lazy("case", "title"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    opened_at = models.DateTimeField(_("opened at"))
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(_("state"), max_length=16, choices=State, default=State.RUNNING)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    held_since = models.DateTimeField(_("on hold since"), null=True, blank=True)

    class Meta:
        ordering = ("-opened_at", "pk")
        constraints = [models.UniqueConstraint(fields=("process", "ref"), name="processes_case_unique_ref")]
        indexes = [
            models.Index(fields=("process", "opened_at"), name="processes_case_opened_idx"),
            # the case list's order (newest first): a page is read off the index, not sorted
            models.Index(fields=("-opened_at", "-id"), name="processes_case_recent_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.process.code} {self.ref}"


class StepRun(models.Model):
    """A step of a case while it runs and after: when it started, was due and completed."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="step_runs")
    step = models.ForeignKey(Step, on_delete=models.PROTECT, related_name="runs")
    position = models.PositiveIntegerField()  # the step's position, kept for ordering and hand-offs
    responsible = models.ForeignKey(  # the step's department, kept for queues and figures
        "org.Department", on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField(_("started at"))
    due_at = models.DateTimeField(_("due at"))
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    output_note = models.TextField(_("output"), blank=True)
    # The SLA engine: when 75% of the time limit is used, and when each warning was sent (once).
    warn_at = models.DateTimeField(null=True, blank=True)
    warned_at = models.DateTimeField(null=True, blank=True)
    overdue_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("case", "position")
        constraints = [
            models.UniqueConstraint(fields=("case", "position"), name="processes_steprun_unique_position"),
            models.CheckConstraint(
                condition=Q(completed_at__isnull=True) | Q(completed_at__gte=models.F("started_at")),
                name="processes_steprun_completed_after_start",
            ),
        ]
        indexes = [
            models.Index(fields=("responsible", "completed_at", "due_at"), name="processes_steprun_queue_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.case} · {self.step.code}"


class CaseEvent(models.Model):
    """One entry of a case's timeline: everything that happened to it, in order."""

    class Kind(models.TextChoices):
        OPENED = "opened", _("Opened")
        STEP_STARTED = "step_started", _("Step started")
        STEP_COMPLETED = "step_completed", _("Step completed")
        ASSIGNED = "assigned", _("Assigned")
        HELD = "held", _("Put on hold")
        RESUMED = "resumed", _("Resumed")
        CANCELLED = "cancelled", _("Cancelled")
        COMPLETED = "completed", _("Completed")
        # xgettext:no-python-format
        STEP_WARNED = "step_warned", _("75% of the time limit used")
        STEP_OVERDUE = "step_overdue", _("Step overdue")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("at"))
    kind = models.CharField(_("kind"), max_length=32, choices=Kind)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    step_run = models.ForeignKey(StepRun, null=True, blank=True, on_delete=models.CASCADE, related_name="events")
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ("case", "at", "pk")
        indexes = [models.Index(fields=("case", "at"), name="processes_caseevent_case_idx")]

    def __str__(self) -> str:
        return f"{self.case} {self.kind} {self.at:%Y-%m-%d %H:%M}"
