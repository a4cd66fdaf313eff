"""The disputes API (/api/v1/disputes/): raising, each action per role, bad input, ladders, schema.

The role × route statuses of the root conftest's roles are in route_matrix.py; these tests use the
roles of the issue's permission matrix (test_views.Cast) and check what each request does.
"""

from __future__ import annotations

from typing import Any

import pytest
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from rest_framework import serializers

from xietong.common import clock
from xietong.disputes import services
from xietong.disputes.models import Dispute, DisputeEvent, EscalationLadder, LadderLevel, Proposal
from xietong.disputes.tests.factories import at
from xietong.disputes.tests.test_views import ACTIONS, ROLES, UNSEEN, Cast, cast, rd_sales, snapshot, zh
from xietong.processes.tests.route_matrix_cases import hw_case, sales_case

pytestmark = pytest.mark.django_db

__all__ = ["cast"]  # the fixture, shared with the page tests

DISPUTES = "/api/v1/disputes/disputes/"
LADDERS = "/api/v1/disputes/ladders/"


def post(client: Any, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, body, content_type="application/json")


# ── Raising ─────────────────────────────────────────────────────────────────────────────────────


def test_a_party_member_raises_a_dispute_about_a_case_they_see(client, cast):
    # given: a running case of HW-FIX (RD-HW's and RD's steps)
    w = cast.d.world
    case = hw_case(w)
    client.force_login(w.employee)
    # when
    response = post(
        client,
        DISPUTES,
        {"title": "返修责任", "description": "谁承担返修", "parties": ["RD", "SALES"], "case": case.pk},
    )
    # then
    dispute = Dispute.objects.get()
    assert response.status_code == 201
    body = response.json()
    assert {
        k: body[k] for k in ("id", "ref", "title", "state", "parties", "ladder", "level", "level_count", "case")
    } == {
        "id": dispute.pk,
        "ref": dispute.ref,
        "title": "返修责任",
        "state": "open",
        "parties": ["RD", "SALES"],
        "ladder": cast.d.ladder.code,
        "level": 1,
        "level_count": 3,
        "case": case.pk,
    }
    assert [e["kind"] for e in body["events"]] == ["raised"]
    assert body["handlers"] == ["head", "sales_head"]
    assert [level["handler"] for level in body["levels"]] == ["heads_of_parties", "person:boss", "committee:XT-COMM"]


def test_raising_about_a_case_one_cannot_see_is_a_clear_400(client, cast):
    # given: a SALES case; the RD-HW employee does not see it
    w = cast.d.world
    case = sales_case(w)
    client.force_login(w.employee)
    # when
    response = post(client, DISPUTES, {"title": "报价", "parties": ["RD", "SALES"], "case": case.pk})
    # then
    assert response.status_code == 400
    message = serializers.PrimaryKeyRelatedField.default_error_messages["does_not_exist"]
    assert response.json()["error"]["fields"]["case"] == [zh(message, pk_value=case.pk)]
    assert Dispute.objects.count() == 0


@pytest.mark.parametrize(
    ("parties", "field_message"),
    [(["SALES"], "Choose at least two departments."), (["SALES", "SALES"], "Each department once.")],
    ids=["one party", "the same party twice"],
)
def test_raising_with_too_few_parties_is_a_clear_400_and_creates_nothing(client, cast, parties, field_message):
    # given
    client.force_login(cast.d.world.other_department)
    # when
    response = post(client, DISPUTES, {"title": "单方", "parties": parties})
    # then
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error["fields"] == {"parties": [zh(field_message)]}
    assert Dispute.objects.count() == 0
    assert DisputeEvent.objects.count() == 0


def test_raising_for_departments_that_are_not_ones_own_is_403_with_the_reason(client, cast):
    # given
    client.force_login(cast.d.world.employee)
    # when
    response = post(client, DISPUTES, {"title": "别人的事", "parties": ["SALES", "FIN"]})
    # then
    assert response.status_code == 403
    assert response.json()["error"] == {
        "status": 403,
        "code": "forbidden",
        "message": zh("You raise a dispute for your own department: it must be one of the parties."),
    }
    assert Dispute.objects.count() == 0


