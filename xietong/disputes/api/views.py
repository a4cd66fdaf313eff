"""Disputes and escalation ladders over REST (/api/v1/disputes/).

Disputes are read through ``disputes_visible_to``/``access_dispute``: one the caller may not see is
404, as an unknown one. Every write goes through the services; a service refusing the caller
(ApplicationError code "forbidden") answers 403, any other ApplicationError 400, both in the API's
error format with the service's message. Everyone signed in reads the ladders; coordinators and
administrators write them.
"""

from __future__ import annotations

from typing import Any, cast

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from xietong.api.errors import Forbidden, refusals_as_403
from xietong.api.errors import url_pk as _pk
from xietong.api.views import CallerLanguageMixin
from xietong.common import clock
from xietong.disputes import selectors, services
from xietong.disputes.api.serializers import (
    DisputeCommentSerializer,
    DisputeConfirmSerializer,
    DisputeDecideSerializer,
    DisputeDetailSerializer,
    DisputeListQuerySerializer,
    DisputeProposeSerializer,
    DisputeRaiseSerializer,
    DisputeReasonSerializer,
    DisputeSerializer,
    LadderSerializer,
    LadderWriteSerializer,
)
from xietong.disputes.models import Dispute, EscalationLadder, Proposal
from xietong.disputes.permissions import access_dispute, access_ladder, can_manage_ladders, current_handler_ids
from xietong.org.models import Person
from xietong.processes.models import Case
from xietong.processes.permissions import cases_visible_to


class _SignedIn(CallerLanguageMixin, viewsets.GenericViewSet):
    @property
    def actor(self) -> Person:
        return cast(Person, self.request.user)  # the default permission lets only signed-in people in

    def payload(self, serializer_class: type[BaseSerializer], **kwargs: Any) -> dict[str, Any]:
        """The request's body, validated (400 with the fields' messages when it is not valid)."""
        serializer = serializer_class(data=self.request.data, **kwargs)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)


# ── Disputes ────────────────────────────────────────────────────────────────────────────────────


