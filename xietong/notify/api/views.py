"""The caller's own notifications and preferences over REST (anyone else's id answers 404, as an
unknown one); webhooks and deliveries for administrators."""

from __future__ import annotations

from typing import Any, cast

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from xietong.api.views import CallerLanguageMixin
from xietong.notify import selectors, services
from xietong.notify.api.serializers import (
    DeliveryDetailSerializer,
    DeliverySerializer,
    MarkedReadSerializer,
    NotificationSerializer,
    PreferencesInputSerializer,
    PreferencesSerializer,
    UnreadCountSerializer,
    WebhookSerializer,
)
from xietong.notify.models import Delivery, Notification, Webhook
from xietong.notify.permissions import (
    access_delivery,
    access_notification,
    access_webhook,
    can_manage_webhooks,
    can_see_deliveries,
    webhooks_visible_to,
)
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


# ── Preferences: the caller's own ───────────────────────────────────────────────────────────────


def _preferences(person: Person) -> dict[str, Any]:
    return {"groups": selectors.notification_preferences_of(person), "has_email": bool(person.email)}


class NotificationPreferencesApi(CallerLanguageMixin, APIView):
    """The caller's choice per group of kinds: in the app only, or also by e-mail (default: in the app only)."""

    @extend_schema(responses=PreferencesSerializer)
    def get(self, request: Request) -> Response:
        return Response(PreferencesSerializer(_preferences(cast(Person, request.user))).data)

    @extend_schema(request=PreferencesInputSerializer, responses=PreferencesSerializer)
    def put(self, request: Request) -> Response:
        """Set the groups received by e-mail (the full list: every other group is in the app only)."""
        person = cast(Person, request.user)
        payload = PreferencesInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.notification_preferences_set(person=person, email_groups=payload.validated_data["email_groups"])
        return Response(PreferencesSerializer(_preferences(person)).data)


# ── Webhooks and deliveries: administrators only ────────────────────────────────────────────────


class _AdministratorsOnly(CallerLanguageMixin, viewsets.GenericViewSet):
    """403 on the lists for anyone not ``allowed``; 404 on one object (as for an unknown id)."""

    @staticmethod
    def allowed(user: Any) -> bool:
        return can_see_deliveries(user)

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # signed in (403 for anonymous callers)
        if not self.allowed(request.user):
            if self.kwargs.get("pk") is not None:
                raise Http404
            raise PermissionDenied

    @property
    def actor(self) -> Person:
        return cast(Person, self.request.user)

    def _pk(self) -> int:
        pk = str(self.kwargs["pk"])
        return int(pk) if pk.isdigit() else 0


SERVICE_FIELDS = ("name", "department", "include_subdepartments", "vendor", "url", "groups", "is_active")


class WebhookViewSet(
    _AdministratorsOnly,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
):
    """Group-robot webhooks (WeCom, DingTalk, Feishu): administrators manage every one, a department's
    head those of the departments they head. The secret is write-only."""

    serializer_class = WebhookSerializer
    queryset = Webhook.objects.none()  # the schema's model; requests use get_queryset()

    @staticmethod
    def allowed(user: Any) -> bool:
        return can_manage_webhooks(user)

    def get_queryset(self) -> QuerySet[Webhook]:
        return webhooks_visible_to(self.request.user).select_related("department").order_by("name", "pk")

    def get_object(self) -> Webhook:
        return access_webhook(self.request.user, self._pk())

    def perform_create(self, serializer: Any) -> None:
        data = serializer.validated_data
        values = {f: data[f] for f in SERVICE_FIELDS if f in data}
        serializer.instance = services.webhook_create(actor=self.actor, secret=data.get("secret", ""), **values)

    def perform_update(self, serializer: Any) -> None:
        data = serializer.validated_data
        values = {f: data[f] for f in SERVICE_FIELDS if f in data}
        serializer.instance = services.webhook_update(
            actor=self.actor,
            webhook=serializer.instance,
            secret=data.get("secret"),
            clear_secret=data.get("clear_secret", False),
            **values,
        )

    def perform_destroy(self, instance: Webhook) -> None:
        services.webhook_delete(actor=self.actor, webhook=instance)

    @extend_schema(request=None, responses={202: DeliverySerializer})
    @action(detail=True, methods=["post"], url_path="test")
    def test(self, request: Request, pk: str | None = None) -> Response:
        """Post a test message to the webhook (after the request; its outcome shows in the deliveries)."""
        delivery = services.webhook_send_test(actor=self.actor, webhook=self.get_object())
        delivery.refresh_from_db()
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, enum=Delivery.Status.values),
            OpenApiParameter("webhook", OpenApiTypes.INT),
        ]
    )
)
class DeliveryViewSet(_AdministratorsOnly, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """E-mails and webhook posts, newest first, with their attempts (read only). ?status=failed"""

    serializer_class = DeliverySerializer
    queryset = Delivery.objects.none()

    def get_queryset(self) -> QuerySet[Delivery]:
        params = self.request.query_params
        wanted = params.get("status")
        webhook = params.get("webhook", "")
        return selectors.delivery_list(
            status=wanted if wanted in Delivery.Status.values else None,
            webhook_id=int(webhook) if webhook.isdigit() else None,
        )

    def get_serializer_class(self) -> type[DeliverySerializer]:
        return DeliveryDetailSerializer if self.action == "retrieve" else DeliverySerializer

    def get_object(self) -> Delivery:
        return access_delivery(self.request.user, self._pk())

    @extend_schema(request=None, responses={202: DeliverySerializer})
    @action(detail=True, methods=["post"], url_path="retry")
    def retry(self, request: Request, pk: str | None = None) -> Response:
        """Try a failed delivery once more (after the request)."""
        delivery = services.delivery_retry(actor=self.actor, delivery=self.get_object())
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)
