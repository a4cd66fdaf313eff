"""Processes and their cases over REST (/api/v1/processes/).

Everyone signed in reads the published catalogue; editors (coordinators, administrators) also see
drafts. Cases are read through ``cases_visible_to``/``access_case``: a case one may not see is 404,
as an unknown one. Every write goes through the services; a service refusing the caller
(ApplicationError code "forbidden") answers 403, any other ApplicationError 400.
"""

from __future__ import annotations

from typing import Any, cast
from zoneinfo import ZoneInfo

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Subquery, prefetch_related_objects
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from xietong.api.errors import refusals_as_403
from xietong.api.errors import url_pk as _pk
from xietong.api.views import CallerLanguageMixin
from xietong.attachments.selectors import attachments_by_owner
from xietong.common import clock
from xietong.common.exceptions import ApplicationError
from xietong.org.models import Person
from xietong.org.selectors import organization_get, organization_schedule
from xietong.processes import editor, services
from xietong.processes.api.serializers import (
    OPEN_STATES,
    CaseDetailSerializer,
    CaseListQuerySerializer,
    CaseOpenSerializer,
    CaseSerializer,
    DraftSerializer,
    ProcessCreateSerializer,
    ProcessDetailSerializer,
    ProcessFiguresQuerySerializer,
    ProcessFiguresSerializer,
    ProcessListQuerySerializer,
    ProcessSerializer,
    ReasonSerializer,
    StepAssignSerializer,
    StepCompleteSerializer,
)
from xietong.processes.figures import process_figures
from xietong.processes.models import Case, CaseEvent, Process, ProcessVersion, StepRun
from xietong.processes.permissions import (
    access_case,
    can_edit_processes,
    cases_visible_to,
    require_process_editor,
)
from xietong.processes.selectors import versions_with_steps


