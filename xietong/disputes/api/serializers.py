"""What the disputes API reads and writes. Departments are referenced by code, people by username,
ladders by code, process cases and steps by id; every instant is ISO 8601 with its offset."""

from __future__ import annotations

from typing import Any, cast

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from xietong.disputes.models import Confirmation, Dispute, DisputeEvent, EscalationLadder, LadderLevel, Proposal
from xietong.org.models import Department
from xietong.processes.models import Case, Step

# ── Ladders ─────────────────────────────────────────────────────────────────────────────────────

HANDLER_HELP = (
    "Who handles a dispute at this level (package-format.md): heads_of_parties, department_head:CODE, "
    "person:USERNAME or committee:CODE."
)


def handler_text(level: LadderLevel) -> str:
    """The level's handler as package-format.md writes it (its department, person or committee loaded)."""
    kind = level.handler_kind
    if kind == LadderLevel.Handler.DEPARTMENT_HEAD and level.department is not None:
        return f"{kind}:{level.department.code}"
    if kind == LadderLevel.Handler.PERSON and level.person is not None:
        return f"{kind}:{level.person.username}"
    if kind == LadderLevel.Handler.COMMITTEE and level.committee is not None:
        return f"{kind}:{level.committee.code}"
    return str(kind)


class LadderLevelSerializer(serializers.ModelSerializer):
    handler = serializers.SerializerMethodField(help_text=HANDLER_HELP)

    class Meta:
        model = LadderLevel
        fields = ("number", "name", "handler", "time_limit")
        read_only_fields = fields

    def get_handler(self, level: LadderLevel) -> str:
        return handler_text(level)


class LadderSerializer(serializers.ModelSerializer):
    levels = LadderLevelSerializer(many=True, read_only=True)

    class Meta:
        model = EscalationLadder
        fields = ("id", "code", "name", "is_default", "levels")
        read_only_fields = fields


class LadderLevelSpecSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    handler = serializers.CharField(max_length=100, help_text=HANDLER_HELP)
    time_limit = serializers.CharField(max_length=16, help_text="Working time, e.g. 4h, 2d, 1.5d, 30m.")


class LadderWriteSerializer(serializers.Serializer):
    """A ladder as created or replaced: its levels, in order, replace the ones it had."""

    code = serializers.CharField(max_length=32, help_text="Given when creating; ignored when updating.")
    name = serializers.CharField(max_length=200)
    is_default = serializers.BooleanField(required=False, default=False)
    levels = LadderLevelSpecSerializer(many=True, allow_empty=False)

    def __init__(self, *args: Any, updating: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if updating:
            self.fields["code"].required = False


# ── Disputes ────────────────────────────────────────────────────────────────────────────────────


class DisputeListQuerySerializer(serializers.Serializer):
    state = serializers.ChoiceField(
        choices=Dispute.State.choices, required=False, help_text="Only disputes in this state (default: any)."
    )
    level = serializers.IntegerField(min_value=1, required=False, help_text="Only disputes at this level.")
    mine = serializers.BooleanField(
        required=False,
        default=False,
        help_text="true: disputes I raised, of a party I belong to, or whose current level I handle.",
    )
    overdue = serializers.BooleanField(
        required=False, default=False, help_text="true: open disputes past the due instant of their last level."
    )
    queue = serializers.BooleanField(
        required=False,
        default=False,
        help_text="true: my queue, the open disputes whose current level I handle (other filters are ignored).",
    )
    q = serializers.CharField(required=False, allow_blank=True, max_length=200, help_text="Words of the title.")


class DisputeSerializer(serializers.ModelSerializer):
    """A dispute in a list."""

    parties = serializers.SerializerMethodField(help_text="The party departments' codes.")
    ladder: serializers.SlugRelatedField[EscalationLadder] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    raised_by = serializers.SerializerMethodField(help_text="The raiser's username (null if unknown).")
    level_count = serializers.SerializerMethodField(help_text="How many levels its ladder has.")
    is_overdue = serializers.SerializerMethodField(help_text="Open, at the last level, past its due instant.")

    class Meta:
        model = Dispute
        fields: tuple[str, ...] = (
            "id",
            "ref",
            "title",
            "state",
            "parties",
            "ladder",
            "level",
            "level_count",
            "level_entered_at",
            "due_at",
            "is_overdue",
            "opened_at",
            "closed_at",
            "raised_by",
            "outcome",
        )
        read_only_fields: tuple[str, ...] = fields

    def get_parties(self, dispute: Dispute) -> list[str]:
        return sorted(party.code for party in dispute.parties.all())

    def get_raised_by(self, dispute: Dispute) -> str | None:
        return dispute.raised_by.username if dispute.raised_by is not None else None

    def get_level_count(self, dispute: Dispute) -> int | None:
        count = getattr(dispute, "level_count", None)
        return int(count) if count is not None else None

    def get_is_overdue(self, dispute: Dispute) -> bool:
        count = self.get_level_count(dispute)
        return bool(
            dispute.state == Dispute.State.OPEN
            and count is not None
            and dispute.level >= count
            and dispute.due_at < self.context["now"]
        )


class DisputeConfirmationSerializer(serializers.ModelSerializer):
    department: serializers.SlugRelatedField[Department] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    person = serializers.SlugRelatedField(slug_field="username", read_only=True)  # type: ignore[var-annotated]  # a Person

    class Meta:
        model = Confirmation
        fields = ("department", "person", "at")
        read_only_fields = fields


class DisputeProposalSerializer(serializers.ModelSerializer):
    department: serializers.SlugRelatedField[Department] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    proposed_by = serializers.SlugRelatedField(slug_field="username", read_only=True)  # type: ignore[var-annotated]  # a Person
    confirmations = DisputeConfirmationSerializer(many=True, read_only=True)
    awaiting = serializers.SerializerMethodField(
        help_text="The parties whose head has still to confirm it (pending proposals only)."
    )

    class Meta:
        model = Proposal
        fields = ("id", "department", "proposed_by", "text", "at", "level", "state", "confirmations", "awaiting")
        read_only_fields = fields

    def get_awaiting(self, proposal: Proposal) -> list[str]:
        if proposal.state != Proposal.State.PENDING:
            return []
        return sorted(department.code for department in getattr(proposal, "awaiting", []))


class DisputeEventSerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True)  # type: ignore[var-annotated]  # a Person
    proposal = serializers.PrimaryKeyRelatedField(read_only=True)  # type: ignore[var-annotated]  # a Proposal

    class Meta:
        model = DisputeEvent
        fields = ("kind", "at", "actor", "level", "note", "proposal")
        read_only_fields = fields


