"""Notice pages: the list, "to acknowledge", a notice with its acknowledge button (htmx), the publish
form, the acknowledgement report and the dashboard of the notice figures.

Every action is a POST that calls a service; a notice the person cannot see is 404 for every page and
action (``access_notice``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from xietong.attachments.selectors import attachments_for
from xietong.common import clock
from xietong.common.exceptions import ApplicationError
from xietong.common.views import add_service_errors
from xietong.notices import selectors, services
from xietong.notices.figures import notice_figures
from xietong.notices.forms import NoticeForm
from xietong.notices.models import Notice, NoticeRecipient
from xietong.notices.permissions import (
    access_notice,
    access_notice_report,
    can_manage_notice,
    can_publish_notices,
    can_see_report,
    notices_visible_to,
    sees_every_notice,
)
from xietong.notices.services import SAVE_DRAFT, SCHEDULE
from xietong.org.models import Department, Person
from xietong.org.selectors import organization_schedule

PAGE_SIZE = 30


def _actor(request: HttpRequest) -> Person:
    return cast(Person, request.user)  # every view here is login_required


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def sees_dashboard(user: Any) -> bool:
    return sees_every_notice(user) or (getattr(user, "is_authenticated", False) and user.level == "executive")


@login_required
def notice_list(request: HttpRequest) -> HttpResponse:
    user = _actor(request)
    show = request.GET.get("show", "")
    if show not in selectors.LIST_FILTERS:
        show = ""
    query = request.GET.get("q", "").strip()[:100]
    department_id = _int(request.GET.get("department"))
    notices = selectors.notice_list(
        notices=notices_visible_to(user), viewer=user, query=query, show=show, department_id=department_id
    )
    page = Paginator(notices, PAGE_SIZE).get_page(request.GET.get("page"))
    filters = {"show": show, "q": query, "department": department_id or ""}
    return render(
        request,
        "notices/list.html",
        {
            "page": page,
            "filters": filters,
            "shows": [
                ("", _("Current")),
                ("unread", _("Unread")),
                ("to_ack", _("To acknowledge")),
                ("mine", _("Published by me")),
                ("drafts", _("Drafts and scheduled")),
                ("withdrawn", _("Withdrawn")),
            ],
            # only the departments some notice is addressed to (not the whole organization's, 5,000)
            "departments": Department.objects.filter(
                is_active=True, pk__in=Notice.audience_departments.through.objects.values("department_id")
            ).order_by("code"),
            "can_publish": can_publish_notices(user),
            "to_ack_count": selectors.to_acknowledge_count(person=user),
            "now": clock.now(),
        },
    )


@login_required
def to_acknowledge(request: HttpRequest) -> HttpResponse:
    user = _actor(request)
    page = Paginator(selectors.to_acknowledge(person=user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notices/to_acknowledge.html", {"page": page, "now": clock.now()})


def _recipient(notice: Notice, user: Person) -> NoticeRecipient | None:
    return NoticeRecipient.objects.filter(notice=notice, person=user).first()


@login_required
def notice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _actor(request)
    notice = access_notice(user, pk)
    services.notice_mark_read(person=user, notice=notice)  # the first reading is noted
    recipient = _recipient(notice, user)
    may_manage = can_manage_notice(user, notice)
    return render(
        request,
        "notices/detail.html",
        {
            "notice": notice,
            "recipient": recipient,
            "departments": list(notice.audience_departments.order_by("code")),
            "attachments": list(attachments_for(notice)),
            "can_manage": may_manage,
            "can_report": can_see_report(user, notice),
            "now": clock.now(),
            "tz": organization_schedule().tz,
        },
    )


@login_required
@require_POST
def acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    user = _actor(request)
    notice = access_notice(user, pk)
    error = ""
    try:
        services.notice_acknowledge(actor=user, notice=notice)
    except ApplicationError as exc:
        error = str(exc.message)
    if request.headers.get("HX-Request"):
        notice.refresh_from_db()
        return render(
            request,
            "notices/_ack.html",
            {"notice": notice, "recipient": _recipient(notice, user), "error": error, "now": clock.now()},
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("Thank you: your acknowledgement is recorded."))
    return HttpResponseRedirect(reverse("notices:detail", args=[notice.pk]))


def _act(request: HttpRequest, notice: Notice, action: Any, done: str) -> HttpResponse:
    try:
        action()
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, done)
    return HttpResponseRedirect(reverse("notices:detail", args=[notice.pk]))


@login_required
@require_POST
def publish(request: HttpRequest, pk: int) -> HttpResponse:
    notice = access_notice(request.user, pk)
    return _act(
        request,
        notice,
        lambda: services.notice_publish(actor=_actor(request), notice=notice),
        _("The notice is published."),
    )


@login_required
@require_POST
def pin(request: HttpRequest, pk: int) -> HttpResponse:
    notice = access_notice(request.user, pk)
    pinned = request.POST.get("pinned") == "1"
    return _act(
        request,
        notice,
        lambda: services.notice_pin(actor=_actor(request), notice=notice, pinned=pinned),
        _("The notice is pinned.") if pinned else _("The notice is no longer pinned."),
    )


@login_required
@require_POST
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    notice = access_notice(request.user, pk)
    return _act(
        request,
        notice,
        lambda: services.notice_withdraw(actor=_actor(request), notice=notice),
        _("The notice is withdrawn."),
    )


@login_required
def notice_create(request: HttpRequest) -> HttpResponse:
    user = _actor(request)
    if not can_publish_notices(user):
        raise PermissionDenied
    form = NoticeForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            notice = services.notice_create(actor=user, **form.service_arguments())
        except ApplicationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _done(notice))
            return HttpResponseRedirect(reverse("notices:detail", args=[notice.pk]))
    return render(request, "notices/form.html", {"form": form, "department_options": _department_options(form)})


@login_required
def notice_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit a draft or a scheduled notice, then keep it, schedule it or publish it."""
    user = _actor(request)
    notice = access_notice(user, pk)
    if not can_manage_notice(user, notice):
        raise PermissionDenied
    if notice.state not in (Notice.State.DRAFT, Notice.State.SCHEDULED):
        messages.error(request, _("Only drafts and scheduled notices are edited."))
        return HttpResponseRedirect(reverse("notices:detail", args=[notice.pk]))
    departments = list(notice.audience_departments.order_by("code"))
    initial = {
        "title": notice.title,
        "body": notice.body,
        "audience": "all" if notice.audience_all else "departments",
        "departments": departments,
        "requires_ack": notice.requires_ack,
        "ack_within": notice.ack_within,
        "is_pinned": notice.is_pinned,
        "mode": SCHEDULE if notice.state == Notice.State.SCHEDULED else SAVE_DRAFT,
        "publish_at": notice.publish_at.astimezone(organization_schedule().tz) if notice.publish_at else None,
    }
    form = NoticeForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            notice = services.notice_update(actor=user, notice=notice, **form.service_arguments())
        except ApplicationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _done(notice))
            return HttpResponseRedirect(reverse("notices:detail", args=[notice.pk]))
    return render(
        request,
        "notices/form.html",
        {"form": form, "department_options": _department_options(form), "notice": notice},
    )


