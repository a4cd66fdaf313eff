"""Every write to disputes and escalation ladders, and the escalation engine.

Time is the organization's schedule (metrics.md: dispute time). A dispute's current level keeps its
entry instant and its due instant. When a due instant passes while the dispute is open and a next
level exists, the dispute climbs at that instant (``AUTO_ESCALATE``), several levels in one go if
need be; at the last level it is overdue after its due instant and leadership and coordinators hear
of it once. The tick records this within a minute; every service acting on a dispute first applies
the escalations already due, so an action after a due instant happens at the new level. An action at
the very instant of a due instant is taken first (only due instants strictly before ``now`` apply).

Exactly once with several workers: each level change is claimed with a conditional UPDATE
(``WHERE pk, state open, level k, due_at unchanged``) whose row count says who won, and the overdue
notice with ``WHERE overdue_notified_at IS NULL`` (../shared/notes/sqlite.md).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, TypedDict

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xietong.attachments.services import attachments_add
from xietong.audit.services import audit_record
from xietong.common import clock
from xietong.common.exceptions import ApplicationError
from xietong.common.worktime import Schedule, parse_duration
from xietong.disputes.models import Confirmation, Dispute, DisputeEvent, EscalationLadder, LadderLevel, Proposal
from xietong.disputes.permissions import (
    ancestor_ids,
    can_manage_ladders,
    can_raise,
    confirming_party_ids,
    current_handler_ids,
    disputes_visible_to,
    headed_party_ids,
    is_party,
    level_handler_ids,
)
from xietong.notify.services import notify_on_commit
from xietong.org.models import Committee, Department, Person
from xietong.org.permissions import is_admin, is_coordinator
from xietong.org.selectors import organization_schedule
from xietong.search.services import search_index_on_commit

TITLE_LENGTH = 200
TIME_LIMIT_LENGTH = LadderLevel._meta.get_field("time_limit").max_length or 16
TICK_BATCH = 500
MAX_STEPS = 1000  # level changes and lost races one dispute may go through in one catch-up


class LevelSpec(TypedDict):
    """One level of a ladder as forms, the API and packages give it."""

    name: str
    handler: str  # "heads_of_parties" | "department_head:CODE" | "person:USERNAME" | "committee:CODE"
    time_limit: str  # a working-time duration: "3d", "4h", "1.5d", "30m"


# --- helpers --------------------------------------------------------------------------------------


def dispute_url(dispute: Dispute) -> str:
    try:
        return reverse("disputes:detail", args=[dispute.pk])
    except NoReverseMatch:  # the pages are not wired (yet): a link to the list of disputes
        return "/disputes/"


def _schedule() -> Schedule:
    return organization_schedule()


def level_due(schedule: Schedule, entered_at: datetime, time_limit: str) -> datetime:
    """The due instant of a level entered at ``entered_at`` (metrics.md, due instants)."""
    return schedule.due(entered_at, time_limit)


def _levels(ladder_id: int) -> list[LadderLevel]:
    return list(LadderLevel.objects.filter(ladder_id=ladder_id).select_related("department", "person", "committee"))


def _party_ids(dispute: Dispute) -> list[int]:
    return sorted(dispute.parties.values_list("pk", flat=True))


def _party_contacts(dispute: Dispute) -> list[int]:
    """Who hears about a dispute for its parties: each party's head and liaisons (else its active
    people), and the raiser."""
    people: set[int] = set()
    for department in Department.objects.filter(disputes=dispute):
        leads = {pk for pk in (department.head_id, department.liaison_id, department.deputy_liaison_id) if pk}
        if not leads:
            leads = set(Person.objects.filter(department=department, is_active=True).values_list("pk", flat=True))
        people |= leads
    if dispute.raised_by_id:
        people.add(dispute.raised_by_id)
    return sorted(people)


def _required(value: str, field: str, message: str) -> str:
    text = (value or "").strip()
    if not text:
        raise ApplicationError(message, field_errors={field: [_("Required.")]})
    return text


def _event(
    dispute: Dispute,
    kind: str,
    *,
    at: datetime,
    actor: Any,
    note: str = "",
    proposal: Proposal | None = None,
) -> DisputeEvent:
    return DisputeEvent.objects.create(
        dispute=dispute,
        kind=kind,
        at=at,
        actor=actor if getattr(actor, "pk", None) else None,
        level=dispute.level,
        note=note,
        proposal=proposal,
    )


def _refuse_closed(dispute: Dispute) -> None:
    if dispute.state == Dispute.State.RESOLVED:
        raise ApplicationError(_("This dispute is resolved: nothing can change it any more."), code="closed")
    if dispute.state == Dispute.State.WITHDRAWN:
        raise ApplicationError(_("This dispute was withdrawn: nothing can change it any more."), code="closed")


def _forbidden(message: str) -> ApplicationError:
    return ApplicationError(message, code="forbidden")


def _locked(dispute: Dispute, now: datetime) -> Dispute:
    """The dispute, locked (PostgreSQL), after applying the automatic escalations already due."""
    advance_dispute(dispute.pk, now=now)
    return Dispute.objects.select_for_update(of=("self",)).select_related("ladder", "raised_by").get(pk=dispute.pk)


def _close(dispute: Dispute, state: str, *, at: datetime, outcome: str) -> None:
    dispute.state, dispute.closed_at, dispute.outcome = state, at, outcome
    dispute.save(update_fields=["state", "closed_at", "outcome", "updated_at"])
    search_index_on_commit("dispute", [dispute.pk])  # the outcome is found as a precedent
    # a pending proposal dies with the dispute
    Proposal.objects.filter(dispute=dispute, state=Proposal.State.PENDING).update(state=Proposal.State.SUPERSEDED)


def _new_ref(dispute: Dispute) -> str:
    base = f"D-{dispute.pk:06d}"
    ref, n = base, 1
    while Dispute.objects.filter(ref=ref).exclude(pk=dispute.pk).exists():  # an imported dispute has it
        n += 1
        ref = f"{base}-{n}"
    return ref


# --- the escalation engine ------------------------------------------------------------------------


def _notify_level(dispute: Dispute, level: LadderLevel, *, automatic: bool, actor: Any = None) -> None:
    """The new handlers and the parties (but the person who escalated) hear that the dispute entered
    ``level`` (once per level)."""
    recipients = set(level_handler_ids(level, _party_ids(dispute))) | set(_party_contacts(dispute))
    if getattr(actor, "pk", None) is not None:
        recipients.discard(actor.pk)
    if automatic:
        title = gettext_lazy("{dispute} was not settled in time and moved to level {level}: {name}")
    else:
        title = gettext_lazy("{dispute} was escalated to level {level}: {name}")
    notify_on_commit(
        recipients=sorted(recipients),
        kind="dispute.escalated",
        title=title,
        params={"dispute": str(dispute), "level": level.number, "name": level.name},
        url=dispute_url(dispute),
        dedupe_key=f"dispute:{dispute.pk}:level:{level.number}",
    )


def advance_dispute(pk: int, *, now: datetime, notify: bool = True) -> dict[str, int]:
    """Apply to one open dispute the automatic escalations whose due instants lie strictly before
    ``now``, each at its instant, and claim the overdue notice at the last level. Safe to run at once
    in several workers: every change is a conditional UPDATE and only the worker whose UPDATE
    changed the row records the event and the notifications. Runs in the caller's transaction."""
    done = {"escalated": 0, "overdue": 0}
    levels: list[LadderLevel] | None = None
    schedule = _schedule()
    reached: LadderLevel | None = None
    with transaction.atomic():
        for _attempt in range(MAX_STEPS):  # each pass changes the row or stops; the bound is a safeguard
            dispute = Dispute.objects.filter(pk=pk, state=Dispute.State.OPEN, due_at__lt=now).first()
            if dispute is None:
                break
            if levels is None:
                levels = _levels(dispute.ladder_id)
            by_number = {level.number: level for level in levels}
            following = by_number.get(dispute.level + 1)
            if following is None:  # the last level, past its due instant: overdue
                claimed = Dispute.objects.filter(
                    pk=pk, state=Dispute.State.OPEN, level=dispute.level, overdue_notified_at__isnull=True
                ).update(overdue_notified_at=now)
                if claimed:
                    _event(dispute, DisputeEvent.Kind.OVERDUE, at=dispute.due_at, actor=None)
                    if notify:
                        _notify_overdue(dispute)
                    done["overdue"] += 1
                break
            entered = dispute.due_at
            due = level_due(schedule, entered, following.time_limit)
            won = Dispute.objects.filter(
                pk=pk, state=Dispute.State.OPEN, level=dispute.level, due_at=dispute.due_at
            ).update(level=following.number, level_entered_at=entered, due_at=due, updated_at=now)
            if not won:
                continue  # another worker moved it: read it again
            dispute.level, dispute.level_entered_at, dispute.due_at = following.number, entered, due
            if dispute.level == 2:
                Proposal.objects.filter(dispute_id=pk, state=Proposal.State.PENDING).update(
                    state=Proposal.State.SUPERSEDED
                )
            _event(dispute, DisputeEvent.Kind.AUTO_ESCALATE, at=entered, actor=None)
            audit_record(
                actor=None,
                obj=dispute,
                action="auto_escalate",
                changes={"level": [following.number - 1, following.number]},
            )
            done["escalated"] += 1
            reached = following
        if reached is not None and notify:
            # several levels passed in one go: the handlers of the level it stands at now, and the parties
            dispute = Dispute.objects.get(pk=pk)
            _notify_level(dispute, reached, automatic=True)
    return done


