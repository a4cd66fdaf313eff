"""Forms of the case pages: opening a case and the actions on it. They only read input: the services
decide whether the action is allowed."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from xietong.org.models import Person


class CaseOpenForm(forms.Form):
    title = forms.CharField(label=pgettext_lazy("case", "Title"), max_length=200)
    ref = forms.CharField(
        label=_("Reference"),
        max_length=64,
        required=False,
        help_text=_("Leave empty to number the case automatically."),
    )
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 5}))


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
        cleaned = [clean_one(item, initial) for item in items]
        return [upload for upload in cleaned if upload]


class StepCompleteForm(forms.Form):
    note = forms.CharField(label=_("Output"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    attachments = MultipleFileField(label=_("Attachments"), required=False)


class StepAssignForm(forms.Form):
    assignee = forms.ModelChoiceField(
        label=_("Assignee"), queryset=Person.objects.none(), required=False, empty_label=_("Nobody")
    )

    def __init__(self, *args: Any, people: QuerySet[Person], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = people  # type: ignore[attr-defined]  # a ModelChoiceField


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))
