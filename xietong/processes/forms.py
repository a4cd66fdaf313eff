"""Forms of the process editor: a new process, and the steps of its draft (a formset).

They only read and shape the input; the rules (active departments, time limits, unique codes …)
live in xietong.processes.editor, so every door (page, API, import) applies the same ones.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from xietong.org.models import Department
from xietong.processes.editor import StepInput
from xietong.processes.models import Process, Step


def _departments() -> QuerySet[Department]:
    return Department.objects.filter(is_active=True).order_by("code")


class DepartmentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Department) -> str:
        return f"{obj.name}（{obj.code}）"


class DepartmentMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Department) -> str:
        return f"{obj.name}（{obj.code}）"


class ProcessForm(forms.ModelForm):
    owner = DepartmentChoiceField(
        label=_("Owner"),
        queryset=_departments(),
        required=False,
        help_text=_("The department that answers for the process as a whole."),
    )

    class Meta:
        model = Process
        fields = ("code", "name", "description", "owner")
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def validate_unique(self) -> None:
        """Left to the service (editor.process_create), which reports it in the same words to every door."""


class LinesField(forms.CharField):
    """One value per line (inputs, outputs); blank lines are dropped."""

    widget = forms.Textarea(attrs={"rows": 2})

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]  # a list, not a str
        text = super().to_python(value) or ""
        return [line.strip() for line in text.splitlines() if line.strip()]

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return "\n".join(value)
        return value


class StepForm(forms.Form):
    code = forms.CharField(label=_("Step code"), max_length=Step._meta.get_field("code").max_length)
    name = forms.CharField(label=_("Step name"), max_length=Step._meta.get_field("name").max_length)
    responsible = DepartmentChoiceField(label=_("Responsible department"), queryset=_departments())
    time_limit = forms.CharField(
        label=_("Time limit"), max_length=16, help_text=_("Working time, e.g. 4h, 2d, 1.5d, 30m.")
    )
    cooperating = DepartmentMultipleChoiceField(
        label=_("Cooperating departments"), queryset=_departments(), required=False
    )
    inputs = LinesField(label=_("Inputs"), required=False, help_text=_("One per line."))
    outputs = LinesField(label=_("Outputs"), required=False, help_text=_("One per line."))

    @staticmethod
    def initial_from(step: Step) -> dict[str, Any]:
        return {
            "code": step.code,
            "name": step.name,
            "responsible": step.responsible_id,
            "cooperating": [d.pk for d in step.cooperating.all()],
            "inputs": list(step.inputs),
            "outputs": list(step.outputs),
            "time_limit": step.time_limit,
        }

    def step_input(self) -> StepInput:
        data = self.cleaned_data
        return StepInput(
            code=data["code"],
            name=data["name"],
            responsible=data["responsible"],
            time_limit=data["time_limit"],
            cooperating=list(data["cooperating"]),
            inputs=data["inputs"],
            outputs=data["outputs"],
        )


class BaseStepFormSet(forms.BaseFormSet):
    def steps(self) -> list[tuple[StepForm, StepInput]]:
        """The kept steps in their order (by ORDER, then by place), each with its form; blank extra
        forms and deleted ones are left out (call after ``is_valid()``)."""
        return [(form, form.step_input()) for form in self.ordered_forms]


StepFormSet = forms.formset_factory(
    StepForm, formset=BaseStepFormSet, extra=1, can_order=True, can_delete=True, max_num=100, validate_max=True
)
