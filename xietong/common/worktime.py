"""Working time: schedules, working days, due instants and durations.

This module is the one place where xietong turns a *schedule* (package-format.md,
``schedule``) into working time (metrics.md, "Working time and due instants"):

- :class:`Schedule` holds the daily working periods, which days are working days
  (``cn``, ``weekdays`` or ``all``, plus explicit ``holidays`` and ``workdays``) and the
  timezone whose wall clock the periods are read in. ``Schedule.from_spec`` reads and
  validates the package-format mapping, reporting every problem at once.
- ``Schedule.working_time(s, e)`` is the length of the overlap of ``[s, e]`` with the
  working periods; ``Schedule.add_working_time(s, d)`` is the earliest instant ``t >= s``
  with ``working_time(s, t) == d`` (so a limit running out at the end of a period is due
  at that end, not at the start of the next period).
- :class:`Duration` and :func:`parse_duration` read ``4h``, ``2d``, ``1.5d``, ``30m``.
- :func:`cn_calendar` and :func:`cn_has_year` expose mainland China's official holiday
  schedule as carried by the ``holidays`` package.

The module is pure Python (standard library and ``holidays``) and imports no Django;
messages go through :func:`_`, which uses Django's ``gettext`` only when Django is
already loaded and configured.

Time arithmetic is exact: period boundaries are built as local wall times in the
schedule's timezone and converted to UTC, and all sums are ``timedelta`` values
(integer microseconds). Daylight-saving days are handled by that conversion: a wall
time that occurs twice (clocks turned back) means its first occurrence; a wall time that
does not occur (clocks turned forward) means the instant the clocks jumped, so a period
``01:00-04:00`` on a day whose clocks jump from 02:00 to 03:00 lasts two real hours.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from functools import lru_cache
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_lib

__all__ = [
    "DAYS_VALUES",
    "DEFAULT_WORKING_HOURS",
    "DURATION_UNITS",
    "Duration",
    "Schedule",
    "ScheduleError",
    "cn_calendar",
    "cn_has_year",
    "parse_duration",
]


def _(message: str) -> str:
    """Translate ``message`` with Django's ``gettext`` if Django is loaded and configured.

    Outside a configured Django process (scripts, pure unit tests) the message is
    returned unchanged. Django is never imported by this module on its own account.
    """
    if "django" not in sys.modules:
        return message
    try:
        from django.conf import settings

        if settings.configured:
            from django.utils.translation import gettext

            return gettext(message)
    except Exception:
        return message
    return message


#: The values of a schedule's ``days`` key.
DAYS_VALUES: Final = ("cn", "weekdays", "all")
#: The default daily working periods of a schedule (package-format.md, ``schedule``).
DEFAULT_WORKING_HOURS: Final = ("09:00-12:00", "13:00-18:00")
#: The units of a duration: working days, hours and minutes.
DURATION_UNITS: Final = ("d", "h", "m")

_SCHEDULE_KEYS: Final = ("working_hours", "days", "holidays", "workdays")
_DEFAULT_DAYS: Final = "cn"
_MINUTES_PER_DAY: Final = 24 * 60
_GUARD: Final = timedelta(days=50 * 366)  # "no working time within 50 years"
_PERIOD_RE: Final = re.compile(r"(\d{2}):(\d{2})-(\d{2}):(\d{2})", re.ASCII)
_DATE_RE: Final = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_DURATION_RE: Final = re.compile(r"(\d+(?:\.\d+)?)([dhm])", re.ASCII)
_NEGATIVE_DURATION_RE: Final = re.compile(r"-\s*\d+(?:\.\d+)?\s*[dhm]", re.ASCII)
_NUMBER_RE: Final = re.compile(r"\d+(?:\.\d+)?", re.ASCII)
_MICROSECONDS: Final = {"h": 3_600_000_000, "m": 60_000_000}


class ScheduleError(ValueError):
    """A schedule that cannot be used, with every problem found.

    ``errors`` lists ``(path, message)`` pairs. ``path`` is relative to the schedule
    mapping, such as ``"working_hours[1]"``, ``"holidays[0]"`` or ``"days"``; it is
    ``""`` for a problem with the schedule as a whole or with its timezone (which lives
    outside the schedule mapping, in ``organization.timezone``).
    """

    errors: list[tuple[str, str]]

    def __init__(self, errors: Sequence[tuple[str, str]]) -> None:
        self.errors = list(errors)
        super().__init__("; ".join(f"{path}: {message}" if path else message for path, message in errors))


# --------------------------------------------------------------------------- China


@lru_cache(maxsize=256)
def cn_calendar(year: int) -> tuple[frozenset[date], frozenset[date]]:
    """Return mainland China's ``(days off, make-up working days)`` in ``year``.

    The days off are the ``holidays`` package's entries for China (statutory holidays,
    their "observed" days and the weekdays given off by the 调休 swaps, named "Day off
    (substituted from …)"); the make-up working days (调休上班) are its
    ``weekend_workdays``. Both are restricted to dates in ``year``: the package's
    ``weekend_workdays`` also carries dates of other years, and a swap can cross a year
    boundary (2011-12-31 was worked for 2012-01-03), so the neighbouring years are read
    too. For a year outside the package's range both sets are empty; for a year whose
    official schedule is not published (see :func:`cn_has_year`) the days off are the
    package's estimate from the statutory rules.
    """
    calendar = holidays_lib.country_holidays("CN", years=range(year - 1, year + 2))
    days_off = frozenset(day for day in calendar if day.year == year)
    make_up_days = frozenset(day for day in calendar.weekend_workdays if day.year == year)
    return days_off, make_up_days


@lru_cache(maxsize=1)
def _cn_official_years() -> frozenset[int]:
    """Years for which the ``holidays`` package carries the State Council's notice."""
    calendar = holidays_lib.country_holidays("CN")
    special: Mapping[int, Any] = getattr(calendar, "special_public_holidays", {})
    years = [year for year in special if isinstance(year, int)]
    if not years:
        return frozenset()
    # Every year from the first notice (2001) to the last published one is covered.
    return frozenset(range(min(years), max(years) + 1))


