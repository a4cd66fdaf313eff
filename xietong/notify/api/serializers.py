from __future__ import annotations

from rest_framework import serializers

from xietong.notify.models import Notification


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
