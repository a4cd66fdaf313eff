"""Who sees a dispute and who may do what with it, role by role, level by level."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from xietong.disputes import permissions, services
from xietong.disputes.tests.conftest import raise_dispute
from xietong.org.tests.factories import DepartmentFactory, PersonFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("monday_morning")]

ACTIONS = ("see", "comment", "propose", "confirm", "escalate", "decide", "withdraw")


@pytest.fixture
def people(d):
    fin = DepartmentFactory(code="FIN", name="财务部")
    outsider = PersonFactory(username="outsider", department=fin)
    judge = PersonFactory(username="judge", department=fin)  # a committee member outside the parties
    d.committee.members.add(judge)
    exec_ = PersonFactory(username="ceo", department=d.world.gm, level="executive")
    w = d.world
    return {
        "party_head": w.head,  # head of RD
        "other_head": d.sales_head,  # head of SALES
        "party_staff": w.employee,  # staff of RD-HW, a sub-department of the party RD
        "raiser": w.liaison,
        "outsider": outsider,
        "level2_handler": d.boss,
        "committee_member": judge,
        "coordinator": w.coordinator,
        "admin": w.admin,
        "executive": exec_,
        "anonymous": AnonymousUser(),
    }


def allowed(user, dispute, proposal):
    checks = {
        "see": lambda: permissions.disputes_visible_to(user).filter(pk=dispute.pk).exists(),
        "comment": lambda: permissions.can_comment(user, dispute),
        "propose": lambda: permissions.can_propose(user, dispute),
        "confirm": lambda: proposal is not None and permissions.can_confirm(user, dispute, proposal),
        "escalate": lambda: permissions.can_escalate(user, dispute),
        "decide": lambda: permissions.can_decide(user, dispute),
        "withdraw": lambda: permissions.can_withdraw(user, dispute),
    }
    return {action for action in ACTIONS if checks[action]()}


LEVEL_1 = {
    "party_head": {"see", "comment", "propose", "escalate"},  # proposed: cannot confirm own
    "other_head": {"see", "comment", "propose", "confirm", "escalate"},
    "party_staff": {"see", "comment", "escalate"},
    "raiser": {"see", "comment", "escalate", "withdraw"},
    "outsider": set(),
    "level2_handler": {"see", "comment"},  # an executive sees everything
    "committee_member": set(),  # level 3 not reached yet
    "coordinator": {"see", "comment", "withdraw"},
    "admin": {"see", "comment"},
    "executive": {"see", "comment"},
    "anonymous": set(),
}

LEVEL_3 = {
    "party_head": {"see", "comment"},
    "other_head": {"see", "comment"},
    "party_staff": {"see", "comment"},
    "raiser": {"see", "comment", "withdraw"},
    "outsider": set(),
    "level2_handler": {"see", "comment", "decide"},  # the committee's chair
    "committee_member": {"see", "comment", "decide"},
    "coordinator": {"see", "comment", "withdraw"},
    "admin": {"see", "comment"},
    "executive": {"see", "comment"},
    "anonymous": set(),
}


def test_the_permission_matrix_at_level_1(d, people):
    dispute = raise_dispute(d, actor=d.world.liaison)
    proposal = services.dispute_propose(actor=d.world.head, dispute=dispute, text="方案")
    dispute.refresh_from_db()
    assert {role: allowed(user, dispute, proposal) for role, user in people.items()} == LEVEL_1


def test_the_permission_matrix_at_the_committee_level(d, people):
    dispute = raise_dispute(d, actor=d.world.liaison)
    services.dispute_escalate(actor=d.world.head, dispute=dispute, reason="1")
    dispute.refresh_from_db()
    at_2 = {role: allowed(user, dispute, None) for role, user in people.items()}
    assert at_2["level2_handler"] == {"see", "comment", "decide"}
    assert at_2["committee_member"] == set()
    services.dispute_escalate(actor=d.world.head, dispute=dispute, reason="2")
    dispute.refresh_from_db()
    assert {role: allowed(user, dispute, None) for role, user in people.items()} == LEVEL_3


def test_a_closed_dispute_allows_nothing_but_reading(d, people):
    dispute = raise_dispute(d, actor=d.world.liaison)
    services.dispute_withdraw(actor=d.world.liaison, dispute=dispute, reason="x")
    dispute.refresh_from_db()
    seen = {role: allowed(user, dispute, None) for role, user in people.items()}
    assert {role: actions for role, actions in seen.items() if actions} == {
        role: {"see"} for role, actions in LEVEL_1.items() if "see" in actions
    }


def test_unknown_and_unseen_ids_are_both_404(d, people):
    dispute = raise_dispute(d)
    assert permissions.access_dispute(people["party_staff"], dispute.pk) == dispute
    for user, pk in (
        (people["outsider"], dispute.pk),
        (people["party_staff"], dispute.pk + 1000),
        (people["anonymous"], dispute.pk),
    ):
        with pytest.raises(Http404):
            permissions.access_dispute(user, pk)
    with pytest.raises(Http404):
        permissions.access_dispute(people["admin"], "abc")


def test_ladders_are_read_by_everyone_signed_in_and_managed_by_coordinators_and_admins(d, people):
    assert permissions.access_ladder(people["outsider"], d.ladder.pk) == d.ladder
    with pytest.raises(Http404):
        permissions.access_ladder(people["anonymous"], d.ladder.pk)
    with pytest.raises(Http404):
        permissions.access_ladder(people["outsider"], d.ladder.pk + 1000)
    managers = {role for role, user in people.items() if permissions.can_manage_ladders(user)}
    assert managers == {"coordinator", "admin"}


def test_current_handlers_follow_the_level(d):
    dispute = raise_dispute(d)
    assert sorted(permissions.current_handler_ids(dispute)) == sorted([d.world.head.pk, d.sales_head.pk])
    services.dispute_escalate(actor=d.world.head, dispute=dispute, reason="1")
    dispute.refresh_from_db()
    assert permissions.current_handler_ids(dispute) == [d.boss.pk]
    services.dispute_escalate(actor=d.world.head, dispute=dispute, reason="2")
    dispute.refresh_from_db()
    assert permissions.current_handler_ids(dispute) == sorted([d.boss.pk, d.member.pk])  # chair + member
