"""Who may see and act on disputes and ladders. Fetch-and-authorise in one call; unknown ids are 404.

- A dispute is seen by the people of its party departments and of their sub-departments, the
  parties' heads, its raiser, every handler of the levels it has reached (a person, a department's
  head, a committee's members and chair; the parties' heads for ``heads_of_parties``), and by
  coordinators, administrators and leadership (level executive). Everyone else gets 404.
- Whoever sees an open dispute may comment on it.
- At level 1 a party's head proposes a resolution; the heads of the other parties confirm it.
- A party (a member of a party department or of a sub-department, a party's head, the raiser)
  escalates by hand while a next level exists.
- Above level 1 the current level's handlers decide.
- The raiser or a coordinator withdraws.
- Coordinators and administrators manage the ladders; everyone signed in reads them.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from xietong.disputes.models import Dispute, EscalationLadder, LadderLevel, Proposal
from xietong.org.models import Committee, Department
from xietong.org.permissions import can_manage_org, is_admin, is_coordinator
from xietong.org.selectors import department_ancestor_ids


def _signed_in(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def sees_every_dispute(user: Any) -> bool:
    return is_admin(user) or is_coordinator(user) or (_signed_in(user) and user.level == "executive")


def ancestor_ids(department_id: int | None) -> set[int]:
    """The department and every department above it (a person of a sub-department is of its parties)."""
    return department_ancestor_ids({department_id}) if department_id is not None else set()


def _party_through() -> Any:
    return Dispute.parties.through


def _handles_level(user: Any, *, levels: str) -> Exists:
    """An Exists() over the ladder levels of the dispute (``levels`` = "reached": 1..level, "current":
    the current level) that ``user`` handles. ``heads_of_parties`` is handled by the parties' heads."""
    ladder_levels = LadderLevel.objects.filter(ladder=OuterRef("ladder"))
    ladder_levels = (
        ladder_levels.filter(number__lte=OuterRef("level"))
        if levels == "reached"
        else ladder_levels.filter(number=OuterRef("level"))
    )
    heads_a_party = Exists(_party_through().objects.filter(dispute=OuterRef(OuterRef("pk")), department__head=user))
    committees = Committee.objects.filter(Q(members=user) | Q(chair=user)).values("pk")
    return Exists(
        ladder_levels.filter(
            (Q(handler_kind=LadderLevel.Handler.HEADS_OF_PARTIES) & heads_a_party)
            | Q(handler_kind=LadderLevel.Handler.DEPARTMENT_HEAD, department__head=user)
            | Q(handler_kind=LadderLevel.Handler.PERSON, person=user)
            | Q(handler_kind=LadderLevel.Handler.COMMITTEE, committee__in=committees)
        )
    )


def party_q(user: Any) -> Q:
    """Disputes of which ``user`` is a party: raised by them, or a party department that is theirs,
    above theirs, or that they head."""
    ancestors = ancestor_ids(user.department_id)
    parties = (
        _party_through()
        .objects.filter(dispute=OuterRef("pk"))
        .filter(Q(department__in=ancestors) | Q(department__head=user))
    )
    return Q(raised_by=user) | Q(Exists(parties))


def disputes_visible_to(user: Any) -> QuerySet[Dispute]:
    if not _signed_in(user):
        return Dispute.objects.none()
    if sees_every_dispute(user):
        return Dispute.objects.all()
    return Dispute.objects.filter(party_q(user) | Q(_handles_level(user, levels="reached")))


def handled_by(user: Any) -> QuerySet[Dispute]:
    """Disputes whose current level ``user`` handles (open or not)."""
    if not _signed_in(user):
        return Dispute.objects.none()
    return Dispute.objects.filter(_handles_level(user, levels="current"))


