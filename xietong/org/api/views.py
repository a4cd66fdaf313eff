"""The organization over REST: everyone signed in reads, administrators write (through the services)."""

from __future__ import annotations

from typing import Any, cast

from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from xietong.api.permissions import ReadForMembersWriteForAdmins
from xietong.api.views import CallerLanguageMixin
from xietong.org import services
from xietong.org.api.serializers import (
    CommitteeSerializer,
    DepartmentSerializer,
    PersonActiveSerializer,
    PersonPasswordSerializer,
    PersonSerializer,
)
from xietong.org.models import Committee, Department, Person
from xietong.org.selectors import person_list


class _WriteThroughServices(
    CallerLanguageMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet
):
    permission_classes = [ReadForMembersWriteForAdmins]
    http_method_names = ["get", "post", "patch", "head", "options"]

    @property
    def actor(self) -> Person:
        return cast(Person, self.request.user)  # permission_classes let only signed-in people through


class DepartmentViewSet(_WriteThroughServices):
    """Departments. Filter with ?parent=CODE, ?active=true|false, ?q=part of name or code."""

    serializer_class = DepartmentSerializer

    def get_queryset(self) -> QuerySet[Department]:
        qs = Department.objects.select_related("parent", "head", "liaison", "deputy_liaison").order_by("code")
        params = self.request.query_params
        if "parent" in params:
            qs = qs.filter(parent__code=params["parent"])
        if params.get("active") in ("true", "false"):
            qs = qs.filter(is_active=params["active"] == "true")
        if params.get("q"):
            from django.db.models import Q

            qs = qs.filter(Q(name__icontains=params["q"]) | Q(code__icontains=params["q"]))
        return qs

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = services.department_create(actor=self.actor, **serializer.validated_data)

    def perform_update(self, serializer: Any) -> None:
        serializer.instance = services.department_update(
            actor=self.actor, department=serializer.instance, **serializer.validated_data
        )


class PersonViewSet(_WriteThroughServices):
    """People of the organization. Filter with ?department=CODE, ?q=part of a name, ?active=false."""

    serializer_class = PersonSerializer

    def get_queryset(self) -> QuerySet[Person]:
        params = self.request.query_params
        qs = person_list(query=params.get("q", "").strip(), include_inactive=params.get("active") == "false")
        if params.get("active") == "false":
            qs = qs.filter(is_active=False)
        if "department" in params:
            qs = qs.filter(department__code=params["department"])
        return qs.order_by("username")

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = services.person_create(actor=self.actor, **serializer.validated_data)

    def perform_update(self, serializer: Any) -> None:
        values = dict(serializer.validated_data)
        values.pop("username", None)  # the username is the identity; it never changes
        serializer.instance = services.person_update(actor=self.actor, person=serializer.instance, **values)

    @extend_schema(request=PersonPasswordSerializer, responses={204: None})
    @action(detail=True, methods=["post"], url_path="password")
    def set_password(self, request: Request, pk: str | None = None) -> Response:
        person = self.get_object()
        payload = PersonPasswordSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.person_set_password(actor=self.actor, person=person, password=payload.validated_data["password"])
        return Response(status=204)

    @extend_schema(request=PersonActiveSerializer, responses=PersonSerializer)
    @action(detail=True, methods=["post"], url_path="active")
    def set_active(self, request: Request, pk: str | None = None) -> Response:
        person = self.get_object()
        payload = PersonActiveSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        person = services.person_set_active(
            actor=self.actor,
            person=person,
            active=payload.validated_data["active"],
        )
        return Response(PersonSerializer(person).data)

    def get_object(self) -> Person:
        # Detail routes reach people who left too (their history stays readable).
        queryset = Person.objects.select_related("department").filter(department__isnull=False)
        obj = queryset.filter(pk=self.kwargs["pk"]).first() if str(self.kwargs["pk"]).isdigit() else None
        if obj is None:
            from django.http import Http404

            raise Http404
        self.check_object_permissions(self.request, obj)
        return obj


class CommitteeViewSet(_WriteThroughServices):
    serializer_class = CommitteeSerializer

    def get_queryset(self) -> QuerySet[Committee]:
        return (
            Committee.objects.select_related("chair")
            .prefetch_related(Prefetch("members", queryset=Person.objects.order_by("username")))
            .order_by("code")
        )

    def perform_create(self, serializer: Any) -> None:
        values = dict(serializer.validated_data)
        members = values.pop("members")
        serializer.instance = services.committee_save(actor=self.actor, committee=None, members=members, **values)

    def perform_update(self, serializer: Any) -> None:
        values = dict(serializer.validated_data)
        members = values.pop("members", None)
        if members is None:
            members = list(serializer.instance.members.all())
        serializer.instance = services.committee_save(
            actor=self.actor, committee=serializer.instance, members=members, **values
        )