# ── The actions per role ────────────────────────────────────────────────────────────────────────


def _body(action: str, data: dict[str, Any], dispute: Dispute) -> dict[str, Any]:
    if action == "confirm":
        return {"proposal": Proposal.objects.get(dispute=dispute, state="pending").pk}
    return data


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("action", "level", "data", "allowed"), ACTIONS, ids=[f"{a[0]} at {a[1]}" for a in ACTIONS])
def test_each_action_is_done_only_by_the_roles_that_may(client, cast: Cast, role, action, level, data, allowed):
    # given
    dispute = rd_sales(cast, level=level, proposal=level == 1)
    body = _body(action, data, dispute)
    client.force_login(cast.person(role))
    before = snapshot(dispute)
    # when
    with clock.freeze(at("2026-03-02T10:00")):
        response = post(client, f"{DISPUTES}{dispute.pk}/{action}/", body)
    # then
    after = snapshot(dispute)
    if role in UNSEEN[level]:
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
        assert after == before
    elif role in allowed:
        assert response.status_code == 200
        assert response.json()["id"] == dispute.pk
        assert response.json()["state"] == after[0][0]
        assert after != before
    else:
        assert response.status_code == 403
        error = response.json()["error"]
        assert (error["status"], error["code"]) == (403, "forbidden")
        assert error["message"]  # the service's own reason
        assert after == before


def test_the_last_confirmation_resolves_the_dispute_with_the_proposal_as_outcome(client, cast):
    # given: SALES's head proposed
    dispute = rd_sales(cast, proposal=True)
    proposal = Proposal.objects.get(dispute=dispute)
    client.force_login(cast.d.world.head)
    # when
    with clock.freeze(at("2026-03-02T10:15")):
        response = post(client, f"{DISPUTES}{dispute.pk}/confirm/", {"proposal": proposal.pk})
    # then
    body = response.json()
    assert (body["state"], body["outcome"], body["closed_at"]) == (
        "resolved",
        "交付顺延一周",
        "2026-03-02T10:15:00+08:00",
    )
    [shown] = body["proposals"]
    assert (shown["state"], shown["awaiting"]) == ("final", [])
    assert [(c["department"], c["person"]) for c in shown["confirmations"]] == [("RD", "head")]
    assert [e["kind"] for e in body["events"]] == ["raised", "propose", "confirm", "resolve"]


def test_a_pending_proposal_lists_the_parties_still_to_confirm(client, cast):
    # given
    dispute = rd_sales(cast, proposal=True)
    client.force_login(cast.d.world.employee)
    # when
    body = client.get(f"{DISPUTES}{dispute.pk}/").json()
    # then
    [shown] = body["proposals"]
    assert (shown["department"], shown["proposed_by"], shown["state"], shown["awaiting"]) == (
        "SALES",
        "sales_head",
        "pending",
        ["RD"],
    )


def test_escalating_past_the_last_level_is_a_clear_400_and_changes_nothing(client, cast):
    # given
    dispute = rd_sales(cast, level=3)
    client.force_login(cast.d.world.head)
    before = snapshot(dispute)
    # when
    response = post(client, f"{DISPUTES}{dispute.pk}/escalate/", {"reason": "再升级"})
    # then
    assert response.status_code == 400
    assert response.json()["error"] == {
        "status": 400,
        "code": "last_level",
        "message": zh(
            "The dispute is at the last level of its ladder ({level}): it cannot be escalated further.", level=3
        ),
    }
    assert snapshot(dispute) == before


@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("comment", {"note": "再说一句"}),
        ("decide", {"decision": "裁决", "reasoning": "理由"}),
        ("escalate", {"reason": "升级"}),
    ],
)
def test_acting_on_a_withdrawn_dispute_is_a_clear_400_and_changes_nothing(client, cast, action, body):
    # given: withdrawn at level 2
    dispute = rd_sales(cast, level=2)
    post_as = cast.d.world.other_department
    client.force_login(post_as)
    post(client, f"{DISPUTES}{dispute.pk}/withdraw/", {"reason": "客户取消"})
    client.force_login(cast.d.boss)
    before = snapshot(dispute)
    # when
    response = post(client, f"{DISPUTES}{dispute.pk}/{action}/", body)
    # then
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "closed"
    assert response.json()["error"]["message"] == zh("This dispute was withdrawn: nothing can change it any more.")
    assert snapshot(dispute) == before


