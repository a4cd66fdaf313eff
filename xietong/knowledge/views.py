"""The knowledge base's pages: spaces, a space, a page, its editor, history and diffs.

Every page and action first fetches through ``access_space``/``access_page`` (404 for unknown and
unseen alike); writing is then decided by the services (a refusal is 403 here).
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from xietong.attachments.selectors import attachments_for
from xietong.common.exceptions import ApplicationError
from xietong.common.views import add_service_errors
from xietong.knowledge import selectors, services
from xietong.knowledge.forms import PageForm, PreviewForm, SpaceForm
from xietong.knowledge.markdown import render as render_markdown
from xietong.knowledge.models import Page, PageVersion, Space
from xietong.knowledge.permissions import (
    access_page,
    access_page_version,
    access_space,
    can_create_spaces,
    can_delete_page,
    can_edit_page,
    can_manage_space,
    can_write_space,
    manageable_departments,
    may_create_any_space,
    pages_visible_to,
    spaces_visible_to,
)
from xietong.org.models import Person
from xietong.processes.models import Case
from xietong.processes.permissions import cases_visible_to

PAGE_SIZE = 30


def _actor(request: HttpRequest) -> Person:
    return cast(Person, request.user)  # every view here is login_required


def _int(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


# ── Spaces ──────────────────────────────────────────────────────────────────────────────────────


@login_required
def space_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    today = services.local_today()
    spaces = list(selectors.space_list(spaces_visible_to(user), today=today))
    mine_due = list(
        pages_visible_to(user)
        .filter(owner=user.pk, review_by__lt=today)
        .select_related("space")
        .order_by("review_by", "pk")[:20]
    )
    return render(
        request,
        "knowledge/space_list.html",
        {
            "company_spaces": [s for s in spaces if s.department_id is None],
            "department_spaces": [s for s in spaces if s.department_id is not None],
            "mine_due": mine_due,
            "can_create": may_create_any_space(user),
        },
    )


def _space_values(form: SpaceForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "name": data["name"],
        "description": data["description"],
        "visibility": data["visibility"],
        "reader_departments": list(data["reader_departments"]),
        "editors": list(data["editors"]),
    }


@login_required
def space_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not may_create_any_space(user):
        raise PermissionDenied
    departments = manageable_departments(user)
    form = SpaceForm(
        request.POST or None,
        departments=departments,
        company_allowed=can_create_spaces(user, None),
        initial={"visibility": Space.Visibility.COMPANY},
    )
    if request.method == "POST" and form.is_valid():
        try:
            space = services.space_create(
                actor=_actor(request), department=form.cleaned_data.get("department"), **_space_values(form)
            )
        except ApplicationError as exc:
            if exc.code == "forbidden":
                raise PermissionDenied from exc
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Space “{name}” created.").format(name=space.name))
            return HttpResponseRedirect(reverse("knowledge:space_detail", args=[space.pk]))
    return render(request, "knowledge/space_form.html", {"form": form, "space": None})


@login_required
def space_edit(request: HttpRequest, pk: int) -> HttpResponse:
    space = access_space(request.user, pk)
    if not can_manage_space(request.user, space):
        raise PermissionDenied
    initial = {
        "name": space.name,
        "description": space.description,
        "visibility": space.visibility,
        "reader_departments": list(space.reader_departments.all()),
        "editors": list(space.editors.all()),
    }
    form = SpaceForm(request.POST or None, departments=None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.space_update(actor=_actor(request), space=space, **_space_values(form))
        except ApplicationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Space saved."))
            return HttpResponseRedirect(reverse("knowledge:space_detail", args=[space.pk]))
    return render(request, "knowledge/space_form.html", {"form": form, "space": space})


@login_required
def space_detail(request: HttpRequest, pk: int) -> HttpResponse:
    space = access_space(request.user, pk)
    today = services.local_today()
    page = Paginator(selectors.space_pages(space), PAGE_SIZE).get_page(request.GET.get("page"))
    selectors.annotate_review(list(page), today)
    return render(
        request,
        "knowledge/space_detail.html",
        {
            "space": space,
            "page": page,
            "needs_review": list(selectors.pages_needing_review(space, today=today)[:50]),
            "reader_departments": list(space.reader_departments.order_by("code"))
            if space.visibility == Space.Visibility.DEPARTMENTS
            else [],
            "can_write": can_write_space(request.user, space),
            "can_manage": can_manage_space(request.user, space),
            "templates": Page.Template.choices,
        },
    )


# ── Pages ───────────────────────────────────────────────────────────────────────────────────────


def _case_for(request: HttpRequest, form: PageForm) -> tuple[bool, Case | None]:
    """(valid, case) of the form's case number: a case the person may see, or none."""
    number = form.cleaned_data.get("case")
    if number is None:
        return True, None
    case = cases_visible_to(request.user).filter(pk=number).first()
    if case is None:
        form.add_error("case", _("There is no such case."))
        return False, None
    return True, case


@login_required
def page_create(request: HttpRequest, pk: int) -> HttpResponse:
    space = access_space(request.user, pk)
    if not can_write_space(request.user, space):
        raise PermissionDenied
    template = request.GET.get("template") or request.POST.get("template") or Page.Template.BLANK
    if template not in Page.Template.values:
        template = Page.Template.BLANK
    initial = {
        "template": template,
        "body": selectors.template_body(template),
        "owner": request.user.pk,
        "review_by": services.default_review_by(),
        "case": _int(request.GET.get("case")),
    }
    form = PageForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        ok, case = _case_for(request, form)
        if ok:
            data = form.cleaned_data
            try:
                created = services.page_create(
                    actor=_actor(request),
                    space=space,
                    title=data["title"],
                    body=data["body"],
                    owner=data["owner"],
                    review_by=data["review_by"],
                    template=data.get("template") or template,
                    case=case,
                    summary=data["summary"],
                    files=data["attachments"],
                )
            except ApplicationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Page “{title}” created.").format(title=created.title))
                return HttpResponseRedirect(reverse("knowledge:page_detail", args=[created.pk]))
    return render(
        request,
        "knowledge/page_form.html",
        {"form": form, "space": space, "page_obj": None, "template": template, "templates": Page.Template.choices},
    )


