"""Forms of the knowledge pages. They only read input: the services decide who may do what."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from xietong.knowledge.models import BODY_MAX_LENGTH, SUMMARY_MAX_LENGTH, TITLE_MAX_LENGTH, Page, Space
from xietong.org.models import Department, Person
from xietong.processes.case_forms import MultipleFileField


def _people() -> QuerySet[Person]:
    return Person.objects.filter(is_active=True, department__isnull=False).order_by("department__code", "name")


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} · {obj.department.name}" if obj.department_id else obj.name


class PeopleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} · {obj.department.name}" if obj.department_id else obj.name


class SpaceForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("knowledge space", "Name"), max_length=100)
    description = forms.CharField(
        label=_("Description"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    department = forms.ModelChoiceField(
        label=_("Department"),
        queryset=Department.objects.none(),
        required=False,
        empty_label=_("None: a company-wide space"),
    )
    visibility = forms.ChoiceField(label=_("Readers"), choices=Space.Visibility.choices)
    reader_departments = forms.ModelMultipleChoiceField(
        label=_("Reading departments"),
        queryset=Department.objects.filter(is_active=True).order_by("code"),
        required=False,
        help_text=_("For “Listed departments”: each reads with its sub-departments."),
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    editors = PeopleChoiceField(
        label=_("Editors"),
        queryset=Person.objects.none(),
        required=False,
        help_text=_("People outside the department who may also write pages here."),
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )

    def __init__(
        self, *args: Any, departments: QuerySet[Department] | None, company_allowed: bool = True, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if departments is None:  # editing: the department stays
            del self.fields["department"]
        else:
            field = self.fields["department"]
            field.queryset = departments.order_by("code")  # type: ignore[attr-defined]
            if not company_allowed:  # a department's head creates spaces of their departments only
                field.required = True
                field.empty_label = None  # type: ignore[attr-defined]
        self.fields["editors"].queryset = _people().select_related("department")  # type: ignore[attr-defined]


class PageForm(forms.Form):
    title = forms.CharField(label=pgettext_lazy("knowledge page", "Title"), max_length=TITLE_MAX_LENGTH)
    body = forms.CharField(
        label=_("Content (Markdown)"),
        required=False,
        max_length=BODY_MAX_LENGTH,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 18, "class": "font-monospace", "spellcheck": "false"}),
    )
    summary = forms.CharField(
        label=_("Summary of changes"),
        required=False,
        max_length=SUMMARY_MAX_LENGTH,
        help_text=_("What this save changes, shown in the history."),
    )
    owner = PersonChoiceField(
        label=pgettext_lazy("knowledge page", "Owner"),
        queryset=Person.objects.none(),
        help_text=_("Keeps the page current and is reminded when it is due for review."),
    )
    review_by = forms.DateField(label=_("Review by"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    case = forms.IntegerField(
        label=_("Process case (optional)"),
        required=False,
        min_value=1,
        help_text=_("The number of a case this page is about, as in the case's address."),
    )
    attachments = MultipleFileField(label=_("Attachments"), required=False)
    template = forms.ChoiceField(choices=Page.Template.choices, widget=forms.HiddenInput, required=False)
    base_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = _people().select_related("department")  # type: ignore[attr-defined]


class PreviewForm(forms.Form):
    body = forms.CharField(required=False, max_length=BODY_MAX_LENGTH, strip=False)
