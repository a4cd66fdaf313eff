"""The process editor's writes: create a process, save its draft version, publish or discard the draft.

Each service is atomic, validates, locks the process row (so two editors of one process are
serialised) and writes its audit entry on the process. A published version never changes: editing
always goes through the process's single draft (``ProcessVersion.published_at`` is null), and
publishing turns that draft into the next published version. Running cases keep their version.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from xietong.audit.services import audit_record, creation_changes, diff_fields
from xietong.common import clock
from xietong.common.exceptions import ApplicationError
from xietong.common.worktime import parse_duration
from xietong.org.models import Department, Person
from xietong.processes.models import Process, ProcessVersion, Step
from xietong.search.services import search_index_on_commit

STEP_FIELDS = ("code", "name", "responsible", "cooperating", "inputs", "outputs", "time_limit")


@dataclasses.dataclass
class StepInput:
    """One step as the editor gives it (its position is its place in the list)."""

    code: str
    name: str
    responsible: Department | None
    time_limit: str
    cooperating: Sequence[Department] = ()
    inputs: Sequence[str] = ()
    outputs: Sequence[str] = ()

    @classmethod
    def from_step(cls, step: Step) -> StepInput:
        return cls(
            code=step.code,
            name=step.name,
            responsible=step.responsible,
            time_limit=step.time_limit,
            cooperating=list(step.cooperating.all()),
            inputs=list(step.inputs),
            outputs=list(step.outputs),
        )

    def signature(self) -> dict[str, Any]:
        """What the audit trail keeps of a step."""
        return {
            "code": self.code,
            "name": self.name,
            "responsible": self.responsible.code if self.responsible is not None else None,
            "cooperating": sorted(d.code for d in self.cooperating),
            "inputs": list(self.inputs),
            "outputs": list(self.outputs),
            "time_limit": self.time_limit,
        }


def step_field_key(index: int, field: str) -> str:
    """The ``ApplicationError.field_errors`` key of a step's field: ``steps.<index>.<field>``."""
    return f"steps.{index}.{field}"


def _clean_lines(values: Sequence[str]) -> list[str]:
    return [line.strip() for line in values if line and line.strip()]


def check_steps(process: Process, steps: Sequence[StepInput]) -> dict[str, list[str]]:
    """Every problem of ``steps`` as the steps of a version of ``process``, keyed as
    :func:`step_field_key` (``"steps"`` for the list as a whole); empty when they may be published."""
    errors: dict[str, list[str]] = {}

    def add(key: str, message: str) -> None:
        errors.setdefault(key, []).append(message)

    if not steps:
        add("steps", _("A process needs at least one step."))
    seen: dict[str, int] = {}
    for index, step in enumerate(steps):
        if not step.code:
            add(step_field_key(index, "code"), _("Give the step a code."))
        else:
            try:
                Step._meta.get_field("code").run_validators(step.code)
            except ValidationError as exc:
                for message in exc.messages:
                    add(step_field_key(index, "code"), message)
            if step.code in seen:
                add(
                    step_field_key(index, "code"),
                    _("The code “{code}” is already used by step {number} of this version.").format(
                        code=step.code, number=seen[step.code] + 1
                    ),
                )
            else:
                seen[step.code] = index
        if not step.name.strip():
            add(step_field_key(index, "name"), _("Give the step a name."))
        if step.responsible is None:
            add(step_field_key(index, "responsible"), _("Choose the responsible department."))
        elif not step.responsible.is_active:
            add(
                step_field_key(index, "responsible"),
                _("“{department}” is closed; choose an active department.").format(department=step.responsible.name),
            )
        for department in step.cooperating:
            if step.responsible is not None and department.pk == step.responsible.pk:
                add(
                    step_field_key(index, "cooperating"),
                    _("“{department}” is responsible for this step; it cannot also cooperate on it.").format(
                        department=department.name
                    ),
                )
            elif not department.is_active:
                add(
                    step_field_key(index, "cooperating"),
                    _("“{department}” is closed; choose active departments.").format(department=department.name),
                )
        if not step.time_limit:
            add(step_field_key(index, "time_limit"), _("Give the step a time limit, such as 4h or 2d."))
        else:
            try:
                parse_duration(step.time_limit)
            except ValueError as exc:
                add(step_field_key(index, "time_limit"), str(exc))
    taken = (
        Step.objects.filter(code__in=list(seen))
        .exclude(version__process=process)
        .values_list("code", "version__process__name")
        .order_by("code", "version__process__code")
        .distinct()
    )
    for code, other in taken:
        add(
            step_field_key(seen[code], "code"),
            _("The step code “{code}” is already used by the process “{process}”.").format(code=code, process=other),
        )
    return errors