def step_field_keys(errors: Any) -> dict[str, Any]:
    """Validation errors of a draft keyed as the editor keys them: ``steps.<index>.<field>`` (and
    ``steps.<index>`` for a step that is not an object), so a caller reads one shape from both."""
    keyed: dict[str, Any] = {}
    for name, value in dict(errors).items():
        items = value.items() if isinstance(value, dict) else enumerate(value) if name == "steps" else None
        if items is None or (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            keyed[name] = value  # the list as a whole ("This field is required.", "Expected a list …")
            continue
        for index, step_errors in items:
            if isinstance(step_errors, dict):
                keyed |= {f"{name}.{index}.{field}": messages for field, messages in step_errors.items()}
            elif step_errors:
                keyed[f"{name}.{index}"] = step_errors
    return keyed


class _SignedIn(CallerLanguageMixin, viewsets.GenericViewSet):
    @property
    def actor(self) -> Person:
        return cast(Person, self.request.user)  # the default permission lets only signed-in people in

    @property
    def is_editor(self) -> bool:
        return can_edit_processes(self.request.user)

    def query(self, serializer_class: type[BaseSerializer], **context: Any) -> dict[str, Any]:
        """The query parameters, validated (400 with the fields' messages when they are not valid)."""
        params = serializer_class(data=self.request.query_params, context=context)
        params.is_valid(raise_exception=True)
        return dict(params.validated_data)


# ── Processes ───────────────────────────────────────────────────────────────────────────────────


@extend_schema_view(list=extend_schema(parameters=[ProcessListQuerySerializer]))
class ProcessViewSet(mixins.ListModelMixin, _SignedIn):
    """Core processes: the published catalogue (editors: ?include=drafts for the unpublished ones too).
    Editors create processes, save the draft's steps and publish it (through xietong.processes.editor)."""

    queryset = Process.objects.none()  # the schema's model; requests use get_queryset()
    http_method_names = ["get", "post", "put", "delete", "head", "options"]

    def get_serializer_class(self) -> type[BaseSerializer]:
        return ProcessDetailSerializer if self.action == "retrieve" else ProcessSerializer

    def get_serializer_context(self) -> dict[str, Any]:
        return super().get_serializer_context() | {"is_editor": self.is_editor}

    def _processes(self, *, with_drafts: bool) -> QuerySet[Process]:
        """Processes with their current version's number and publication (one query, no N+1)."""
        published = ProcessVersion.objects.filter(process=OuterRef("pk"), published_at__isnull=False).order_by(
            "-number"
        )
        draft = ProcessVersion.objects.filter(process=OuterRef("pk"), published_at__isnull=True)
        qs = Process.objects.select_related("owner").annotate(
            current_version=Subquery(published.values("number")[:1]),
            published_at=Subquery(published.values("published_at")[:1]),
            draft_version=Subquery(draft.values("number")[:1]),
        )
        if not with_drafts:
            qs = qs.filter(Exists(published))
        return qs.order_by("code")

    def get_queryset(self) -> QuerySet[Process]:
        if self.action == "list":
            include = self.query(ProcessListQuerySerializer).get("include")
            return self._processes(with_drafts=self.is_editor and include == "drafts")
        return self._processes(with_drafts=self.is_editor)

    def get_object(self) -> Process:
        process = self.get_queryset().filter(pk=_pk(self.kwargs["pk"])).first()
        if process is None:
            raise Http404
        return process

    def _detail(self, process: Process, status_code: int = status.HTTP_200_OK) -> Response:
        versions = list(versions_with_steps(process_codes=[process.code]).select_related("published_by"))
        context = self.get_serializer_context() | {"versions": versions}
        return Response(ProcessDetailSerializer(process, context=context).data, status=status_code)

    def _editable(self) -> Process:
        """The process (404 when unknown or not visible), if the caller edits processes (else 403)."""
        process = self.get_object()
        require_process_editor(self.request.user)
        return process

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        """A process: its current version with its steps, its versions, and its draft (editors)."""
        return self._detail(self.get_object())

    @extend_schema(request=ProcessCreateSerializer, responses={201: ProcessDetailSerializer})
    def create(self, request: Request) -> Response:
        """Create a process, without any version yet (editors)."""
        require_process_editor(request.user)
        payload = ProcessCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        process = editor.process_create(actor=self.actor, **payload.validated_data)
        return self._detail(self.get_queryset().get(pk=process.pk), status.HTTP_201_CREATED)

    @extend_schema(request=DraftSerializer, responses=ProcessDetailSerializer)
    @action(detail=True, methods=["put"])
    def draft(self, request: Request, pk: str | None = None) -> Response:
        """Replace the draft's steps (creating the draft if there is none). Editors."""
        process = self._editable()
        payload = DraftSerializer(data=request.data)
        if not payload.is_valid():
            raise exceptions.ValidationError(step_field_keys(payload.errors))
        steps = [editor.StepInput(**step) for step in payload.validated_data["steps"]]
        editor.draft_save(actor=self.actor, process=process, steps=steps)
        return self._detail(self.get_object())

    @extend_schema(request=None, responses={204: None})
    @draft.mapping.delete
    def draft_discard(self, request: Request, pk: str | None = None) -> Response:
        """Discard the draft and its steps. Editors."""
        editor.draft_discard(actor=self.actor, process=self._editable())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses=ProcessDetailSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, pk: str | None = None) -> Response:
        """Publish the draft as the next version; running cases keep theirs. Editors."""
        process = self._editable()
        editor.draft_publish(actor=self.actor, process=process)
        return self._detail(self.get_object())

    @extend_schema(parameters=[ProcessFiguresQuerySerializer], responses=ProcessFiguresSerializer)
    @action(detail=True, methods=["get"], url_path="figures")
    def figures(self, request: Request, pk: str | None = None) -> Response:
        """The process figures of metrics.md of this process, as of ?as_of= (default now)."""
        process = self.get_object()
        org = organization_get()
        params = self.query(ProcessFiguresQuerySerializer, tz=ZoneInfo(org.timezone if org else "Asia/Shanghai"))
        as_of = params.get("as_of") or clock.now()
        figures = process_figures(as_of, organization_schedule(), process_ids=[process.pk])[process.code]
        return Response(ProcessFiguresSerializer({"process": process.code, "as_of": as_of, **figures}).data)


# ── Cases ───────────────────────────────────────────────────────────────────────────────────────


def _open_runs() -> Prefetch[Any]:
    running = StepRun.objects.filter(completed_at__isnull=True).select_related("step", "responsible", "assignee")
    return Prefetch("step_runs", queryset=running, to_attr="open_runs")


