"""Cases: list, page, actions, opening one; my department's steps; hand-offs between departments.

Every action is a POST that calls a service: the service decides whether the person may act and
refuses with an ApplicationError, shown as a message on the case page. A case the person cannot see
is 404 for every page and action (``access_case``).
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils.functional import cached_property
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from xietong.attachments.selectors import attachments_by_owner
from xietong.common import clock
from xietong.common.exceptions import ApplicationError
from xietong.common.views import add_service_errors
from xietong.common.worktime import Schedule
from xietong.org.models import Department, Person
from xietong.org.permissions import is_admin, is_coordinator
from xietong.org.selectors import organization_schedule
from xietong.processes import selectors, services
from xietong.processes.case_forms import CaseOpenForm, ReasonForm, StepAssignForm, StepCompleteForm
from xietong.processes.models import Case, Process, StepRun
from xietong.processes.permissions import (
    access_case,
    can_complete_step,
    can_open_case,
    can_steer_case,
    cases_visible_to,
    sees_every_case,
    user_department_ids,
)

PAGE_SIZE = 50
#: The case list counts its cases up to this many and shows "more than" beyond: an exact count would
#: read every matching case on every page load.
COUNT_CAP = 10_000


class CappedPaginator(Paginator):
    """A paginator whose count stops at ``cap`` (one query, ``COUNT`` over at most ``cap + 1`` rows):
    ``capped`` tells that there are more, and pages go up to the cap."""

    def __init__(self, object_list: Any, per_page: int, *, cap: int) -> None:
        super().__init__(object_list, per_page)
        self.cap = cap

    @cached_property
    def count(self) -> int:
        cases = cast(QuerySet[Case], self.object_list)
        return min(cases.order_by()[: self.cap + 1].count(), self.cap + 1)

    @property
    def capped(self) -> bool:
        return self.count > self.cap

    @property
    def shown_count(self) -> int:
        return min(self.count, self.cap)


HANDOFF_MONTHS = (6, 12, 24)


def _actor(request: HttpRequest) -> Person:
    return cast(Person, request.user)  # every view here is login_required


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _sees_every_department(user: Any) -> bool:
    return is_coordinator(user) or is_admin(user)


def _options(departments: Any, selected: int | None) -> str:
    """The ``<option>``s of a department filter, joined in Python: hundreds of departments through
    the template engine (a variable, a comparison and localisation each) cost more than the page."""
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((str(d["pk"]), mark_safe(" selected") if d["pk"] == selected else "", d["name"]) for d in departments),
    )


# ── The case list ───────────────────────────────────────────────────────────────────────────────


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    now = clock.now()
    process_id = _int(request.GET.get("process"))
    department_id = _int(request.GET.get("department"))
    state = request.GET.get("state", "")
    if state not in Case.State.values:
        state = ""
    overdue = request.GET.get("overdue") == "1"
    cases = selectors.case_list(
        cases=cases_visible_to(request.user),
        now=now,
        process_id=process_id,
        state=state or None,
        department_id=department_id,
        overdue=overdue,
        annotate=False,
    )
    page = CappedPaginator(cases, PAGE_SIZE, cap=COUNT_CAP).get_page(request.GET.get("page"))
    # only the page's rows are annotated with their running step
    page.object_list = selectors.case_page(cast(QuerySet[Case], page.object_list), now)
    schedules: dict[int, Schedule] = {}
    rows = []
    for case in page.object_list:
        # (not department_id: that is the filter's, shown again below)
        due_at, current = getattr(case, "current_due_at", None), getattr(case, "current_department_id", None)
        left = None
        if due_at is not None and current is not None:  # annotated by selectors.case_page
            left = selectors.working_time_left(due_at, current, now, schedules=schedules)
        rows.append((case, left))
    filters = {
        "process": process_id or "",
        "state": state,
        "department": department_id or "",
        "overdue": "1" if overdue else "",
    }
    return render(
        request,
        "processes/case_list.html",
        {
            "page": page,
            "rows": rows,
            "filters": filters,
            "query": "&".join(f"{key}={value}" for key, value in filters.items() if value),
            "processes": Process.objects.filter(versions__published_at__isnull=False).distinct().order_by("code"),
            # (pk, name) only: an organization has hundreds of departments, rendered on every page
            "department_options": _options(
                Department.objects.filter(is_active=True).order_by("code").values("pk", "name"), department_id
            ),
            "states": Case.State.choices,
        },
    )


# ── The case page and its actions ───────────────────────────────────────────────────────────────


@login_required
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = access_case(request.user, pk)
    now = clock.now()
    runs = {run.step_id: run for run in selectors.case_runs(case)}
    attachments = attachments_by_owner(list(runs.values()))  # one query for every run
    current = next((run for run in runs.values() if run.completed_at is None), None)
    if case.state not in selectors.CASE_OPEN_STATES:
        current = None  # a cancelled case leaves its step unfinished, but nothing runs any more
    steps = []
    for step in selectors.case_steps(case):
        run = runs.get(step.pk)
        steps.append(
            {
                "step": step,
                "run": run,
                "attachments": attachments.get(run.pk, []) if run is not None else [],
                "is_current": run is not None and run is current,
                "is_on_time": run is not None and run.completed_at is not None and run.completed_at <= run.due_at,
                "is_overdue": run is current and run is not None and _is_overdue(case, run, now),
            }
        )
    user = request.user
    steer = can_steer_case(user, case, current)
    can_complete = (
        current is not None and case.state == Case.State.RUNNING and can_complete_step(user, cast(StepRun, current))
    )
    return render(
        request,
        "processes/case_detail.html",
        {
            "case": case,
            "steps": steps,
            "current": current,
            "time_left": (
                selectors.working_time_left(current.due_at, current.responsible_id, now)
                if current is not None
                else None
            ),
            "events": selectors.case_timeline(case, list(runs.values())),
            "complete_form": StepCompleteForm() if can_complete else None,
            "assign_form": (
                StepAssignForm(
                    people=selectors.assignable_people(current.responsible_id),
                    initial={"assignee": current.assignee_id},
                )
                if steer and current is not None
                else None
            ),
            "can_hold": steer and case.state == Case.State.RUNNING,
            "can_resume": steer and case.state == Case.State.ON_HOLD,
            "can_cancel": steer and case.state in selectors.CASE_OPEN_STATES,
            "reason_form": ReasonForm(),
        },
    )


def _is_overdue(case: Case, run: StepRun, now: datetime) -> bool:
    if case.state == Case.State.ON_HOLD and case.held_since is not None:
        return run.due_at < case.held_since
    return case.state == Case.State.RUNNING and run.due_at < now


def _running_run(case: Case) -> StepRun | None:
    if case.state not in selectors.CASE_OPEN_STATES:
        return None
    return case.step_runs.filter(completed_at__isnull=True).select_related("case", "step", "responsible").first()


def _act(request: HttpRequest, case: Case, action: Callable[[], Any], done: str) -> HttpResponse:
    """Run a service; its refusal becomes an error message, its success a success message."""
    try:
        action()
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, done)
    return HttpResponseRedirect(reverse("processes:case_detail", args=[case.pk]))


def _form_error(request: HttpRequest, case: Case, form: Any) -> HttpResponse:
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)
    return HttpResponseRedirect(reverse("processes:case_detail", args=[case.pk]))


def _no_running_step(request: HttpRequest, case: Case) -> HttpResponse:
    messages.error(request, _("This case has no running step."))
    return HttpResponseRedirect(reverse("processes:case_detail", args=[case.pk]))


@login_required
@require_POST
def step_complete(request: HttpRequest, pk: int) -> HttpResponse:
    case = access_case(request.user, pk)
    run = _running_run(case)
    if run is None:
        return _no_running_step(request, case)
    form = StepCompleteForm(request.POST, request.FILES)
    if not form.is_valid():
        return _form_error(request, case, form)
    return _act(
        request,
        case,
        lambda: services.step_complete(
            actor=_actor(request), run=run, note=form.cleaned_data["note"], files=form.cleaned_data["attachments"]
        ),
        _("Step “{step}” completed.").format(step=run.step.name),
    )


@login_required
@require_POST
def step_assign(request: HttpRequest, pk: int) -> HttpResponse:
    case = access_case(request.user, pk)
    run = _running_run(case)
    if run is None:
        return _no_running_step(request, case)
    form = StepAssignForm(request.POST, people=selectors.assignable_people(run.responsible_id))
    if not form.is_valid():
        return _form_error(request, case, form)
    assignee = form.cleaned_data["assignee"]
    return _act(
        request,
        case,
        lambda: services.step_assign(actor=_actor(request), run=run, assignee=assignee),
        (
            _("Step “{step}” assigned to {name}.").format(step=run.step.name, name=assignee.name)
            if assignee is not None
            else _("Step “{step}” is no longer assigned.").format(step=run.step.name)
        ),
    )


@login_required
@require_POST
def case_hold(request: HttpRequest, pk: int) -> HttpResponse:
    case = access_case(request.user, pk)
    reason = request.POST.get("reason", "")
    return _act(
        request,
        case,
        lambda: services.case_hold(actor=_actor(request), case=case, reason=reason),
        _("The case is on hold: its clock is stopped."),
    )


@login_required
@require_POST
def case_resume(request: HttpRequest, pk: int) -> HttpResponse:
    case = access_case(request.user, pk)
    return _act(
        request,
        case,
        lambda: services.case_resume(actor=_actor(request), case=case),
        _("The case runs again."),
    )


@login_required
@require_POST
def case_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    case = access_case(request.user, pk)
    reason = request.POST.get("reason", "")
    return _act(
        request,
        case,
        lambda: services.case_cancel(actor=_actor(request), case=case, reason=reason),
        _("The case is cancelled."),
    )


# ── Opening a case ──────────────────────────────────────────────────────────────────────────────


@login_required
def case_open(request: HttpRequest, pk: int) -> HttpResponse:
    process = Process.objects.filter(pk=pk, versions__published_at__isnull=False).distinct().first()
    if process is None:
        raise Http404
    if not can_open_case(request.user, process):
        raise PermissionDenied
    form = CaseOpenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            case = services.case_open(actor=_actor(request), process=process, **form.cleaned_data)
        except ApplicationError as exc:
            if exc.code == "forbidden":
                raise PermissionDenied from exc
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Case {case} opened.").format(case=case))
            return HttpResponseRedirect(reverse("processes:case_detail", args=[case.pk]))
    return render(request, "processes/case_open.html", {"process": process, "form": form})


# ── My work ─────────────────────────────────────────────────────────────────────────────────────


@login_required
def my_work(request: HttpRequest) -> HttpResponse:
    """The running steps of my departments (heads and liaisons: their sub-trees too; coordinators and
    administrators: every department), overdue first, with the working time left."""
    user = request.user
    now = clock.now()
    if _sees_every_department(user):
        allowed: set[int] | None = None
        choices = Department.objects.filter(is_active=True).order_by("code").values("pk", "name")
    else:
        allowed = user_department_ids(user)
        choices = Department.objects.filter(pk__in=allowed).order_by("code").values("pk", "name")
    department_id = _int(request.GET.get("department"))
    if department_id is not None and (allowed is None or department_id in allowed):
        selected: set[int] | None = {department_id}
    else:
        department_id, selected = None, allowed
    page = Paginator(selectors.work_queue(now=now, department_ids=selected), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    schedules: dict[int, Schedule] = {}
    rows = [
        (run, selectors.working_time_left(run.due_at, run.responsible_id, now, schedules=schedules)) for run in page
    ]
    return render(
        request,
        "processes/my_work.html",
        {
            "page": page,
            "rows": rows,
            "departments": choices,
            "department_options": _options(choices, department_id),
            "department_id": department_id,
            "every_department": allowed is None,
        },
    )


# ── Hand-offs ───────────────────────────────────────────────────────────────────────────────────


def _months_before(moment: datetime, months: int) -> datetime:
    """The same wall time ``months`` calendar months earlier (the day clipped to the month's end)."""
    year, month = divmod(moment.year * 12 + moment.month - 1 - months, 12)
    month += 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


@login_required
def handoffs(request: HttpRequest) -> HttpResponse:
    if not sees_every_case(request.user):
        raise PermissionDenied
    months = _int(request.GET.get("months")) or 12
    if months not in HANDOFF_MONTHS:
        months = 12
    schedule = organization_schedule()
    now = clock.now().astimezone(schedule.tz)
    pairs = selectors.handoff_pairs(since=_months_before(now, months), schedule=schedule)
    return render(
        request,
        "processes/handoffs.html",
        {
            "pairs": pairs,
            "months": months,
            "month_choices": HANDOFF_MONTHS,
            "day_hours": schedule.day_length / timedelta(hours=1),
        },
    )


urlpatterns: list[URLPattern] = [
    path("cases/", case_list, name="case_list"),
    path("cases/<int:pk>/", case_detail, name="case_detail"),
    path("cases/<int:pk>/complete/", step_complete, name="step_complete"),
    path("cases/<int:pk>/assign/", step_assign, name="step_assign"),
    path("cases/<int:pk>/hold/", case_hold, name="case_hold"),
    path("cases/<int:pk>/resume/", case_resume, name="case_resume"),
    path("cases/<int:pk>/cancel/", case_cancel, name="case_cancel"),
    path("<int:pk>/open/", case_open, name="case_open"),
    path("my-work/", my_work, name="my_work"),
    path("handoffs/", handoffs, name="handoffs"),
]
