"""Forms of the progress pages. They only read input: the services decide who may post."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from xietong.processes.case_forms import MultipleFileField
from xietong.progress.models import BODY_MAX_LENGTH


class PostForm(forms.Form):
    body = forms.CharField(
        label=_("Progress"),
        max_length=BODY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    department = forms.IntegerField(required=False, min_value=1)
    case = forms.IntegerField(required=False, min_value=1)
    is_internal = forms.BooleanField(label=_("Only for my department"), required=False)
    attachments = MultipleFileField(label=_("Attachments"), required=False)
    next = forms.CharField(required=False, max_length=500)