@extend_schema_view(list=extend_schema(parameters=[DisputeListQuerySerializer]))
class DisputeViewSet(mixins.ListModelMixin, _SignedIn):
    """Disputes between departments that the caller may see, newest first. Filter with ?state=,
    ?level=, ?mine=true, ?overdue=true, ?q= (title), or ?queue=true for my queue."""

    queryset = Dispute.objects.none()  # the schema's model; requests use get_queryset()
    http_method_names = ["get", "post", "head", "options"]

    def get_serializer_class(self) -> type[BaseSerializer]:
        return DisputeSerializer if self.action == "list" else DisputeDetailSerializer

    def get_serializer_context(self) -> dict[str, Any]:
        return super().get_serializer_context() | {"now": clock.now()}

    def get_queryset(self) -> QuerySet[Dispute]:
        params = DisputeListQuerySerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        query = params.validated_data
        if query.get("queue"):
            return selectors.dispute_queue(self.request.user)
        return selectors.dispute_list(
            self.request.user,
            state=query.get("state"),
            level=query.get("level"),
            mine=query.get("mine", False),
            overdue=query.get("overdue", False),
            q=query.get("q", ""),
        )

    def get_object(self) -> Dispute:
        return access_dispute(self.request.user, _pk(self.kwargs["pk"]))

    def _detail(self, dispute: Dispute, status_code: int = status.HTTP_200_OK) -> Response:
        """The dispute as it is now (read again: a service may have changed it)."""
        found = selectors.dispute_list(self.request.user, state=None).filter(pk=dispute.pk).first()
        if found is None:
            raise Http404
        dispute = found
        levels = list(dispute.ladder.levels.select_related("department", "person", "committee").order_by("number"))
        handler_ids = current_handler_ids(dispute) if dispute.state == Dispute.State.OPEN else []
        context = self.get_serializer_context() | {
            "levels": levels,
            "handlers": list(
                Person.objects.filter(pk__in=handler_ids).order_by("username").values_list("username", flat=True)
            ),
            "events": selectors.dispute_timeline(dispute),
            "proposals": selectors.dispute_proposals(dispute),
        }
        return Response(DisputeDetailSerializer(dispute, context=context).data, status=status_code)

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        """A dispute with its ladder, its current handlers, its timeline and its proposals."""
        return self._detail(self.get_object())

    @extend_schema(request=DisputeRaiseSerializer, responses={201: DisputeDetailSerializer})
    def create(self, request: Request) -> Response:
        """Raise a dispute between two or more departments: it enters level 1 of its ladder now."""
        cases = cases_visible_to(request.user).filter(state__in=(Case.State.RUNNING, Case.State.ON_HOLD))
        data = self.payload(DisputeRaiseSerializer, cases=cases)
        with refusals_as_403():
            dispute = services.dispute_raise(
                actor=self.actor,
                title=data["title"],
                description=data["description"],
                parties=list(data["parties"]),
                ladder=data["ladder"],
                case=data["case"],
                step=data["step"],
                files=data["files"],
            )
        return self._detail(dispute, status.HTTP_201_CREATED)

    @extend_schema(request=DisputeCommentSerializer, responses=DisputeDetailSerializer)
    @action(detail=True, methods=["post"])
    def comment(self, request: Request, pk: str | None = None) -> Response:
        """Comment on an open dispute (with files, as multipart/form-data)."""
        dispute = self.get_object()
        data = self.payload(DisputeCommentSerializer)
        with refusals_as_403():
            services.dispute_comment(actor=self.actor, dispute=dispute, note=data["note"], files=data["files"])
        return self._detail(dispute)

    @extend_schema(request=DisputeProposeSerializer, responses=DisputeDetailSerializer)
    @action(detail=True, methods=["post"])
    def propose(self, request: Request, pk: str | None = None) -> Response:
        """Propose a resolution at level 1 (a party's head); it replaces any proposal still pending."""
        dispute = self.get_object()
        data = self.payload(DisputeProposeSerializer)
        with refusals_as_403():
            services.dispute_propose(actor=self.actor, dispute=dispute, text=data["text"])
        return self._detail(dispute)

    @extend_schema(request=DisputeConfirmSerializer, responses=DisputeDetailSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str | None = None) -> Response:
        """Confirm the pending proposal in writing (another party's head); the last confirmation
        resolves the dispute."""
        dispute = self.get_object()
        data = self.payload(DisputeConfirmSerializer)
        proposal = Proposal.objects.filter(dispute=dispute, pk=data["proposal"]).first()
        if proposal is None:
            raise exceptions.ValidationError({"proposal": [_("This proposal is not one of this dispute's.")]})
        with refusals_as_403():
            services.dispute_confirm(actor=self.actor, dispute=dispute, proposal=proposal)
        return self._detail(dispute)

    @extend_schema(request=DisputeReasonSerializer, responses=DisputeDetailSerializer)
    @action(detail=True, methods=["post"])
    def escalate(self, request: Request, pk: str | None = None) -> Response:
        """Escalate to the next level by hand (a party), with a reason."""
        dispute = self.get_object()
        data = self.payload(DisputeReasonSerializer)
        with refusals_as_403():
            services.dispute_escalate(actor=self.actor, dispute=dispute, reason=data["reason"])
        return self._detail(dispute)

    @extend_schema(request=DisputeDecideSerializer, responses=DisputeDetailSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request: Request, pk: str | None = None) -> Response:
        """Record a binding decision with its reasoning (the handler of a level above 1)."""
        dispute = self.get_object()
        data = self.payload(DisputeDecideSerializer)
        with refusals_as_403():
            services.dispute_decide(
                actor=self.actor, dispute=dispute, decision=data["decision"], reasoning=data["reasoning"]
            )
        return self._detail(dispute)

    @extend_schema(request=DisputeReasonSerializer, responses=DisputeDetailSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        """Withdraw an open dispute (its raiser, or a coordinator), with a reason."""
        dispute = self.get_object()
        data = self.payload(DisputeReasonSerializer)
        with refusals_as_403():
            services.dispute_withdraw(actor=self.actor, dispute=dispute, reason=data["reason"])
        return self._detail(dispute)


# ── Ladders ─────────────────────────────────────────────────────────────────────────────────────


class LadderViewSet(mixins.ListModelMixin, _SignedIn):
    """Escalation ladders: everyone signed in reads them; coordinators and administrators create,
    replace (PUT) and delete them."""

    queryset = EscalationLadder.objects.none()  # the schema's model; requests use get_queryset()
    serializer_class = LadderSerializer
    pagination_class = None  # a handful of ladders
    http_method_names = ["get", "post", "put", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[EscalationLadder]:
        return selectors.ladder_list()  # the levels and their targets prefetched

    def get_object(self) -> EscalationLadder:
        return access_ladder(self.request.user, _pk(self.kwargs["pk"]))

    def _require_manager(self) -> None:
        if not can_manage_ladders(self.request.user):
            raise Forbidden(detail=_("Only coordinators and administrators manage escalation ladders."))

    def _answer(self, ladder: EscalationLadder, status_code: int = status.HTTP_200_OK) -> Response:
        return Response(LadderSerializer(self.get_queryset().get(pk=ladder.pk)).data, status=status_code)

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        """A ladder with its levels."""
        return self._answer(self.get_object())

    @extend_schema(request=LadderWriteSerializer, responses={201: LadderSerializer})
    def create(self, request: Request) -> Response:
        """Create a ladder (coordinators and administrators)."""
        self._require_manager()
        data = self.payload(LadderWriteSerializer)
        with refusals_as_403():
            ladder = services.ladder_create(
                actor=self.actor,
                code=data["code"],
                name=data["name"],
                is_default=data["is_default"],
                levels=[dict(level) for level in data["levels"]],
            )
        return self._answer(ladder, status.HTTP_201_CREATED)

    @extend_schema(request=LadderWriteSerializer, responses=LadderSerializer)
    def update(self, request: Request, pk: str | None = None) -> Response:
        """Replace a ladder's name, default flag and levels (coordinators and administrators)."""
        ladder = self.get_object()
        self._require_manager()
        data = self.payload(LadderWriteSerializer, updating=True)
        with refusals_as_403():
            services.ladder_update(
                actor=self.actor,
                ladder=ladder,
                name=data["name"],
                is_default=data["is_default"],
                levels=[dict(level) for level in data["levels"]],
            )
        return self._answer(ladder)

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request: Request, pk: str | None = None) -> Response:
        """Delete a ladder no dispute uses (coordinators and administrators)."""
        ladder = self.get_object()
        self._require_manager()
        with refusals_as_403():
            services.ladder_delete(actor=self.actor, ladder=ladder)
        return Response(status=status.HTTP_204_NO_CONTENT)
