"""Every write to running cases: open, complete a step, assign, hold, resume, cancel; and the SLA
warnings. Each service locks the case row, so two requests on one case are serialised."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xietong.attachments.services import attachments_add
from xietong.audit.services import audit_record
from xietong.common import clock
from xietong.common.exceptions import ApplicationError
from xietong.common.worktime import parse_duration
from xietong.notify.services import notify_on_commit
from xietong.org.models import Department, Person
from xietong.org.selectors import department_schedule
from xietong.processes.models import Case, CaseEvent, Process, ProcessVersion, Step, StepRun
from xietong.processes.permissions import can_complete_step, can_open_case, can_steer_case
from xietong.search.services import search_index_on_commit

WARN_SHARE = (3, 4)  # warn when 75% of a step's time limit is used


def current_version(process: Process) -> ProcessVersion | None:
    return process.versions.filter(published_at__isnull=False).order_by("-number").first()


def step_deadlines(step: Step, started_at: datetime) -> tuple[datetime, datetime]:
    """(due instant, 75% instant) of a step started at ``started_at``, on its responsible
    department's schedule (metrics.md, due instants)."""
    schedule = department_schedule(step.responsible_id)
    limit = parse_duration(step.time_limit).to_timedelta(schedule)
    warn = timedelta(microseconds=(limit // timedelta(microseconds=1)) * WARN_SHARE[0] // WARN_SHARE[1])
    return schedule.add_working_time(started_at, limit), schedule.add_working_time(started_at, warn)


def _contacts(department_id: int) -> list[int]:
    """Who hears about a department's work: its head and liaisons, else its active people."""
    leads = Department.objects.filter(pk=department_id).values_list("head", "liaison", "deputy_liaison").first()
    people: list[int] = [pk for pk in (leads or ()) if pk is not None]
    if not people:
        people = list(Person.objects.filter(department_id=department_id, is_active=True).values_list("pk", flat=True))
    return list(dict.fromkeys(people))  # one person may hold two of these roles


def _case_url(case: Case) -> str:
    return reverse("processes:case_detail", args=[case.pk])


def _event(
    case: Case, kind: str, *, at: datetime, actor: Person | None, run: StepRun | None = None, note: str = ""
) -> None:
    CaseEvent.objects.create(case=case, kind=kind, at=at, actor=actor, step_run=run, note=note)


def _start_step(case: Case, step: Step, *, at: datetime, actor: Person | None) -> StepRun:
    due_at, warn_at = step_deadlines(step, at)
    run = StepRun.objects.create(
        case=case,
        step=step,
        position=step.position,
        responsible_id=step.responsible_id,
        started_at=at,
        due_at=due_at,
        warn_at=warn_at,
    )
    _event(case, CaseEvent.Kind.STEP_STARTED, at=at, actor=actor, run=run)
    notify_on_commit(
        recipients=_contacts(step.responsible_id),
        kind="process.step_started",
        title=gettext_lazy("{case}: step “{step}” is waiting for your department"),
        params={"case": str(case), "step": step.name},
        url=_case_url(case),
        dedupe_key=f"steprun:{run.pk}:started",
    )
    return run


def _locked(case: Case) -> Case:
    return Case.objects.select_for_update().select_related("process", "version").get(pk=case.pk)


def _current_run(case: Case) -> StepRun | None:
    return case.step_runs.filter(completed_at__isnull=True).select_related("step").first()


@transaction.atomic
def case_open(*, actor: Person, process: Process, title: str, description: str = "", ref: str = "") -> Case:
    """Open a case of the process's current version; its first step starts now."""
    if not can_open_case(actor, process):
        raise ApplicationError(
            _("Only people of a department responsible for a step of this process open its cases."), code="forbidden"
        )
    version = current_version(process)
    if version is None:
        raise ApplicationError(_("This process has no published version yet."))
    first = version.steps.order_by("position").first()
    if first is None:
        raise ApplicationError(_("This process has no steps."))
    now = clock.now()
    ref = (
        ref.strip()
        or f"{now.astimezone(department_schedule(first.responsible_id).tz):%Y%m%d}-{process.cases.count() + 1:04d}"
    )
    if Case.objects.filter(process=process, ref=ref).exists():
        raise ApplicationError(
            _("The reference “{ref}” is already used in this process.").format(ref=ref),
            field_errors={"ref": [_("Already used.")]},
        )
    try:
        with transaction.atomic():
            case = Case.objects.create(
                process=process,
                version=version,
                ref=ref,
                title=title.strip(),
                description=description,
                opened_at=now,
                opened_by=actor,
            )
    except IntegrityError as exc:  # the same reference, opened at the same moment by someone else
        raise ApplicationError(_("The reference “{ref}” is already used in this process.").format(ref=ref)) from exc
    _event(case, CaseEvent.Kind.OPENED, at=now, actor=actor)
    _start_step(case, first, at=now, actor=actor)
    audit_record(actor=actor, obj=case, action="open", changes={"process": [None, process.code], "ref": [None, ref]})
    search_index_on_commit("case", [case.pk])
    return case


@transaction.atomic
def step_complete(*, actor: Person, run: StepRun, note: str = "", files: Sequence[Any] = ()) -> StepRun:
    """Complete the running step with its output note and files (uploads, attached to the run); the
    next step starts now, or the case completes. A refused file refuses the completion."""
    case = _locked(run.case)
    run = StepRun.objects.select_related("step").get(pk=run.pk)
    if case.state != Case.State.RUNNING:
        raise ApplicationError(
            _("This case is {state}: its steps cannot be completed.").format(state=case.get_state_display())
        )
    if run.completed_at is not None:
        raise ApplicationError(_("This step is already completed."))
    if not can_complete_step(actor, run):
        raise ApplicationError(
            _("Only the people of {department} or the step's assignee complete this step.").format(
                department=run.responsible.name
            ),
            code="forbidden",
        )
    now = clock.now()
    run.completed_at, run.output_note = now, note.strip()
    run.save(update_fields=["completed_at", "output_note"])
    attachments_add(actor=actor, owner=run, uploads=files)
    _event(case, CaseEvent.Kind.STEP_COMPLETED, at=now, actor=actor, run=run, note=run.output_note)
    following = case.version.steps.filter(position__gt=run.position).order_by("position").first()
    if following is not None:
        _start_step(case, following, at=now, actor=actor)
    else:
        case.state, case.closed_at = Case.State.COMPLETED, now
        case.save(update_fields=["state", "closed_at", "updated_at"])
        _event(case, CaseEvent.Kind.COMPLETED, at=now, actor=actor)
        if case.opened_by_id:
            notify_on_commit(
                recipients=[case.opened_by_id],
                kind="process.case_completed",
                title=gettext_lazy("{case} is completed"),
                params={"case": str(case)},
                url=_case_url(case),
                dedupe_key=f"case:{case.pk}:completed",
            )
    audit_record(actor=actor, obj=run, action="complete", changes={"completed_at": [None, now]})
    return run


def _steer(actor: Person, case: Case) -> tuple[Case, StepRun | None]:
    case = _locked(case)
    current = _current_run(case)
    if not can_steer_case(actor, case, current):
        raise ApplicationError(
            _("Only the case's opener, the current department's head or liaisons and coordinators do this."),
            code="forbidden",
        )
    return case, current


@transaction.atomic
def case_hold(*, actor: Person, case: Case, reason: str) -> Case:
    """Stop the clock: the current step's due instant moves by the working time spent on hold."""
    if not reason.strip():
        raise ApplicationError(_("Say why the case is put on hold."), field_errors={"reason": [_("Required.")]})
    case, current = _steer(actor, case)
    if case.state != Case.State.RUNNING:
        raise ApplicationError(_("Only a running case can be put on hold."))
    now = clock.now()
    case.state, case.held_since = Case.State.ON_HOLD, now
    case.save(update_fields=["state", "held_since", "updated_at"])
    _event(case, CaseEvent.Kind.HELD, at=now, actor=actor, run=current, note=reason.strip())
    audit_record(actor=actor, obj=case, action="hold", changes={"state": ["running", "on_hold"]})
    return case


@transaction.atomic
def case_resume(*, actor: Person, case: Case) -> Case:
    case, current = _steer(actor, case)
    if case.state != Case.State.ON_HOLD or case.held_since is None:
        raise ApplicationError(_("Only a case on hold can be resumed."))
    now = clock.now()
    note = ""
    if current is not None:
        schedule = department_schedule(current.responsible_id)
        paused = schedule.working_time(case.held_since, now)
        current.due_at = schedule.add_working_time(current.due_at, paused)
        fields = ["due_at"]
        if current.warn_at is not None and current.warned_at is None:
            current.warn_at = schedule.add_working_time(current.warn_at, paused)
            fields.append("warn_at")
        current.save(update_fields=fields)
        note = _("Clock stopped for {hours} working hours; due {due}.").format(
            hours=round(paused / timedelta(hours=1), 2), due=f"{current.due_at.astimezone(schedule.tz):%Y-%m-%d %H:%M}"
        )
    case.state, case.held_since = Case.State.RUNNING, None
    case.save(update_fields=["state", "held_since", "updated_at"])
    _event(case, CaseEvent.Kind.RESUMED, at=now, actor=actor, run=current, note=note)
    audit_record(actor=actor, obj=case, action="resume", changes={"state": ["on_hold", "running"]})
    return case


@transaction.atomic
def case_cancel(*, actor: Person, case: Case, reason: str) -> Case:
    if not reason.strip():
        raise ApplicationError(_("Say why the case is cancelled."), field_errors={"reason": [_("Required.")]})
    case, current = _steer(actor, case)
    if case.state not in (Case.State.RUNNING, Case.State.ON_HOLD):
        raise ApplicationError(
            _("This case is {state}: it cannot be cancelled.").format(state=case.get_state_display())
        )
    now = clock.now()
    previous = case.state
    case.state, case.closed_at, case.held_since = Case.State.CANCELLED, now, None
    case.save(update_fields=["state", "closed_at", "held_since", "updated_at"])
    _event(case, CaseEvent.Kind.CANCELLED, at=now, actor=actor, run=current, note=reason.strip())
    audit_record(actor=actor, obj=case, action="cancel", changes={"state": [previous, "cancelled"]})
    return case


@transaction.atomic
def step_assign(*, actor: Person, run: StepRun, assignee: Person | None) -> StepRun:
    case, current = _steer(actor, run.case)
    if current is None or current.pk != run.pk:
        raise ApplicationError(_("Only the running step can be assigned."))
    if assignee is not None and (not assignee.is_active or assignee.department_id is None):
        raise ApplicationError(_("{name} is not an active member of the organization.").format(name=assignee.name))
    before = current.assignee_id
    current.assignee = assignee
    current.save(update_fields=["assignee"])
    _event(
        case, CaseEvent.Kind.ASSIGNED, at=clock.now(), actor=actor, run=current, note=assignee.name if assignee else ""
    )
    if assignee is not None:
        notify_on_commit(
            recipients=[assignee.pk],
            kind="process.step_assigned",
            title=gettext_lazy("{case}: step “{step}” is assigned to you"),
            params={"case": str(case), "step": current.step.name},
            url=_case_url(case),
            dedupe_key=None,
        )
    audit_record(
        actor=actor, obj=current, action="assign", changes={"assignee": [before, assignee.pk if assignee else None]}
    )
    return current


def sla_tick(*, now: datetime | None = None) -> dict[str, int]:
    """Send the 75% warnings and the overdue notices that are due, each exactly once.

    A notice is claimed with a conditional UPDATE (… WHERE warned_at IS NULL): the row count says
    which worker won, on SQLite and PostgreSQL alike, so several workers never send it twice.
    """
    now = now or clock.now()
    sent = {"warned": 0, "overdue": 0}
    running = StepRun.objects.filter(completed_at__isnull=True, case__state=Case.State.RUNNING)
    checks = (  # (what, the claim column, when it is due): a warning only while the step is not overdue yet
        (CaseEvent.Kind.STEP_WARNED, "warned_at", Q(warn_at__lte=now, due_at__gte=now), "warned"),
        (CaseEvent.Kind.STEP_OVERDUE, "overdue_notified_at", Q(due_at__lt=now), "overdue"),
    )
    for kind, field, is_due, counter in checks:
        due = running.filter(is_due, **{f"{field}__isnull": True}).order_by("due_at")
        for pk in list(due.values_list("pk", flat=True)[:500]):
            with transaction.atomic():
                if not StepRun.objects.filter(pk=pk, **{f"{field}__isnull": True}).update(**{field: now}):
                    continue  # another worker claimed it
                run = StepRun.objects.select_related("case__process", "step").get(pk=pk)
                _sla_notice(run, kind, now)
                sent[counter] += 1
    return sent


def _sla_notice(run: StepRun, kind: Any, now: datetime) -> None:
    case = run.case
    _event(case, kind, at=now, actor=None, run=run)
    if kind == CaseEvent.Kind.STEP_WARNED:
        # xgettext:no-python-format
        title = gettext_lazy("{case}: step “{step}” has used 75% of its time limit")
    else:
        title = gettext_lazy("{case}: step “{step}” is overdue")
    recipients = set(_contacts(run.responsible_id)) | ({run.assignee_id} if run.assignee_id else set())
    notify_on_commit(
        recipients=sorted(recipients),
        kind=f"process.{kind}",
        title=title,
        params={"case": str(case), "step": run.step.name},
        url=_case_url(case),
        dedupe_key=f"steprun:{run.pk}:{kind}",
    )
