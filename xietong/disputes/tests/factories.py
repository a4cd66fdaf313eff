"""Factories and helpers for the disputes tests."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import factory

from xietong.disputes.models import Dispute, EscalationLadder, LadderLevel

TZ = ZoneInfo("Asia/Shanghai")


def at(text: str) -> datetime:
    """A local (Asia/Shanghai) instant from ISO text."""
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


class EscalationLadderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EscalationLadder

    code = factory.Sequence(lambda n: f"L{n:02d}")
    name = factory.Sequence(lambda n: f"升级路径{n}")
    is_default = False


class LadderLevelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LadderLevel

    ladder = factory.SubFactory(EscalationLadderFactory)
    number = 1
    name = factory.Sequence(lambda n: f"层级{n}")
    handler_kind = LadderLevel.Handler.HEADS_OF_PARTIES
    time_limit = "1d"


def make_ladder(*levels: tuple[str, Any, str], code: str = "STD", is_default: bool = True) -> EscalationLadder:
    """A ladder with levels given as (handler kind, target or None, time limit)."""
    ladder = EscalationLadderFactory(code=code, is_default=is_default)
    for number, (kind, target, limit) in enumerate(levels, start=1):
        fields: dict[str, Any] = {}
        if kind == "department_head":
            fields["department"] = target
        elif kind == "person":
            fields["person"] = target
        elif kind == "committee":
            fields["committee"] = target
        LadderLevelFactory(ladder=ladder, number=number, handler_kind=kind, time_limit=limit, **fields)
    return ladder


class DisputeFactory(factory.django.DjangoModelFactory):
    """A dispute stored directly (no events): for selector and permission tests."""

    class Meta:
        model = Dispute
        skip_postgeneration_save = True

    ref = factory.Sequence(lambda n: f"D-T{n:04d}")
    title = factory.Sequence(lambda n: f"争议{n}")
    ladder = factory.SubFactory(EscalationLadderFactory)
    opened_at = datetime(2026, 3, 2, 9, 0, tzinfo=TZ)
    level_entered_at = factory.SelfAttribute("opened_at")
    due_at = datetime(2026, 3, 5, 9, 0, tzinfo=TZ)

    @factory.post_generation
    def parties(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.parties.set(extracted)
