"""The disputes tests' organization: the world of the root conftest, with SALES headed, a general
manager (an executive, level 2's handler), a committee (level 3) and a three-level default ladder."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from django.utils import translation

from xietong.common import clock
from xietong.disputes import services
from xietong.disputes.tests.factories import at, make_ladder
from xietong.org.tests.factories import CommitteeFactory, PersonFactory


@dataclasses.dataclass
class Disputes:
    world: Any
    sales_head: Any  # head of SALES
    boss: Any  # the general manager (executive): level 2
    member: Any  # a committee member in SALES (staff)
    committee: Any  # level 3: boss (chair) + member
    ladder: Any  # 1: heads of parties, 1d; 2: boss, 2d; 3: committee, 1d


@pytest.fixture
def d(world) -> Disputes:
    sales_head = PersonFactory(username="sales_head", name="孙丽", department=world.sales, level="manager")
    world.sales.head = sales_head
    world.sales.save(update_fields=["head"])
    boss = PersonFactory(username="boss", name="王军", department=world.gm, level="executive")
    member = PersonFactory(username="member", name="冯雪", department=world.sales)
    committee = CommitteeFactory(code="XT-COMM", name="协调委员会", chair=boss, members=[member])
    ladder = make_ladder(
        ("heads_of_parties", None, "1d"),
        ("person", boss, "2d"),
        ("committee", committee, "1d"),
    )
    return Disputes(world, sales_head, boss, member, committee, ladder)


def raise_dispute(d: Disputes, when: str = "2026-03-02T09:00", actor: Any = None, parties: Any = None) -> Any:
    with clock.freeze(at(when)):
        return services.dispute_raise(
            actor=actor or d.world.employee,
            title="插单导致排产冲突",
            description="销售插单，研发排期冲突",
            parties=parties or [d.world.rd, d.world.sales],
        )


@pytest.fixture
def monday_morning() -> Any:
    """The clock stands at Monday 2026-03-02 09:30 unless a test moves it (``clock.freeze`` nests);
    messages are read in English. CORE's test modules use it (``pytestmark``)."""
    with clock.freeze(at("2026-03-02T09:30")), translation.override("en"):  # messages asserted in English
        yield
