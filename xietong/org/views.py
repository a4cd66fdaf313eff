"""Pages of the organization: the department tree, departments, people, committees, search."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from xietong.common.exceptions import ApplicationError
from xietong.common.views import add_service_errors, changed_values
from xietong.org import selectors, services
from xietong.org.forms import (
    CommitteeForm,
    DepartmentForm,
    OrganizationForm,
    PersonForm,
    ScheduleFields,
    SetPasswordForm,
)
from xietong.org.models import Committee, Department, Organization, Person
from xietong.org.permissions import (
    access_committee,
    access_department,
    access_person,
    can_manage_org,
    is_admin,
    require,
)

PAGE_SIZE = 50


def _actor(request: HttpRequest) -> Person:
    return cast(Person, request.user)  # every view here is login_required


@login_required
def department_tree(request: HttpRequest) -> HttpResponse:
    include_closed = request.GET.get("closed") == "1"
    nodes = selectors.flatten_tree(selectors.department_tree(include_closed=include_closed))
    return render(
        request,
        "org/department_tree.html",
        {
            "nodes": nodes,
            "include_closed": include_closed,
            "can_manage": can_manage_org(request.user),
        },
    )


@login_required
def department_detail(request: HttpRequest, pk: int) -> HttpResponse:
    department = access_department(request.user, pk)
    schedule = selectors.department_schedule(department.pk)
    return render(
        request,
        "org/department_detail.html",
        {
            "department": department,
            "ancestors": selectors.department_ancestors(department),
            "members": department.members.all(),
            "children": department.children.all(),
            "schedule": schedule.to_spec(),
            "schedule_is_own": department.schedule is not None,
            "can_manage": can_manage_org(request.user),
            "can_audit": is_admin(request.user),
        },
    )


def _department_form_page(request: HttpRequest, department: Department | None) -> HttpResponse:
    instance = department if department is not None else None
    form = DepartmentForm(request.POST or None, instance=instance)
    schedule_form = ScheduleFields(
        request.POST or None,
        prefix="schedule",
        initial=ScheduleFields.initial_from(getattr(instance, "schedule", None)),
    )
    if request.method == "POST" and form.is_valid() and schedule_form.is_valid():
        values = changed_values(form, DepartmentForm.Meta.fields)
        values["schedule"] = schedule_form.schedule_spec() if form.cleaned_data["own_schedule"] else None
        try:
            if instance is None:
                saved = services.department_create(actor=_actor(request), **values)
            else:
                saved = services.department_update(actor=_actor(request), department=instance, **values)
        except ApplicationError as exc:
            if "schedule" in exc.field_errors:
                schedule_form.add_error(None, exc.field_errors.pop("schedule"))
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Department “{name}” saved.").format(name=saved.name))
            return HttpResponseRedirect(reverse("org:department_detail", args=[saved.pk]))
    return render(
        request,
        "org/department_form.html",
        {
            "form": form,
            "schedule_form": schedule_form,
            "department": instance,
        },
    )


@login_required
def department_create(request: HttpRequest) -> HttpResponse:
    require(request.user, "create")
    return _department_form_page(request, None)


@login_required
def department_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _department_form_page(request, access_department(request.user, pk, "edit"))


@login_required
def person_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    include_inactive = request.GET.get("inactive") == "1"
    page = Paginator(selectors.person_list(query=query, include_inactive=include_inactive), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "org/person_list.html",
        {
            "page": page,
            "query": query,
            "include_inactive": include_inactive,
            "can_manage": can_manage_org(request.user),
        },
    )


@login_required
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = access_person(request.user, pk)
    return render(
        request,
        "org/person_detail.html",
        {
            "person": person,
            "can_manage": can_manage_org(request.user),
            "can_admin": is_admin(request.user),
            "password_form": SetPasswordForm() if is_admin(request.user) else None,
        },
    )


def _person_form_page(request: HttpRequest, person: Person | None) -> HttpResponse:
    can_grant = is_admin(request.user)
    form = PersonForm(request.POST or None, instance=person, can_grant_roles=can_grant)
    if request.method == "POST" and form.is_valid():
        fields = [f for f in PersonForm.Meta.fields if f in form.fields and not form.fields[f].disabled]
        values = changed_values(form, fields)
        try:
            if person is None:
                saved = services.person_create(actor=_actor(request), **values)
            else:
                saved = services.person_update(actor=_actor(request), person=person, **values)
        except ApplicationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("{name} saved.").format(name=saved.name))
            return HttpResponseRedirect(reverse("org:person_detail", args=[saved.pk]))
    return render(request, "org/person_form.html", {"form": form, "person": person})


@login_required
def person_create(request: HttpRequest) -> HttpResponse:
    require(request.user, "create")
    return _person_form_page(request, None)


@login_required
def person_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _person_form_page(request, access_person(request.user, pk, "edit"))


@login_required
@require_POST
def person_set_password(request: HttpRequest, pk: int) -> HttpResponse:
    person = access_person(request.user, pk, "set_password")
    form = SetPasswordForm(request.POST)
    if form.is_valid():
        try:
            services.person_set_password(
                actor=_actor(request),
                person=person,
                password=form.cleaned_data["password"],
            )
        except ApplicationError as exc:
            for message in exc.field_errors.get("password", [exc.message]):
                messages.error(request, message)
        else:
            messages.success(request, _("The password of {name} was set.").format(name=person.name))
    else:
        messages.error(request, _("Enter a password."))
    return HttpResponseRedirect(reverse("org:person_detail", args=[person.pk]))


@login_required
@require_POST
def person_set_active(request: HttpRequest, pk: int) -> HttpResponse:
    person = access_person(request.user, pk, "set_active")
    active = request.POST.get("active") == "1"
    try:
        services.person_set_active(actor=_actor(request), person=person, active=active)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            (
                _("{name} can sign in again.") if active else _("{name} was deactivated and can no longer sign in.")
            ).format(name=person.name),
        )
    return HttpResponseRedirect(reverse("org:person_detail", args=[person.pk]))


@login_required
def committee_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "org/committee_list.html",
        {
            "committees": selectors.committee_list(),
            "can_manage": can_manage_org(request.user),
        },
    )


@login_required
def committee_detail(request: HttpRequest, pk: int) -> HttpResponse:
    committee = access_committee(request.user, pk)
    return render(
        request,
        "org/committee_detail.html",
        {
            "committee": committee,
            "members": committee.members.all(),
            "can_manage": can_manage_org(request.user),
            "can_audit": is_admin(request.user),
        },
    )


def _committee_form_page(request: HttpRequest, committee: Committee | None) -> HttpResponse:
    form = CommitteeForm(request.POST or None, instance=committee)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.committee_save(
                actor=_actor(request),
                committee=committee,
                members=list(form.cleaned_data["members"]),
                **changed_values(form, ("code", "name", "chair")),
            )
        except ApplicationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Committee “{name}” saved.").format(name=saved.name))
            return HttpResponseRedirect(reverse("org:committee_detail", args=[saved.pk]))
    return render(request, "org/committee_form.html", {"form": form, "committee": committee})


@login_required
def committee_create(request: HttpRequest) -> HttpResponse:
    require(request.user, "create")
    return _committee_form_page(request, None)


@login_required
def committee_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _committee_form_page(request, access_committee(request.user, pk, "edit"))


@login_required
def organization_edit(request: HttpRequest) -> HttpResponse:
    require(request.user, "admin")
    org = Organization.objects.filter(pk=1).first()
    form = OrganizationForm(request.POST or None, instance=org)
    schedule_form = ScheduleFields(
        request.POST or None, prefix="schedule", initial=ScheduleFields.initial_from(org.schedule if org else None)
    )
    if request.method == "POST" and form.is_valid() and schedule_form.is_valid():
        try:
            services.organization_update(
                actor=_actor(request),
                schedule=schedule_form.schedule_spec(),
                **changed_values(form, OrganizationForm.Meta.fields),
            )
        except ApplicationError as exc:
            if "schedule" in exc.field_errors:
                schedule_form.add_error(None, exc.field_errors.pop("schedule"))
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Organization settings saved."))
            return HttpResponseRedirect(reverse("org:organization_edit"))
    return render(request, "org/organization_form.html", {"form": form, "schedule_form": schedule_form})


@login_required
def search(request: HttpRequest) -> HttpResponse:
    """People and departments by any part of their name; the htmx box asks for the results fragment."""
    query = request.GET.get("q", "").strip()
    results = selectors.org_search(query)
    template = "org/_search_results.html" if request.headers.get("HX-Request") else "org/search.html"
    return render(request, template, {"query": query, **results})
