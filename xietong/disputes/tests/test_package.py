"""The ``escalation_ladders`` and ``records.disputes`` sections: read, check, apply, export, and the
derivation of automatic escalations (metrics.md), with hand-computed instants."""

from __future__ import annotations

import textwrap

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from xietong.common import clock
from xietong.disputes import figures, services
from xietong.disputes.models import Dispute, DisputeEvent, EscalationLadder, LadderLevel
from xietong.disputes.tests.factories import at
from xietong.packages.exporter import package_export
from xietong.packages.importer import ImportFailed, package_import

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("monday_morning")]

HEAD = """\
version: 1
organization:
  name: 测试公司
  schedule: {working_hours: ["09:00-12:00", "13:00-18:00"], days: cn}
departments:
  - {code: GM, name: 总经办, head: boss}
  - {code: RD, name: 研发部, parent: GM, head: rdhead}
  - {code: SALES, name: 销售部, parent: GM, head: saleshead}
people:
  - {username: boss, name: 王军, department: GM, level: executive}
  - {username: rdhead, name: 陈浩, department: RD, level: manager}
  - {username: saleshead, name: 赵敏, department: SALES, level: manager}
  - {username: sunli, name: 孙丽, department: SALES}
committees:
  - {code: XT-COMM, name: 协调委员会, chair: boss, members: [boss, rdhead]}
"""

LADDERS = """\
escalation_ladders:
  - code: STD
    name: 标准
    default: true
    levels:
      - {name: 协商, handler: heads_of_parties, time_limit: 1d}
      - {name: 总经理, handler: "person:boss", time_limit: 2d}
      - {name: 委员会, handler: "committee:XT-COMM", time_limit: 1d}
"""


def package(*parts: str) -> bytes:
    return (HEAD + "".join(textwrap.dedent(part) for part in parts)).encode()


def disputes(records: str) -> str:
    return "records:\n  disputes:\n" + textwrap.indent(textwrap.dedent(records), "    ")


def problems(raw: bytes) -> list[tuple[str, int | None, str]]:
    with pytest.raises(ImportFailed) as failed:
        package_import(raw=raw)
    return [(p.path, p.line, p.message) for p in failed.value.problems]


def timeline(ref: str) -> list[tuple[str, object, int]]:
    return list(Dispute.objects.get(ref=ref).events.order_by("at", "pk").values_list("kind", "at", "level"))


# --- escalation_ladders -----------------------------------------------------------------------------


def test_ladders_import_export_and_reimport_without_changes():
    # when
    result = package_import(raw=package(LADDERS))
    # then
    assert result.counts()["escalation_ladders"]["create"] == 1
    ladder = EscalationLadder.objects.get()
    levels = list(ladder.levels.order_by("number"))
    assert [(lv.name, services.handler_text(lv), lv.time_limit) for lv in levels] == [
        ("协商", "heads_of_parties", "1d"),
        ("总经理", "person:boss", "2d"),
        ("委员会", "committee:XT-COMM", "1d"),
    ]
    assert ladder.is_default
    # re-importing the same file, and the exported file, changes nothing
    assert "escalation_ladders" not in package_import(raw=package(LADDERS)).counts()
    exported = package_export(today=at("2026-03-02T00:00").date())
    assert "escalation_ladders" not in package_import(raw=exported.encode()).counts()
    assert "handler: person:boss" in exported or 'handler: "person:boss"' in exported


def test_handler_references_are_checked_with_paths_and_lines():
    bad = """\
    escalation_ladders:
      - code: STD
        name: 标准
        default: true
        levels:
          - {name: 协商, handler: heads_of_parties, time_limit: 1d}
          - {name: 总经理, handler: "person:nobody", time_limit: 2d}
          - {name: 部门, handler: "department_head:NOPE", time_limit: 2d}
          - {name: 委员会, handler: "committee", time_limit: 1 d}
    """
    found = problems(package(bad))
    line = HEAD.count("\n") + 1  # the line of "escalation_ladders:"
    assert found == [
        (
            "escalation_ladders[0].levels[1].handler",
            line + 6,
            "“nobody” is not a person of the organization",
        ),
        ("escalation_ladders[0].levels[2].handler", line + 7, "no department has the code “NOPE”"),
        (
            "escalation_ladders[0].levels[3].handler",
            line + 8,
            "“committee” is not a handler: write heads_of_parties, department_head:CODE, person:USERNAME or "
            "committee:CODE.",
        ),
        (
            "escalation_ladders[0].levels[3].time_limit",
            line + 8,
            "“1 d” must be written without spaces, as “1d”.",
        ),
    ]
    assert EscalationLadder.objects.count() == 0