def cn_has_year(year: int) -> bool:
    """Whether the ``holidays`` package knows the published official schedule of ``year``.

    The package yields rule-based holidays for every year from 1950 to 2100, so having
    entries proves nothing; what matters is whether it carries that year's State Council
    notice (its 调休 swaps). For other years, list the days in ``holidays``/``workdays``.
    """
    return year in _cn_official_years()


# ----------------------------------------------------------------------- Schedule


def _format_minute(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _format_period(period: tuple[int, int]) -> str:
    return f"{_format_minute(period[0])}-{_format_minute(period[1])}"


def _wall_to_utc(day: date, minute: int, tz: ZoneInfo) -> datetime:
    """Return the earliest instant (UTC) at which the wall clock of ``tz`` reads at least
    ``minute`` minutes past midnight of ``day`` (``minute`` may be 1440, next midnight).

    For an ambiguous wall time (clocks turned back) that is its first occurrence; for a
    wall time that does not exist (clocks turned forward) it is the instant of the jump.
    """
    if minute >= _MINUTES_PER_DAY:
        day += timedelta(days=minute // _MINUTES_PER_DAY)
        minute %= _MINUTES_PER_DAY
    naive = datetime.combine(day, time(minute // 60, minute % 60))
    after = naive.replace(tzinfo=tz).astimezone(UTC)
    if after.astimezone(tz).replace(tzinfo=None) == naive:
        return after
    # In a gap: fold=1 reads the wall time with the offset after the jump, which gives an
    # instant before the jump; fold=0 gave one after it. Find the jump (whole seconds).
    before = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    low, high = 0, int((after - before).total_seconds())
    while high - low > 1:
        middle = (low + high) // 2
        if (before + timedelta(seconds=middle)).astimezone(tz).replace(tzinfo=None) >= naive:
            high = middle
        else:
            low = middle
    return before + timedelta(seconds=high)


@lru_cache(maxsize=16384)
def _day_bounds(tz: ZoneInfo, periods: tuple[tuple[int, int], ...], day: date) -> tuple[tuple[datetime, datetime], ...]:
    """The working periods of ``day`` as ``(start, end)`` UTC instants, empty ones dropped."""
    bounds = []
    for start, end in periods:
        low, high = _wall_to_utc(day, start, tz), _wall_to_utc(day, end, tz)
        if high > low:
            bounds.append((low, high))
    return tuple(bounds)


def _as_utc(moment: datetime, name: str) -> datetime:
    if not isinstance(moment, datetime):
        raise TypeError(_("{name} must be a datetime, not {value!r}.").format(name=name, value=moment))
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(
            _("{name} {value} has no timezone; working time needs aware datetimes.").format(
                name=name, value=moment.isoformat()
            )
        )
    return moment.astimezone(UTC)


def _days(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def _check_structure(
    periods: tuple[tuple[int, int], ...],
    days: str,
    holidays: frozenset[date],
    workdays: frozenset[date],
    tz: object,
) -> list[tuple[str, str]]:
    """Check the typed fields of a :class:`Schedule` built directly (not from a spec)."""
    errors: list[tuple[str, str]] = []
    if not periods:
        errors.append(("working_hours", _("working_hours is empty; list at least one period.")))
    previous_end = -1
    for index, period in enumerate(periods):
        path = f"working_hours[{index}]"
        start, end = period
        if not (0 <= start < end <= _MINUTES_PER_DAY):
            errors.append((path, _("{period} is not a period within one day.").format(period=period)))
        elif start < previous_end:
            errors.append((path, _("{period} overlaps or precedes the period before it.").format(period=period)))
        previous_end = max(previous_end, end)
    if days not in DAYS_VALUES:
        errors.append(("days", _("“{days}” is not a days value: use cn, weekdays or all.").format(days=days)))
    for day in sorted(holidays & workdays):
        errors.append(
            (
                "workdays",
                _("{day} is listed both in holidays and in workdays; it can only be one of them.").format(
                    day=day.isoformat()
                ),
            )
        )
    if not isinstance(tz, ZoneInfo):
        errors.append(("", _("The timezone must be a zoneinfo.ZoneInfo, not {tz!r}.").format(tz=tz)))
    return errors


def _parse_zone(value: object, errors: list[tuple[str, str]]) -> ZoneInfo | None:
    if isinstance(value, ZoneInfo):
        return value
    if isinstance(value, str) and value:
        try:
            return ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            pass
    errors.append(("", _("“{tz}” is not a known IANA timezone, such as Asia/Shanghai.").format(tz=value)))
    return None


def _parse_time(hours: str, minutes: str) -> int | None:
    hour, minute = int(hours), int(minutes)
    if hour > 24 or minute > 59 or (hour == 24 and minute != 0):
        return None
    return hour * 60 + minute


def _parse_period(text: str, path: str, errors: list[tuple[str, str]]) -> tuple[int, int] | None:
    """Read one ``HH:MM-HH:MM`` period, reporting what is wrong with it."""
    match = _PERIOD_RE.fullmatch(text)
    if match is None:
        errors.append(
            (
                path,
                _("“{text}” is not a period in the form HH:MM-HH:MM, such as “09:00-12:00”.").format(text=text),
            )
        )
        return None
    start = _parse_time(match[1], match[2])
    end = _parse_time(match[3], match[4])
    problems = False
    for value, minute in ((f"{match[1]}:{match[2]}", start), (f"{match[3]}:{match[4]}", end)):
        if minute is None:
            errors.append(
                (
                    path,
                    _("In “{text}”, “{time}” is not a time of day (00:00 to 24:00).").format(text=text, time=value),
                )
            )
            problems = True
    if start is None or end is None or problems:
        return None
    if start == _MINUTES_PER_DAY:
        errors.append((path, _("“{text}” starts at 24:00; 24:00 can only end a period.").format(text=text)))
        return None
    if start == end:
        errors.append((path, _("“{text}” is empty: it ends when it starts.").format(text=text)))
        return None
    if end < start:
        if start - end >= _MINUTES_PER_DAY // 2:
            # Read as a period wrapping past midnight, such as a night shift 22:00-06:00.
            errors.append(
                (
                    path,
                    _(
                        "“{text}” crosses midnight, which a period cannot do; split it into “{first}” and “{second}”."
                    ).format(
                        text=text,
                        first=f"{_format_minute(start)}-24:00",
                        second=f"00:00-{_format_minute(end)}",
                    ),
                )
            )
        else:
            errors.append((path, _("“{text}” ends before it starts.").format(text=text)))
        return None
    return start, end


def _parse_working_hours(value: object, errors: list[tuple[str, str]]) -> tuple[tuple[int, int], ...]:
    if value is None:
        value = list(DEFAULT_WORKING_HOURS)
    if isinstance(value, str) or not isinstance(value, Sequence):
        errors.append(
            (
                "working_hours",
                _("working_hours must be a list of periods, such as [“09:00-12:00”, “13:00-18:00”].")
                if not isinstance(value, str)
                else _("working_hours must be a list of periods, such as [“{text}”], not one text.").format(text=value),
            )
        )
        return ()
    if not value:
        errors.append(("working_hours", _("working_hours is empty; list at least one period, such as “09:00-18:00”.")))
        return ()
    periods: list[tuple[int, int]] = []
    accepted: list[tuple[str, tuple[int, int]]] = []
    for index, item in enumerate(value):
        path = f"working_hours[{index}]"
        if not isinstance(item, str):
            errors.append(
                (
                    path,
                    _("“{text}” is not a period in the form HH:MM-HH:MM, such as “09:00-12:00”.").format(text=item),
                )
            )
            continue
        period = _parse_period(item, path, errors)
        if period is None:
            continue
        start, end = period
        clash = next((text for text, other in accepted if start < other[1] and other[0] < end), None)
        later = next((text for text, other in accepted if other[0] >= end), None)
        if clash is not None:
            errors.append((path, _("“{text}” overlaps “{other}”.").format(text=item, other=clash)))
        elif later is not None:
            errors.append(
                (
                    path,
                    _("“{text}” comes before “{other}”; list the periods in order of time.").format(
                        text=item, other=later
                    ),
                )
            )
        else:
            periods.append(period)
        accepted.append((item, period))
    return tuple(periods)


def _parse_days(value: object, errors: list[tuple[str, str]]) -> str:
    if value is None:
        return _DEFAULT_DAYS
    if isinstance(value, str) and value in DAYS_VALUES:
        return value
    errors.append(("days", _("“{days}” is not a days value: use cn, weekdays or all.").format(days=value)))
    return _DEFAULT_DAYS


def _parse_dates(key: str, value: object, errors: list[tuple[str, str]]) -> dict[date, int]:
    """Read a list of dates; return each date with the index where it first appears."""
    if value is None:
        return {}
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        errors.append((key, _("{key} must be a list of dates, such as [“2026-10-01”].").format(key=key)))
        return {}
    found: dict[date, int] = {}
    for index, item in enumerate(value):
        path = f"{key}[{index}]"
        day: date | None = None
        if isinstance(item, datetime):
            errors.append(
                (path, _("“{value}” is a date and time; give only the date (YYYY-MM-DD).").format(value=item))
            )
        elif isinstance(item, date):
            day = item
        elif isinstance(item, str) and _DATE_RE.fullmatch(item):
            try:
                day = date.fromisoformat(item)
            except ValueError:
                errors.append((path, _("“{value}” is not a date in the calendar.").format(value=item)))
        else:
            errors.append((path, _("“{value}” is not a date in the form YYYY-MM-DD.").format(value=item)))
        if day is None:
            continue
        if day in found:
            errors.append(
                (
                    path,
                    _("{day} is listed twice in {key} (also at {first}).").format(
                        day=day.isoformat(), key=key, first=f"{key}[{found[day]}]"
                    ),
                )
            )
            continue
        found[day] = index
    return found


@dataclass(frozen=True)
class Schedule:
    """When working time runs: daily periods, working days and the timezone.

    ``working_hours`` are ``(start_minute, end_minute)`` pairs counted from local
    midnight, in order and not overlapping; ``end_minute`` may be 1440 (``24:00``).
    ``days`` is ``"cn"``, ``"weekdays"`` or ``"all"``; ``holidays`` and ``workdays`` are
    explicit exceptions that win over ``days``; wall times are read in ``tz``.

    Build one from a package mapping with :meth:`from_spec`. A schedule built directly
    is checked too (structure only) and raises :class:`ScheduleError` when malformed.
    """

    working_hours: tuple[tuple[int, int], ...]
    days: str
    holidays: frozenset[date]
    workdays: frozenset[date]
    tz: ZoneInfo

    def __post_init__(self) -> None:
        # Accept lists/sets from direct construction; store the hashable forms.
        object.__setattr__(self, "working_hours", tuple(tuple(p) for p in self.working_hours))
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        object.__setattr__(self, "workdays", frozenset(self.workdays))
        errors = _check_structure(self.working_hours, self.days, self.holidays, self.workdays, self.tz)
        if errors:
            raise ScheduleError(errors)

    # -- reading and writing the package format -----------------------------------

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any] | None, tz: str | ZoneInfo) -> Schedule:
        """Read a package-format ``schedule`` mapping, read in timezone ``tz``.

        ``spec`` holds the values as read from YAML or JSON: ``working_hours``,
        ``holidays`` and ``workdays`` as lists of text (dates may also be
        :class:`datetime.date` objects), ``days`` as text. ``None``, a missing key or a
        ``None`` value takes the default (``["09:00-12:00", "13:00-18:00"]``, ``cn``,
        ``[]``, ``[]``). Keys starting with ``x-`` are ignored.

        Raises :class:`ScheduleError` listing every problem found.
        """
        errors: list[tuple[str, str]] = []
        zone = _parse_zone(tz, errors)
        if spec is None:
            spec = {}
        if not isinstance(spec, Mapping):
            errors.append(
                (
                    "",
                    _(
                        "A schedule must be a mapping with the keys working_hours, days, holidays "
                        "and workdays, not {value!r}."
                    ).format(value=spec),
                )
            )
            spec = {}
        for key in spec:
            if isinstance(key, str) and (key in _SCHEDULE_KEYS or key.startswith("x-")):
                continue
            errors.append(
                (
                    str(key),
                    _("Unknown key “{key}”: a schedule has only working_hours, days, holidays and workdays.").format(
                        key=key
                    ),
                )
            )
        periods = _parse_working_hours(spec.get("working_hours"), errors)
        days = _parse_days(spec.get("days"), errors)
        holidays = _parse_dates("holidays", spec.get("holidays"), errors)
        workdays = _parse_dates("workdays", spec.get("workdays"), errors)
        for day, index in sorted(workdays.items(), key=lambda item: item[1]):
            if day in holidays:
                errors.append(
                    (
                        f"workdays[{index}]",
                        _(
                            "{day} is listed both in holidays (at holidays[{other}]) and in workdays; "
                            "a date is either a holiday or a workday."
                        ).format(day=day.isoformat(), other=holidays[day]),
                    )
                )
        if errors or zone is None:
            raise ScheduleError(errors)
        return cls(
            working_hours=periods,
            days=days,
            holidays=frozenset(holidays),
            workdays=frozenset(workdays),
            tz=zone,
        )

    def to_spec(self) -> dict[str, Any]:
        """Return the package-format mapping (text values, dates sorted); the inverse of
        :meth:`from_spec` for the timezone of this schedule."""
        return {
            "working_hours": [_format_period(period) for period in self.working_hours],
            "days": self.days,
            "holidays": [day.isoformat() for day in sorted(self.holidays)],
            "workdays": [day.isoformat() for day in sorted(self.workdays)],
        }

    # -- the calendar ---------------------------------------------------------------

    @property
    def day_length(self) -> timedelta:
        """The nominal length of a working day: the sum of the periods' wall-clock lengths
        (``09:00-12:00, 13:00-17:30`` gives 7 h 30 min). This is what ``1d`` means."""
        return timedelta(minutes=sum(end - start for start, end in self.working_hours))

    def is_working_day(self, d: date) -> bool:
        """Whether ``d`` is a working day.

        An explicit ``holidays`` or ``workdays`` entry wins. Otherwise ``all`` makes every
        day one, ``weekdays`` Monday to Friday, and ``cn`` mainland China's official
        schedule: make-up days (调休上班) are working days, days off (statutory holidays
        and weekdays given off by swaps) are not, other weekdays are.
        """
        if isinstance(d, datetime):
            raise TypeError(_("is_working_day takes a date, not a datetime."))
        if d in self.holidays:
            return False
        if d in self.workdays:
            return True
        if self.days == "all":
            return True
        if self.days == "cn":
            days_off, make_up_days = cn_calendar(d.year)
            if d in make_up_days:
                return True
            if d in days_off:
                return False
        return d.weekday() < 5

    def _bounds(self, day: date) -> tuple[tuple[datetime, datetime], ...]:
        return _day_bounds(self.tz, self.working_hours, day)

    def periods_between(self, start: date, end: date) -> Iterator[tuple[datetime, datetime]]:
        """Yield the working periods, as aware datetimes in ``tz``, of the working days
        from ``start`` to ``end`` inclusive (nothing if ``end`` is before ``start``).

        A period ending at ``24:00`` ends at the next local midnight; a period that a
        daylight-saving jump makes empty is left out.
        """
        for day in _days(start, end):
            if self.is_working_day(day):
                for low, high in self._bounds(day):
                    yield low.astimezone(self.tz), high.astimezone(self.tz)

    # -- working time ---------------------------------------------------------------

    def working_time(self, start: datetime, end: datetime) -> timedelta:
        """The working time in ``[start, end]``: the total length of its overlap with the
        working periods. Both instants must be timezone-aware (any timezone); raises
        ``ValueError`` if ``end`` is before ``start``. Exact to the microsecond."""
        low = _as_utc(start, "start")
        high = _as_utc(end, "end")
        if high < low:
            raise ValueError(
                _("end {end} is before start {start}.").format(end=end.isoformat(), start=start.isoformat())
            )
        total = timedelta(0)
        for day in _days(low.astimezone(self.tz).date(), high.astimezone(self.tz).date()):
            if not self.is_working_day(day):
                continue
            for period_start, period_end in self._bounds(day):
                overlap = min(period_end, high) - max(period_start, low)
                if overlap > timedelta(0):
                    total += overlap
        return total

    def add_working_time(self, start: datetime, duration: timedelta) -> datetime:
        """The earliest instant ``t >= start`` with ``working_time(start, t) == duration``.

        It lies inside a working period or at its very end: a limit that runs out at
        17:30 on Friday is due at 17:30 on Friday, not at 09:00 on Monday. A zero
        duration gives ``start``; a negative one raises ``ValueError``, as does a
        calendar with no working time for 50 years. The result is aware, in ``tz``.
        """
        moment = _as_utc(start, "start")
        if duration < timedelta(0):
            raise ValueError(_("A duration of working time cannot be negative ({duration}).").format(duration=duration))
        if duration == timedelta(0):
            return moment.astimezone(self.tz)
        remaining = duration
        day = moment.astimezone(self.tz).date()
        last_work = day
        try:
            while day - last_work <= _GUARD:
                if self.is_working_day(day):
                    for period_start, period_end in self._bounds(day):
                        if period_end <= moment:
                            continue
                        available = period_end - max(period_start, moment)
                        last_work = day
                        if available >= remaining:
                            return (max(period_start, moment) + remaining).astimezone(self.tz)
                        remaining -= available
                day += timedelta(days=1)
        except OverflowError:
            raise ValueError(
                _("Adding {duration} of working time to {start} goes beyond the year 9999.").format(
                    duration=duration, start=start.isoformat()
                )
            ) from None
        raise ValueError(
            _("This schedule has no working time within 50 years after {day}.").format(day=last_work.isoformat())
        )

    def due(self, start: datetime, limit: Duration | str) -> datetime:
        """The due instant of something started at ``start`` with a working-time ``limit``
        (metrics.md, "due instants"): ``add_working_time(start, limit)`` on this schedule."""
        duration = parse_duration(limit) if isinstance(limit, str) else limit
        return self.add_working_time(start, duration.to_timedelta(self))


# ----------------------------------------------------------------------- Duration


def _plain(amount: Decimal) -> str:
    """``amount`` as plain decimal text without trailing zeros (2.0 → 2, 1E+2 → 100)."""
    text = format(amount, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


@dataclass(frozen=True)
class Duration:
    """A working-time duration as written in a package: ``amount`` of ``unit``.

    ``unit`` is ``"d"`` (working days: multiples of the schedule's day length), ``"h"``
    (hours) or ``"m"`` (minutes); ``amount`` is above zero.
    """

    amount: Decimal
    unit: str

    def __post_init__(self) -> None:
        amount = self.amount
        if isinstance(amount, int) and not isinstance(amount, bool):
            amount = Decimal(amount)
            object.__setattr__(self, "amount", amount)
        if not isinstance(amount, Decimal) or not amount.is_finite() or amount <= 0:
            raise ValueError(
                _("A duration's amount must be a number above zero, not {amount!r}.").format(amount=self.amount)
            )
        if self.unit not in DURATION_UNITS:
            raise ValueError(_("“{unit}” is not a duration unit: use d, h or m.").format(unit=self.unit))

    def to_timedelta(self, schedule: Schedule) -> timedelta:
        """The length of this duration on ``schedule``: ``d`` is ``amount`` times its
        :attr:`Schedule.day_length`. Exact, rounded half-even to the microsecond."""
        unit = schedule.day_length // timedelta(microseconds=1) if self.unit == "d" else _MICROSECONDS[self.unit]
        digits = len(self.amount.as_tuple().digits)
        with localcontext() as context:
            context.prec = digits + 40
            microseconds = (self.amount * unit).to_integral_value(rounding=ROUND_HALF_EVEN)
        try:
            return timedelta(microseconds=int(microseconds))
        except OverflowError:
            raise ValueError(_("The duration “{duration}” is too long.").format(duration=self)) from None

    def __str__(self) -> str:
        """Canonical text: ``4h``, ``1.5d``, ``30m`` (no trailing zeros)."""
        return f"{_plain(self.amount)}{self.unit}"


def parse_duration(text: str) -> Duration:
    """Read a duration such as ``4h``, ``2d``, ``1.5d`` or ``30m``.

    The text must match ``\\d+(\\.\\d+)?`` followed by ``d``, ``h`` or ``m`` with nothing
    else (no spaces, no sign) and be above zero; otherwise ``ValueError`` says what is
    wrong.
    """
    if not isinstance(text, str):
        raise ValueError(_("“{text}” is not a duration such as 4h, 2d, 1.5d or 30m.").format(text=text))
    match = _DURATION_RE.fullmatch(text)
    if match is None:
        if _NEGATIVE_DURATION_RE.fullmatch(text.strip()):
            message = _("“{text}” is not above zero.")
        elif _NUMBER_RE.fullmatch(text.strip()):
            message = _("“{text}” has no unit: write {number}d, {number}h or {number}m.")
        elif _DURATION_RE.fullmatch("".join(text.split())):
            message = _("“{text}” must be written without spaces, as “{compact}”.")
        elif _DURATION_RE.fullmatch(text.lower()):
            message = _("“{text}” must use a lowercase unit, as “{lower}”.")
        else:
            message = _("“{text}” is not a duration such as 4h, 2d, 1.5d or 30m.")
        raise ValueError(
            message.format(text=text, number=text.strip(), compact="".join(text.split()), lower=text.lower())
        )
    amount = Decimal(match[1])
    if amount == 0:
        raise ValueError(_("“{text}” is not above zero.").format(text=text))
    return Duration(amount=amount, unit=match[2])