class DisputeDetailSerializer(DisputeSerializer):
    """A dispute with its ladder, current handlers, timeline and proposals."""

    case = serializers.PrimaryKeyRelatedField(read_only=True)  # type: ignore[var-annotated]  # a Case
    step = serializers.PrimaryKeyRelatedField(read_only=True)  # type: ignore[var-annotated]  # a Step
    handlers = serializers.SerializerMethodField(help_text="The usernames of the current level's handlers.")
    levels = serializers.SerializerMethodField(help_text="Its ladder's levels.")
    events = serializers.SerializerMethodField(help_text="The timeline, oldest first.")
    proposals = serializers.SerializerMethodField(help_text="The proposed resolutions, oldest first.")

    class Meta(DisputeSerializer.Meta):
        fields = (
            *DisputeSerializer.Meta.fields,
            "description",
            "case",
            "step",
            "handlers",
            "levels",
            "events",
            "proposals",
        )
        read_only_fields = fields

    def get_handlers(self, dispute: Dispute) -> list[str]:
        return list(self.context.get("handlers", []))

    @extend_schema_field(LadderLevelSerializer(many=True))
    def get_levels(self, dispute: Dispute) -> list[dict[str, Any]]:
        return [dict(LadderLevelSerializer(level).data) for level in self.context.get("levels", [])]

    @extend_schema_field(DisputeEventSerializer(many=True))
    def get_events(self, dispute: Dispute) -> list[dict[str, Any]]:
        return [dict(DisputeEventSerializer(event).data) for event in self.context.get("events", [])]

    @extend_schema_field(DisputeProposalSerializer(many=True))
    def get_proposals(self, dispute: Dispute) -> list[dict[str, Any]]:
        return [dict(DisputeProposalSerializer(proposal).data) for proposal in self.context.get("proposals", [])]


class DisputeRaiseSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    parties = serializers.SlugRelatedField(
        slug_field="code",
        many=True,
        queryset=Department.objects.all(),
        help_text="The codes of two or more active departments; yours (or one above it) among them.",
    )
    ladder = serializers.SlugRelatedField(
        slug_field="code",
        queryset=EscalationLadder.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="A ladder's code (default: the default ladder).",
    )
    case = serializers.PrimaryKeyRelatedField(
        queryset=Case.objects.none(),
        required=False,
        allow_null=True,
        default=None,
        help_text="The id of a process case you may see, if it is about one.",
    )
    step = serializers.PrimaryKeyRelatedField(
        queryset=Step.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="The id of a process step, if it is about one.",
    )
    files = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True, use_url=False),
        required=False,
        default=list,
        help_text="Files attached to the dispute (multipart/form-data, one ``files`` part per file).",
    )

    def __init__(self, *args: Any, cases: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if cases is not None:
            cast(serializers.PrimaryKeyRelatedField, self.fields["case"]).queryset = cases


class DisputeCommentSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=10_000)
    files = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True, use_url=False),
        required=False,
        default=list,
        help_text="Files attached to the comment (multipart/form-data, one ``files`` part per file).",
    )


class DisputeProposeSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=10_000, help_text="The proposed resolution.")


class DisputeConfirmSerializer(serializers.Serializer):
    proposal = serializers.IntegerField(min_value=1, help_text="The id of the proposal awaiting confirmation.")


class DisputeReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=10_000)


class DisputeDecideSerializer(serializers.Serializer):
    decision = serializers.CharField(max_length=10_000)
    reasoning = serializers.CharField(max_length=10_000)