def test_exactly_one_ladder_is_the_default():
    two = LADDERS + (
        "  - code: FAST\n"
        "    name: 快速\n"
        "    default: true\n"
        "    levels: [{name: 协商, handler: heads_of_parties, time_limit: 4h}]\n"
    )
    assert [(p, m) for p, _line, m in problems(package(two))] == [
        ("escalation_ladders[1].default", "only one ladder is the default; “STD” already is")
    ]
    none = LADDERS.replace("    default: true\n", "")
    assert [(p, m) for p, _line, m in problems(package(none))] == [
        ("escalation_ladders", "exactly one ladder must have “default: true”")
    ]
    # a later file may make another ladder the default: the stored one is un-defaulted
    package_import(raw=package(LADDERS))
    fast = """\
    escalation_ladders:
      - code: FAST
        name: 快速
        default: true
        levels: [{name: 协商, handler: heads_of_parties, time_limit: 4h}]
    """
    package_import(raw=package(fast))
    assert list(EscalationLadder.objects.filter(is_default=True).values_list("code", flat=True)) == ["FAST"]
    # and a file without a default keeps the stored one
    package_import(raw=package(LADDERS.replace("    default: true\n", "")))
    assert list(EscalationLadder.objects.filter(is_default=True).values_list("code", flat=True)) == ["FAST"]


def test_a_ladder_with_open_disputes_keeps_its_levels():
    package_import(
        raw=package(LADDERS, disputes("- {ref: D-1, title: t, parties: [RD, SALES], opened_at: '2026-03-02T09:00'}\n"))
    )
    fewer = LADDERS.replace('      - {name: 委员会, handler: "committee:XT-COMM", time_limit: 1d}\n', "")
    assert [p for p, _line, _m in problems(package(fewer))] == ["escalation_ladders[0].levels"]
    assert LadderLevel.objects.count() == 3


# --- records.disputes: reading -----------------------------------------------------------------------


def test_bad_records_are_refused_with_their_paths():
    records = """\
    - ref: D-1
      title: 单方
      parties: [RD]
      opened_at: "2026-03-02T09:00"
    - ref: D-2
      title: 乱序
      parties: [RD, SALES]
      opened_at: "2026-03-02T09:00"
      events:
        - {at: "2026-03-01T09:00", type: comment, by: rdhead, note: 早于立案}
        - {at: "2026-03-03T09:00", type: resolve, by: rdhead, note: 解决}
        - {at: "2026-03-02T10:00", type: comment, by: nobody, note: 解决之后}
    - ref: D-3
      title: 越级
      parties: [RD, SALES]
      opened_at: "2026-03-02T09:00"
      events:
        - {at: "2026-03-02T10:00", type: escalate, by: rdhead}
        - {at: "2026-03-02T11:00", type: escalate, by: rdhead}
        - {at: "2026-03-02T12:00", type: escalate, by: rdhead}
    """
    found = [(p, m) for p, _line, m in problems(package(LADDERS, disputes(records)))]
    assert found == [
        ("records.disputes[0].parties", "a dispute is between two or more departments"),
        (
            "records.disputes[1].events[0].at",
            "this event is before the dispute was opened (2026-03-02T09:00:00+08:00)",
        ),
        ("records.disputes[1].events[2]", "no event follows a “resolve” (at records.disputes[1].events[1])"),
        (
            "records.disputes[1].events[2].at",
            "the events are listed in time order: this one is before the previous one (2026-03-03T09:00:00+08:00)",
        ),
        ("records.disputes[1].events[2].by", "“nobody” is not a person of the organization"),
        (
            "records.disputes[2].events[2].type",
            "this escalation would leave the last level (3) of the ladder “STD”: the dispute is already there "
            "(counting the automatic escalations before it)",
        ),
    ]
    assert Dispute.objects.count() == 0