def _notify_overdue(dispute: Dispute) -> None:
    people = Person.objects.filter(Q(level=Person.Level.EXECUTIVE) | Q(is_coordinator=True), is_active=True)
    notify_on_commit(
        recipients=list(people.values_list("pk", flat=True)),
        kind="dispute.overdue",
        title=gettext_lazy("{dispute} is overdue at the last level of its ladder"),
        params={"dispute": str(dispute)},
        url=dispute_url(dispute),
        dedupe_key=f"dispute:{dispute.pk}:overdue:{dispute.level}",
    )


def escalation_tick(*, now: datetime | None = None) -> dict[str, int]:
    """Escalate every open dispute whose due instant has passed (at that instant), and tell
    leadership and coordinators once of each dispute overdue at its last level. Registered as the
    tick "disputes.escalation"; safe to run at once in several workers."""
    now = now or clock.now()
    total = {"escalated": 0, "overdue": 0}
    due = (
        Dispute.objects.filter(state=Dispute.State.OPEN, due_at__lt=now)
        .filter(Q(overdue_notified_at__isnull=True))
        .order_by("due_at", "pk")
        .values_list("pk", flat=True)
    )
    for pk in list(due[:TICK_BATCH]):
        done = advance_dispute(pk, now=now)
        total["escalated"] += done["escalated"]
        total["overdue"] += done["overdue"]
    return total