def _raise_if(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ApplicationError(_("Please correct the errors below."), field_errors=dict(errors))


def _locked(process: Process) -> Process:
    return Process.objects.select_for_update().get(pk=process.pk)


def draft_of(process: Process) -> ProcessVersion | None:
    return ProcessVersion.objects.filter(process=process, published_at__isnull=True).first()


@transaction.atomic
def process_create(
    *, actor: Person, code: str, name: str, description: str = "", owner: Department | None = None
) -> Process:
    """A new process without any version yet (its steps come with its first draft)."""
    process = Process(code=code, name=name, description=description, owner=owner)
    errors: dict[str, list[Any]] = {}
    try:
        process.full_clean(validate_unique=False)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if "code" not in errors and Process.objects.filter(code=code).exists():
        errors["code"] = [_("A process with this code already exists.")]
    if owner is not None and not owner.is_active:
        errors.setdefault("owner", []).append(
            _("“{department}” is closed; choose an active department.").format(department=owner.name)
        )
    _raise_if(errors)
    try:
        with transaction.atomic():
            process.save()
    except IntegrityError as exc:  # the same code, created at the same moment by someone else
        raise ApplicationError(
            _("Please correct the errors below."),
            field_errors={"code": [_("A process with this code already exists.")]},
        ) from exc
    audit_record(
        actor=actor,
        obj=process,
        action="create",
        changes=creation_changes({"code": code, "name": name, "description": description, "owner": owner}),
    )
    search_index_on_commit("process", [process.pk])
    return process


@transaction.atomic
def process_update(
    *, actor: Person, process: Process, name: str, description: str = "", owner: Department | None = None
) -> Process:
    """Change a process's name, description or owner (its code is its identity and stays; its
    steps change only through a draft)."""
    process = _locked(process)
    errors: dict[str, list[Any]] = {}
    if not name.strip():
        errors["name"] = [_("This field is required.")]
    if owner is not None and not owner.is_active and owner.pk != process.owner_id:
        errors["owner"] = [_("“{department}” is closed; choose an active department.").format(department=owner.name)]
    _raise_if(errors)
    values = {"name": name.strip(), "description": description, "owner": owner}
    changes = diff_fields(process, values)
    if changes:
        for field, value in values.items():
            setattr(process, field, value)
        process.save(update_fields=[*changes, "updated_at"])
        audit_record(actor=actor, obj=process, action="update", changes=changes)
        search_index_on_commit("process", [process.pk])
    return process


@transaction.atomic
def draft_save(*, actor: Person, process: Process, steps: Sequence[StepInput]) -> ProcessVersion:
    """Replace the steps of the process's draft with ``steps`` (creating the draft if there is none).

    Raises ApplicationError (field errors keyed by :func:`step_field_key`) if the steps could not be
    published as they are; nothing is written then."""
    process = _locked(process)
    steps = [
        dataclasses.replace(
            s,
            code=s.code.strip(),
            name=s.name.strip(),
            time_limit=s.time_limit.strip(),
            inputs=_clean_lines(s.inputs),
            outputs=_clean_lines(s.outputs),
            cooperating=list(dict.fromkeys(s.cooperating)),
        )
        for s in steps
    ]
    _raise_if(check_steps(process, steps))
    draft = draft_of(process)
    before: list[dict[str, Any]] | None = None
    if draft is None:
        highest = ProcessVersion.objects.filter(process=process).aggregate(n=Max("number"))["n"] or 0
        draft = ProcessVersion.objects.create(process=process, number=highest + 1)
    else:
        before = [StepInput.from_step(s).signature() for s in _steps_of(draft)]
        draft.steps.all().delete()  # a draft has no runs: cases start only on published versions
    created = Step.objects.bulk_create(
        [
            Step(
                version=draft,
                position=position,
                code=s.code,
                name=s.name,
                responsible=s.responsible,
                inputs=list(s.inputs),
                outputs=list(s.outputs),
                time_limit=s.time_limit,
            )
            for position, s in enumerate(steps)
        ]
    )
    through = Step.cooperating.through
    through.objects.bulk_create(
        [
            through(step_id=step.pk, department_id=department.pk)
            for step, s in zip(created, steps, strict=True)
            for department in s.cooperating
        ]
    )
    audit_record(
        actor=actor,
        obj=process,
        action="draft_save",
        changes={"draft": [None, draft.number], "steps": [before, [s.signature() for s in steps]]},
    )
    return draft


def _steps_of(version: ProcessVersion) -> list[Step]:
    return list(version.steps.select_related("responsible").prefetch_related("cooperating").order_by("position"))


@transaction.atomic
def draft_publish(*, actor: Person, process: Process) -> ProcessVersion:
    """Publish the draft as the next version (highest published number + 1). Its steps are checked
    again: a department may have closed, or another process taken a step code, since it was saved."""
    process = _locked(process)
    draft = draft_of(process)
    if draft is None:
        raise ApplicationError(_("This process has no draft to publish."), code="no_draft")
    _raise_if(check_steps(process, [StepInput.from_step(s) for s in _steps_of(draft)]))
    highest = (
        ProcessVersion.objects.filter(process=process, published_at__isnull=False).aggregate(n=Max("number"))["n"] or 0
    )
    previous_number = draft.number
    draft.number = highest + 1
    draft.published_at = clock.now()
    draft.published_by = actor
    draft.save(update_fields=["number", "published_at", "published_by"])
    audit_record(
        actor=actor,
        obj=process,
        action="publish",
        changes={"version": [previous_number if previous_number != draft.number else None, draft.number]},
    )
    return draft


@transaction.atomic
def draft_discard(*, actor: Person, process: Process) -> None:
    """Delete the process's draft and its steps."""
    process = _locked(process)
    draft = draft_of(process)
    if draft is None:
        raise ApplicationError(_("This process has no draft to discard."), code="no_draft")
    steps = [StepInput.from_step(s).signature() for s in _steps_of(draft)]
    number = draft.number
    draft.delete()
    audit_record(
        actor=actor, obj=process, action="draft_discard", changes={"draft": [number, None], "steps": [steps, None]}
    )
