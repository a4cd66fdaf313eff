from __future__ import annotations

from typing import Any

from rest_framework import serializers

from xietong.org.models import Committee, Department, Person


class PersonRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Person
        fields = ("id", "username", "name")


class DepartmentRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ("id", "code", "name")


class DepartmentSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(  # type: ignore[assignment]  # the field "parent" shadows Field.parent for mypy only
        slug_field="code", queryset=Department.objects.all(), allow_null=True, required=False
    )
    head = serializers.SlugRelatedField(
        slug_field="username", queryset=Person.objects.all(), allow_null=True, required=False
    )
    liaison = serializers.SlugRelatedField(
        slug_field="username", queryset=Person.objects.all(), allow_null=True, required=False
    )
    deputy_liaison = serializers.SlugRelatedField(
        slug_field="username", queryset=Person.objects.all(), allow_null=True, required=False
    )
    active = serializers.BooleanField(source="is_active", required=False)
    schedule = serializers.JSONField(
        allow_null=True, required=False, help_text="The department's own schedule (package format), or null to inherit."
    )

    class Meta:
        model = Department
        fields = ("id", "code", "name", "parent", "head", "liaison", "deputy_liaison", "schedule", "active")


class PersonSerializer(serializers.ModelSerializer):
    department = serializers.SlugRelatedField(slug_field="code", queryset=Department.objects.all())
    roles = serializers.ListField(child=serializers.ChoiceField(choices=["admin", "coordinator"]), required=False)
    active = serializers.BooleanField(source="is_active", read_only=True)

    class Meta:
        model = Person
        fields = ("id", "username", "name", "department", "title", "level", "email", "roles", "active")

    def to_internal_value(self, data: Any) -> Any:
        values = super().to_internal_value(data)
        if "roles" in values:
            roles = values.pop("roles")
            values["is_admin"], values["is_coordinator"] = "admin" in roles, "coordinator" in roles
        return values


class PersonPasswordSerializer(serializers.Serializer):
    password = serializers.CharField(write_only=True, trim_whitespace=False)


class PersonActiveSerializer(serializers.Serializer):
    active = serializers.BooleanField()


class CommitteeSerializer(serializers.ModelSerializer):
    chair = serializers.SlugRelatedField(
        slug_field="username", queryset=Person.objects.all(), allow_null=True, required=False
    )
    members = serializers.SlugRelatedField(slug_field="username", queryset=Person.objects.all(), many=True)

    class Meta:
        model = Committee
        fields = ("id", "code", "name", "chair", "members")