# --- disputes -------------------------------------------------------------------------------------


def _check_parties(actor: Any, parties: Sequence[Department]) -> list[Department]:
    chosen: list[Department] = []
    for department in parties:
        if any(d.pk == department.pk for d in chosen):
            raise ApplicationError(
                _("“{name}” is listed twice among the parties.").format(name=department.name),
                field_errors={"parties": [_("Each department once.")]},
            )
        chosen.append(department)
    if len(chosen) < 2:
        raise ApplicationError(
            _("A dispute is between two or more departments: choose at least two parties."),
            field_errors={"parties": [_("Choose at least two departments.")]},
        )
    fresh = {d.pk: d for d in Department.objects.filter(pk__in=[d.pk for d in chosen])}
    for department in chosen:
        stored = fresh.get(department.pk)
        if stored is None or not stored.is_active:
            raise ApplicationError(
                _("“{name}” is not an active department.").format(name=department.name),
                field_errors={"parties": [_("Only active departments.")]},
            )
    return [fresh[d.pk] for d in chosen]


def _belongs_to_a_party(actor: Any, parties: list[Department]) -> bool:
    ancestors = ancestor_ids(actor.department_id)
    return any(d.pk in ancestors or d.head_id == actor.pk for d in parties)


@transaction.atomic
def dispute_raise(
    *,
    actor: Any,
    title: str,
    description: str,
    parties: Sequence[Department],
    ladder: EscalationLadder | None = None,
    case: Any = None,
    step: Any = None,
    files: Sequence[Any] = (),
) -> Dispute:
    """Open a dispute between ``parties`` at level 1 of ``ladder`` (the default ladder when None)."""
    if not can_raise(actor):
        raise _forbidden(_("You may not raise disputes."))
    title = _required(title, "title", _("Give the dispute a title."))
    if len(title) > TITLE_LENGTH:
        raise ApplicationError(
            _("The title is at most {n} characters.").format(n=TITLE_LENGTH),
            field_errors={"title": [_("Too long.")]},
        )
    chosen = _check_parties(actor, parties)
    if not (is_coordinator(actor) or is_admin(actor) or _belongs_to_a_party(actor, chosen)):
        raise ApplicationError(
            _("You raise a dispute for your own department: it must be one of the parties."),
            code="forbidden",
            field_errors={"parties": [_("Your department is not among them.")]},
        )
    if ladder is None:
        ladder = EscalationLadder.objects.filter(is_default=True).first()
        if ladder is None:
            raise ApplicationError(
                _("There is no escalation ladder yet: a coordinator must define one before disputes can be raised.")
            )
    levels = _levels(ladder.pk)
    if not levels:
        raise ApplicationError(_("The ladder “{name}” has no levels.").format(name=ladder.name))
    if case is not None:
        from xietong.processes.permissions import cases_visible_to

        if not cases_visible_to(actor).filter(pk=case.pk).exists():
            raise ApplicationError(_("You cannot see that case."), field_errors={"case": [_("Unknown case.")]})
    if step is not None and case is not None and step.version_id != case.version_id:
        raise ApplicationError(
            _("The step “{step}” is not a step of the case's process version.").format(step=step.name),
            field_errors={"step": [_("Not a step of this case.")]},
        )
    now = clock.now()
    first = levels[0]
    dispute = Dispute.objects.create(
        ref=f"tmp-{secrets.token_hex(8)}",
        title=title,
        description=(description or "").strip(),
        raised_by=actor,
        ladder=ladder,
        case=case,
        step=step,
        opened_at=now,
        level=1,
        level_entered_at=now,
        due_at=level_due(_schedule(), now, first.time_limit),
    )
    dispute.parties.set(chosen)
    dispute.ref = _new_ref(dispute)
    dispute.save(update_fields=["ref"])
    attachments_add(actor=actor, owner=dispute, uploads=files)
    _event(dispute, DisputeEvent.Kind.RAISED, at=now, actor=actor, note=dispute.description)
    audit_record(
        actor=actor,
        obj=dispute,
        action="raise",
        changes={
            "ref": [None, dispute.ref],
            "title": [None, title],
            "parties": [None, sorted(d.code for d in chosen)],
            "ladder": [None, ladder.code],
            "due_at": [None, dispute.due_at.isoformat()],
        },
    )
    search_index_on_commit("dispute", [dispute.pk])
    recipients = set(level_handler_ids(first, [d.pk for d in chosen])) | {d.head_id for d in chosen if d.head_id}
    recipients.discard(actor.pk)
    notify_on_commit(
        recipients=sorted(recipients),
        kind="dispute.raised",
        title=gettext_lazy("A dispute was raised: {dispute}"),
        params={"dispute": str(dispute)},
        url=dispute_url(dispute),
        dedupe_key=f"dispute:{dispute.pk}:raised",
    )
    return dispute


