"""The publish form. It only reads input: the services decide and validate."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from xietong.notices.models import ACK_WITHIN_DEFAULT
from xietong.notices.services import PUBLISH_NOW, SAVE_DRAFT, SCHEDULE
from xietong.org.models import Department
from xietong.org.selectors import organization_schedule


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field; cleans to a list (empty when none was chosen)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        clean_one = super().clean
        items = data if isinstance(data, list | tuple) else [data]
        return [upload for upload in (clean_one(item, initial) for item in items) if upload]


class NoticeForm(forms.Form):
    AUDIENCE_CHOICES = (("all", _("Everyone")), ("departments", _("Chosen departments")))
    MODE_CHOICES = (
        (PUBLISH_NOW, _("Publish now")),
        (SCHEDULE, _("Schedule for later")),
        (SAVE_DRAFT, _("Save as a draft")),
    )

    title = forms.CharField(label=pgettext_lazy("notice", "Title"), max_length=200)
    body = forms.CharField(
        label=_("Text"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Plain text; line breaks are kept."),
    )
    audience = forms.ChoiceField(label=_("Audience"), choices=AUDIENCE_CHOICES, initial="all", widget=forms.RadioSelect)
    departments = forms.ModelMultipleChoiceField(
        label=_("Departments"),
        queryset=Department.objects.none(),
        required=False,
        help_text=_("A department includes its sub-departments."),
        widget=forms.CheckboxSelectMultiple,
    )
    requires_ack = forms.BooleanField(label=_("Requires acknowledgement (read and understood)"), required=False)
    ack_within = forms.CharField(
        label=_("Acknowledge within"),
        max_length=16,
        initial=ACK_WITHIN_DEFAULT,
        required=False,
        help_text=_("Working time on the organization's schedule, e.g. 2d, 4h, 30m."),
    )
    mode = forms.ChoiceField(
        label=_("Publication"), choices=MODE_CHOICES, initial=PUBLISH_NOW, widget=forms.RadioSelect
    )
    publish_at = forms.DateTimeField(
        label=_("Publish at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
    )
    is_pinned = forms.BooleanField(label=_("Pin to the top of the list"), required=False)
    attachments = MultipleFileField(label=_("Attachments"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["departments"].queryset = Department.objects.filter(  # type: ignore[attr-defined]  # a ModelChoiceField
            is_active=True
        ).order_by("code")

    def clean_publish_at(self) -> datetime | None:
        value: datetime | None = self.cleaned_data.get("publish_at")
        if value is not None and timezone.is_naive(value):
            value = value.replace(tzinfo=organization_schedule().tz)  # read in the organization's timezone
        return value

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        everyone = data["audience"] == "all"
        return {
            "title": data["title"],
            "body": data.get("body", ""),
            "audience_all": everyone,
            "departments": [] if everyone else list(data.get("departments") or []),
            "requires_ack": bool(data.get("requires_ack")),
            "ack_within": data.get("ack_within") or ACK_WITHIN_DEFAULT,
            "is_pinned": bool(data.get("is_pinned")),
            "mode": data["mode"],
            "publish_at": data.get("publish_at"),
            "files": data.get("attachments") or [],
        }