def test_an_escalation_that_derived_escalations_push_past_the_last_level_is_an_error():
    # opened Friday 02-13 15:00: derived to level 2 at Sat 02-14 15:00 and to level 3 at Wed 02-25 15:00;
    # a manual escalation on 02-27 would leave level 3
    records = """\
    - ref: D-1
      title: t
      parties: [RD, SALES]
      opened_at: "2026-02-13T15:00"
      events:
        - {at: "2026-02-27T10:00", type: escalate, by: rdhead, note: 再升}
    """
    assert [p for p, _line, _m in problems(package(LADDERS, disputes(records)))] == [
        "records.disputes[0].events[0].type"
    ]


# --- records.disputes: derivation -------------------------------------------------------------------


def test_import_records_the_derived_escalations_across_the_spring_festival():
    # given: Friday 02-13 15:00, 1d → Saturday 02-14 15:00 (make-up day); level 2 (2d) → Wednesday
    # 02-25 15:00 (Spring Festival off 02-15..02-23); level 3 (1d) → Thursday 02-26 15:00
    records = """\
    - ref: D-1
      title: 年前争议
      parties: [RD, SALES]
      raised_by: sunli
      opened_at: "2026-02-13T15:00"
      events:
        - {at: "2026-02-14T15:00", type: comment, by: rdhead, note: 恰在到期时刻}
        - {at: "2026-02-26T10:00", type: comment, by: saleshead, note: 已到委员会}
    """
    with clock.freeze(at("2026-03-02T09:30")):
        package_import(raw=package(LADDERS, disputes(records)))
    # then: the comment at the very due instant is taken first, then the escalation at that instant
    assert timeline("D-1") == [
        ("raised", at("2026-02-13T15:00"), 1),
        ("comment", at("2026-02-14T15:00"), 1),
        ("auto_escalate", at("2026-02-14T15:00"), 2),
        ("auto_escalate", at("2026-02-25T15:00"), 3),
        ("comment", at("2026-02-26T10:00"), 3),
        ("overdue", at("2026-02-26T15:00"), 3),
    ]
    dispute = Dispute.objects.get(ref="D-1")
    assert (dispute.state, dispute.level, dispute.level_entered_at, dispute.due_at) == (
        "open",
        3,
        at("2026-02-25T15:00"),
        at("2026-02-26T15:00"),
    )
    assert dispute.overdue_notified_at == at("2026-03-02T09:30")  # history: nobody is notified
    # the tick finds nothing left to do
    assert services.escalation_tick(now=at("2026-03-02T09:31")) == {"escalated": 0, "overdue": 0}
    # figures as of an instant between the two escalations
    early = figures.dispute_figures(at("2026-02-20T12:00"))
    assert (early["escalations"], early["auto_escalations"], early["open_by_level"]) == (1, 1, {"2": 1})
    late = figures.dispute_figures(at("2026-03-01T00:00"))
    assert (late["escalations"], late["auto_escalations"], late["open_overdue"]) == (2, 2, 1)


def test_a_resolve_at_the_very_due_instant_resolves_at_level_1():
    records = """\
    - ref: D-1
      title: t
      parties: [RD, SALES]
      opened_at: "2026-02-13T15:00"
      events:
        - {at: "2026-02-14T15:00", type: resolve, by: rdhead, note: 及时解决}
    """
    package_import(raw=package(LADDERS, disputes(records)))
    assert timeline("D-1") == [("raised", at("2026-02-13T15:00"), 1), ("resolve", at("2026-02-14T15:00"), 1)]
    result = figures.dispute_figures(at("2026-03-01T00:00"))
    assert (result["resolved_at_level_1"], result["escalations"]) == (1, 0)
    # 8 working hours = 1 working day
    assert result["median_resolution_working_days"] == 1.0


