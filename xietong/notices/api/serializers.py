"""What the notices API reads and writes. Departments are referenced by code, people by username;
every instant is ISO 8601 with its offset."""

from __future__ import annotations

import json
from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers

from xietong.notices.models import ACK_WITHIN_DEFAULT, Notice
from xietong.notices.services import PUBLISH_NOW, SAVE_DRAFT, SCHEDULE
from xietong.org.models import Department


class NoticeSerializer(serializers.ModelSerializer):
    """A notice as a list shows it, with the caller's own state when they are a recipient."""

    author = serializers.SlugRelatedField(slug_field="username", read_only=True)  # type: ignore[var-annotated]
    # Plain text rather than an enum: several apps have a "state" enum, and the schema would rename them all.
    state = serializers.CharField(read_only=True, help_text="draft, scheduled, published or withdrawn.")
    audience = serializers.SerializerMethodField()
    is_recipient = serializers.BooleanField(read_only=True, help_text="Whether the caller was addressed.")
    read_at = serializers.DateTimeField(source="my_read_at", read_only=True, allow_null=True)
    acknowledged_at = serializers.DateTimeField(source="my_ack_at", read_only=True, allow_null=True)
    recipients = serializers.IntegerField(source="recipient_count", read_only=True, allow_null=True)
    acks = serializers.IntegerField(source="ack_count", read_only=True, allow_null=True)

    class Meta:
        model = Notice
        fields: tuple[str, ...] = (
            "id",
            "ref",
            "title",
            "state",
            "is_pinned",
            "author",
            "audience",
            "requires_ack",
            "ack_within",
            "publish_at",
            "published_at",
            "due_at",
            "withdrawn_at",
            "is_recipient",
            "read_at",
            "acknowledged_at",
            "recipients",
            "acks",
        )
        read_only_fields = fields

    def get_audience(self, notice: Notice) -> str | list[str]:
        """``"all"``, or the codes of the chosen departments (each with its sub-departments)."""
        if notice.audience_all:
            return "all"
        return sorted(d.code for d in notice.audience_departments.all())


class NoticeDetailSerializer(NoticeSerializer):
    body = serializers.CharField(read_only=True)
    attachments = serializers.SerializerMethodField()

    class Meta(NoticeSerializer.Meta):
        fields = (*NoticeSerializer.Meta.fields, "body", "attachments")
        read_only_fields = fields

    def get_attachments(self, notice: Notice) -> list[dict[str, Any]]:
        """Each attachment's id, file name, size and download URL."""
        from django.urls import reverse

        return [
            {"id": a.pk, "filename": a.filename, "size": a.size, "url": reverse("attachments:download", args=[a.pk])}
            for a in self.context.get("attachments", [])
        ]


class NoticePublishSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    body = serializers.CharField(required=False, allow_blank=True, default="")
    audience = serializers.JSONField(
        help_text='"all", or a list of department codes (in a multipart form: "all", one code, or the list as JSON).'
    )
    requires_ack = serializers.BooleanField(required=False, default=False)
    ack_within = serializers.CharField(required=False, default=ACK_WITHIN_DEFAULT, max_length=16)
    is_pinned = serializers.BooleanField(required=False, default=False)
    publish_at = serializers.DateTimeField(
        required=False, allow_null=True, default=None, help_text="Schedule the publication (else now)."
    )
    draft = serializers.BooleanField(required=False, default=False, help_text="Keep it as a draft.")
    files = serializers.ListField(child=serializers.FileField(), required=False, default=list)

    def validate_audience(self, value: Any) -> Any:
        if value == "all":
            return value
        if isinstance(value, str):  # a multipart form sends the list as JSON text, or one code
            try:
                value = json.loads(value)
            except ValueError:
                value = [value]
        if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            raise serializers.ValidationError(_('Write "all" or a list of department codes.'))
        found = {d.code: d for d in Department.objects.filter(code__in=value)}
        missing = [code for code in value if code not in found]
        if missing:
            raise serializers.ValidationError(_("No department has the code {codes}.").format(codes="、".join(missing)))
        return [found[code] for code in dict.fromkeys(value)]

    def service_arguments(self) -> dict[str, Any]:
        data = self.validated_data
        everyone = data["audience"] == "all"
        mode = SAVE_DRAFT if data["draft"] else SCHEDULE if data["publish_at"] is not None else PUBLISH_NOW
        return {
            "title": data["title"],
            "body": data["body"],
            "audience_all": everyone,
            "departments": [] if everyone else data["audience"],
            "requires_ack": data["requires_ack"],
            "ack_within": data["ack_within"],
            "is_pinned": data["is_pinned"],
            "mode": mode,
            "publish_at": data["publish_at"],
            "files": data["files"],
        }


class DepartmentRateSerializer(serializers.Serializer):
    department = serializers.CharField(source="code", allow_null=True)
    name = serializers.CharField()
    recipients = serializers.IntegerField()
    read = serializers.IntegerField()
    acknowledged = serializers.IntegerField()
    on_time = serializers.IntegerField()
    rate = serializers.FloatField(allow_null=True)


class PendingSerializer(serializers.Serializer):
    username = serializers.CharField(source="person.username")
    name = serializers.CharField(source="person.name")
    department = serializers.CharField(source="department.code", allow_null=True, default=None)
    read_at = serializers.DateTimeField(allow_null=True)


class PendingPageSerializer(serializers.Serializer):
    """One page of the people who have not acknowledged, in the API's usual page envelope."""

    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = PendingSerializer(many=True)


class ReadRateSerializer(serializers.Serializer):
    """The acknowledgement report: per department, and a page of who has not acknowledged yet."""

    notice = serializers.IntegerField(source="notice.pk")
    due_at = serializers.DateTimeField(source="notice.due_at", allow_null=True)
    total = DepartmentRateSerializer()
    departments = DepartmentRateSerializer(many=True)
    pending = PendingPageSerializer()


class ReadRateQuerySerializer(serializers.Serializer):
    department = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=50,
        help_text="only the people of this department (its code) in `pending`",
    )
    page = serializers.IntegerField(required=False, min_value=1, help_text="the page of `pending`")
    page_size = serializers.IntegerField(
        required=False, min_value=1, max_value=500, help_text="people per page of `pending` (default 50)"
    )


class NoticeListQuerySerializer(serializers.Serializer):
    show = serializers.ChoiceField(
        choices=["", "unread", "to_ack", "mine", "drafts", "withdrawn"], required=False, default=""
    )
    q = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)