@transaction.atomic
def dispute_comment(*, actor: Any, dispute: Dispute, note: str, files: Sequence[Any] = ()) -> DisputeEvent:
    now = clock.now()
    dispute = _locked(dispute, now)
    _refuse_closed(dispute)
    if not disputes_visible_to(actor).filter(pk=dispute.pk).exists():
        raise _forbidden(_("You may not comment on this dispute."))
    note = _required(note, "note", _("Write the comment."))
    event = _event(dispute, DisputeEvent.Kind.COMMENT, at=now, actor=actor, note=note)
    attachments_add(actor=actor, owner=event, uploads=files)
    audit_record(actor=actor, obj=dispute, action="comment", changes={"comment": [None, note]})
    recipients = (set(current_handler_ids(dispute)) | {dispute.raised_by_id}) - {actor.pk, None}
    notify_on_commit(
        recipients=sorted(r for r in recipients if r is not None),
        kind="dispute.commented",
        title=gettext_lazy("{person} commented on {dispute}"),
        params={"person": actor.name, "dispute": str(dispute)},
        url=dispute_url(dispute),
        dedupe_key=f"dispute-event:{event.pk}",
    )
    return event


def _resolve(dispute: Dispute, *, actor: Any, at: datetime, outcome: str, proposal: Proposal | None) -> None:
    _close(dispute, Dispute.State.RESOLVED, at=at, outcome=outcome)
    _event(dispute, DisputeEvent.Kind.RESOLVE, at=at, actor=actor, note=outcome, proposal=proposal)
    notify_on_commit(
        recipients=_party_contacts(dispute),
        kind="dispute.resolved",
        title=gettext_lazy("{dispute} is resolved"),
        params={"dispute": str(dispute)},
        url=dispute_url(dispute),
        dedupe_key=f"dispute:{dispute.pk}:resolved",
    )


def _finalise_if_confirmed(dispute: Dispute, proposal: Proposal, *, actor: Any, at: datetime) -> bool:
    needed = set(_party_ids(dispute)) - {proposal.department_id}
    confirmed = set(proposal.confirmations.values_list("department", flat=True))
    if not needed <= confirmed:
        return False
    proposal.state = Proposal.State.FINAL
    proposal.save(update_fields=["state"])
    _resolve(dispute, actor=actor, at=at, outcome=proposal.text, proposal=proposal)
    return True