def test_a_record_with_auto_escalate_is_complete_up_to_its_last_escalation():
    # given: the recording system saw the escalation at 02-16 10:00 (not at the derived 02-14 15:00);
    # after it, derivation applies: level 2 entered 02-16 10:00 + 2d = 16h → 02-24 (02-16..02-23 off)…
    # the holiday makes 02-16 itself a day off, so 16h run from Tuesday 02-24 09:00 to Wednesday 02-25 18:00
    records = """\
    - ref: D-1
      title: t
      parties: [RD, SALES]
      opened_at: "2026-02-13T15:00"
      events:
        - {at: "2026-02-16T10:00", type: auto_escalate}
    """
    with clock.freeze(at("2026-03-02T09:30")):
        package_import(raw=package(LADDERS, disputes(records)))
    assert timeline("D-1") == [
        ("raised", at("2026-02-13T15:00"), 1),
        ("auto_escalate", at("2026-02-16T10:00"), 2),
        ("auto_escalate", at("2026-02-25T18:00"), 3),
        ("overdue", at("2026-02-26T18:00"), 3),
    ]
    # as of 02-15 (after the derived-looking 02-14 15:00, before the recorded 02-16 10:00): still level 1
    before = figures.dispute_figures(at("2026-02-15T12:00"))
    assert (before["escalations"], before["auto_escalations"], before["open_by_level"]) == (0, 0, {"1": 1})


def test_an_auto_escalate_after_as_of_is_not_derived_before_as_of():
    # the record's only escalation is recorded after as_of: at as_of the dispute is at level 1 even though
    # its level-1 due instant (Saturday 02-14 15:00) lies before as_of
    records = """\
    - ref: D-1
      title: t
      parties: [RD, SALES]
      opened_at: "2026-02-13T15:00"
      events:
        - {at: "2026-02-27T09:00", type: auto_escalate}
        - {at: "2026-02-27T10:00", type: resolve, by: boss, note: 裁决}
    """
    package_import(raw=package(LADDERS, disputes(records)))
    as_of = figures.dispute_figures(at("2026-02-26T00:00"))
    assert (as_of["open_by_level"], as_of["escalations"], as_of["auto_escalations"]) == ({"1": 1}, 0, 0)
    after = figures.dispute_figures(at("2026-02-28T00:00"))
    assert (after["resolved"], after["resolved_at_level_1"], after["auto_escalations"]) == (1, 0, 1)


def test_export_writes_every_automatic_escalation_and_maps_the_applications_kinds(d):
    # given: a dispute of the application: proposed, confirmed nowhere, auto-escalated, decided
    with clock.freeze(at("2026-03-02T09:00")):
        dispute = services.dispute_raise(
            actor=d.world.employee, title="插单", description="说明", parties=[d.world.rd, d.world.sales]
        )
    with clock.freeze(at("2026-03-02T10:00")):
        services.dispute_propose(actor=d.world.head, dispute=dispute, text="分批")
    services.escalation_tick(now=at("2026-03-02T18:01"))  # level 1 due Monday 18:00
    with clock.freeze(at("2026-03-03T10:00")):
        services.dispute_decide(actor=d.boss, dispute=dispute, decision="先保插单", reasoning="战略客户")
    # when
    exported = package_export(today=at("2026-03-04T00:00").date())
    # then
    item = next(i for i in _records(exported) if i["ref"] == dispute.ref)
    assert item["events"] == [
        {"at": "2026-03-02T10:00:00+08:00", "type": "comment", "by": "head", "note": "分批"},
        {"at": "2026-03-02T18:00:00+08:00", "type": "auto_escalate"},
        {"at": "2026-03-03T10:00:00+08:00", "type": "comment", "by": "boss", "note": "战略客户"},
        {"at": "2026-03-03T10:00:00+08:00", "type": "resolve", "by": "boss", "note": "先保插单"},
    ]
    # re-importing the export changes nothing
    result = package_import(raw=exported.encode())
    assert "records.disputes" not in result.counts()
    assert list(Dispute.objects.get(pk=dispute.pk).events.values_list("kind", flat=True)).count("propose") == 1


def _records(exported: str) -> list[dict]:
    from xietong.packages.document import load_document

    return load_document(exported.encode()).data["records"]["disputes"]


