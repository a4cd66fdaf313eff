"""What the dispute pages share: the working time left before a due instant, and how a ladder level's
handler reads."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import Any, cast

from django.http import HttpRequest
from django.utils.translation import gettext as _

from xietong.common.worktime import Schedule
from xietong.disputes.models import LadderLevel
from xietong.org.models import Person


def actor(request: HttpRequest) -> Person:
    return cast(Person, request.user)  # every view here is login_required


def to_int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


@dataclasses.dataclass(frozen=True)
class TimeLeft:
    """Working time until a due instant (``overdue`` False) or since it passed (``overdue`` True), on
    the organization's schedule (dispute time is measured on it: package-format.md)."""

    overdue: bool
    working: timedelta
    day_length: timedelta

    @property
    def text(self) -> str:
        """ "3.5 working hours left" under one working day, else "1.3 working days left"."""
        if self.day_length and self.working >= self.day_length:
            amount = _("{n} working days").format(n=f"{self.working / self.day_length:.1f}")
        else:
            amount = _("{n} working hours").format(n=f"{self.working / timedelta(hours=1):.1f}")
        return _("{amount} overdue").format(amount=amount) if self.overdue else _("{amount} left").format(amount=amount)


def time_left(due_at: datetime, now: datetime, schedule: Schedule) -> TimeLeft:
    if due_at >= now:
        return TimeLeft(False, schedule.working_time(now, due_at), schedule.day_length)
    return TimeLeft(True, schedule.working_time(due_at, now), schedule.day_length)


def handler_label(level: LadderLevel) -> str:
    """Who handles a dispute at ``level``, in words (its department, person or committee loaded)."""
    kind = level.handler_kind
    if kind == LadderLevel.Handler.DEPARTMENT_HEAD and level.department is not None:
        return _("Head of {department}").format(department=level.department.name)
    if kind == LadderLevel.Handler.PERSON and level.person is not None:
        return level.person.name
    if kind == LadderLevel.Handler.COMMITTEE and level.committee is not None:
        return _("Committee: {committee}").format(committee=level.committee.name)
    return str(level.get_handler_kind_display())


def level_rows(levels: list[LadderLevel]) -> list[dict[str, Any]]:
    return [
        {"number": level.number, "name": level.name, "handler": handler_label(level), "time_limit": level.time_limit}
        for level in levels
    ]
