"""Disputes: the lists (all I may see, mine, my queue), raising one, its page and the actions on it,
and the dashboard.

Every action is a POST that calls a service: the service decides whether the person may act and
refuses with an ApplicationError, shown as a message on the dispute page. A dispute the person cannot
see is 404 for every page and action (``access_dispute``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Prefetch, prefetch_related_objects
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from xietong.attachments.selectors import attachments_by_owner
from xietong.common import clock
from xietong.common.exceptions import ApplicationError
from xietong.common.views import add_service_errors
from xietong.disputes import figures, selectors, services
from xietong.disputes.forms import (
    CommentForm,
    ConfirmForm,
    DecideForm,
    DisputeRaiseForm,
    ProposeForm,
    ReasonForm,
)
from xietong.disputes.models import Dispute, DisputeEvent, LadderLevel, Proposal
from xietong.disputes.permissions import (
    access_dispute,
    can_comment,
    can_confirm,
    can_decide,
    can_escalate,
    can_propose,
    can_raise,
    can_withdraw,
    current_handler_ids,
)
from xietong.disputes.views.common import actor, level_rows, time_left, to_int
from xietong.org.models import Department, Person
from xietong.org.permissions import is_admin, is_coordinator
from xietong.org.selectors import organization_schedule
from xietong.processes.models import Case, ProcessVersion, Step
from xietong.processes.permissions import cases_visible_to

PAGE_SIZE = 25
STATES = ("open", "resolved", "withdrawn", "all")


def sees_all_figures(user: Any) -> bool:
    """Coordinators, administrators and leadership see the organization's dispute figures."""
    return is_coordinator(user) or is_admin(user) or getattr(user, "level", "") == Person.Level.EXECUTIVE


def heads_a_department(user: Any) -> bool:
    return Department.objects.filter(head=user, is_active=True).exists()


# ── Lists ───────────────────────────────────────────────────────────────────────────────────────


def _levels_by_ladder() -> dict[tuple[int, int], LadderLevel]:
    """Every ladder's levels by (ladder id, number): ladders are few, and this is one fixed read."""
    return {
        (level.ladder_id, level.number): level for ladder in selectors.ladder_list() for level in ladder.levels.all()
    }


def _rows(disputes: Any, levels: dict[tuple[int, int], LadderLevel] | None = None) -> list[dict[str, Any]]:
    """The disputes of a page with their level's name, the time left and whether they are overdue."""
    now = clock.now()
    schedule = organization_schedule()
    levels = _levels_by_ladder() if levels is None else levels
    rows = []
    for dispute in disputes:
        level = levels.get((dispute.ladder_id, dispute.level))
        level_count = getattr(dispute, "level_count", None)
        is_open = dispute.state == Dispute.State.OPEN
        rows.append(
            {
                "dispute": dispute,
                "level_name": level.name if level is not None else "",
                "left": time_left(dispute.due_at, now, schedule) if is_open else None,
                "is_overdue": is_open
                and dispute.due_at < now
                and level_count is not None
                and dispute.level >= level_count,
            }
        )
    return rows


def _list_page(request: HttpRequest, *, mode: str) -> HttpResponse:
    user = request.user
    state = request.GET.get("state", "open")
    if state not in STATES:
        state = "open"
    level = to_int(request.GET.get("level"))
    mine = mode == "mine" or request.GET.get("mine") == "1"
    overdue = request.GET.get("overdue") == "1"
    q = request.GET.get("q", "").strip()[:200]
    if mode == "queue":
        disputes = selectors.dispute_queue(user)
    else:
        disputes = selectors.dispute_list(
            user, state=None if state == "all" else state, level=level, mine=mine, overdue=overdue, q=q
        )
    page = Paginator(disputes, PAGE_SIZE).get_page(request.GET.get("page"))
    levels = _levels_by_ladder()
    context = {
        "mode": mode,
        "page": page,
        "rows": _rows(page, levels),
        "filters": {"state": state, "level": level or "", "mine": mine, "overdue": overdue, "q": q},
        "states": [(value, label) for value, label in Dispute.State.choices] + [("all", _("Any state"))],
        "level_numbers": range(1, 1 + max((n for _ladder, n in levels), default=1)),
        "can_raise": can_raise(user),
        "can_see_dashboard": sees_all_figures(user) or heads_a_department(user),
    }
    # The search box and filters (htmx) ask for the results only; a history restore wants the page.
    fragment = request.headers.get("HX-Request") and not request.headers.get("HX-History-Restore-Request")
    template = "disputes/_dispute_results.html" if fragment and mode != "queue" else "disputes/dispute_list.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
def dispute_list(request: HttpRequest) -> HttpResponse:
    return _list_page(request, mode="all")


