"""Progress updates over REST: what goes in and out."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from xietong.org.models import Department
from xietong.processes.api.serializers import AttachmentSerializer  # one OpenAPI component for attachments
from xietong.processes.models import Case
from xietong.progress.models import BODY_MAX_LENGTH, Post


class AuthorSerializer(serializers.Serializer):
    username = serializers.CharField()
    name = serializers.CharField()


class PostSerializer(serializers.ModelSerializer):
    author = AuthorSerializer(read_only=True)
    department: serializers.SlugRelatedField[Department] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    attachments = serializers.SerializerMethodField()

    class Meta:
        model = Post
        fields = ("id", "author", "body", "department", "case", "is_internal", "created_at", "attachments")

    @extend_schema_field(AttachmentSerializer(many=True))
    def get_attachments(self, post: Post) -> list[dict[str, Any]]:
        return list(AttachmentSerializer(getattr(post, "attachment_list", []), many=True).data)


class PostCreateSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=BODY_MAX_LENGTH)
    department = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Department.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        default=None,
        help_text="The code of the department the update is about (or give case).",
    )
    case = serializers.PrimaryKeyRelatedField(
        queryset=Case.objects.none(),
        required=False,
        allow_null=True,
        default=None,
        help_text="The id of a case you may see (or give department).",
    )
    is_internal = serializers.BooleanField(default=False, help_text="A department's update for its own people only.")
    files = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True, use_url=False),
        required=False,
        default=list,
        help_text="Files attached to the update (multipart/form-data, one ``files`` part per file).",
    )

    def __init__(self, *args: Any, cases: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if cases is not None:
            self.fields["case"].queryset = cases  # type: ignore[attr-defined]  # a PrimaryKeyRelatedField


class PostListQuerySerializer(serializers.Serializer):
    department = serializers.CharField(required=False, help_text="Only this department's updates (its code).")
    case = serializers.IntegerField(required=False, min_value=1, help_text="Only this case's updates.")
