"""The process catalogue, process pages (swimlane, versions, figures) and the process editor.

Access: everyone signed in reads the catalogue and the page of every process that has a published
version; coordinators and administrators (``can_edit_processes``) also see processes with only a
draft, create processes and edit, publish and discard drafts. An unknown id is 404 for everyone; a
process with only a draft is unknown (404) to those who may not edit it, on every route; an existing
published process is refused (403) on the editor's routes.
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from xietong.common import clock
from xietong.common.exceptions import ApplicationError
from xietong.common.views import add_service_errors
from xietong.org.models import Person
from xietong.org.selectors import organization_schedule
from xietong.processes import editor
from xietong.processes.figures import process_figures, process_series
from xietong.processes.forms import BaseStepFormSet, ProcessForm, StepForm, StepFormSet
from xietong.processes.permissions import access_process, can_edit_processes, can_open_case, require_process_editor
from xietong.processes.selectors import catalogue_processes, swimlane, versions_with_steps

# ── Helpers ──────────────────────────────────────────────────────────────────────────────────────


def _actor(request: HttpRequest) -> Person:
    return cast(Person, request.user)  # every view here is login_required


# ── Pages ───────────────────────────────────────────────────────────────────────────────────────


@login_required
def catalogue(request: HttpRequest) -> HttpResponse:
    may_edit = can_edit_processes(request.user)
    processes = catalogue_processes(include_drafts=may_edit, now=clock.now())
    return render(request, "processes/catalogue.html", {"processes": processes, "can_edit": may_edit})


@login_required
def process_detail(request: HttpRequest, pk: int) -> HttpResponse:
    process = access_process(request.user, pk)
    may_edit = can_edit_processes(request.user)
    versions = list(versions_with_steps(process_codes=[process.code]).select_related("published_by"))
    published = [v for v in versions if v.is_published]
    draft = next((v for v in versions if not v.is_published), None)
    current = published[-1] if published else None
    current_steps = list(current.steps.all()) if current is not None else []
    now = clock.now()
    schedule = organization_schedule()
    series = process_series(process.pk, now, schedule.tz)
    draft_problems: dict[str, list[str]] = {}
    if draft is not None and may_edit:
        draft_problems = editor.check_steps(process, [editor.StepInput.from_step(s) for s in draft.steps.all()])
    return render(
        request,
        "processes/process_detail.html",
        {
            "process": process,
            "current": current,
            "steps": current_steps,
            "lanes": swimlane(current_steps),
            "history": list(reversed(published)),
            "draft": draft if may_edit else None,
            "draft_problems": [m for messages_ in draft_problems.values() for m in messages_],
            "figures": process_figures(now, schedule, process_ids=[process.pk])[process.code],
            "series": series,
            "has_series": bool(series["by_step"]),
            "can_edit": may_edit,
            "can_open": current is not None and can_open_case(request.user, process),
            "as_of": now,
        },
    )


@login_required
def process_create(request: HttpRequest) -> HttpResponse:
    require_process_editor(request.user)
    form = ProcessForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            process = editor.process_create(actor=_actor(request), **form.cleaned_data)
        except ApplicationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Process “{name}” created. Now give it its steps.").format(name=process.name))
            return HttpResponseRedirect(reverse("processes:draft_edit", args=[process.pk]))
    return render(request, "processes/process_form.html", {"form": form})


@login_required
def process_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Name, description and owner of a process; its steps change through a draft."""
    process = access_process(request.user, pk, "edit")
    form = ProcessForm(request.POST or None, instance=process)
    form.fields["code"].disabled = True
    if request.method == "POST" and form.is_valid():
        values = {f: form.cleaned_data[f] for f in ("name", "description", "owner")}
        try:
            editor.process_update(actor=_actor(request), process=process, **values)
        except ApplicationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Process “{name}” saved.").format(name=values["name"]))
            return HttpResponseRedirect(reverse("processes:process_detail", args=[process.pk]))
    return render(request, "processes/process_form.html", {"form": form, "process": process})