@login_required
def dispute_mine(request: HttpRequest) -> HttpResponse:
    return _list_page(request, mode="mine")


@login_required
def dispute_queue(request: HttpRequest) -> HttpResponse:
    return _list_page(request, mode="queue")


# ── Raising a dispute ───────────────────────────────────────────────────────────────────────────


def _current_steps() -> Any:
    """The steps of each process's current (highest published) version."""
    later = ProcessVersion.objects.filter(
        process=OuterRef("version__process"), published_at__isnull=False, number__gt=OuterRef("version__number")
    )
    return (
        Step.objects.filter(version__published_at__isnull=False)
        .filter(~Exists(later))
        .select_related("version__process")
        .order_by("version__process__code", "position")
    )


def _raise_form(request: HttpRequest) -> DisputeRaiseForm:
    cases = (
        cases_visible_to(request.user)
        .filter(state__in=(Case.State.RUNNING, Case.State.ON_HOLD))
        .order_by("-opened_at", "-pk")
    )
    return DisputeRaiseForm(
        request.POST or None,
        request.FILES or None,
        ladders=selectors.ladder_list(),
        cases=cases,
        steps=_current_steps(),
    )


@login_required
def dispute_raise(request: HttpRequest) -> HttpResponse:
    if not can_raise(request.user):
        raise PermissionDenied
    form = _raise_form(request)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            dispute = services.dispute_raise(
                actor=actor(request),
                title=data["title"],
                description=data["description"],
                parties=list(data["parties"]),
                ladder=data["ladder"],
                case=data["case"],
                step=data["step"],
                files=data["attachments"],
            )
        except ApplicationError as exc:
            add_service_errors(form, exc)  # a refusal too: the raiser may choose other parties
        else:
            messages.success(request, _("Dispute {ref} raised.").format(ref=dispute.ref))
            return HttpResponseRedirect(reverse("disputes:detail", args=[dispute.pk]))
    return render(request, "disputes/dispute_raise.html", {"form": form})


# ── The dispute page ────────────────────────────────────────────────────────────────────────────


def _attachments(dispute: Dispute, events: list[DisputeEvent]) -> tuple[list[Any], dict[Any, list[Any]]]:
    """The dispute's own attachments, and each event's (two queries)."""
    own = attachments_by_owner([dispute]).get(dispute.pk, [])
    return own, attachments_by_owner(events)


@login_required
def dispute_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    dispute = access_dispute(user, pk)
    now = clock.now()
    levels = list(dispute.ladder.levels.select_related("department", "person", "committee").order_by("number"))
    # the permission checks below read the parties and the number of levels: read them once here
    prefetch_related_objects(
        [dispute], Prefetch("parties", queryset=Department.objects.select_related("head").order_by("code"))
    )
    dispute.level_count = len(levels)  # type: ignore[attr-defined]  # as selectors.dispute_list annotates it
    parties = list(dispute.parties.all())
    events = selectors.dispute_timeline(dispute)
    own_attachments, event_attachments = _attachments(dispute, events)
    proposals = selectors.dispute_proposals(dispute)
    is_open = dispute.state == Dispute.State.OPEN
    is_last = dispute.level >= len(levels)
    handler_ids = current_handler_ids(dispute) if is_open else []
    handlers = list(Person.objects.filter(pk__in=handler_ids).order_by("name")) if handler_ids else []
    pending = next((p for p in proposals if p.state == Proposal.State.PENDING), None)
    return render(
        request,
        "disputes/dispute_detail.html",
        {
            "dispute": dispute,
            "parties": parties,
            "headless_parties": [party for party in parties if party.head_id is None],
            "levels": level_rows(levels),
            "level_count": len(levels),
            "handlers": handlers,
            "left": time_left(dispute.due_at, now, organization_schedule()) if is_open else None,
            "is_overdue": is_open and is_last and dispute.due_at < now,
            "is_last_level": is_last,
            "events": [(event, event_attachments.get(event.pk, [])) for event in events],
            "attachments": own_attachments,
            "proposals": proposals,
            "pending": pending,
            "can_confirm_pending": pending is not None and is_open and can_confirm(user, dispute, pending),
            "can_comment": is_open and can_comment(user, dispute),
            "can_propose": is_open and can_propose(user, dispute),
            "can_escalate": is_open and not is_last and can_escalate(user, dispute),
            "can_decide": is_open and can_decide(user, dispute),
            "can_withdraw": is_open and can_withdraw(user, dispute),
        },
    )


def _back(dispute: Dispute) -> HttpResponse:
    return HttpResponseRedirect(reverse("disputes:detail", args=[dispute.pk]) + "#dispute-timeline")


