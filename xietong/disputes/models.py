"""Disputes between departments and the escalation ladders they climb (metrics.md, disputes).

A dispute enters level 1 of its ladder when it is opened. At each level its handlers (the heads of
the parties at level 1 as a rule, a person, a department head or a committee above) have a time
limit in working time on the organization's schedule; when it runs out without a final
resolution the dispute climbs to the next level on its own. The timeline (``DisputeEvent``) is the
record the figures are computed from; ``level``, ``level_entered_at`` and ``due_at`` on the dispute
are the current state, kept so that lists and the escalation engine need no replay.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from xietong.common.models import TimeStampedModel
from xietong.org.models import code_validator


class EscalationLadder(TimeStampedModel):
    """How a dispute climbs when it is not settled in time. Exactly one ladder is the default."""

    code = models.CharField(_("code"), max_length=32, unique=True, validators=[code_validator])
    name = models.CharField(_("name"), max_length=200)
    is_default = models.BooleanField(_("default ladder"), default=False)

    class Meta:
        ordering = ("code",)
        verbose_name = _("escalation ladder")
        verbose_name_plural = _("escalation ladders")
        constraints = [
            models.UniqueConstraint(
                fields=("is_default",), condition=Q(is_default=True), name="disputes_ladder_one_default"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class LadderLevel(models.Model):
    """One level of a ladder: who handles a dispute there, and for how long (a working-time
    duration such as "3d", on the organization's schedule)."""

    class Handler(models.TextChoices):
        HEADS_OF_PARTIES = "heads_of_parties", _("Heads of the parties")
        DEPARTMENT_HEAD = "department_head", _("Head of a department")
        PERSON = "person", _("A person")
        COMMITTEE = "committee", _("A committee")

    ladder = models.ForeignKey(EscalationLadder, on_delete=models.CASCADE, related_name="levels")
    number = models.PositiveSmallIntegerField(_("level"))  # 1, 2, 3 … in order
    name = models.CharField(_("name"), max_length=200)
    handler_kind = models.CharField(_("handler"), max_length=20, choices=Handler.choices)
    department = models.ForeignKey(
        "org.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    committee = models.ForeignKey(
        "org.Committee", verbose_name=_("committee"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    time_limit = models.CharField(_("time limit"), max_length=16)  # a duration: "3d", "4h", "1.5d"

    class Meta:
        ordering = ("ladder", "number")
        verbose_name = _("ladder level")
        verbose_name_plural = _("ladder levels")
        constraints = [
            models.UniqueConstraint(fields=("ladder", "number"), name="disputes_ladderlevel_unique_number"),
            # The handler's target is given exactly when its kind needs one.
            models.CheckConstraint(
                condition=(
                    Q(
                        handler_kind="heads_of_parties",
                        department__isnull=True,
                        person__isnull=True,
                        committee__isnull=True,
                    )
                    | Q(
                        handler_kind="department_head",
                        department__isnull=False,
                        person__isnull=True,
                        committee__isnull=True,
                    )
                    | Q(handler_kind="person", department__isnull=True, person__isnull=False, committee__isnull=True)
                    | Q(handler_kind="committee", department__isnull=True, person__isnull=True, committee__isnull=False)
                ),
                name="disputes_ladderlevel_handler_target",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.name}"


class Dispute(TimeStampedModel):
    """A disagreement between two or more departments (the parties)."""

    class State(models.TextChoices):
        OPEN = "open", pgettext_lazy("dispute state", "Open")
        RESOLVED = "resolved", pgettext_lazy("dispute state", "Resolved")
        WITHDRAWN = "withdrawn", pgettext_lazy("dispute state", "Withdrawn")

    ref = models.CharField(_("reference"), max_length=32, unique=True, validators=[code_validator])
    title = models.CharField(pgettext_lazy("dispute", "title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    parties = models.ManyToManyField("org.Department", verbose_name=_("parties"), related_name="disputes")
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("raised by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    ladder = models.ForeignKey(
        EscalationLadder, verbose_name=_("escalation ladder"), on_delete=models.PROTECT, related_name="disputes"
    )
    # What it is about (optional).
    case = models.ForeignKey(
        "processes.Case", verbose_name=_("case"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    step = models.ForeignKey(
        "processes.Step",
        verbose_name=_("process step"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    opened_at = models.DateTimeField(_("opened at"))
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.OPEN)
    # The current level (1-based), when it was entered, and its kept due instant.
    level = models.PositiveSmallIntegerField(_("level"), default=1)
    level_entered_at = models.DateTimeField(_("level entered at"))
    due_at = models.DateTimeField(_("due at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # The final resolution (agreed at level 1, or decided above), or the reason for withdrawal.
    outcome = models.TextField(_("outcome"), blank=True)
    # Claimed once when an open dispute at the last level passes its due instant (the overdue notice).
    overdue_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-opened_at", "-pk")
        verbose_name = _("dispute")
        verbose_name_plural = _("disputes")
        indexes = [
            # The escalation engine: open disputes by due instant.
            models.Index(fields=("state", "due_at"), name="disputes_dispute_state_due"),
            models.Index(fields=("opened_at",), name="disputes_dispute_opened"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(level__gte=1), name="disputes_dispute_level_positive"),
            models.CheckConstraint(
                condition=Q(state="open", closed_at__isnull=True) | (~Q(state="open") & Q(closed_at__isnull=False)),
                name="disputes_dispute_closed_when_not_open",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ref} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.state == self.State.OPEN


class Proposal(models.Model):
    """A resolution recorded at level 1 by one party's head: final once every other party's head
    has confirmed it in writing."""

    class State(models.TextChoices):
        PENDING = "pending", pgettext_lazy("proposal state", "Awaiting confirmation")
        FINAL = "final", pgettext_lazy("proposal state", "Confirmed")
        SUPERSEDED = "superseded", pgettext_lazy("proposal state", "Superseded")

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="proposals")
    department = models.ForeignKey(
        "org.Department", verbose_name=_("proposing party"), on_delete=models.PROTECT, related_name="+"
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("proposed by"), on_delete=models.PROTECT, related_name="+"
    )
    text = models.TextField(_("resolution"))
    at = models.DateTimeField(_("at"))
    level = models.PositiveSmallIntegerField(_("level"))
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.PENDING)

    class Meta:
        ordering = ("dispute", "at", "pk")
        verbose_name = _("proposed resolution")
        verbose_name_plural = _("proposed resolutions")
        constraints = [
            # At most one proposal awaits confirmation at a time; a new one supersedes it.
            models.UniqueConstraint(
                fields=("dispute",), condition=Q(state="pending"), name="disputes_proposal_one_pending"
            ),
        ]

    def __str__(self) -> str:
        return self.text[:60]


class Confirmation(models.Model):
    """One party's written confirmation of a proposal, by that party's head."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="confirmations")
    department = models.ForeignKey(
        "org.Department", verbose_name=_("party"), on_delete=models.PROTECT, related_name="+"
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("confirmed by"), on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("at"))

    class Meta:
        ordering = ("proposal", "at", "pk")
        constraints = [
            models.UniqueConstraint(fields=("proposal", "department"), name="disputes_confirmation_once_per_party"),
        ]

    def __str__(self) -> str:
        return f"{self.proposal_id}/{self.department_id}"


class DisputeEvent(models.Model):
    """The timeline of a dispute. ``level`` is the level the dispute is at after the event."""

    class Kind(models.TextChoices):
        RAISED = "raised", pgettext_lazy("dispute event", "Raised")
        COMMENT = "comment", pgettext_lazy("dispute event", "Comment")
        PROPOSE = "propose", pgettext_lazy("dispute event", "Resolution proposed")
        CONFIRM = "confirm", pgettext_lazy("dispute event", "Resolution confirmed")
        ESCALATE = "escalate", pgettext_lazy("dispute event", "Escalated")
        AUTO_ESCALATE = "auto_escalate", pgettext_lazy("dispute event", "Escalated automatically")
        DECIDE = "decide", pgettext_lazy("dispute event", "Decided")
        RESOLVE = "resolve", pgettext_lazy("dispute event", "Resolved")
        WITHDRAW = "withdraw", pgettext_lazy("dispute event", "Withdrawn")
        OVERDUE = "overdue", pgettext_lazy("dispute event", "Overdue at the last level")

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    at = models.DateTimeField(_("at"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    level = models.PositiveSmallIntegerField(_("level"))
    note = models.TextField(_("note"), blank=True)
    proposal = models.ForeignKey(Proposal, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ("dispute", "at", "pk")
        verbose_name = _("dispute event")
        verbose_name_plural = _("dispute events")
        indexes = [
            models.Index(fields=("dispute", "at"), name="disputes_event_dispute_at"),
            models.Index(fields=("kind", "at"), name="disputes_event_kind_at"),
        ]

    def __str__(self) -> str:
        return f"{self.dispute.ref} {self.kind} {self.at:%Y-%m-%d %H:%M}"
