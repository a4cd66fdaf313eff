"""Disputes: raise, comment, propose and confirm, escalate, decide, withdraw; ladders; the engine."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404

from xietong.attachments.models import Attachment
from xietong.attachments.permissions import access_attachment
from xietong.audit.models import AuditEntry
from xietong.common import clock
from xietong.common.exceptions import ApplicationError
from xietong.disputes import services
from xietong.disputes.models import Dispute, EscalationLadder, LadderLevel, Proposal
from xietong.disputes.tests.conftest import raise_dispute
from xietong.disputes.tests.factories import at
from xietong.notify.models import Notification
from xietong.org.tests.factories import DepartmentFactory, PersonFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("monday_morning")]


def kinds(dispute):
    return list(dispute.events.order_by("at", "pk").values_list("kind", "level"))


def recipients(kind):
    return sorted(Notification.objects.filter(kind=kind).values_list("recipient__username", flat=True))


# --- raise ------------------------------------------------------------------------------------------


def test_raising_enters_level_1_with_a_working_time_due_instant(d, django_capture_on_commit_callbacks):
    # when: Monday 16:00 + 1d (8 working hours: 2h on Monday, 3h + 3h on Tuesday) = Tuesday 16:00
    with django_capture_on_commit_callbacks(execute=True):
        dispute = raise_dispute(d, "2026-03-02T16:00")
    # then
    dispute.refresh_from_db()
    assert dispute.ref == f"D-{dispute.pk:06d}"
    assert (dispute.state, dispute.level, dispute.level_entered_at, dispute.due_at) == (
        "open",
        1,
        at("2026-03-02T16:00"),
        at("2026-03-03T16:00"),
    )
    assert sorted(dispute.parties.values_list("code", flat=True)) == ["RD", "SALES"]
    assert kinds(dispute) == [("raised", 1)]
    # the handlers of level 1 (the parties' heads) hear of it
    assert recipients("dispute.raised") == ["head", "sales_head"]
    assert AuditEntry.objects.filter(action="raise", object_id=str(dispute.pk)).count() == 1


def test_a_dispute_needs_two_distinct_active_parties(d):
    w = d.world
    closed = DepartmentFactory(code="OLD", is_active=False)
    cases = [
        ([w.rd], "two or more departments"),
        ([w.rd, w.rd], "listed twice"),
        ([w.rd, closed], "not an active department"),
    ]
    for parties, message in cases:
        with clock.freeze(at("2026-03-02T09:00")), pytest.raises(ApplicationError, match=message) as raised:
            services.dispute_raise(actor=w.head, title="t", description="", parties=parties)
        assert "parties" in raised.value.field_errors
    assert Dispute.objects.count() == 0


def test_the_raiser_belongs_to_a_party_or_coordinates(d):
    w = d.world
    # staff of SALES are not a party to RD vs RD-HW
    with pytest.raises(ApplicationError, match="must be one of the parties") as raised:
        raise_dispute(d, actor=w.other_department, parties=[w.rd, w.rd_hw])
    assert raised.value.code == "forbidden"
    # a person of a sub-department of a party, and a coordinator, may
    assert raise_dispute(d, actor=w.employee).raised_by == w.employee
    assert raise_dispute(d, actor=w.coordinator, parties=[w.rd_hw, w.sales]).raised_by == w.coordinator
    assert Dispute.objects.count() == 2


def test_without_any_ladder_raising_is_a_clear_error(world):
    with pytest.raises(ApplicationError, match="no escalation ladder"):
        services.dispute_raise(actor=world.head, title="t", description="", parties=[world.rd, world.sales])
    assert Dispute.objects.count() == 0


def test_a_title_is_required(d):
    with pytest.raises(ApplicationError) as raised:
        services.dispute_raise(actor=d.world.head, title="  ", description="", parties=[d.world.rd, d.world.sales])
    assert raised.value.field_errors == {"title": ["Required."]}
    assert Dispute.objects.count() == 0


# --- negotiate at level 1 ---------------------------------------------------------------------------


def test_a_proposal_confirmed_by_the_other_party_resolves_at_level_1(d, django_capture_on_commit_callbacks):
    dispute = raise_dispute(d)
    with clock.freeze(at("2026-03-02T10:00")), django_capture_on_commit_callbacks(execute=True):
        proposal = services.dispute_propose(actor=d.world.head, dispute=dispute, text="分两批交付")
    assert recipients("dispute.proposed") == ["sales_head"]
    dispute.refresh_from_db()
    assert dispute.state == "open"  # not final without the confirmation
    with clock.freeze(at("2026-03-02T11:00")), django_capture_on_commit_callbacks(execute=True):
        services.dispute_confirm(actor=d.sales_head, dispute=dispute, proposal=proposal)
    dispute.refresh_from_db()
    proposal.refresh_from_db()
    assert (dispute.state, dispute.closed_at, dispute.outcome) == ("resolved", at("2026-03-02T11:00"), "分两批交付")
    assert proposal.state == Proposal.State.FINAL
    assert kinds(dispute) == [("raised", 1), ("propose", 1), ("confirm", 1), ("resolve", 1)]
    assert recipients("dispute.resolved") == ["employee", "head", "liaison", "sales_head"]


def test_with_three_parties_one_confirmation_is_not_final(d):
    qa_head = PersonFactory(username="qa_head", level="manager")
    qa = DepartmentFactory(code="QA", head=qa_head)
    dispute = raise_dispute(d, parties=[d.world.rd, d.world.sales, qa])
    proposal = services.dispute_propose(actor=d.world.head, dispute=dispute, text="方案")
    services.dispute_confirm(actor=d.sales_head, dispute=dispute, proposal=proposal)
    dispute.refresh_from_db()
    assert dispute.state == "open"
    services.dispute_confirm(actor=qa_head, dispute=dispute, proposal=proposal)
    dispute.refresh_from_db()
    assert dispute.state == "resolved"


def test_confirming_is_refused_to_the_proposer_to_non_heads_and_for_an_old_proposal(d):
    dispute = raise_dispute(d)
    first = services.dispute_propose(actor=d.world.head, dispute=dispute, text="方案一")
    with pytest.raises(ApplicationError, match="your own proposal"):
        services.dispute_confirm(actor=d.world.head, dispute=dispute, proposal=first)
    with pytest.raises(ApplicationError, match="head of another party") as raised:
        services.dispute_confirm(actor=d.member, dispute=dispute, proposal=first)
    assert raised.value.code == "forbidden"
    # a newer proposal supersedes the pending one
    second = services.dispute_propose(actor=d.sales_head, dispute=dispute, text="方案二")
    first.refresh_from_db()
    assert first.state == Proposal.State.SUPERSEDED
    with pytest.raises(ApplicationError, match="replaced by a newer one"):
        services.dispute_confirm(actor=d.sales_head, dispute=dispute, proposal=first)
    dispute.refresh_from_db()
    assert dispute.state == "open"
    assert second.confirmations.count() == 0


def test_only_a_party_head_proposes_and_only_at_level_1(d):
    dispute = raise_dispute(d)
    with pytest.raises(ApplicationError, match="Only the head of a party"):
        services.dispute_propose(actor=d.world.employee, dispute=dispute, text="x")
    services.dispute_escalate(actor=d.world.employee, dispute=dispute, reason="谈不拢")
    with pytest.raises(ApplicationError, match="proposed at level 1"):
        services.dispute_propose(actor=d.world.head, dispute=dispute, text="x")
    assert Proposal.objects.count() == 0


# --- escalate, decide, withdraw --------------------------------------------------------------------


def test_a_party_escalates_by_hand_and_the_new_handler_is_told(d, django_capture_on_commit_callbacks):
    dispute = raise_dispute(d)
    with clock.freeze(at("2026-03-02T10:00")), django_capture_on_commit_callbacks(execute=True):
        services.dispute_escalate(actor=d.world.liaison, dispute=dispute, reason="协商无果")
    dispute.refresh_from_db()
    # level 2 (2d = 16h) entered Monday 10:00 → Wednesday 10:00
    assert (dispute.level, dispute.level_entered_at, dispute.due_at) == (
        2,
        at("2026-03-02T10:00"),
        at("2026-03-04T10:00"),
    )
    event = dispute.events.get(kind="escalate")
    assert (event.level, event.actor, event.note) == (2, d.world.liaison, "协商无果")
    # the new handler and the parties, but not the liaison who escalated
    assert recipients("dispute.escalated") == ["boss", "employee", "head", "sales_head"]


def test_escalating_past_the_last_level_is_an_error_and_changes_nothing(d):
    dispute = raise_dispute(d)
    services.dispute_escalate(actor=d.world.head, dispute=dispute, reason="1")
    services.dispute_escalate(actor=d.world.head, dispute=dispute, reason="2")
    with pytest.raises(ApplicationError, match="last level") as raised:
        services.dispute_escalate(actor=d.world.head, dispute=dispute, reason="3")
    assert raised.value.code == "last_level"
    dispute.refresh_from_db()
    assert dispute.level == 3
    assert dispute.events.filter(kind="escalate").count() == 2


def test_an_outsider_cannot_escalate_and_a_reason_is_required(d):
    dispute = raise_dispute(d)
    outsider = PersonFactory(username="outsider", department=DepartmentFactory(code="FIN"))
    with pytest.raises(ApplicationError, match="Only a party") as raised:
        services.dispute_escalate(actor=outsider, dispute=dispute, reason="x")
    assert raised.value.code == "forbidden"
    with pytest.raises(ApplicationError) as raised:
        services.dispute_escalate(actor=d.world.head, dispute=dispute, reason=" ")
    assert raised.value.field_errors == {"reason": ["Required."]}
    dispute.refresh_from_db()
    assert dispute.level == 1


def test_deciding_at_level_1_is_refused(d):
    dispute = raise_dispute(d)
    with pytest.raises(ApplicationError, match="decisions are taken above level 1") as raised:
        services.dispute_decide(actor=d.boss, dispute=dispute, decision="x", reasoning="y")
    assert raised.value.code == "level_1"
    dispute.refresh_from_db()
    assert dispute.state == "open"


def test_the_level_handler_decides_with_reasoning(d, django_capture_on_commit_callbacks):
    dispute = raise_dispute(d)
    services.dispute_escalate(actor=d.world.head, dispute=dispute, reason="僵持")
    with pytest.raises(ApplicationError, match="Only the handler") as raised:
        services.dispute_decide(actor=d.world.coordinator, dispute=dispute, decision="x", reasoning="y")
    assert raised.value.code == "forbidden"
    with clock.freeze(at("2026-03-03T09:00")), django_capture_on_commit_callbacks(execute=True):
        services.dispute_decide(actor=d.boss, dispute=dispute, decision="优先保障插单", reasoning="客户战略级")
    dispute.refresh_from_db()
    assert (dispute.state, dispute.outcome, dispute.closed_at) == ("resolved", "优先保障插单", at("2026-03-03T09:00"))
    assert kinds(dispute)[-2:] == [("decide", 2), ("resolve", 2)]
    assert dispute.events.get(kind="decide").note == "客户战略级"
    assert "head" in recipients("dispute.resolved")


def test_a_committee_member_decides_at_the_committee_level(d):
    dispute = raise_dispute(d)
    services.dispute_escalate(actor=d.world.head, dispute=dispute, reason="1")
    services.dispute_escalate(actor=d.world.head, dispute=dispute, reason="2")
    services.dispute_decide(actor=d.member, dispute=dispute, decision="各让一步", reasoning="委员会表决")
    dispute.refresh_from_db()
    assert dispute.state == "resolved"


def test_a_withdrawn_dispute_changes_no_more(d):
    dispute = raise_dispute(d)
    with pytest.raises(ApplicationError, match="Only the person who raised"):
        services.dispute_withdraw(actor=d.world.head, dispute=dispute, reason="x")
    services.dispute_withdraw(actor=d.world.employee, dispute=dispute, reason="已私下解决")
    dispute.refresh_from_db()
    assert (dispute.state, dispute.outcome) == ("withdrawn", "已私下解决")
    events = dispute.events.count()
    refusals = [
        lambda: services.dispute_comment(actor=d.world.head, dispute=dispute, note="x"),
        lambda: services.dispute_propose(actor=d.world.head, dispute=dispute, text="x"),
        lambda: services.dispute_escalate(actor=d.world.head, dispute=dispute, reason="x"),
        lambda: services.dispute_withdraw(actor=d.world.employee, dispute=dispute, reason="x"),
    ]
    for refusal in refusals:
        with pytest.raises(ApplicationError, match="withdrawn: nothing can change it") as raised:
            refusal()
        assert raised.value.code == "closed"
    assert dispute.events.count() == events


def test_a_resolved_dispute_cannot_be_resolved_again(d):
    dispute = raise_dispute(d)
    services.dispute_escalate(actor=d.world.head, dispute=dispute, reason="1")
    services.dispute_decide(actor=d.boss, dispute=dispute, decision="A", reasoning="B")
    with pytest.raises(ApplicationError, match="resolved: nothing can change it"):
        services.dispute_decide(actor=d.boss, dispute=dispute, decision="C", reasoning="D")
    dispute.refresh_from_db()
    assert dispute.outcome == "A"


# --- comments and attachments -----------------------------------------------------------------------


def pdf(name="evidence.pdf"):
    return SimpleUploadedFile(
        name, b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", content_type="application/pdf"
    )


def test_files_raised_and_commented_are_seen_only_by_those_who_see_the_dispute(d):
    with clock.freeze(at("2026-03-02T09:00")):
        dispute = services.dispute_raise(
            actor=d.world.employee,
            title="t",
            description="",
            parties=[d.world.rd, d.world.sales],
            files=[pdf()],
        )
    event = services.dispute_comment(actor=d.member, dispute=dispute, note="见附件", files=[pdf("more.pdf")])
    assert (event.kind, event.level) == ("comment", 1)
    attachments = list(Attachment.objects.order_by("pk"))
    assert [a.filename for a in attachments] == ["evidence.pdf", "more.pdf"]
    outsider = PersonFactory(username="outsider", department=DepartmentFactory(code="FIN"))
    for attachment in attachments:
        assert access_attachment(d.world.employee, attachment.pk) == attachment
        assert access_attachment(d.boss, attachment.pk) == attachment  # an executive
        with pytest.raises(Http404):
            access_attachment(outsider, attachment.pk)


def test_an_outsider_cannot_comment_and_an_empty_comment_is_refused(d):
    dispute = raise_dispute(d)
    outsider = PersonFactory(username="outsider", department=DepartmentFactory(code="FIN"))
    with pytest.raises(ApplicationError, match="may not comment"):
        services.dispute_comment(actor=outsider, dispute=dispute, note="x")
    with pytest.raises(ApplicationError) as raised:
        services.dispute_comment(actor=d.world.head, dispute=dispute, note="")
    assert raised.value.field_errors == {"note": ["Required."]}
    assert dispute.events.count() == 1


# --- ladders ----------------------------------------------------------------------------------------


LEVELS = [
    {"name": "协商", "handler": "heads_of_parties", "time_limit": "3d"},
    {"name": "总经理", "handler": "person:head", "time_limit": "2d"},
]


def test_ladders_are_created_with_exactly_one_default(world):
    first = services.ladder_create(actor=world.coordinator, code="A", name="甲", is_default=False, levels=LEVELS)
    assert first.is_default  # the first ladder is the default
    second = services.ladder_create(actor=world.admin, code="B", name="乙", is_default=True, levels=LEVELS[:1])
    first.refresh_from_db()
    assert (first.is_default, second.is_default) == (False, True)
    level = LadderLevel.objects.get(ladder=first, number=2)
    assert (level.handler_kind, level.person, level.time_limit) == ("person", world.head, "2d")
    assert services.handler_text(level) == "person:head"
    with pytest.raises(ApplicationError, match="make another ladder the default"):
        services.ladder_update(actor=world.coordinator, ladder=second, name="乙", is_default=False, levels=LEVELS)
    services.ladder_update(actor=world.coordinator, ladder=first, name="甲2", is_default=True, levels=LEVELS)
    assert list(EscalationLadder.objects.filter(is_default=True).values_list("code", flat=True)) == ["A"]


def test_ladder_input_is_checked_level_by_level(world):
    bad = [
        {"name": "", "handler": "heads_of_parties", "time_limit": "3d"},
        {"name": "x", "handler": "boss", "time_limit": "3 d"},
        {"name": "y", "handler": "committee:NOPE", "time_limit": "1h"},
    ]
    with pytest.raises(ApplicationError) as raised:
        services.ladder_create(actor=world.coordinator, code="A", name="甲", is_default=True, levels=bad)
    assert sorted(raised.value.field_errors) == [
        "levels.0.name",
        "levels.1.handler",
        "levels.1.time_limit",
        "levels.2.handler",
    ]
    with pytest.raises(ApplicationError, match="at least one level"):
        services.ladder_create(actor=world.coordinator, code="A", name="甲", is_default=True, levels=[])
    with pytest.raises(ApplicationError, match="Only coordinators"):
        services.ladder_create(actor=world.head, code="A", name="甲", is_default=True, levels=LEVELS)
    assert EscalationLadder.objects.count() == 0


def test_a_ladder_in_use_keeps_its_levels_and_cannot_be_deleted(d):
    dispute = raise_dispute(d)
    three = [
        {"name": "协商", "handler": "heads_of_parties", "time_limit": "3d"},
        {"name": "总经理", "handler": "person:boss", "time_limit": "2d"},
        {"name": "委员会", "handler": "committee:XT-COMM", "time_limit": "4h"},
    ]
    with pytest.raises(ApplicationError, match="none removed"):
        services.ladder_update(actor=d.world.coordinator, ladder=d.ladder, name="n", is_default=True, levels=three[:2])
    # renaming, new limits and a level added at the end are fine
    services.ladder_update(
        actor=d.world.coordinator,
        ladder=d.ladder,
        name="新",
        is_default=True,
        levels=[*three, {"name": "董事会", "handler": "person:admin", "time_limit": "5d"}],
    )
    assert d.ladder.levels.count() == 4
    with pytest.raises(ApplicationError, match="used by 1 dispute"):
        services.ladder_delete(actor=d.world.coordinator, ladder=d.ladder)
    # closed disputes keep the levels they reached
    services.dispute_escalate(actor=d.world.head, dispute=dispute, reason="x")
    services.dispute_decide(actor=d.boss, dispute=dispute, decision="a", reasoning="b")
    with pytest.raises(ApplicationError, match="reached level 2"):
        services.ladder_update(actor=d.world.coordinator, ladder=d.ladder, name="n", is_default=True, levels=three[:1])
    services.ladder_update(actor=d.world.coordinator, ladder=d.ladder, name="n", is_default=True, levels=three[:2])
    assert d.ladder.levels.count() == 2


def test_the_default_ladder_is_deleted_only_when_it_is_the_last(world):
    a = services.ladder_create(actor=world.coordinator, code="A", name="甲", is_default=True, levels=LEVELS)
    b = services.ladder_create(actor=world.coordinator, code="B", name="乙", is_default=False, levels=LEVELS)
    with pytest.raises(ApplicationError, match="make another ladder the default before deleting"):
        services.ladder_delete(actor=world.coordinator, ladder=a)
    services.ladder_delete(actor=world.coordinator, ladder=b)
    services.ladder_delete(actor=world.coordinator, ladder=a)
    assert EscalationLadder.objects.count() == 0


# --- the escalation engine, in working time --------------------------------------------------------


def test_a_friday_afternoon_dispute_escalates_on_the_make_up_saturday_then_after_spring_festival(
    d, django_capture_on_commit_callbacks
):
    # given: Friday 2026-02-13 15:00; Saturday 02-14 is a make-up working day (调休上班), then the
    # Spring Festival holiday runs from Sunday 02-15 to Monday 02-23
    dispute = raise_dispute(d, "2026-02-13T15:00")
    # 1d = 8h: 3h on Friday, then 3h + 2h on the make-up Saturday → Saturday 15:00 (not Monday)
    assert dispute.due_at == at("2026-02-14T15:00")
    # when: the tick runs at the due instant, then a minute late
    assert services.escalation_tick(now=at("2026-02-14T15:00")) == {"escalated": 0, "overdue": 0}
    with django_capture_on_commit_callbacks(execute=True):
        assert services.escalation_tick(now=at("2026-02-14T15:01")) == {"escalated": 1, "overdue": 0}
    # then: level 2 was entered at the due instant itself; 2d = 16h: 3h on Saturday, the holiday,
    # 8h on Tuesday 02-24, 5h on Wednesday 02-25 → 15:00
    dispute.refresh_from_db()
    assert (dispute.level, dispute.level_entered_at, dispute.due_at) == (
        2,
        at("2026-02-14T15:00"),
        at("2026-02-25T15:00"),
    )
    event = dispute.events.get(kind="auto_escalate")
    assert (event.at, event.level, event.actor) == (at("2026-02-14T15:00"), 2, None)
    assert recipients("dispute.escalated") == ["boss", "employee", "head", "liaison", "sales_head"]
    # a second run does nothing
    assert services.escalation_tick(now=at("2026-02-14T15:02")) == {"escalated": 0, "overdue": 0}


def test_a_dispute_opened_before_national_day_is_due_on_the_make_up_saturday(d):
    # Wednesday 2026-09-30 14:00 is the afternoon of the last working day before National Day
    # (10-01 to 10-07 off); Saturday 10-10 is a make-up working day.
    three_days = services.ladder_create(
        actor=d.world.coordinator,
        code="LONG",
        name="长",
        is_default=False,
        levels=[
            {"name": "协商", "handler": "heads_of_parties", "time_limit": "3d"},
            {"name": "总经理", "handler": "person:boss", "time_limit": "1d"},
        ],
    )
    with clock.freeze(at("2026-09-30T14:00")):
        dispute = services.dispute_raise(
            actor=d.world.head, title="t", description="", parties=[d.world.rd, d.world.sales], ladder=three_days
        )
    # 24h: 4h on 09-30, 8h on Thursday 10-08, 8h on Friday 10-09, 3h + 1h on Saturday 10-10 → 14:00
    assert dispute.due_at == at("2026-10-10T14:00")
    services.escalation_tick(now=at("2026-10-08T09:00"))  # wall clock says 3 days have passed: nothing
    dispute.refresh_from_db()
    assert dispute.level == 1
    services.escalation_tick(now=at("2026-10-10T14:00:01"))
    dispute.refresh_from_db()
    # level 2 (1d) entered 10-10 14:00: 4h that Saturday, Sunday 10-11 off, 3h + 1h on Monday 10-12
    assert (dispute.level, dispute.level_entered_at, dispute.due_at) == (
        2,
        at("2026-10-10T14:00"),
        at("2026-10-12T14:00"),
    )


def test_a_late_tick_catches_up_several_levels_and_flags_the_last_one_overdue_once(
    d, django_capture_on_commit_callbacks
):
    dispute = raise_dispute(d, "2026-02-13T15:00")
    # levels: 1 due Sat 02-14 15:00; 2 (2d) due Wed 02-25 15:00; 3 (1d) due Thu 02-26 15:00
    with django_capture_on_commit_callbacks(execute=True):
        assert services.escalation_tick(now=at("2026-03-10T09:00")) == {"escalated": 2, "overdue": 1}
    dispute.refresh_from_db()
    assert (dispute.level, dispute.level_entered_at, dispute.due_at) == (
        3,
        at("2026-02-25T15:00"),
        at("2026-02-26T15:00"),
    )
    events = list(dispute.events.order_by("at", "pk").values_list("kind", "at", "level"))
    assert events == [
        ("raised", at("2026-02-13T15:00"), 1),
        ("auto_escalate", at("2026-02-14T15:00"), 2),
        ("auto_escalate", at("2026-02-25T15:00"), 3),
        ("overdue", at("2026-02-26T15:00"), 3),
    ]
    # the handlers of the level it stands at (the committee: boss and member) and the parties
    assert recipients("dispute.escalated") == ["boss", "employee", "head", "liaison", "member", "sales_head"]
    # leadership and coordinators hear once that it is overdue
    assert recipients("dispute.overdue") == ["boss", "coordinator"]
    with django_capture_on_commit_callbacks(execute=True):
        assert services.escalation_tick(now=at("2026-03-11T09:00")) == {"escalated": 0, "overdue": 0}
    assert Notification.objects.filter(kind="dispute.overdue").count() == 2


def test_an_action_at_the_very_due_instant_is_taken_first(d):
    # given: Monday 09:00 + 8h is due at 18:00 that Monday, the very end of its working day
    dispute = raise_dispute(d, "2026-03-02T09:00")
    assert dispute.due_at == at("2026-03-02T18:00")
    proposal = services.dispute_propose(actor=d.world.head, dispute=dispute, text="分两批交付")
    # when: the other head confirms at exactly the due instant
    with clock.freeze(at("2026-03-02T18:00")):
        services.dispute_confirm(actor=d.sales_head, dispute=dispute, proposal=proposal)
    # then: resolved at level 1, no escalation
    dispute.refresh_from_db()
    assert (dispute.state, dispute.level) == ("resolved", 1)
    assert dispute.events.filter(kind="auto_escalate").count() == 0
    assert dispute.events.get(kind="resolve").level == 1


def test_an_action_just_after_the_due_instant_happens_at_the_new_level(d):
    dispute = raise_dispute(d, "2026-03-02T09:00")
    proposal = services.dispute_propose(actor=d.world.head, dispute=dispute, text="方案")
    # a comment one second late: the (not yet ticked) escalation is applied first, at its instant
    with clock.freeze(at("2026-03-02T18:00:01")):
        event = services.dispute_comment(actor=d.sales_head, dispute=dispute, note="还在谈")
    assert event.level == 2
    assert list(dispute.events.order_by("at", "pk").values_list("kind", "level")) == [
        ("raised", 1),
        ("propose", 1),
        ("auto_escalate", 2),
        ("comment", 2),
    ]
    proposal.refresh_from_db()
    assert proposal.state == Proposal.State.SUPERSEDED
    # and a confirmation now is refused: the dispute left level 1
    with clock.freeze(at("2026-03-02T18:00:02")), pytest.raises(ApplicationError, match="left level 1"):
        services.dispute_confirm(actor=d.sales_head, dispute=dispute, proposal=proposal)


def test_the_tick_is_registered():
    from xietong.common.ticks import _ticks

    assert _ticks["disputes.escalation"] is services.escalation_tick


def test_a_decision_is_found_again_by_search_as_a_precedent(d, django_capture_on_commit_callbacks):
    from xietong.search.selectors import search

    dispute = raise_dispute(d)
    services.dispute_escalate(actor=d.world.head, dispute=dispute, reason="僵持")
    with django_capture_on_commit_callbacks(execute=True):
        services.dispute_decide(actor=d.boss, dispute=dispute, decision="插单须提前三天通知排产", reasoning="产能约束")
    outsider = PersonFactory(username="outsider", department=DepartmentFactory(code="FIN"))
    found = search(d.world.employee, "提前三天", kind="dispute")
    assert [hit.object_id for hit in found[:10]] == [dispute.pk]
    assert search(outsider, "提前三天", kind="dispute").count() == 0


def test_a_party_without_a_head_cannot_confirm_so_the_proposal_stays_pending(d):
    headless = DepartmentFactory(code="QA", name="质量部")
    dispute = raise_dispute(d, parties=[d.world.rd, d.world.sales, headless])
    proposal = services.dispute_propose(actor=d.world.head, dispute=dispute, text="方案")
    services.dispute_confirm(actor=d.sales_head, dispute=dispute, proposal=proposal)
    dispute.refresh_from_db()
    proposal.refresh_from_db()
    assert (dispute.state, proposal.state) == ("open", Proposal.State.PENDING)
    # the way out is escalation
    services.dispute_escalate(actor=d.world.head, dispute=dispute, reason="质量部无负责人")
    proposal.refresh_from_db()
    assert proposal.state == Proposal.State.SUPERSEDED


def test_a_head_of_two_parties_confirms_for_both_by_proposing(d):
    # the RD head also heads QA: proposing counts as QA's confirmation; SALES must still confirm
    qa = DepartmentFactory(code="QA", name="质量部", head=d.world.head)
    dispute = raise_dispute(d, parties=[d.world.rd, d.world.sales, qa])
    proposal = services.dispute_propose(actor=d.world.head, dispute=dispute, text="方案")
    assert [(c.department.code, c.person.username) for c in proposal.confirmations.all()] == [("QA", "head")]
    services.dispute_confirm(actor=d.sales_head, dispute=dispute, proposal=proposal)
    dispute.refresh_from_db()
    assert dispute.state == "resolved"


def test_a_level_added_to_the_ladder_lets_an_overdue_dispute_climb_again(d, django_capture_on_commit_callbacks):
    # given: overdue at level 3 (the last) since Thursday 02-26 15:00, and told so
    dispute = raise_dispute(d, "2026-02-13T15:00")
    with django_capture_on_commit_callbacks(execute=True):
        assert services.escalation_tick(now=at("2026-03-02T09:00")) == {"escalated": 2, "overdue": 1}
    # when: the ladder gets a fourth level
    levels = [
        {"name": lv.name, "handler": services.handler_text(lv), "time_limit": lv.time_limit}
        for lv in d.ladder.levels.order_by("number")
    ]
    services.ladder_update(
        actor=d.world.coordinator,
        ladder=d.ladder,
        name=d.ladder.name,
        is_default=True,
        levels=[*levels, {"name": "董事会", "handler": "person:admin", "time_limit": "1d"}],
    )
    # then: it climbs at the instant level 3 ran out, as the figures derive
    with django_capture_on_commit_callbacks(execute=True):
        assert services.escalation_tick(now=at("2026-03-02T09:01")) == {"escalated": 1, "overdue": 1}
    dispute.refresh_from_db()
    assert (dispute.level, dispute.level_entered_at) == (4, at("2026-02-26T15:00"))
    # overdue again at the new last level (02-27 15:00): leadership and coordinators are told again
    assert Notification.objects.filter(kind="dispute.overdue").count() == 4
