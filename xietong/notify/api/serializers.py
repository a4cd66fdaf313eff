from __future__ import annotations

from rest_framework import serializers

from xietong.notify.models import Delivery, DeliveryAttempt, Notification, Webhook
from xietong.org.models import Department


class NotificationSerializer(serializers.ModelSerializer):
    url = serializers.CharField(source="link", read_only=True, help_text="A path on this site, or empty.")
    read = serializers.BooleanField(source="is_read", read_only=True)

    class Meta:
        model = Notification
        fields = ("id", "kind", "title", "body", "url", "created_at", "read_at", "read")
        read_only_fields = fields


class MarkedReadSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text="How many unread notifications were marked read.")


class UnreadCountSerializer(serializers.Serializer):
    unread = serializers.IntegerField()


# ── Preferences ─────────────────────────────────────────────────────────────────────────────────


class PreferenceSerializer(serializers.Serializer):
    group = serializers.CharField(read_only=True, help_text='The part of the kinds before the dot, e.g. "process".')
    label = serializers.CharField(read_only=True)  # type: ignore[assignment]  # the field "label" shadows Field.label for mypy only
    email = serializers.BooleanField(read_only=True, help_text="Also by e-mail (else in the app only).")


class PreferencesSerializer(serializers.Serializer):
    groups = PreferenceSerializer(many=True, read_only=True)
    has_email = serializers.BooleanField(read_only=True, help_text="Whether the caller has an e-mail address.")


class PreferencesInputSerializer(serializers.Serializer):
    email_groups = serializers.ListField(
        child=serializers.CharField(max_length=32),
        allow_empty=True,
        help_text="The groups to receive by e-mail; every other group: in the app only.",
    )


# ── Webhooks and deliveries (administrators) ────────────────────────────────────────────────────


class WebhookSerializer(serializers.ModelSerializer):
    """A webhook. ``secret`` is write-only: accepted, never returned (``has_secret`` says if one is
    stored); on update, an absent or empty secret keeps the stored one, ``clear_secret`` removes it."""

    department = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Department.objects.all(),
        allow_null=True,
        required=False,
        help_text="The department's code; null: the whole organization.",
    )
    vendor = serializers.CharField(max_length=16, help_text="wecom, dingtalk or feishu.")
    url = serializers.CharField(max_length=500, help_text="http:// or https:// only.")
    groups = serializers.ListField(child=serializers.CharField(max_length=32), allow_empty=True)
    secret = serializers.CharField(
        write_only=True, required=False, allow_blank=True, max_length=200, trim_whitespace=True
    )
    clear_secret = serializers.BooleanField(write_only=True, required=False, default=False)
    has_secret = serializers.BooleanField(read_only=True)
    active = serializers.BooleanField(source="is_active", required=False, default=True)

    class Meta:
        model = Webhook
        fields = (
            "id",
            "name",
            "department",
            "include_subdepartments",
            "vendor",
            "url",
            "groups",
            "active",
            "secret",
            "clear_secret",
            "has_secret",
            "created_at",
            "updated_at",
        )
        read_only_fields = ("id", "has_secret", "created_at", "updated_at")


class DeliveryAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = DeliveryAttempt
        fields = ("number", "started_at", "outcome", "http_status", "response", "error", "duration_ms")
        read_only_fields = fields


class DeliverySerializer(serializers.ModelSerializer):
    recipient = serializers.CharField(source="recipient.username", read_only=True, allow_null=True)
    webhook = serializers.IntegerField(source="webhook_id", read_only=True, allow_null=True)

    class Meta:
        model = Delivery
        fields: tuple[str, ...] = (
            "id",
            "channel",
            "recipient",
            "webhook",
            "kind",
            "title",
            "status",
            "attempts",
            "next_attempt_at",
            "created_at",
            "sent_at",
            "last_error",
        )
        read_only_fields: tuple[str, ...] = fields


class DeliveryDetailSerializer(DeliverySerializer):
    tries = DeliveryAttemptSerializer(many=True, read_only=True)

    class Meta(DeliverySerializer.Meta):
        fields = (*DeliverySerializer.Meta.fields, "body", "url", "tries")
        read_only_fields = fields
