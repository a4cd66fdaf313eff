"""Forms of the dispute pages: raising a dispute, the actions on it, and the ladder editor.

They only read and shape the input; the rules (two or more distinct active parties, who may act,
exactly one default ladder, time limits …) live in xietong.disputes.services, so every door (page,
API, import) applies the same ones.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from xietong.disputes.models import EscalationLadder, LadderLevel
from xietong.org.models import Committee, Department, Person
from xietong.processes.models import Case, Step

# ── Shared fields ───────────────────────────────────────────────────────────────────────────────


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


class DepartmentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Department) -> str:
        return f"{obj.name}（{obj.code}）"


class DepartmentMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Department) -> str:
        return f"{obj.name}（{obj.code}）"


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Person) -> str:
        return f"{obj.name}（{obj.username}）"


class CaseChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Case) -> str:
        return f"{obj.ref} {obj.title}".strip()


class StepChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Step) -> str:
        return f"{obj.version.process.name} · {obj.code} {obj.name}"


def active_departments() -> QuerySet[Department]:
    return Department.objects.filter(is_active=True).order_by("code")


# ── Raising a dispute ───────────────────────────────────────────────────────────────────────────


class DisputeRaiseForm(forms.Form):
    title = forms.CharField(label=pgettext_lazy("dispute", "Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("What the departments disagree about, and what each of them asks for."),
    )
    parties = DepartmentMultipleChoiceField(
        label=_("Parties"),
        queryset=Department.objects.none(),
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        help_text=_("Two or more departments; yours (or one above it) must be among them."),
    )
    ladder = forms.ModelChoiceField(
        label=_("Escalation ladder"), queryset=EscalationLadder.objects.none(), required=False, empty_label=None
    )
    case = CaseChoiceField(
        label=_("Process case"),
        queryset=Case.objects.none(),
        required=False,
        empty_label=_("None"),
        help_text=_("The case it is about, if any."),
    )
    step = StepChoiceField(
        label=_("Process step"),
        queryset=Step.objects.none(),
        required=False,
        empty_label=_("None"),
        help_text=_("The process step it is about, if any."),
    )
    attachments = MultipleFileField(label=_("Attachments"), required=False)

    def __init__(
        self,
        *args: Any,
        ladders: QuerySet[EscalationLadder],
        cases: QuerySet[Case],
        steps: QuerySet[Step],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parties"].queryset = active_departments()  # type: ignore[attr-defined]  # a model field
        self.fields["ladder"].queryset = ladders  # type: ignore[attr-defined]  # a model field
        self.fields["case"].queryset = cases  # type: ignore[attr-defined]  # a model field
        self.fields["step"].queryset = steps  # type: ignore[attr-defined]  # a model field
        default = next((ladder for ladder in ladders if ladder.is_default), None)
        if default is not None and not self.is_bound:
            self.fields["ladder"].initial = default.pk


# ── Actions on a dispute ────────────────────────────────────────────────────────────────────────


class CommentForm(forms.Form):
    note = forms.CharField(label=_("Comment"), max_length=10_000, widget=forms.Textarea(attrs={"rows": 3}))
    attachments = MultipleFileField(label=_("Attachments"), required=False)


class ProposeForm(forms.Form):
    text = forms.CharField(label=_("Proposed resolution"), max_length=10_000, widget=forms.Textarea(attrs={"rows": 3}))


class ConfirmForm(forms.Form):
    proposal = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=10_000, widget=forms.Textarea(attrs={"rows": 2}))


class DecideForm(forms.Form):
    decision = forms.CharField(label=_("Decision"), max_length=10_000, widget=forms.Textarea(attrs={"rows": 3}))
    reasoning = forms.CharField(label=_("Reasoning"), max_length=10_000, widget=forms.Textarea(attrs={"rows": 3}))


# ── Ladders ─────────────────────────────────────────────────────────────────────────────────────


class LadderForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=EscalationLadder._meta.get_field("code").max_length,
        help_text=_("Letters, digits and hyphens; it cannot be changed later."),
    )
    name = forms.CharField(
        label=pgettext_lazy("ladder", "Name"), max_length=EscalationLadder._meta.get_field("name").max_length
    )
    is_default = forms.BooleanField(
        label=_("Default ladder"),
        required=False,
        help_text=_("New disputes climb this ladder unless another is chosen. Exactly one ladder is the default."),
    )

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["code"]  # a ladder keeps its code


class LevelForm(forms.Form):
    name = forms.CharField(label=_("Level name"), max_length=LadderLevel._meta.get_field("name").max_length)
    handler_kind = forms.ChoiceField(label=_("Handler"), choices=[("", "---------"), *LadderLevel.Handler.choices])
    department = DepartmentChoiceField(label=_("Department"), queryset=active_departments(), required=False)
    person = PersonChoiceField(
        label=_("Person"), queryset=Person.objects.filter(is_active=True).order_by("username"), required=False
    )
    committee = forms.ModelChoiceField(
        label=_("Committee"), queryset=Committee.objects.order_by("code"), required=False
    )
    time_limit = forms.CharField(
        label=_("Time limit"), max_length=16, help_text=_("Working time, e.g. 4h, 2d, 1.5d, 30m.")
    )

    # which target each kind of handler needs
    TARGETS = {
        LadderLevel.Handler.DEPARTMENT_HEAD: "department",
        LadderLevel.Handler.PERSON: "person",
        LadderLevel.Handler.COMMITTEE: "committee",
    }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("handler_kind")
        target = self.TARGETS.get(kind) if kind else None
        if target is not None and not data.get(target):
            self.add_error(target, _("Choose the handler's {target}.").format(target=self.fields[target].label))
        return data

    @staticmethod
    def initial_from(level: LadderLevel) -> dict[str, Any]:
        return {
            "name": level.name,
            "handler_kind": level.handler_kind,
            "department": level.department_id,
            "person": level.person_id,
            "committee": level.committee_id,
            "time_limit": level.time_limit,
        }

    def level_spec(self) -> dict[str, str]:
        """The level as the services (and package-format.md) take it."""
        data = self.cleaned_data
        kind = data["handler_kind"]
        if kind == LadderLevel.Handler.DEPARTMENT_HEAD:
            handler = f"department_head:{data['department'].code}"
        elif kind == LadderLevel.Handler.PERSON:
            handler = f"person:{data['person'].username}"
        elif kind == LadderLevel.Handler.COMMITTEE:
            handler = f"committee:{data['committee'].code}"
        else:
            handler = str(kind)
        return {"name": data["name"], "handler": handler, "time_limit": data["time_limit"]}


class BaseLevelFormSet(forms.BaseFormSet):
    def kept_forms(self) -> list[LevelForm]:
        """The forms of the kept levels in their order; blank extra forms and deleted ones are left
        out (call after ``is_valid()``)."""
        return [
            form
            for form in self.forms
            if form.cleaned_data and not (self.can_delete and form.cleaned_data.get("DELETE"))
        ]

    def levels(self) -> list[dict[str, str]]:
        """The kept levels as the services take them."""
        return [form.level_spec() for form in self.kept_forms()]


LevelFormSet = forms.formset_factory(
    LevelForm, formset=BaseLevelFormSet, extra=1, can_delete=True, max_num=20, validate_max=True
)