def test_a_missing_reason_is_a_400_naming_the_field(client, cast):
    # given
    dispute = rd_sales(cast)
    client.force_login(cast.d.world.head)
    before = snapshot(dispute)
    # when
    response = post(client, f"{DISPUTES}{dispute.pk}/escalate/", {})
    # then
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"reason": [zh(serializers.Field.default_error_messages["required"])]}
    assert snapshot(dispute) == before


def test_confirming_an_unknown_proposal_is_a_400_naming_the_field(client, cast):
    # given
    dispute = rd_sales(cast, proposal=True)
    client.force_login(cast.d.world.head)
    before = snapshot(dispute)
    # when
    response = post(client, f"{DISPUTES}{dispute.pk}/confirm/", {"proposal": 999_999})
    # then
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"proposal": [zh("This proposal is not one of this dispute's.")]}
    assert snapshot(dispute) == before


# ── Lists ───────────────────────────────────────────────────────────────────────────────────────


def test_the_list_filters_by_state_level_mine_overdue_queue_and_title(client, cast):
    # given: one at level 1, one at level 3 (last), one withdrawn
    first = rd_sales(cast)
    last = rd_sales(cast, level=3)
    gone = rd_sales(cast)
    with clock.freeze(at("2026-03-02T09:10")):
        Dispute.objects.filter(pk=gone.pk).update(title="已撤回的争议")
        gone.refresh_from_db()
        services.dispute_withdraw(actor=cast.d.world.other_department, dispute=gone, reason="撤回")
    client.force_login(cast.d.boss)

    def ids(**params: Any) -> list[int]:
        with clock.freeze(at("2026-03-03T12:00")):  # level 3 was due Tuesday 09:00
            response = client.get(DISPUTES, params)
        assert response.status_code == 200
        return [row["id"] for row in response.json()["results"]]

    # then
    assert sorted(ids()) == sorted([first.pk, last.pk, gone.pk])
    assert ids(state="withdrawn") == [gone.pk]
    assert ids(level=3) == [last.pk]
    assert ids(overdue="true") == [last.pk]
    assert ids(q="撤回") == [gone.pk]
    assert ids(queue="true") == [last.pk]  # the general manager chairs the committee (level 3)
    with clock.freeze(at("2026-03-03T12:00")):
        rows = {row["id"]: row for row in client.get(DISPUTES).json()["results"]}
    assert (rows[last.pk]["is_overdue"], rows[first.pk]["is_overdue"]) == (True, False)


def test_an_outsider_lists_nothing_and_gets_404_for_every_dispute(client, cast):
    # given
    dispute = rd_sales(cast)
    client.force_login(cast.outsider)
    # when
    listed = client.get(DISPUTES)
    detail = client.get(f"{DISPUTES}{dispute.pk}/")
    # then
    assert listed.json()["results"] == []
    assert detail.status_code == 404


# ── Ladders ─────────────────────────────────────────────────────────────────────────────────────


def _ladder(code: str, *, default: bool = False, handler: str = "person:boss") -> dict[str, Any]:
    return {
        "code": code,
        "name": "快速通道",
        "is_default": default,
        "levels": [
            {"name": "部门协商", "handler": "heads_of_parties", "time_limit": "4h"},
            {"name": "总经理", "handler": handler, "time_limit": "1d"},
        ],
    }