def access_dispute(user: Any, pk: Any) -> Dispute:
    """The dispute if the user may see it, else 404 (unknown and forbidden look the same)."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    dispute = disputes_visible_to(user).select_related("ladder", "raised_by").filter(pk=pk).first()
    if dispute is None:
        raise Http404
    return dispute


def access_ladder(user: Any, pk: Any) -> EscalationLadder:
    """Any ladder for anyone signed in; 404 otherwise and for unknown ids."""
    if not _signed_in(user):
        raise Http404
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    ladder = EscalationLadder.objects.filter(pk=pk).first()
    if ladder is None:
        raise Http404
    return ladder


# --- who handles, who is a party ----------------------------------------------------------------


def level_handler_ids(level: LadderLevel, party_ids: list[int]) -> list[int]:
    """The people who handle ``level`` of a dispute between ``party_ids`` (active or not)."""
    if level.handler_kind == LadderLevel.Handler.HEADS_OF_PARTIES:
        heads = Department.objects.filter(pk__in=party_ids, head__isnull=False).values_list("head", flat=True)
        return sorted(set(heads))
    if level.handler_kind == LadderLevel.Handler.DEPARTMENT_HEAD:
        if level.department_id is None:
            return []
        head = Department.objects.filter(pk=level.department_id).values_list("head", flat=True).first()
        return [head] if head is not None else []
    if level.handler_kind == LadderLevel.Handler.PERSON:
        return [level.person_id] if level.person_id is not None else []
    if level.committee_id is None:
        return []
    committee = Committee.objects.filter(pk=level.committee_id).first()
    if committee is None:
        return []
    people = set(committee.members.values_list("pk", flat=True))
    if committee.chair_id is not None:
        people.add(committee.chair_id)
    return sorted(people)


def _party_ids(dispute: Dispute) -> list[int]:
    return sorted(d.pk for d in dispute.parties.all())


def current_handler_ids(dispute: Dispute) -> list[int]:
    """The people who handle the dispute's current level."""
    level = LadderLevel.objects.filter(ladder_id=dispute.ladder_id, number=dispute.level).first()
    if level is None:
        return []
    return level_handler_ids(level, _party_ids(dispute))


def is_party(user: Any, dispute: Dispute) -> bool:
    """A member of a party department (or of one below it), a party's head, or the raiser."""
    if not _signed_in(user):
        return False
    if dispute.raised_by_id == user.pk:
        return True
    ancestors = ancestor_ids(user.department_id)
    return any(d.pk in ancestors or d.head_id == user.pk for d in dispute.parties.all())


def headed_party_ids(user: Any, dispute: Dispute) -> list[int]:
    """The party departments ``user`` heads."""
    if not _signed_in(user):
        return []
    return sorted(d.pk for d in dispute.parties.all() if d.head_id == user.pk)


def level_count(dispute: Dispute) -> int:
    counted = getattr(dispute, "level_count", None)
    if counted is not None:
        return int(counted)
    return LadderLevel.objects.filter(ladder_id=dispute.ladder_id).count()


# --- actions --------------------------------------------------------------------------------------


def can_raise(user: Any) -> bool:
    """People of a department (they raise disputes their department is party to), coordinators and
    administrators."""
    return _signed_in(user) and (user.department_id is not None or is_coordinator(user) or is_admin(user))


def can_comment(user: Any, dispute: Dispute) -> bool:
    return dispute.is_open and disputes_visible_to(user).filter(pk=dispute.pk).exists()


def can_propose(user: Any, dispute: Dispute) -> bool:
    return dispute.is_open and dispute.level == 1 and bool(headed_party_ids(user, dispute))


def confirming_party_ids(user: Any, dispute: Dispute, proposal: Proposal) -> list[int]:
    """The parties whose confirmation of ``proposal`` ``user`` may give now: those they head, other
    than the proposing one, not confirmed yet."""
    if proposal.proposed_by_id == getattr(user, "pk", None):
        return []
    confirmed = set(proposal.confirmations.values_list("department", flat=True))
    return [pk for pk in headed_party_ids(user, dispute) if pk != proposal.department_id and pk not in confirmed]


def can_confirm(user: Any, dispute: Dispute, proposal: Proposal) -> bool:
    return (
        dispute.is_open
        and dispute.level == 1
        and proposal.dispute_id == dispute.pk
        and proposal.state == Proposal.State.PENDING
        and bool(confirming_party_ids(user, dispute, proposal))
    )


def can_escalate(user: Any, dispute: Dispute) -> bool:
    return dispute.is_open and dispute.level < level_count(dispute) and is_party(user, dispute)


def can_decide(user: Any, dispute: Dispute) -> bool:
    return _signed_in(user) and dispute.is_open and dispute.level > 1 and user.pk in current_handler_ids(dispute)


def can_withdraw(user: Any, dispute: Dispute) -> bool:
    return _signed_in(user) and dispute.is_open and (dispute.raised_by_id == user.pk or is_coordinator(user))


def can_manage_ladders(user: Any) -> bool:
    return can_manage_org(user)