def _place_step_errors(formset: Any, forms_in_order: list[StepForm], exc: ApplicationError) -> list[str]:
    """Put the service's ``steps.<i>.<field>`` errors on the forms they came from; return the rest."""
    rest: list[str] = []
    for key, messages_ in exc.field_errors.items():
        parts = key.split(".")
        if len(parts) == 3 and parts[0] == "steps" and parts[1].isdigit() and int(parts[1]) < len(forms_in_order):
            form = forms_in_order[int(parts[1])]
            for message in messages_:
                form.add_error(parts[2] if parts[2] in form.fields else None, message)
        else:
            rest.extend(str(m) for m in messages_)
    if not exc.field_errors:
        rest.append(str(exc.message))
    return rest


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


@login_required
def draft_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit the process's draft; without one, start from the current version's steps (the draft is
    made when first saved, so merely opening the page writes nothing)."""
    process = access_process(request.user, pk, "edit")
    versions = list(versions_with_steps(process_codes=[process.code]))
    draft = next((v for v in versions if not v.is_published), None)
    base = draft or next((v for v in reversed(versions) if v.is_published), None)
    initial = [StepForm.initial_from(s) for s in base.steps.all()] if base is not None else []
    data: QueryDict | None = request.POST if request.method == "POST" else None
    adding = data is not None and "add_step" in data
    if data is not None and adding:  # one more blank step form; nothing is validated or saved
        data = cast(QueryDict, data.copy())
        data["steps-TOTAL_FORMS"] = str(_int(data.get("steps-TOTAL_FORMS")) + 1)
    formset = cast(BaseStepFormSet, StepFormSet(data, initial=initial, prefix="steps"))
    errors: list[str] = []
    if data is not None and not adding and formset.is_valid():
        kept = formset.steps()
        try:
            editor.draft_save(actor=_actor(request), process=process, steps=[step for _form, step in kept])
        except ApplicationError as exc:
            errors = _place_step_errors(formset, [form for form, _step in kept], exc)
        else:
            messages.success(request, _("The draft was saved. Publish it when it is ready."))
            return HttpResponseRedirect(reverse("processes:process_detail", args=[process.pk]))
    return render(
        request,
        "processes/draft_form.html",
        {"process": process, "formset": formset, "draft": draft, "base": base, "errors": errors},
    )


@login_required
@require_POST
def draft_publish(request: HttpRequest, pk: int) -> HttpResponse:
    process = access_process(request.user, pk, "publish")
    try:
        version = editor.draft_publish(actor=_actor(request), process=process)
    except ApplicationError as exc:
        for messages_ in exc.field_errors.values():
            for message in messages_:
                messages.error(request, message)
        if not exc.field_errors:
            messages.error(request, exc.message)
    else:
        messages.success(
            request, _("Version {number} of “{name}” is published.").format(number=version.number, name=process.name)
        )
    return HttpResponseRedirect(reverse("processes:process_detail", args=[process.pk]))


@login_required
@require_POST
def draft_discard(request: HttpRequest, pk: int) -> HttpResponse:
    process = access_process(request.user, pk, "discard")
    try:
        editor.draft_discard(actor=_actor(request), process=process)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The draft was discarded."))
    return HttpResponseRedirect(reverse("processes:process_detail", args=[process.pk]))


urlpatterns: list[URLPattern] = [
    path("", catalogue, name="catalogue"),
    path("new/", process_create, name="process_create"),
    path("<int:pk>/", process_detail, name="process_detail"),
    path("<int:pk>/edit/", process_edit, name="process_edit"),
    path("<int:pk>/draft/", draft_edit, name="draft_edit"),
    path("<int:pk>/draft/publish/", draft_publish, name="draft_publish"),
    path("<int:pk>/draft/discard/", draft_discard, name="draft_discard"),
]