def test_a_coordinator_creates_updates_and_deletes_a_ladder(client, cast):
    # given
    client.force_login(cast.d.world.coordinator)
    # when: created as the default
    created = post(client, LADDERS, _ladder("FAST", default=True))
    # then
    assert created.status_code == 201
    body = created.json()
    assert (body["code"], body["is_default"]) == ("FAST", True)
    assert [(lv["number"], lv["handler"], lv["time_limit"]) for lv in body["levels"]] == [
        (1, "heads_of_parties", "4h"),
        (2, "person:boss", "1d"),
    ]
    assert list(EscalationLadder.objects.filter(is_default=True).values_list("code", flat=True)) == ["FAST"]
    # when: updated (the old default made the default again), then the new one deleted
    updated = client.put(
        f"{LADDERS}{cast.d.ladder.pk}/",
        {**_ladder("ignored", default=True, handler="committee:XT-COMM"), "name": "标准路径"},
        content_type="application/json",
    )
    deleted = client.delete(f"{LADDERS}{body['id']}/")
    # then
    assert updated.status_code == 200
    assert (updated.json()["code"], updated.json()["name"], updated.json()["is_default"]) == (
        cast.d.ladder.code,
        "标准路径",
        True,
    )
    assert deleted.status_code == 204
    assert list(EscalationLadder.objects.values_list("code", flat=True)) == [cast.d.ladder.code]


def test_a_bad_handler_is_a_400_on_its_level_and_creates_nothing(client, cast):
    # given
    client.force_login(cast.d.world.admin)
    # when
    response = post(client, LADDERS, _ladder("BAD", handler="person:nobody"))
    # then
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "levels.1.handler": [zh("Level {n}: no active person has the username “{target}”.", n=2, target="nobody")]
    }
    assert not EscalationLadder.objects.filter(code="BAD").exists()


def test_a_ladder_in_use_cannot_be_deleted_or_lose_levels(client, cast):
    # given: an open dispute climbs the default ladder
    rd_sales(cast)
    ladder = cast.d.ladder
    client.force_login(cast.d.world.coordinator)
    before = list(LadderLevel.objects.order_by("pk").values_list("pk", "name", "time_limit"))
    # when
    deleted = client.delete(f"{LADDERS}{ladder.pk}/")
    shrunk = client.put(f"{LADDERS}{ladder.pk}/", _ladder("STD", default=True), content_type="application/json")
    # then
    assert deleted.status_code == 400
    assert shrunk.status_code == 400
    assert list(shrunk.json()["error"]["fields"]) == ["levels"]
    assert list(LadderLevel.objects.order_by("pk").values_list("pk", "name", "time_limit")) == before


def test_people_who_do_not_manage_ladders_read_them_but_cannot_write(client, cast):
    # given
    client.force_login(cast.d.world.head)
    # when
    listed = client.get(LADDERS)
    created = post(client, LADDERS, _ladder("MINE"))
    # then
    assert [ladder["code"] for ladder in listed.json()] == [cast.d.ladder.code]
    assert created.status_code == 403
    assert created.json()["error"]["message"] == zh("Only coordinators and administrators manage escalation ladders.")
    assert not EscalationLadder.objects.filter(code="MINE").exists()


# ── Schema ──────────────────────────────────────────────────────────────────────────────────────


def test_the_openapi_schema_describes_the_disputes_api_without_warnings():
    # given
    GENERATOR_STATS.reset()
    # when
    schema = SchemaGenerator().get_schema(request=None, public=True)
    # then
    validate_schema(schema)
    warnings = [
        message
        for message in (*GENERATOR_STATS._warn_cache, *GENERATOR_STATS._error_cache)
        if "disputes" in message.lower()
    ]
    assert warnings == []
    assert {path: sorted(ops) for path, ops in schema["paths"].items() if path.startswith("/api/v1/disputes/")} == {
        "/api/v1/disputes/disputes/": ["get", "post"],
        "/api/v1/disputes/disputes/{id}/": ["get"],
        "/api/v1/disputes/disputes/{id}/comment/": ["post"],
        "/api/v1/disputes/disputes/{id}/propose/": ["post"],
        "/api/v1/disputes/disputes/{id}/confirm/": ["post"],
        "/api/v1/disputes/disputes/{id}/escalate/": ["post"],
        "/api/v1/disputes/disputes/{id}/decide/": ["post"],
        "/api/v1/disputes/disputes/{id}/withdraw/": ["post"],
        "/api/v1/disputes/ladders/": ["get", "post"],
        "/api/v1/disputes/ladders/{id}/": ["delete", "get", "put"],
    }
    parameters = {p["name"] for p in schema["paths"]["/api/v1/disputes/disputes/"]["get"]["parameters"]}
    assert parameters == {"page", "page_size", "state", "level", "mine", "overdue", "queue", "q"}