def _act(
    request: HttpRequest, dispute: Dispute, form: Any, action: Callable[[dict[str, Any]], Any], done: str
) -> HttpResponse:
    """Validate the form and run a service; bad input and refusals become error messages."""
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else None
            for error in errors:
                messages.error(request, f"{label}：{error}" if label else error)
        return _back(dispute)
    try:
        action(form.cleaned_data)
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, done)
    return _back(dispute)


@login_required
@require_POST
def dispute_comment(request: HttpRequest, pk: int) -> HttpResponse:
    dispute = access_dispute(request.user, pk)
    return _act(
        request,
        dispute,
        CommentForm(request.POST, request.FILES),
        lambda data: services.dispute_comment(
            actor=actor(request), dispute=dispute, note=data["note"], files=data["attachments"]
        ),
        _("Comment added."),
    )


@login_required
@require_POST
def dispute_propose(request: HttpRequest, pk: int) -> HttpResponse:
    dispute = access_dispute(request.user, pk)
    return _act(
        request,
        dispute,
        ProposeForm(request.POST),
        lambda data: services.dispute_propose(actor=actor(request), dispute=dispute, text=data["text"]),
        _("Resolution proposed: the other parties' heads are asked to confirm it."),
    )


def _confirm(request: HttpRequest, dispute: Dispute, proposal_id: int) -> Any:
    proposal = Proposal.objects.filter(dispute=dispute, pk=proposal_id).first()
    if proposal is None:
        raise ApplicationError(_("This proposal is not one of this dispute's."))
    return services.dispute_confirm(actor=actor(request), dispute=dispute, proposal=proposal)


@login_required
@require_POST
def dispute_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    dispute = access_dispute(request.user, pk)
    return _act(
        request,
        dispute,
        ConfirmForm(request.POST),
        lambda data: _confirm(request, dispute, data["proposal"]),
        _("Resolution confirmed."),
    )


@login_required
@require_POST
def dispute_escalate(request: HttpRequest, pk: int) -> HttpResponse:
    dispute = access_dispute(request.user, pk)
    return _act(
        request,
        dispute,
        ReasonForm(request.POST),
        lambda data: services.dispute_escalate(actor=actor(request), dispute=dispute, reason=data["reason"]),
        _("The dispute is escalated to the next level."),
    )


@login_required
@require_POST
def dispute_decide(request: HttpRequest, pk: int) -> HttpResponse:
    dispute = access_dispute(request.user, pk)
    return _act(
        request,
        dispute,
        DecideForm(request.POST),
        lambda data: services.dispute_decide(
            actor=actor(request), dispute=dispute, decision=data["decision"], reasoning=data["reasoning"]
        ),
        _("Decision recorded: the dispute is resolved."),
    )


@login_required
@require_POST
def dispute_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    dispute = access_dispute(request.user, pk)
    return _act(
        request,
        dispute,
        ReasonForm(request.POST),
        lambda data: services.dispute_withdraw(actor=actor(request), dispute=dispute, reason=data["reason"]),
        _("The dispute is withdrawn."),
    )


# ── The dashboard ───────────────────────────────────────────────────────────────────────────────


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """Coordinators, administrators and leadership: the organization's dispute figures (metrics.md) and
    the open disputes by level. Department heads: the open disputes by level they may see."""
    user = request.user
    everything = sees_all_figures(user)
    if not everything and not heads_a_department(user):
        raise PermissionDenied
    now = clock.now()
    series = figures.dispute_series(now) if everything else None
    open_disputes = selectors.dispute_list(user, state="open").order_by("-level", "due_at", "pk")[:PAGE_SIZE]
    return render(
        request,
        "disputes/dashboard.html",
        {
            "as_of": now,
            "figures": figures.dispute_figures(now) if everything else None,
            "series": series,
            "by_level": selectors.open_by_level(user),
            "rows": _rows(open_disputes),
            "everything": everything,
        },
    )


urlpatterns: list[URLPattern] = [
    path("", dispute_list, name="list"),
    path("mine/", dispute_mine, name="mine"),
    path("queue/", dispute_queue, name="queue"),
    path("raise/", dispute_raise, name="raise"),
    path("dashboard/", dashboard, name="dashboard"),
    path("<int:pk>/", dispute_detail, name="detail"),
    path("<int:pk>/comment/", dispute_comment, name="comment"),
    path("<int:pk>/propose/", dispute_propose, name="propose"),
    path("<int:pk>/confirm/", dispute_confirm, name="confirm"),
    path("<int:pk>/escalate/", dispute_escalate, name="escalate"),
    path("<int:pk>/decide/", dispute_decide, name="decide"),
    path("<int:pk>/withdraw/", dispute_withdraw, name="withdraw"),
]
