"""Reads of disputes and ladders; each costs a fixed number of queries whatever the data size."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, F, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from xietong.common import clock
from xietong.disputes.models import Confirmation, Dispute, DisputeEvent, EscalationLadder, LadderLevel, Proposal
from xietong.disputes.permissions import disputes_visible_to, handled_by, party_q
from xietong.org.models import Department


def _level_count() -> Coalesce:
    counted = (
        LadderLevel.objects.filter(ladder=OuterRef("ladder"))
        .order_by()
        .values("ladder")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def _listed(disputes: QuerySet[Dispute]) -> QuerySet[Dispute]:
    return (
        disputes.select_related("ladder", "raised_by")
        .prefetch_related(Prefetch("parties", queryset=Department.objects.order_by("code")))
        .annotate(level_count=_level_count())
        .order_by("-opened_at", "-pk")
    )


def dispute_list(
    user: Any,
    *,
    state: str | None = "open",
    level: int | None = None,
    mine: bool = False,
    overdue: bool = False,
    q: str = "",
) -> QuerySet[Dispute]:
    """The disputes ``user`` sees, newest first (two queries when evaluated), annotated with
    ``level_count``. ``mine``: raised by them, a party they belong to or head, or whose current
    level they handle. ``overdue``: open, at the last level, past its due instant. ``q`` searches
    reference, title, description and outcome (decisions are found again as precedents)."""
    disputes = disputes_visible_to(user)
    if state:
        disputes = disputes.filter(state=state)
    if level is not None:
        disputes = disputes.filter(level=level)
    if mine:
        disputes = disputes.filter(party_q(user) | Q(pk__in=handled_by(user).values("pk")))
    disputes = _listed(disputes)
    if overdue:
        disputes = disputes.filter(state=Dispute.State.OPEN, level__gte=F("level_count"), due_at__lt=clock.now())
    for word in q.split():
        disputes = disputes.filter(
            Q(ref__icontains=word)
            | Q(title__icontains=word)
            | Q(description__icontains=word)
            | Q(outcome__icontains=word)
        )
    return disputes


def dispute_queue(user: Any) -> QuerySet[Dispute]:
    """The open disputes whose current level ``user`` handles, the soonest due first."""
    return _listed(handled_by(user).filter(state=Dispute.State.OPEN)).order_by("due_at", "pk")


def dispute_timeline(dispute: Dispute) -> list[DisputeEvent]:
    """The dispute's events in time order, with their actors (one query)."""
    return list(dispute.events.select_related("actor", "proposal").order_by("at", "pk"))


def dispute_proposals(dispute: Dispute) -> list[Proposal]:
    """The dispute's proposals, oldest first, with their confirmations; each carries ``awaiting``:
    the party departments whose confirmation it still lacks (three queries)."""
    parties = list(dispute.parties.order_by("code"))
    confirmations = Confirmation.objects.select_related("department", "person").order_by("at", "pk")
    proposals = list(
        dispute.proposals.select_related("department", "proposed_by")
        .prefetch_related(Prefetch("confirmations", queryset=confirmations))
        .order_by("at", "pk")
    )
    for proposal in proposals:
        confirmed = {c.department_id for c in proposal.confirmations.all()}
        proposal.awaiting = [  # type: ignore[attr-defined]  # computed for the page
            d for d in parties if d.pk != proposal.department_id and d.pk not in confirmed
        ]
    return proposals


def ladder_list() -> QuerySet[EscalationLadder]:
    """Every ladder, the default first, with its levels (and their targets) and how many disputes
    use it, open and in all (two queries)."""
    levels = LadderLevel.objects.select_related("department", "person", "committee").order_by("number")
    return (
        EscalationLadder.objects.prefetch_related(Prefetch("levels", queryset=levels))
        .annotate(
            dispute_count=Count("disputes", distinct=True),
            open_count=Count("disputes", filter=Q(disputes__state=Dispute.State.OPEN), distinct=True),
        )
        .order_by("-is_default", "code")
    )


def open_by_level(user: Any) -> list[dict[str, Any]]:
    """The open disputes ``user`` sees, by level: ``{"level", "name", "names", "count", "overdue"}``
    in level order (two queries). ``names`` are the level's names in the ladders concerned (the
    default ladder's first); ``overdue`` counts those at their last level past the due instant."""
    now = clock.now()
    rows = (
        disputes_visible_to(user)
        .filter(state=Dispute.State.OPEN)
        .annotate(level_count=_level_count())
        .order_by()
        .values("level", "ladder")
        .annotate(
            count=Count("pk"),
            overdue=Count("pk", filter=Q(level__gte=F("level_count"), due_at__lt=now)),
        )
    )
    grouped: dict[int, dict[str, Any]] = {}
    ladders: set[int] = set()
    for row in rows:
        entry = grouped.setdefault(row["level"], {"level": row["level"], "count": 0, "overdue": 0, "ladders": []})
        entry["count"] += row["count"]
        entry["overdue"] += row["overdue"]
        entry["ladders"].append(row["ladder"])
        ladders.add(row["ladder"])
    names: dict[tuple[int, int], tuple[bool, str]] = {}
    if ladders:
        for ladder, number, name, default in LadderLevel.objects.filter(ladder__in=ladders).values_list(
            "ladder", "number", "name", "ladder__is_default"
        ):
            names[(ladder, number)] = (default, name)
    result = []
    for number in sorted(grouped):
        entry = grouped.pop(number)
        found = sorted({names[(ladder, number)] for ladder in entry.pop("ladders") if (ladder, number) in names})
        found.sort(key=lambda item: not item[0])
        level_names = list(dict.fromkeys(name for _default, name in found))
        entry["names"] = level_names
        entry["name"] = level_names[0] if level_names else ""
        result.append(entry)
    return result


def dispute_queue_counts(user: Any) -> tuple[int, int]:
    """(open disputes whose current level I handle, how many are past their due instant): the start
    page's tile, one query."""
    if not getattr(user, "is_authenticated", False):
        return 0, 0
    counts = (
        handled_by(user)
        .filter(state=Dispute.State.OPEN)
        .aggregate(total=Count("pk"), overdue=Count("pk", filter=Q(due_at__lt=clock.now())))
    )
    return counts["total"], counts["overdue"]
