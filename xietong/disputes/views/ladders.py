"""Escalation ladders: everyone signed in reads them; coordinators and administrators create, edit and
delete them. The rules (exactly one default, what a ladder in use may still change) are the services'."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from xietong.common.exceptions import ApplicationError
from xietong.common.views import add_service_errors
from xietong.disputes import selectors, services
from xietong.disputes.forms import BaseLevelFormSet, LadderForm, LevelForm, LevelFormSet
from xietong.disputes.models import EscalationLadder
from xietong.disputes.permissions import access_ladder, can_manage_ladders
from xietong.disputes.views.common import actor, level_rows


@login_required
def ladder_list(request: HttpRequest) -> HttpResponse:
    ladders = [
        (ladder, level_rows(list(ladder.levels.all())))
        for ladder in selectors.ladder_list()  # the levels and their targets prefetched
    ]
    return render(
        request,
        "disputes/ladder_list.html",
        {"ladders": ladders, "can_manage": can_manage_ladders(request.user)},
    )


def _require_manager(request: HttpRequest) -> None:
    if not can_manage_ladders(request.user):
        raise PermissionDenied


# A level's field as the services name it → the field of the level's form that shows its error.
LEVEL_FIELDS = {"name": "name", "handler": "handler_kind", "time_limit": "time_limit"}


def _service_error(form: LadderForm, formset: Any, exc: ApplicationError) -> None:
    """A service's refusal: a level's errors (``levels.<index>.<field>``) on that level's form, the
    ladder's on its fields, the rest on top of the form."""
    if exc.code == "forbidden":
        raise PermissionDenied from exc
    kept = formset.kept_forms()
    rest: dict[str, list[Any]] = {}
    for key, errors in exc.field_errors.items():
        parts = key.split(".")
        if len(parts) == 3 and parts[0] == "levels" and parts[1].isdigit() and int(parts[1]) < len(kept):
            level_form = kept[int(parts[1])]
            for error in errors:
                level_form.add_error(LEVEL_FIELDS.get(parts[2]), error)
        elif key == "levels":
            for error in errors:
                form.add_error(None, error)
        else:
            rest[key] = errors
    if rest or not exc.field_errors:
        add_service_errors(form, ApplicationError(exc.message, code=exc.code, field_errors=rest))
    else:
        form.add_error(None, exc.message)


def _editor(request: HttpRequest, ladder: EscalationLadder | None) -> HttpResponse:
    if ladder is None:
        form = LadderForm(request.POST or None)
        formset = cast(BaseLevelFormSet, LevelFormSet(request.POST or None, prefix="levels"))
    else:
        form = LadderForm(
            request.POST or None, editing=True, initial={"name": ladder.name, "is_default": ladder.is_default}
        )
        levels = ladder.levels.order_by("number")
        initial = [LevelForm.initial_from(level) for level in levels]
        formset = cast(BaseLevelFormSet, LevelFormSet(request.POST or None, prefix="levels", initial=initial))
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        data = form.cleaned_data
        try:
            if ladder is None:
                saved = services.ladder_create(
                    actor=actor(request),
                    code=data["code"],
                    name=data["name"],
                    is_default=data["is_default"],
                    levels=formset.levels(),
                )
            else:
                saved = services.ladder_update(
                    actor=actor(request),
                    ladder=ladder,
                    name=data["name"],
                    is_default=data["is_default"],
                    levels=formset.levels(),
                )
        except ApplicationError as exc:
            _service_error(form, formset, exc)
        else:
            messages.success(request, _("Ladder “{name}” saved.").format(name=saved.name))
            return HttpResponseRedirect(reverse("disputes:ladder_list") + f"#ladder-{saved.code}")
    return render(request, "disputes/ladder_form.html", {"form": form, "formset": formset, "ladder": ladder})


@login_required
def ladder_create(request: HttpRequest) -> HttpResponse:
    _require_manager(request)
    return _editor(request, None)


@login_required
def ladder_edit(request: HttpRequest, pk: int) -> HttpResponse:
    ladder = access_ladder(request.user, pk)
    _require_manager(request)
    return _editor(request, ladder)


@login_required
@require_POST
def ladder_delete(request: HttpRequest, pk: int) -> HttpResponse:
    ladder = access_ladder(request.user, pk)
    _require_manager(request)
    name = ladder.name
    try:
        services.ladder_delete(actor=actor(request), ladder=ladder)
    except ApplicationError as exc:
        if exc.code == "forbidden":
            raise PermissionDenied from exc
        messages.error(request, str(exc.message))
        return HttpResponseRedirect(reverse("disputes:ladder_edit", args=[ladder.pk]))
    messages.success(request, _("Ladder “{name}” deleted.").format(name=name))
    return HttpResponseRedirect(reverse("disputes:ladder_list"))


urlpatterns: list[URLPattern] = [
    path("ladders/", ladder_list, name="ladder_list"),
    path("ladders/new/", ladder_create, name="ladder_create"),
    path("ladders/<int:pk>/edit/", ladder_edit, name="ladder_edit"),
    path("ladders/<int:pk>/delete/", ladder_delete, name="ladder_delete"),
]