@extend_schema_view(list=extend_schema(parameters=[CaseListQuerySerializer]))
class CaseViewSet(mixins.ListModelMixin, _SignedIn):
    """Cases one may see, newest first. Filter with ?process=CODE, ?state=, ?department=CODE (the
    running step's department), ?overdue=true|false."""

    queryset = Case.objects.none()  # the schema's model; requests use get_queryset()
    http_method_names = ["get", "post", "head", "options"]

    def get_serializer_class(self) -> type[BaseSerializer]:
        return CaseSerializer if self.action == "list" else CaseDetailSerializer

    def get_serializer_context(self) -> dict[str, Any]:
        return super().get_serializer_context() | {"now": clock.now()}

    def get_queryset(self) -> QuerySet[Case]:
        params = self.query(CaseListQuerySerializer)
        qs = cases_visible_to(self.request.user).select_related("process", "version", "opened_by")
        if params.get("process"):
            qs = qs.filter(process__code=params["process"])
        if params.get("state"):
            qs = qs.filter(state=params["state"])
        running = StepRun.objects.filter(case=OuterRef("pk"), completed_at__isnull=True)
        if params.get("department"):
            qs = qs.filter(Exists(running.filter(responsible__code=params["department"])), state__in=OPEN_STATES)
        if params.get("overdue") is not None:
            overdue = Q(state=Case.State.RUNNING) & Exists(running.filter(due_at__lt=clock.now()))
            qs = qs.filter(overdue) if params["overdue"] else qs.exclude(overdue)
        return qs.prefetch_related(_open_runs()).order_by("-opened_at", "-pk")

    def get_object(self) -> Case:
        return self._case(_pk(self.kwargs["pk"]))

    def _case(self, pk: int) -> Case:
        """The case with its step runs and timeline (404 when unknown or not visible to the caller)."""
        case = access_case(self.request.user, pk)
        runs = StepRun.objects.select_related("step", "responsible", "assignee").order_by("position")
        events = CaseEvent.objects.select_related("actor", "step_run__step").order_by("at", "pk")
        prefetch_related_objects([case], Prefetch("step_runs", queryset=runs), Prefetch("events", queryset=events))
        attachments = attachments_by_owner(list(case.step_runs.all()))  # one query for every run
        for run in case.step_runs.all():
            run.attachment_list = attachments[run.pk]  # type: ignore[attr-defined]  # read by StepRunDetailSerializer
        case.open_runs = [run for run in case.step_runs.all() if run.completed_at is None]  # type: ignore[attr-defined]  # as _open_runs() in lists
        return case

    def _answer(self, case: Case, status_code: int = status.HTTP_200_OK) -> Response:
        """The case as it is after a write (read again: the services changed it)."""
        return Response(self.get_serializer(self._case(case.pk)).data, status=status_code)

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        """A case with every step run and its timeline."""
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(request=CaseOpenSerializer, responses={201: CaseDetailSerializer})
    def create(self, request: Request) -> Response:
        """Open a case of a published process; its first step starts now."""
        payload = CaseOpenSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        with refusals_as_403():
            case = services.case_open(actor=self.actor, **payload.validated_data)
        return self._answer(case, status.HTTP_201_CREATED)

    @staticmethod
    def _step_run(case: Case) -> StepRun | None:
        """The running step, else the last one (the services then say why it cannot be acted on)."""
        runs = list(case.step_runs.all())  # prefetched by get_object()
        return next((run for run in runs if run.completed_at is None), runs[-1] if runs else None)

    @extend_schema(request=StepCompleteSerializer, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str | None = None) -> Response:
        """Complete the running step: the next one starts now, or the case completes."""
        case = self.get_object()
        payload = StepCompleteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        run = self._step_run(case)
        if run is None:
            raise ApplicationError(
                _("This case is {state}: its steps cannot be completed.").format(state=case.get_state_display())
            )
        with refusals_as_403():
            services.step_complete(
                actor=self.actor,
                run=run,
                note=payload.validated_data.get("note", ""),
                files=payload.validated_data.get("files", []),
            )
        return self._answer(case)

    @extend_schema(request=StepAssignSerializer, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, pk: str | None = None) -> Response:
        """Assign the running step to a person (or unassign it with null)."""
        case = self.get_object()
        payload = StepAssignSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        run = self._step_run(case)
        if run is None:
            raise ApplicationError(_("Only the running step can be assigned."))
        with refusals_as_403():
            services.step_assign(actor=self.actor, run=run, assignee=payload.validated_data["assignee"])
        return self._answer(case)

    @extend_schema(request=ReasonSerializer, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def hold(self, request: Request, pk: str | None = None) -> Response:
        """Put a running case on hold: its running step's clock stops."""
        case = self.get_object()
        payload = ReasonSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        with refusals_as_403():
            services.case_hold(actor=self.actor, case=case, reason=payload.validated_data["reason"])
        return self._answer(case)

    @extend_schema(request=None, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def resume(self, request: Request, pk: str | None = None) -> Response:
        """Resume a case on hold: its running step's due instant moves by the working time on hold."""
        case = self.get_object()
        with refusals_as_403():
            services.case_resume(actor=self.actor, case=case)
        return self._answer(case)

    @extend_schema(request=ReasonSerializer, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        """Cancel a running case or one on hold."""
        case = self.get_object()
        payload = ReasonSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        with refusals_as_403():
            services.case_cancel(actor=self.actor, case=case, reason=payload.validated_data["reason"])
        return self._answer(case)