@transaction.atomic
def dispute_propose(*, actor: Any, dispute: Dispute, text: str) -> Proposal:
    """A party's head proposes a resolution at level 1 (it supersedes a pending one); the heads of
    the other parties confirm it. The proposer confirms, by proposing, for every party they head."""
    now = clock.now()
    dispute = _locked(dispute, now)
    _refuse_closed(dispute)
    if dispute.level != 1:
        raise ApplicationError(
            _("Resolutions are proposed at level 1; at level {level} the handler decides.").format(level=dispute.level)
        )
    headed = headed_party_ids(actor, dispute)
    if not headed:
        raise _forbidden(_("Only the head of a party department proposes a resolution."))
    text = _required(text, "text", _("Write the proposed resolution."))
    Proposal.objects.filter(dispute=dispute, state=Proposal.State.PENDING).update(state=Proposal.State.SUPERSEDED)
    proposal = Proposal.objects.create(
        dispute=dispute, department_id=headed[0], proposed_by=actor, text=text, at=now, level=dispute.level
    )
    Confirmation.objects.bulk_create(
        [Confirmation(proposal=proposal, department_id=pk, person=actor, at=now) for pk in headed[1:]]
    )
    _event(dispute, DisputeEvent.Kind.PROPOSE, at=now, actor=actor, note=text, proposal=proposal)
    audit_record(actor=actor, obj=dispute, action="propose", changes={"proposal": [None, text]})
    if not _finalise_if_confirmed(dispute, proposal, actor=actor, at=now):
        heads = Department.objects.filter(disputes=dispute, head__isnull=False).exclude(pk__in=headed)
        notify_on_commit(
            recipients=list(heads.values_list("head", flat=True)),
            kind="dispute.proposed",
            title=gettext_lazy("{person} proposed a resolution of {dispute}: please confirm it"),
            params={"person": actor.name, "dispute": str(dispute)},
            url=dispute_url(dispute),
            dedupe_key=f"proposal:{proposal.pk}:proposed",
        )
    return proposal


@transaction.atomic
def dispute_confirm(*, actor: Any, dispute: Dispute, proposal: Proposal) -> Proposal:
    """A party's head confirms the pending proposal in writing; the last confirmation resolves the
    dispute at that instant."""
    now = clock.now()
    dispute = _locked(dispute, now)
    _refuse_closed(dispute)
    locked = Proposal.objects.select_for_update().filter(pk=proposal.pk, dispute=dispute).first()
    if locked is None:
        raise ApplicationError(_("That proposal is not one of this dispute's."))
    proposal = locked
    if dispute.level != 1:
        raise ApplicationError(
            _("The dispute left level 1: proposals can no longer be confirmed; the level's handler decides.")
        )
    if proposal.state == Proposal.State.SUPERSEDED:
        raise ApplicationError(_("This proposal was replaced by a newer one: confirm the newer one."))
    if proposal.state == Proposal.State.FINAL:
        raise ApplicationError(_("This proposal is already final."))
    if proposal.proposed_by_id == actor.pk:
        raise ApplicationError(
            _("You cannot confirm your own proposal: the heads of the other parties confirm it."), code="forbidden"
        )
    parties = confirming_party_ids(actor, dispute, proposal)
    if not parties:
        if set(headed_party_ids(actor, dispute)) - {proposal.department_id}:
            raise ApplicationError(_("Your department has already confirmed this proposal."))
        raise _forbidden(_("Only the head of another party department confirms this proposal."))
    Confirmation.objects.bulk_create(
        [Confirmation(proposal=proposal, department_id=pk, person=actor, at=now) for pk in parties]
    )
    _event(dispute, DisputeEvent.Kind.CONFIRM, at=now, actor=actor, note=proposal.text, proposal=proposal)
    audit_record(actor=actor, obj=proposal, action="confirm", changes={"confirmed_for": [None, parties]})
    if not _finalise_if_confirmed(dispute, proposal, actor=actor, at=now):
        notify_on_commit(
            recipients=[proposal.proposed_by_id],
            kind="dispute.confirmed",
            title=gettext_lazy("{person} confirmed your proposed resolution of {dispute}"),
            params={"person": actor.name, "dispute": str(dispute)},
            url=dispute_url(dispute),
            dedupe_key=f"proposal:{proposal.pk}:confirmed:{actor.pk}",
        )
    return proposal