def _done(notice: Notice) -> str:
    return {
        Notice.State.PUBLISHED: _("The notice is published."),
        Notice.State.SCHEDULED: _("The notice is scheduled."),
        Notice.State.DRAFT: _("The draft is saved."),
    }.get(cast(Notice.State, notice.state), "")


def _department_options(form: NoticeForm) -> list[dict[str, Any]]:
    """The audience picker's departments as a tree (parents before children, indented), ticked as sent."""
    rows = list(
        Department.objects.filter(is_active=True).order_by("code").values_list("pk", "parent_id", "code", "name")
    )
    children: dict[int | None, list[tuple[int, int | None, str, str]]] = {}
    known = {row[0] for row in rows}
    for row in rows:
        children.setdefault(row[1] if row[1] in known else None, []).append(row)
    chosen = {str(v) for v in (form["departments"].value() or [])}
    options: list[dict[str, Any]] = []
    stack = [(row, 0) for row in reversed(children.get(None, []))]
    while stack:
        (pk, _parent, code, name), depth = stack.pop()
        options.append(
            {"pk": pk, "code": code, "name": name, "indent": (0, 3, 5, 5)[min(depth, 3)], "checked": str(pk) in chosen}
        )
        stack.extend((child, depth + 1) for child in reversed(children.get(pk, [])))
    return options


REPORT_PAGE_SIZE = 50


def _other_page_url(request: HttpRequest, param: str, number: int) -> str:
    query = request.GET.copy()
    query[param] = str(number)
    return "?" + query.urlencode()


@login_required
def report(request: HttpRequest, pk: int) -> HttpResponse:
    """The acknowledgement report: totals, the departments a page at a time (``?departments_page=``),
    and who has not acknowledged a page at a time (``?page=``), of one department (``?department=CODE``)
    when asked. A fixed number of queries, whatever the number of recipients."""
    notice, scope = access_notice_report(request.user, pk)
    department_code = request.GET.get("department", "").strip()[:50] or None
    data = selectors.notice_read_rate(notice=notice, department_ids=scope, department_code=department_code)
    # both know their number already (from the totals): paging them costs one query a page
    departments = Paginator(cast(Sequence[selectors.DepartmentRate], data.departments), REPORT_PAGE_SIZE).get_page(
        request.GET.get("departments_page")
    )
    pending = Paginator(cast(Sequence[NoticeRecipient], data.pending), REPORT_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    unfiltered = request.GET.copy()
    unfiltered.pop("department", None)
    unfiltered.pop("page", None)
    return render(
        request,
        "notices/report.html",
        {
            "notice": notice,
            "report": data,
            "departments": departments,
            "departments_previous": departments.has_previous()
            and _other_page_url(request, "departments_page", departments.previous_page_number()),
            "departments_next": departments.has_next()
            and _other_page_url(request, "departments_page", departments.next_page_number()),
            "page": pending,
            "department_code": department_code or "",
            "unfiltered": unfiltered.urlencode(),
            "scoped": scope is not None,
            "now": clock.now(),
        },
    )


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not sees_dashboard(user):
        raise PermissionDenied
    now = clock.now()
    figures = notice_figures(now)
    recent = selectors.recent_with_acks(notices=notices_visible_to(user))
    return render(
        request,
        "notices/dashboard.html",
        {
            "figures": figures,
            "rate_percent": round(100 * figures["ack_rate"]) if figures["ack_rate"] is not None else None,
            "on_time_percent": round(100 * figures["acks_on_time"] / figures["acks"]) if figures["acks"] else None,
            "recent": recent,
            "now": now,
        },
    )
