"""The knowledge base over REST: what goes in and out."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from xietong.knowledge.models import Page, PageVersion, Space
from xietong.org.models import Department, Person
from xietong.processes.api.serializers import AttachmentSerializer  # one OpenAPI component for attachments
from xietong.processes.models import Case


class SpaceSerializer(serializers.ModelSerializer):
    department: serializers.SlugRelatedField[Department] = serializers.SlugRelatedField(
        slug_field="code", read_only=True, help_text="null: company-wide."
    )
    reader_departments: serializers.SlugRelatedField[Department] = serializers.SlugRelatedField(
        slug_field="code", many=True, read_only=True
    )
    editors: serializers.SlugRelatedField[Person] = serializers.SlugRelatedField(
        slug_field="username", many=True, read_only=True
    )
    page_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Space
        fields = (
            "id",
            "name",
            "description",
            "department",
            "visibility",
            "reader_departments",
            "editors",
            "page_count",
            "created_at",
            "updated_at",
        )


class SpaceWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    department = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Department.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        default=None,
        help_text="The department's code; null or absent for a company-wide space. Cannot be changed later.",
    )
    visibility = serializers.ChoiceField(choices=Space.Visibility.choices, default=Space.Visibility.COMPANY)
    reader_departments = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Department.objects.filter(is_active=True),
        many=True,
        required=False,
        default=list,
        help_text="For visibility 'departments': the codes of the reading departments (with their sub-departments).",
    )
    editors = serializers.SlugRelatedField(
        slug_field="username",
        queryset=Person.objects.filter(is_active=True, department__isnull=False),
        many=True,
        required=False,
        default=list,
        help_text="Usernames of people outside the department who may also write pages.",
    )


class PageSerializer(serializers.ModelSerializer):
    owner: serializers.SlugRelatedField[Person] = serializers.SlugRelatedField(slug_field="username", read_only=True)
    updated_by: serializers.SlugRelatedField[Person] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    needs_review = serializers.SerializerMethodField()

    class Meta:
        model = Page
        fields: tuple[str, ...] = (
            "id",
            "space",
            "title",
            "template",
            "owner",
            "review_by",
            "needs_review",
            "case",
            "version",
            "created_at",
            "updated_at",
            "updated_by",
        )

    def get_needs_review(self, page: Page) -> bool:
        return bool(page.review_by < self.context["today"])


class PageDetailSerializer(PageSerializer):
    body = serializers.CharField(help_text="The Markdown source.")
    html = serializers.SerializerMethodField(help_text="The Markdown rendered and sanitised.")
    attachments = serializers.SerializerMethodField()

    class Meta(PageSerializer.Meta):
        fields = (*PageSerializer.Meta.fields, "body", "html", "attachments")

    def get_html(self, page: Page) -> str:
        from xietong.knowledge.markdown import render

        return str(render(page.body))

    @extend_schema_field(AttachmentSerializer(many=True))
    def get_attachments(self, page: Page) -> list[dict[str, Any]]:
        return list(AttachmentSerializer(getattr(page, "attachment_list", []), many=True).data)


class PageCreateSerializer(serializers.Serializer):
    space = serializers.PrimaryKeyRelatedField(queryset=Space.objects.none(), help_text="A space you may write in.")
    title = serializers.CharField(max_length=200)
    body = serializers.CharField(required=False, allow_blank=True, default="", trim_whitespace=False)
    summary = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    owner = serializers.SlugRelatedField(
        slug_field="username",
        queryset=Person.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        default=None,
        help_text="The username of the page's owner; you when absent.",
    )
    review_by = serializers.DateField(required=False, allow_null=True, default=None)
    template = serializers.ChoiceField(choices=Page.Template.choices, default=Page.Template.BLANK)
    case = serializers.PrimaryKeyRelatedField(
        queryset=Case.objects.none(),
        required=False,
        allow_null=True,
        default=None,
        help_text="The id of a process case you may see.",
    )

    def __init__(self, *args: Any, spaces: Any = None, cases: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if spaces is not None:
            self.fields["space"].queryset = spaces  # type: ignore[attr-defined]  # a PrimaryKeyRelatedField
        if cases is not None:
            self.fields["case"].queryset = cases  # type: ignore[attr-defined]  # a PrimaryKeyRelatedField


class PageUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    body = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    summary = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    owner = serializers.SlugRelatedField(
        slug_field="username", queryset=Person.objects.filter(is_active=True), required=False
    )
    review_by = serializers.DateField(required=False)
    case = serializers.PrimaryKeyRelatedField(queryset=Case.objects.none(), required=False, allow_null=True)
    base_version = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="The version you edited; the save is refused (400, code 'conflict') if the page has moved on.",
    )

    def __init__(self, *args: Any, cases: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if cases is not None:
            self.fields["case"].queryset = cases  # type: ignore[attr-defined]  # a PrimaryKeyRelatedField


class PageVersionSerializer(serializers.ModelSerializer):
    author: serializers.SlugRelatedField[Person] = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = PageVersion
        fields: tuple[str, ...] = ("number", "title", "summary", "author", "created_at")


class PageVersionDetailSerializer(PageVersionSerializer):
    class Meta(PageVersionSerializer.Meta):
        fields = (*PageVersionSerializer.Meta.fields, "body")


class PageListQuerySerializer(serializers.Serializer):
    space = serializers.IntegerField(required=False, min_value=1, help_text="Only this space's pages.")
    needs_review = serializers.BooleanField(required=False, allow_null=True, default=None)
