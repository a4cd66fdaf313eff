from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from xietong.org.models import Committee, Department, Organization, Person


def _members() -> Any:
    return Person.objects.filter(is_active=True, department__isnull=False).select_related("department").order_by("name")


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Person) -> str:
        return f"{obj.name}（{obj.department.name if obj.department else '—'}）"


class ScheduleFields(forms.Form):
    """A schedule edited as plain fields; turned into the package-format mapping."""

    working_hours = forms.CharField(
        label=_("Working hours"),
        required=False,
        initial="09:00-12:00, 13:00-18:00",
        help_text=_("Periods of a working day, e.g. 09:00-12:00, 13:00-18:00 (24:00 may end the last one)."),
    )
    days = forms.ChoiceField(
        label=_("Working days"),
        required=False,
        choices=[
            ("cn", _("Mainland China official calendar (holidays and make-up days)")),
            ("weekdays", _("Monday to Friday")),
            ("all", _("Every day")),
        ],
        initial="cn",
    )
    holidays = forms.CharField(
        label=_("Extra days off"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Dates YYYY-MM-DD, separated by spaces, commas or new lines."),
    )
    workdays = forms.CharField(
        label=_("Extra working days"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Dates YYYY-MM-DD, separated by spaces, commas or new lines."),
    )

    @staticmethod
    def initial_from(spec: dict[str, Any] | None) -> dict[str, Any]:
        if not spec:
            return {}
        return {
            "working_hours": ", ".join(spec.get("working_hours", [])),
            "days": spec.get("days", "cn"),
            "holidays": "\n".join(spec.get("holidays", [])),
            "workdays": "\n".join(spec.get("workdays", [])),
        }

    def schedule_spec(self) -> dict[str, Any]:
        data = self.cleaned_data

        def split(text: str) -> list[str]:
            return [p for p in text.replace(",", " ").replace("，", " ").split() if p]

        return {
            "working_hours": split(data.get("working_hours") or "") or ["09:00-12:00", "13:00-18:00"],
            "days": data.get("days") or "cn",
            "holidays": split(data.get("holidays") or ""),
            "workdays": split(data.get("workdays") or ""),
        }


class DepartmentForm(forms.ModelForm):
    head = PersonChoiceField(queryset=_members(), required=False, label=_("Head"))
    liaison = PersonChoiceField(queryset=_members(), required=False, label=_("Liaison"))
    deputy_liaison = PersonChoiceField(queryset=_members(), required=False, label=_("Deputy liaison"))
    own_schedule = forms.BooleanField(
        label=_("This department has its own working schedule"),
        required=False,
        help_text=_("Otherwise it works on its parent's schedule (or the organization's)."),
    )

    class Meta:
        model = Department
        fields = ("code", "name", "parent", "head", "liaison", "deputy_liaison", "is_active")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        parents = Department.objects.filter(is_active=True).order_by("code")
        if self.instance.pk:
            parents = parents.filter(~Q(pk=self.instance.pk))
        self.fields["parent"].queryset = parents  # type: ignore[attr-defined]
        for name in ("head", "liaison", "deputy_liaison"):
            self.fields[name].queryset = _members()  # type: ignore[attr-defined]
        self.fields["own_schedule"].initial = self.instance.schedule is not None


class PersonForm(forms.ModelForm):
    class Meta:
        model = Person
        fields = ("username", "name", "department", "title", "level", "email", "is_coordinator", "is_admin")

    def __init__(self, *args: Any, can_grant_roles: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].required = True
        self.fields["department"].queryset = Department.objects.filter(is_active=True)  # type: ignore[attr-defined]
        if self.instance.pk:
            self.fields["username"].disabled = True
        if not can_grant_roles:
            del self.fields["is_coordinator"]
            del self.fields["is_admin"]


class SetPasswordForm(forms.Form):
    password = forms.CharField(label=_("New password"), widget=forms.PasswordInput, strip=False)


class CommitteeForm(forms.ModelForm):
    chair = PersonChoiceField(queryset=_members(), required=False, label=_("Chair"))
    members = forms.ModelMultipleChoiceField(
        queryset=_members(), label=_("Members"), widget=forms.SelectMultiple(attrs={"size": 12})
    )

    class Meta:
        model = Committee
        fields = ("code", "name", "chair", "members")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["chair"].queryset = _members()  # type: ignore[attr-defined]
        self.fields["members"].queryset = _members()  # type: ignore[attr-defined]


class OrganizationForm(forms.ModelForm):
    class Meta:
        model = Organization
        fields = ("name", "timezone", "language")

    def clean_timezone(self) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        value: str = self.cleaned_data["timezone"]
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise forms.ValidationError(
                _("“%(tz)s” is not a known timezone such as Asia/Shanghai."), params={"tz": value}
            ) from exc
        return value