@login_required
def page_detail(request: HttpRequest, pk: int) -> HttpResponse:
    page = access_page(request.user, pk)
    today = services.local_today()
    case_visible = page.case_id is not None and cases_visible_to(request.user).filter(pk=page.case_id).exists()
    return render(
        request,
        "knowledge/page_detail.html",
        {
            "page_obj": page,
            "space": page.space,
            "html": render_markdown(page.body),
            "attachments": list(attachments_for(page)),
            "needs_review": page.review_by < today,
            "case": page.case if case_visible else None,
            "can_edit": can_edit_page(request.user, page),
            "can_delete": can_delete_page(request.user, page),
        },
    )


@login_required
def page_edit(request: HttpRequest, pk: int) -> HttpResponse:
    page = access_page(request.user, pk)
    if not can_edit_page(request.user, page):
        raise PermissionDenied
    initial = {
        "title": page.title,
        "body": page.body,
        "owner": page.owner_id,
        "review_by": page.review_by,
        "case": page.case_id,
        "template": page.template,
        "base_version": page.version,
    }
    form = PageForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        ok, case = (True, page.case) if data.get("case") == page.case_id else _case_for(request, form)
        if ok:
            try:
                services.page_update(
                    actor=_actor(request),
                    page=page,
                    title=data["title"],
                    body=data["body"],
                    summary=data["summary"],
                    owner=data["owner"],
                    review_by=data["review_by"],
                    case=case,
                    base_version=data.get("base_version"),
                    files=data["attachments"],
                )
            except ApplicationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Page saved."))
                return HttpResponseRedirect(reverse("knowledge:page_detail", args=[page.pk]))
    return render(
        request,
        "knowledge/page_form.html",
        {
            "form": form,
            "space": page.space,
            "page_obj": page,
            "template": page.template,
            "templates": None,
            "attachments": list(attachments_for(page)),
        },
    )


@login_required
@require_POST
def page_delete(request: HttpRequest, pk: int) -> HttpResponse:
    page = access_page(request.user, pk)
    space = page.space
    try:
        services.page_delete(actor=_actor(request), page=page)
    except ApplicationError as exc:
        if exc.code == "forbidden":
            raise PermissionDenied from exc
        messages.error(request, str(exc.message))
        return HttpResponseRedirect(reverse("knowledge:page_detail", args=[page.pk]))
    messages.success(request, _("Page “{title}” deleted.").format(title=page.title))
    return HttpResponseRedirect(reverse("knowledge:space_detail", args=[space.pk]))


@login_required
@require_POST
def page_confirm_current(request: HttpRequest, pk: int) -> HttpResponse:
    """The owner (or a writer) confirms the page is still current: its next review is 180 days on."""
    page = access_page(request.user, pk)
    try:
        page = services.page_confirm_current(actor=_actor(request), page=page)
    except ApplicationError as exc:
        if exc.code == "forbidden":
            raise PermissionDenied from exc
        messages.error(request, str(exc.message))
    else:
        messages.success(
            request, _("Marked as still current: next review by {date}.").format(date=page.review_by.isoformat())
        )
    return HttpResponseRedirect(reverse("knowledge:page_detail", args=[page.pk]))


@login_required
@require_POST
def page_preview(request: HttpRequest) -> HttpResponse:
    """The editor's Markdown, rendered as the page will show it (an htmx fragment)."""
    form = PreviewForm(request.POST)
    body = form.cleaned_data["body"] if form.is_valid() else ""
    return render(
        request,
        "knowledge/_preview.html",
        {"html": render_markdown(body), "too_long": not form.is_valid()},
    )


# ── History ─────────────────────────────────────────────────────────────────────────────────────


@login_required
def page_history(request: HttpRequest, pk: int) -> HttpResponse:
    page = access_page(request.user, pk)
    paginated = Paginator(selectors.page_versions(page), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "knowledge/page_history.html", {"page_obj": page, "space": page.space, "page": paginated})


@login_required
def page_version(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    version = access_page_version(request.user, pk, number)
    page = version.page
    return render(
        request,
        "knowledge/page_version.html",
        {
            "page_obj": page,
            "space": page.space,
            "version": version,
            "html": render_markdown(version.body),
            "source": request.GET.get("source") == "1",
        },
    )


@login_required
def page_diff(request: HttpRequest, pk: int) -> HttpResponse:
    page = access_page(request.user, pk)
    new_number = _int(request.GET.get("to")) or page.version
    old_number = _int(request.GET.get("from")) or max(new_number - 1, 1)
    versions = {
        v.number: v
        for v in PageVersion.objects.select_related("author").filter(page=page, number__in={old_number, new_number})
    }
    if old_number not in versions or new_number not in versions:
        raise Http404
    old, new = versions[old_number], versions[new_number]
    return render(
        request,
        "knowledge/page_diff.html",
        {
            "page_obj": page,
            "space": page.space,
            "old": old,
            "new": new,
            "lines": selectors.version_diff(old, new),
            "numbers": list(range(page.version, 0, -1)),
        },
    )
