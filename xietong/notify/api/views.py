"""The caller's own notifications over REST. Anyone else's id answers 404, as an unknown one."""

from __future__ import annotations

from typing import cast

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from xietong.api.views import CallerLanguageMixin
from xietong.notify import selectors, services
from xietong.notify.api.serializers import MarkedReadSerializer, NotificationSerializer, UnreadCountSerializer
from xietong.notify.models import Notification
from xietong.notify.permissions import access_notification
from xietong.org.models import Person


@extend_schema_view(
    list=extend_schema(
        parameters=[OpenApiParameter("unread", OpenApiTypes.BOOL, description="true: only the unread notifications")]
    )
)
class NotificationViewSet(CallerLanguageMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """The caller's notifications, newest first. Filter with ?unread=true."""

    serializer_class = NotificationSerializer
    queryset = Notification.objects.none()  # the schema's model; requests use get_queryset()

    @property
    def person(self) -> Person:
        return cast(Person, self.request.user)  # the default permission lets only signed-in people in

    def get_queryset(self) -> QuerySet[Notification]:
        unread_only = self.request.query_params.get("unread") == "true"
        return selectors.notification_inbox(person=self.person, unread_only=unread_only)

    def get_object(self) -> Notification:
        pk = str(self.kwargs["pk"])
        return access_notification(self.person, int(pk) if pk.isdigit() else 0)

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"], url_path="read")
    def read(self, request: Request, pk: str | None = None) -> Response:
        """Mark one notification read (again: keeps the first time)."""
        notification = services.notification_mark_one_read(notification=self.get_object())
        return Response(NotificationSerializer(notification).data)

    @extend_schema(request=None, responses=MarkedReadSerializer)
    @action(detail=False, methods=["post"], url_path="read-all", url_name="read-all")
    def read_all(self, request: Request) -> Response:
        """Mark every unread notification of the caller read."""
        marked = services.notification_mark_read(person=self.person)
        return Response(MarkedReadSerializer({"marked": marked}).data)

    @extend_schema(responses=UnreadCountSerializer)
    @action(detail=False, methods=["get"], url_path="unread-count", url_name="unread-count")
    def unread_count(self, request: Request) -> Response:
        """How many notifications of the caller are unread (what the bell shows)."""
        return Response(UnreadCountSerializer({"unread": selectors.notification_unread_count(person=self.person)}).data)
