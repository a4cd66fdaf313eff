"""GET /api/v1/audit/entries/?model=org.department&object_id=5 — administrators only."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import BasePermission

from xietong.api.views import CallerLanguageMixin
from xietong.audit.models import AuditEntry
from xietong.org.permissions import is_admin


class IsOrgAdmin(BasePermission):
    def has_permission(self, request: Any, view: Any) -> bool:
        return is_admin(request.user)


class AuditEntrySerializer(serializers.ModelSerializer):
    actor: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = AuditEntry
        fields = ("id", "at", "actor", "actor_repr", "object_id", "object_repr", "action", "changes")


@extend_schema(
    parameters=[
        OpenApiParameter("model", OpenApiTypes.STR, required=True, description="app_label.model, e.g. org.department"),
        OpenApiParameter("object_id", OpenApiTypes.STR, required=True),
    ]
)
class AuditEntryListApi(CallerLanguageMixin, generics.ListAPIView):
    serializer_class = AuditEntrySerializer
    permission_classes = [IsOrgAdmin]

    def get_queryset(self) -> QuerySet[AuditEntry]:
        params = self.request.query_params
        missing = {name: [_("This field is required.")] for name in ("model", "object_id") if not params.get(name)}
        if missing:
            raise ValidationError(missing)
        try:
            model = apps.get_model(params["model"])
        except (LookupError, ValueError) as exc:
            raise NotFound from exc
        ct = ContentType.objects.get_for_model(model)
        return AuditEntry.objects.filter(content_type=ct, object_id=params["object_id"]).select_related("actor")


urlpatterns = [path("entries/", AuditEntryListApi.as_view(), name="audit_entries")]