def test_an_export_imported_afresh_gives_the_same_figures(d):
    # given: disputes of the application with every kind of history
    def raise_at(when, parties=None):
        with clock.freeze(at(when)):
            return services.dispute_raise(
                actor=d.world.employee, title="t", description="", parties=parties or [d.world.rd, d.world.sales]
            )

    agreed = raise_at("2026-02-13T15:00")
    with clock.freeze(at("2026-02-14T10:00")):  # the make-up Saturday
        proposal = services.dispute_propose(actor=d.world.head, dispute=agreed, text="甲")
        services.dispute_confirm(actor=d.sales_head, dispute=agreed, proposal=proposal)
    decided = raise_at("2026-02-27T09:00")
    with clock.freeze(at("2026-03-03T10:00")):  # auto-escalated twice by then
        services.dispute_decide(actor=d.boss, dispute=decided, decision="乙", reasoning="理由")
    withdrawn = raise_at("2026-03-02T09:00")
    with clock.freeze(at("2026-03-02T09:10")):
        services.dispute_withdraw(actor=d.world.employee, dispute=withdrawn, reason="撤回")
    raise_at("2026-03-02T09:20")  # open; its escalations are left to the tick (which has not run)
    moments = [at(t) for t in ("2026-02-14T12:00", "2026-02-28T00:00", "2026-03-05T00:00", "2026-04-01T00:00")]
    with clock.freeze(at("2026-03-06T00:00")):
        before = [figures.dispute_figures(m) for m in moments]
        exported = package_export(today=at("2026-03-06T00:00").date())
        # when: the disputes and ladders are gone, and the export is imported again
        Dispute.objects.all().delete()
        EscalationLadder.objects.all().delete()
        package_import(raw=exported.encode())
        # then
        assert [figures.dispute_figures(m) for m in moments] == before
    # the decided one twice (Saturday 02-28 is a make-up working day: level 2 ran out on 03-02 18:00 and
    # the committee's chair decided), the open one twice
    assert before[-1]["auto_escalations"] == 4
    assert list(Dispute.objects.get(ref=decided.ref).events.values_list("kind", "level")) == [
        (DisputeEvent.Kind.RAISED, 1),
        (DisputeEvent.Kind.AUTO_ESCALATE, 2),
        (DisputeEvent.Kind.AUTO_ESCALATE, 3),
        (DisputeEvent.Kind.COMMENT, 3),
        (DisputeEvent.Kind.RESOLVE, 3),
    ]
    assert before[-1]["open_overdue"] == 1


def test_a_changed_record_replaces_the_stored_timeline():
    record = """\
    - ref: D-1
      title: t
      parties: [RD, SALES]
      opened_at: "2026-03-02T09:00"
      events:
        - {at: "2026-03-02T10:00", type: comment, by: rdhead, note: 一}
    """
    package_import(raw=package(LADDERS, disputes(record)))
    first = Dispute.objects.get(ref="D-1").pk
    more = record + '    - {at: "2026-03-02T11:00", type: resolve, by: saleshead, note: 二}\n'
    result = package_import(raw=package(LADDERS, disputes(more)))
    assert result.counts()["records.disputes"]["update"] == 1
    dispute = Dispute.objects.get(ref="D-1")
    assert (dispute.pk, dispute.state, dispute.outcome) == (first, "resolved", "二")
    assert [k for k, _at, _lv in timeline("D-1")] == ["raised", "comment", "resolve"]


def test_importing_many_records_costs_no_more_queries_than_a_few():
    def records(n, prefix):
        return "".join(
            f"- {{ref: {prefix}-{i}, title: t, parties: [RD, SALES], opened_at: '2026-03-02T09:00', "
            f"events: [{{at: '2026-03-02T10:00', type: comment, by: rdhead, note: x}}]}}\n"
            for i in range(n)
        )

    package_import(raw=package(LADDERS))
    with CaptureQueriesContext(connection) as few:
        package_import(raw=package(LADDERS, disputes(records(2, "A"))))
    with CaptureQueriesContext(connection) as many:
        package_import(raw=package(LADDERS, disputes(records(20, "B"))))
    assert Dispute.objects.count() == 22
    assert len(many.captured_queries) == len(few.captured_queries)
