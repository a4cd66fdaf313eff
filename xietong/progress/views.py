"""The progress feed, one post, posting and deleting. A post or case one may not see is 404."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from xietong.common.exceptions import ApplicationError
from xietong.org.models import Department, Person
from xietong.processes.permissions import access_case
from xietong.progress import selectors, services
from xietong.progress.forms import PostForm
from xietong.progress.permissions import access_post, can_delete_post, postable_departments, posts_visible_to

PAGE_SIZE = 30


def _actor(request: HttpRequest) -> Person:
    return cast(Person, request.user)  # every view here is login_required


def _int(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _default_department(chosen: int | None, user: Person, postable: list[Department]) -> int | None:
    """The department the post form offers first: the one filtered on, else the person's own."""
    allowed = {d.pk for d in postable}
    for candidate in (chosen, user.department_id):
        if candidate is not None and candidate in allowed:
            return candidate
    return None


@login_required
def feed(request: HttpRequest) -> HttpResponse:
    user = _actor(request)
    department_id = _int(request.GET.get("department"))
    case_id = _int(request.GET.get("case"))
    case = None
    if case_id is not None:
        case = access_case(user, case_id)  # filtering by a case one cannot see is 404, as the case is
    posts = selectors.feed(posts_visible_to(user), department_id=department_id, case_id=case_id)
    page = Paginator(posts, PAGE_SIZE).get_page(request.GET.get("page"))
    items = selectors.with_attachments(list(page))
    departments = list(Department.objects.filter(is_active=True).order_by("code"))
    postable = list(postable_departments(user))
    return render(
        request,
        "progress/feed.html",
        {
            "page": page,
            "posts": items,
            "departments": departments,
            "department_id": department_id,
            "case": case,
            "postable": postable,
            "default_department": _default_department(department_id, user, postable),
            "form": PostForm(),
            "user_id": user.pk,
            "is_admin": bool(getattr(user, "is_admin", False)),
        },
    )


@login_required
def post_detail(request: HttpRequest, pk: int) -> HttpResponse:
    post = access_post(request.user, pk)
    selectors.with_attachments([post])
    return render(
        request,
        "progress/post_detail.html",
        {"post": post, "can_delete": can_delete_post(request.user, post), "next_url": reverse("progress:feed")},
    )


def _next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or ""
    if (
        target
        and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()})
        and target.startswith("/")
    ):
        return target
    return fallback


@login_required
@require_POST
def post_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = PostForm(request.POST, request.FILES)
    fallback = reverse("progress:feed")
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return HttpResponseRedirect(_next(request, fallback))
    data = form.cleaned_data
    department = case = None
    if data.get("case"):
        case = access_case(user, data["case"])
    elif data.get("department"):
        department = Department.objects.filter(pk=data["department"], is_active=True).first()
        if department is None:
            raise Http404
    try:
        services.post_create(
            actor=_actor(request),
            body=data["body"],
            department=department,
            case=case,
            is_internal=bool(data.get("is_internal")) and department is not None,
            files=data["attachments"],
        )
    except ApplicationError as exc:
        if exc.code == "forbidden":
            raise PermissionDenied from exc
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Progress update posted."))
    return HttpResponseRedirect(_next(request, fallback))


@login_required
@require_POST
def post_delete(request: HttpRequest, pk: int) -> HttpResponse:
    post = access_post(request.user, pk)
    try:
        services.post_delete(actor=_actor(request), post=post)
    except ApplicationError as exc:
        if exc.code == "forbidden":
            raise PermissionDenied from exc
        raise
    messages.success(request, _("Progress update deleted."))
    return HttpResponseRedirect(_next(request, reverse("progress:feed")))
