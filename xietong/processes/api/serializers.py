"""What the processes API reads and writes. Departments are referenced by code, people by username,
processes by code and versions by number; every instant is ISO 8601 with its offset."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from xietong.attachments.models import Attachment
from xietong.common import clock
from xietong.common.clock import parse_as_of
from xietong.org.models import Department, Person
from xietong.processes.models import Case, CaseEvent, Process, ProcessVersion, Step, StepRun

# ── Processes ───────────────────────────────────────────────────────────────────────────────────


class StepSerializer(serializers.ModelSerializer):
    responsible: serializers.SlugRelatedField[Department] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    cooperating = serializers.SerializerMethodField()

    class Meta:
        model = Step
        fields = ("position", "code", "name", "responsible", "cooperating", "inputs", "outputs", "time_limit")
        read_only_fields = fields

    def get_cooperating(self, step: Step) -> list[str]:
        """The cooperating departments' codes, in code order (read from the prefetched departments)."""
        return sorted(department.code for department in step.cooperating.all())


class VersionSerializer(serializers.ModelSerializer):
    published_by: serializers.SlugRelatedField[Person] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    is_published = serializers.BooleanField(read_only=True)

    class Meta:
        model = ProcessVersion
        fields: tuple[str, ...] = ("number", "is_published", "published_at", "published_by")
        read_only_fields: tuple[str, ...] = fields


class VersionWithStepsSerializer(VersionSerializer):
    steps = StepSerializer(many=True, read_only=True)

    class Meta(VersionSerializer.Meta):
        fields = (*VersionSerializer.Meta.fields, "steps")
        read_only_fields = fields


class ProcessSerializer(serializers.ModelSerializer):
    """A process in the catalogue, with the number of its current (highest published) version."""

    owner: serializers.SlugRelatedField[Department] = serializers.SlugRelatedField(slug_field="code", read_only=True)
    current_version = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="The highest published version's number; null before the first."
    )
    published_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="When the current version was published."
    )
    draft_version = serializers.SerializerMethodField(help_text="The draft's number (shown to editors; else null).")

    class Meta:
        model = Process
        fields = ("id", "code", "name", "description", "owner", "current_version", "published_at", "draft_version")
        read_only_fields = fields

    def get_draft_version(self, process: Process) -> int | None:
        return getattr(process, "draft_version", None) if self.context.get("is_editor") else None


class ProcessListQuerySerializer(serializers.Serializer):
    include = serializers.ChoiceField(
        choices=["drafts"],
        required=False,
        help_text="drafts: also the processes not published yet, with their draft's number (editors only; "
        "ignored for everyone else).",
    )


class ProcessDetailSerializer(serializers.ModelSerializer):
    """A process with its current version's steps, the list of its versions, and (for editors) its draft.
    Built from ``process`` plus the ``versions`` the view read in one go (versions_with_steps)."""

    owner: serializers.SlugRelatedField[Department] = serializers.SlugRelatedField(slug_field="code", read_only=True)
    current_version = serializers.SerializerMethodField()
    draft = serializers.SerializerMethodField(help_text="The draft being edited, with its steps (editors only).")
    versions = serializers.SerializerMethodField(help_text="Every version, oldest first (drafts for editors only).")

    class Meta:
        model = Process
        fields = ("id", "code", "name", "description", "owner", "current_version", "draft", "versions")
        read_only_fields = fields

    def _versions(self) -> list[ProcessVersion]:
        versions: list[ProcessVersion] = self.context["versions"]
        return versions if self.context.get("is_editor") else [v for v in versions if v.is_published]

    @extend_schema_field(VersionWithStepsSerializer(allow_null=True))
    def get_current_version(self, process: Process) -> dict[str, Any] | None:
        published = [v for v in self._versions() if v.is_published]
        return dict(VersionWithStepsSerializer(published[-1]).data) if published else None

    @extend_schema_field(VersionWithStepsSerializer(allow_null=True))
    def get_draft(self, process: Process) -> dict[str, Any] | None:
        drafts = [v for v in self._versions() if not v.is_published]
        return dict(VersionWithStepsSerializer(drafts[0]).data) if drafts else None

    @extend_schema_field(VersionSerializer(many=True))
    def get_versions(self, process: Process) -> list[dict[str, Any]]:
        return [dict(VersionSerializer(v).data) for v in self._versions()]


class ProcessCreateSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=32)
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True)
    owner = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Department.objects.all(),
        required=False,
        allow_null=True,
        help_text="The code of the department that owns the process.",
    )


class StepInputSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=32)
    name = serializers.CharField(max_length=200)
    responsible = serializers.SlugRelatedField(
        slug_field="code", queryset=Department.objects.all(), help_text="A department code."
    )
    cooperating = serializers.SlugRelatedField(
        slug_field="code", queryset=Department.objects.all(), many=True, required=False, help_text="Department codes."
    )
    inputs = serializers.ListField(child=serializers.CharField(allow_blank=True), required=False)
    outputs = serializers.ListField(child=serializers.CharField(allow_blank=True), required=False)
    time_limit = serializers.CharField(max_length=16, help_text="Working time, e.g. 4h, 2d, 1.5d, 30m.")


class DraftSerializer(serializers.Serializer):
    """The steps of the draft, in order. Errors of one step's field come back keyed
    ``steps.<index>.<field>`` (index from 0)."""

    steps = StepInputSerializer(many=True)


class ProcessFiguresQuerySerializer(serializers.Serializer):
    as_of = serializers.CharField(
        required=False,
        help_text="ISO 8601 date or datetime; organization-local time without an offset. Default: now.",
    )

    def validate_as_of(self, value: str) -> datetime:
        try:
            return parse_as_of(value, self.context["tz"])
        except ValueError as exc:
            raise serializers.ValidationError(
                _("“{value}” is not a date or datetime such as 2026-06-30T18:00:00+08:00").format(value=value)
            ) from exc


class ProcessFiguresSerializer(serializers.Serializer):
    """The process figures of metrics.md ("Process figures") of one process, as of an instant."""

    process = serializers.CharField(help_text="The process code.")
    as_of = serializers.DateTimeField()
    cases_total = serializers.IntegerField()
    cases_completed = serializers.IntegerField()
    steps_completed = serializers.IntegerField()
    steps_on_time = serializers.IntegerField()
    on_time_rate = serializers.FloatField(allow_null=True)
    median_cycle_hours = serializers.FloatField(allow_null=True)
    overdue_open_steps = serializers.IntegerField()
    bottleneck_step = serializers.CharField(allow_null=True)
    handoff_hours_median = serializers.FloatField(allow_null=True)


# ── Cases ───────────────────────────────────────────────────────────────────────────────────────


OPEN_STATES = (Case.State.RUNNING, Case.State.ON_HOLD)


def _now(context: dict[str, Any]) -> datetime:
    now = context.get("now")
    return now if now is not None else clock.now()


class StepRunSerializer(serializers.ModelSerializer):
    """A step of a case: when it started, is (or was) due and completed, who it is assigned to."""

    step = serializers.CharField(source="step.code", read_only=True, help_text="The step's code.")
    name = serializers.CharField(source="step.name", read_only=True)
    responsible: serializers.SlugRelatedField[Department] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    assignee: serializers.SlugRelatedField[Person] = serializers.SlugRelatedField(slug_field="username", read_only=True)
    is_overdue = serializers.SerializerMethodField(
        help_text="Not completed, its case running, and its due instant passed (the clock stops on hold)."
    )

    class Meta:
        model = StepRun
        fields: tuple[str, ...] = (
            "id",
            "position",
            "step",
            "name",
            "responsible",
            "assignee",
            "started_at",
            "due_at",
            "completed_at",
            "output_note",
            "is_overdue",
        )
        read_only_fields: tuple[str, ...] = fields

    def get_is_overdue(self, run: StepRun) -> bool:
        return run.completed_at is None and run.case.state == Case.State.RUNNING and run.due_at < _now(self.context)


class AttachmentSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text="Where to download it (same authentication as the API).")

    class Meta:
        model = Attachment
        fields = ("id", "filename", "size", "content_type", "url")
        read_only_fields = fields

    def get_url(self, attachment: Attachment) -> str:
        path = reverse("attachments:download", args=[attachment.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class StepRunDetailSerializer(StepRunSerializer):
    """A step of a case with the files attached when it was completed."""

    attachments = serializers.SerializerMethodField()

    class Meta(StepRunSerializer.Meta):
        fields = (*StepRunSerializer.Meta.fields, "attachments")
        read_only_fields = fields

    @extend_schema_field(AttachmentSerializer(many=True))
    def get_attachments(self, run: StepRun) -> list[dict[str, Any]]:
        attachments: list[Attachment] = run.attachment_list  # type: ignore[attr-defined]  # set by the view (one query)
        return [dict(data) for data in AttachmentSerializer(attachments, many=True, context=self.context).data]


class CaseEventSerializer(serializers.ModelSerializer):
    actor: serializers.SlugRelatedField[Person] = serializers.SlugRelatedField(slug_field="username", read_only=True)
    step = serializers.SerializerMethodField(help_text="The code of the step it concerns, if any.")

    class Meta:
        model = CaseEvent
        fields = ("at", "kind", "actor", "step", "note")
        read_only_fields = fields

    def get_step(self, event: CaseEvent) -> str | None:
        return event.step_run.step.code if event.step_run is not None else None


class CaseSerializer(serializers.ModelSerializer):
    """A case in a list: its process, state and its current step (running, or stopped while the case is on
    hold; null once the case is completed or cancelled)."""

    process: serializers.SlugRelatedField[Process] = serializers.SlugRelatedField(slug_field="code", read_only=True)
    version = serializers.IntegerField(source="version.number", read_only=True)
    opened_by: serializers.SlugRelatedField[Person] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    current_step = serializers.SerializerMethodField()

    class Meta:
        model = Case
        fields: tuple[str, ...] = (
            "id",
            "process",
            "version",
            "ref",
            "title",
            "state",
            "opened_at",
            "opened_by",
            "closed_at",
            "held_since",
            "current_step",
        )
        read_only_fields: tuple[str, ...] = fields

    @extend_schema_field(StepRunSerializer(allow_null=True))
    def get_current_step(self, case: Case) -> dict[str, Any] | None:
        runs: list[StepRun] = case.open_runs  # type: ignore[attr-defined]  # Prefetch(to_attr="open_runs") in the view
        if not runs or case.state not in OPEN_STATES:  # a cancelled case keeps its step uncompleted
            return None
        runs[0].case = case  # the prefetched run's case is this one (no query for its state)
        return dict(StepRunSerializer(runs[0], context=self.context).data)


class CaseDetailSerializer(CaseSerializer):
    """A case with all its steps and its timeline."""

    process_name = serializers.CharField(source="process.name", read_only=True)
    step_runs = serializers.SerializerMethodField()
    events = CaseEventSerializer(many=True, read_only=True)

    class Meta(CaseSerializer.Meta):
        fields = (*CaseSerializer.Meta.fields, "process_name", "description", "step_runs", "events")
        read_only_fields = fields

    @extend_schema_field(StepRunDetailSerializer(many=True))
    def get_step_runs(self, case: Case) -> list[dict[str, Any]]:
        runs = list(case.step_runs.all())
        for run in runs:
            run.case = case
        return [dict(data) for data in StepRunDetailSerializer(runs, many=True, context=self.context).data]


class CaseListQuerySerializer(serializers.Serializer):
    process = serializers.CharField(required=False, help_text="A process code.")
    state = serializers.ChoiceField(choices=Case.State.choices, required=False)
    department = serializers.CharField(
        required=False,
        help_text="A department code: the running cases and cases on hold whose current step is that department's.",
    )
    overdue = serializers.BooleanField(
        required=False,
        default=None,
        allow_null=True,
        help_text="true: running cases whose running step is past its due instant; false: every other case.",
    )


class CaseOpenSerializer(serializers.Serializer):
    process = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Process.objects.filter(
            Exists(ProcessVersion.objects.filter(process=OuterRef("pk"), published_at__isnull=False))
        ),
        help_text="The code of a published process.",
    )
    title = serializers.CharField(max_length=200)
    ref = serializers.CharField(
        max_length=64, required=False, allow_blank=True, help_text="Unique within the process; default: date-number."
    )
    description = serializers.CharField(required=False, allow_blank=True)


class StepCompleteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, help_text="What the step produced.")
    files = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True, use_url=False),
        required=False,
        help_text="Files attached to the step (multipart/form-data, one ``files`` part per file).",
    )


class StepAssignSerializer(serializers.Serializer):
    assignee = serializers.SlugRelatedField(
        slug_field="username",
        queryset=Person.objects.filter(department__isnull=False),
        allow_null=True,
        help_text="The username of the person to assign the running step to, or null to unassign it.",
    )


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)