@transaction.atomic
def dispute_escalate(*, actor: Any, dispute: Dispute, reason: str) -> Dispute:
    """A party takes the dispute to the next level now, with a reason."""
    now = clock.now()
    dispute = _locked(dispute, now)
    _refuse_closed(dispute)
    if not is_party(actor, dispute):
        raise _forbidden(_("Only a party to the dispute escalates it."))
    levels = {level.number: level for level in _levels(dispute.ladder_id)}
    following = levels.get(dispute.level + 1)
    if following is None:
        raise ApplicationError(
            _("The dispute is at the last level of its ladder ({level}): it cannot be escalated further.").format(
                level=dispute.level
            ),
            code="last_level",
        )
    reason = _required(reason, "reason", _("Say why the dispute is escalated."))
    before = dispute.level
    dispute.level, dispute.level_entered_at = following.number, now
    dispute.due_at = level_due(_schedule(), now, following.time_limit)
    dispute.save(update_fields=["level", "level_entered_at", "due_at", "updated_at"])
    if before == 1:
        Proposal.objects.filter(dispute=dispute, state=Proposal.State.PENDING).update(state=Proposal.State.SUPERSEDED)
    _event(dispute, DisputeEvent.Kind.ESCALATE, at=now, actor=actor, note=reason)
    audit_record(actor=actor, obj=dispute, action="escalate", changes={"level": [before, dispute.level]})
    _notify_level(dispute, following, automatic=False, actor=actor)
    return dispute


@transaction.atomic
def dispute_decide(*, actor: Any, dispute: Dispute, decision: str, reasoning: str) -> Dispute:
    """Above level 1, the current level's handler records a binding decision with its reasoning."""
    now = clock.now()
    dispute = _locked(dispute, now)
    _refuse_closed(dispute)
    if dispute.level == 1:
        raise ApplicationError(
            _("At level 1 the parties' heads agree on a resolution; decisions are taken above level 1."),
            code="level_1",
        )
    if actor.pk not in current_handler_ids(dispute):
        raise _forbidden(_("Only the handler of the dispute's current level decides it."))
    decision = _required(decision, "decision", _("Write the decision."))
    reasoning = _required(reasoning, "reasoning", _("Give the reasoning of the decision."))
    _event(dispute, DisputeEvent.Kind.DECIDE, at=now, actor=actor, note=reasoning)
    _resolve(dispute, actor=actor, at=now, outcome=decision, proposal=None)
    audit_record(
        actor=actor, obj=dispute, action="decide", changes={"state": ["open", "resolved"], "outcome": [None, decision]}
    )
    return dispute


@transaction.atomic
def dispute_withdraw(*, actor: Any, dispute: Dispute, reason: str) -> Dispute:
    now = clock.now()
    dispute = _locked(dispute, now)
    _refuse_closed(dispute)
    if not (dispute.raised_by_id == actor.pk or is_coordinator(actor)):
        raise _forbidden(_("Only the person who raised the dispute, or a coordinator, withdraws it."))
    reason = _required(reason, "reason", _("Say why the dispute is withdrawn."))
    _close(dispute, Dispute.State.WITHDRAWN, at=now, outcome=reason)
    _event(dispute, DisputeEvent.Kind.WITHDRAW, at=now, actor=actor, note=reason)
    audit_record(actor=actor, obj=dispute, action="withdraw", changes={"state": ["open", "withdrawn"]})
    recipients = (set(current_handler_ids(dispute)) | set(_party_contacts(dispute))) - {actor.pk}
    notify_on_commit(
        recipients=sorted(recipients),
        kind="dispute.withdrawn",
        title=gettext_lazy("{dispute} was withdrawn"),
        params={"dispute": str(dispute)},
        url=dispute_url(dispute),
        dedupe_key=f"dispute:{dispute.pk}:withdrawn",
    )
    return dispute


# --- ladders --------------------------------------------------------------------------------------


class HandlerRef(TypedDict):
    kind: str
    target: str | None


def parse_handler(text: str) -> tuple[str, str | None]:
    """(kind, target) of a handler as package-format.md writes it; ValueError with a clear message."""
    text = (text or "").strip()
    if text == LadderLevel.Handler.HEADS_OF_PARTIES:
        return text, None
    kind, colon, target = text.partition(":")
    if colon and target.strip() and kind in ("department_head", "person", "committee"):
        return kind, target.strip()
    raise ValueError(
        _(
            "“{text}” is not a handler: write heads_of_parties, department_head:CODE, person:USERNAME or "
            "committee:CODE."
        ).format(text=text)
    )


def handler_text(level: LadderLevel) -> str:
    """The handler of a level as package-format.md writes it (its targets loaded)."""
    if level.handler_kind == LadderLevel.Handler.DEPARTMENT_HEAD and level.department is not None:
        return f"department_head:{level.department.code}"
    if level.handler_kind == LadderLevel.Handler.PERSON and level.person is not None:
        return f"person:{level.person.username}"
    if level.handler_kind == LadderLevel.Handler.COMMITTEE and level.committee is not None:
        return f"committee:{level.committee.code}"
    return str(LadderLevel.Handler.HEADS_OF_PARTIES)


def check_time_limit(text: str) -> str:
    """A level's time limit as canonical text; ValueError with a clear message."""
    duration = parse_duration((text or "").strip())
    canonical = str(duration)
    if len(canonical) > TIME_LIMIT_LENGTH:
        raise ValueError(_("“{text}” is too long for a time limit.").format(text=text))
    return canonical


def _resolve_levels(levels: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The levels as model field values, every problem reported with its level's position."""
    if not levels:
        raise ApplicationError(_("A ladder needs at least one level."), field_errors={"levels": [_("Add a level.")]})
    resolved: list[dict[str, Any]] = []
    errors: dict[str, list[Any]] = {}
    for number, spec in enumerate(levels, start=1):
        prefix = f"levels.{number - 1}"
        name = str(spec.get("name") or "").strip()
        if not name:
            errors.setdefault(f"{prefix}.name", []).append(_("Level {n} needs a name.").format(n=number))
        elif len(name) > 200:
            errors.setdefault(f"{prefix}.name", []).append(_("Level {n}'s name is too long.").format(n=number))
        try:
            time_limit = check_time_limit(str(spec.get("time_limit") or ""))
        except ValueError as exc:
            errors.setdefault(f"{prefix}.time_limit", []).append(
                _("Level {n}: {problem}").format(n=number, problem=exc)
            )
            time_limit = ""
        values: dict[str, Any] = {
            "number": number,
            "name": name,
            "time_limit": time_limit,
            "handler_kind": "",
            "department": None,
            "person": None,
            "committee": None,
        }
        try:
            kind, target = parse_handler(str(spec.get("handler") or ""))
        except ValueError as exc:
            errors.setdefault(f"{prefix}.handler", []).append(_("Level {n}: {problem}").format(n=number, problem=exc))
            resolved.append(values)
            continue
        values["handler_kind"] = kind
        missing = None
        if kind == "department_head":
            values["department"] = Department.objects.filter(code=target, is_active=True).first()
            if values["department"] is None:
                missing = _("Level {n}: no active department has the code “{target}”.")
        elif kind == "person":
            values["person"] = Person.objects.filter(username=target, is_active=True).first()
            if values["person"] is None:
                missing = _("Level {n}: no active person has the username “{target}”.")
        elif kind == "committee":
            values["committee"] = Committee.objects.filter(code=target).first()
            if values["committee"] is None:
                missing = _("Level {n}: no committee has the code “{target}”.")
        if missing is not None:
            errors.setdefault(f"{prefix}.handler", []).append(missing.format(n=number, target=target))
        resolved.append(values)
    if errors:
        first = next(iter(errors.values()))[0]
        raise ApplicationError(first, field_errors=errors)
    return resolved


def _level_summary(levels: Sequence[Mapping[str, Any]]) -> list[str]:
    return [f"{spec.get('name')} | {spec.get('handler')} | {spec.get('time_limit')}" for spec in levels]


def _stored_summary(ladder: EscalationLadder) -> list[str]:
    return [
        f"{level.name} | {handler_text(level)} | {level.time_limit}"
        for level in ladder.levels.select_related("department", "person", "committee").order_by("number")
    ]


def ladder_level_rule(ladder: EscalationLadder, new_count: int) -> str | None:
    """Why ``ladder`` may not have ``new_count`` levels, or None. The rule: a ladder with open
    disputes keeps every level (names, handlers and time limits may change, levels may be added at
    the end); a ladder whose disputes are all closed keeps at least the highest level they reached
    (their timelines refer to it)."""
    disputes = Dispute.objects.filter(ladder=ladder)
    current = ladder.levels.count()
    if new_count < current and disputes.filter(state=Dispute.State.OPEN).exists():
        return _(
            "The ladder “{name}” has open disputes: its levels can be renamed, given other handlers and time "
            "limits, and new levels added at the end, but none removed."
        ).format(name=ladder.name)
    highest = max(disputes.values_list("level", flat=True), default=0)
    if new_count < highest:
        return _("Disputes reached level {level} of the ladder “{name}”: it keeps at least {level} levels.").format(
            level=highest, name=ladder.name
        )
    return None


def levels_added(ladder: EscalationLadder, count: int) -> None:
    """After ``ladder`` grew to ``count`` levels: its open disputes that stood at the former last level
    can climb again (the tick escalates them at their due instants, as the figures derive)."""
    Dispute.objects.filter(
        ladder=ladder, state=Dispute.State.OPEN, level__lt=count, overdue_notified_at__isnull=False
    ).update(overdue_notified_at=None)


def _write_levels(ladder: EscalationLadder, resolved: list[dict[str, Any]]) -> None:
    stored = {level.number: level for level in ladder.levels.all()}
    for values in resolved:
        level = stored.pop(values["number"], None) or LadderLevel(ladder=ladder, number=values["number"])
        for field, value in values.items():
            setattr(level, field, value)
        level.save()
    LadderLevel.objects.filter(pk__in=[level.pk for level in stored.values()]).delete()
    levels_added(ladder, len(resolved))


def _check_code(code: str) -> str:
    code = (code or "").strip()
    field = EscalationLadder._meta.get_field("code")
    try:
        field.run_validators(code)
    except ValidationError as exc:
        raise ApplicationError(exc.messages[0], field_errors={"code": list(exc.messages)}) from exc
    if not code:
        raise ApplicationError(_("Give the ladder a code."), field_errors={"code": [_("Required.")]})
    return code


def _make_default(ladder: EscalationLadder) -> None:
    EscalationLadder.objects.filter(is_default=True).exclude(pk=ladder.pk).update(is_default=False)


@transaction.atomic
def ladder_create(
    *, actor: Any, code: str, name: str, is_default: bool, levels: Sequence[LevelSpec | Mapping[str, Any]]
) -> EscalationLadder:
    """A new ladder. The first ladder is the default whatever ``is_default`` says (exactly one is)."""
    if not can_manage_ladders(actor):
        raise _forbidden(_("Only coordinators and administrators manage escalation ladders."))
    code = _check_code(code)
    name = _required(name, "name", _("Give the ladder a name."))
    if EscalationLadder.objects.filter(code=code).exists():
        raise ApplicationError(
            _("The code “{code}” is already used by another ladder.").format(code=code),
            field_errors={"code": [_("Already used.")]},
        )
    resolved = _resolve_levels(levels)
    is_default = is_default or not EscalationLadder.objects.exists()
    if is_default:
        EscalationLadder.objects.filter(is_default=True).update(is_default=False)
    try:
        with transaction.atomic():
            ladder = EscalationLadder.objects.create(code=code, name=name, is_default=is_default)
    except IntegrityError as exc:
        raise ApplicationError(_("The code “{code}” is already used by another ladder.").format(code=code)) from exc
    _write_levels(ladder, resolved)
    audit_record(
        actor=actor,
        obj=ladder,
        action="create",
        changes={
            "code": [None, code],
            "name": [None, name],
            "default": [None, is_default],
            "levels": [None, _level_summary(levels)],
        },
    )
    return ladder


@transaction.atomic
def ladder_update(
    *,
    actor: Any,
    ladder: EscalationLadder,
    name: str,
    is_default: bool,
    levels: Sequence[LevelSpec | Mapping[str, Any]],
) -> EscalationLadder:
    if not can_manage_ladders(actor):
        raise _forbidden(_("Only coordinators and administrators manage escalation ladders."))
    ladder = EscalationLadder.objects.select_for_update().get(pk=ladder.pk)
    name = _required(name, "name", _("Give the ladder a name."))
    if ladder.is_default and not is_default:
        raise ApplicationError(
            _("There is always one default ladder: make another ladder the default instead."),
            field_errors={"is_default": [_("Make another ladder the default.")]},
        )
    resolved = _resolve_levels(levels)
    refusal = ladder_level_rule(ladder, len(resolved))
    if refusal is not None:
        raise ApplicationError(refusal, field_errors={"levels": [refusal]})
    before = {"name": ladder.name, "default": ladder.is_default, "levels": _stored_summary(ladder)}
    after = {"name": name, "default": is_default, "levels": _level_summary(levels)}
    if is_default and not ladder.is_default:
        _make_default(ladder)
    ladder.name, ladder.is_default = name, is_default
    ladder.save(update_fields=["name", "is_default", "updated_at"])
    _write_levels(ladder, resolved)
    changes = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    audit_record(actor=actor, obj=ladder, action="update", changes=changes)
    return ladder


@transaction.atomic
def ladder_delete(*, actor: Any, ladder: EscalationLadder) -> None:
    """Delete an unused ladder. The default one only when it is the last ladder."""
    if not can_manage_ladders(actor):
        raise _forbidden(_("Only coordinators and administrators manage escalation ladders."))
    ladder = EscalationLadder.objects.select_for_update().get(pk=ladder.pk)
    used = Dispute.objects.filter(ladder=ladder).count()
    if used:
        raise ApplicationError(
            _("The ladder “{name}” is used by {n} dispute(s): it cannot be deleted.").format(name=ladder.name, n=used)
        )
    if ladder.is_default and EscalationLadder.objects.exclude(pk=ladder.pk).exists():
        raise ApplicationError(
            _("“{name}” is the default ladder: make another ladder the default before deleting it.").format(
                name=ladder.name
            )
        )
    audit_record(actor=actor, obj=ladder, action="delete", changes={"code": [ladder.code, None]})
    ladder.delete()
