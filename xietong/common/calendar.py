"""Working time inside SQL queries, exact to the microsecond.

:mod:`xietong.common.worktime` says what working time is; this module lets the database count it,
so that a figure over many intervals is one query instead of a Python loop:

- :func:`ensure_calendar` materialises a schedule's working periods over a range of dates as
  :class:`~xietong.common.models.WorkPeriod` rows (UTC epoch microseconds, with ``cum_us``, the
  working time before each period), keyed by :func:`calendar_key`. It costs one query when the
  range is already there.
- :class:`EpochMicros` is the UTC epoch microseconds of a datetime column, on SQLite and
  PostgreSQL.
- :class:`WorkingMicros` is the working time between two datetime columns of the query it
  annotates, ``C(end) - C(start)``, where ``C(t)`` is the calendar's working time before ``t``
  read from the last period starting at or before ``t``.

``WorkingMicros`` equals ``Schedule.working_time`` for instants inside the materialised range
(tested to the microsecond); an instant before the range counts as its start, one after as its
end, so callers ensure the range covers every instant they time (with a day to spare).

``WorkingMicros`` costs an index lookup (a correlated subquery) per instant. Figures over hundreds of
thousands of rows use :class:`WorkingDays` instead: the same calendar as one row per **UTC date**
(the working time before that date's UTC midnight, and the working periods falling on that date as
offsets from it), built in Python once per process and schedule, passed to the query as one JSON
parameter and *joined on the date* (a hash join on PostgreSQL, an automatic index on SQLite). The
working time before an instant ``t`` is then arithmetic on the joined row, ``C(t) = cum +
sum(clamp(tod(t) - start_i, 0, length_i))`` with ``tod`` the time of day in UTC, read from the stored
value without any date parsing on SQLite; the working time of an interval is ``C(end) - C(start)``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cached_property, lru_cache
from typing import Any

import holidays as holidays_lib
from django.db import IntegrityError, connection, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import BigIntegerField, F, Field, Func, Value
from django.db.models.sql.compiler import SQLCompiler

from xietong.common.models import WorkCalendar, WorkPeriod
from xietong.common.worktime import Schedule

__all__ = ["EpochMicros", "WorkingDays", "WorkingMicros", "calendar_key", "ensure_calendar", "working_days"]

#: Bumped when the rows a calendar materialises change meaning, so old ones are not reused.
_FORMAT = 1
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_ATTEMPTS = 3
_DAY_US = 86_400_000_000


def calendar_key(schedule: Schedule) -> str:
    """A stable name of ``schedule``'s calendar: sha256 (hex, first 32 characters) of its
    package-format spec, its timezone and the ``holidays`` package release (which decides the
    ``cn`` days), so a different calendar never reads another's rows."""
    identity = {
        "format": _FORMAT,
        "schedule": schedule.to_spec(),
        "timezone": schedule.tz.key,
        "holidays": holidays_lib.__version__,
    }
    text = json.dumps(identity, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _column(name: str) -> str:
    field = WorkPeriod._meta.get_field(name)
    assert isinstance(field, Field)  # a concrete column, not a relation
    return field.column


def _epoch_us(moment: datetime) -> int:
    return (moment - _EPOCH) // _MICROSECOND


def _periods(schedule: Schedule, first: date, last: date) -> list[tuple[int, int, int, date]]:
    """(start_us, end_us, cum_us, day) of every working period of the days ``first``..``last``."""
    rows = []
    cumulative = 0
    for start, end in schedule.periods_between(first, last):
        start_us, end_us = _epoch_us(start), _epoch_us(end)
        rows.append((start_us, end_us, cumulative, start.date()))
        cumulative += end_us - start_us
    return rows


def _insert_periods(key: str, rows: list[tuple[int, int, int, date]]) -> None:
    """Insert the rows in one statement whatever their number (a 30-year calendar is ~15,000 rows;
    ``bulk_create`` would split them into batches of 199 on SQLite, so the queries a page costs
    would depend on the calendar's length and the backend)."""
    if not rows:
        return
    if connection.vendor not in ("postgresql", "sqlite"):  # pragma: no cover - the two supported backends
        WorkPeriod.objects.bulk_create(
            WorkPeriod(calendar=key, start_us=s, end_us=e, cum_us=c, day=d) for s, e, c, d in rows
        )
        return
    meta = WorkPeriod._meta
    quote = connection.ops.quote_name
    columns = ", ".join(quote(_column(name)) for name in ("calendar", "start_us", "end_us", "cum_us", "day"))
    if connection.vendor == "postgresql":
        source = (
            "SELECT %s, (r->>0)::bigint, (r->>1)::bigint, (r->>2)::bigint, (r->>3)::date "
            "FROM jsonb_array_elements(%s::jsonb) AS r"
        )
    else:
        source = (
            "SELECT %s, json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'), "
            "json_extract(value, '$[3]') FROM json_each(%s)"
        )
    payload = json.dumps([[s, e, c, d.isoformat()] for s, e, c, d in rows], separators=(",", ":"))
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {quote(meta.db_table)} ({columns}) {source}", [key, payload])


def _covers(stored: tuple[date, date] | None, first: date, last: date) -> bool:
    return stored is not None and stored[0] <= first and last <= stored[1]


def _build(schedule: Schedule, key: str, first: date, last: date) -> None:
    """(Re)build the calendar over ``first``..``last`` joined with what is stored, in one
    transaction; the stored range is locked (PostgreSQL) so concurrent builders take turns."""
    with transaction.atomic():
        stored = WorkCalendar.objects.select_for_update().filter(key=key).values_list("first_day", "last_day").first()
        if _covers(stored, first, last):
            return
        if stored is not None:
            first, last = min(first, stored[0]), max(last, stored[1])
        # Whole years, so a range that grows by a day each day (as_of moving on) is rebuilt once a year.
        first, last = first.replace(month=1, day=1), last.replace(month=12, day=31)
        WorkPeriod.objects.filter(calendar=key).delete()
        _insert_periods(key, _periods(schedule, first, last))
        if stored is None:
            WorkCalendar.objects.create(key=key, first_day=first, last_day=last)
        else:
            WorkCalendar.objects.filter(key=key).update(first_day=first, last_day=last)


def ensure_calendar(schedule: Schedule, first: date, last: date) -> str:
    """Materialise ``schedule``'s working periods of the days ``first`` to ``last`` (local dates,
    inclusive) unless they are already, and return the calendar's key for :class:`WorkingMicros`.

    One query when the range is covered. Otherwise the calendar is rebuilt, in one transaction and
    a fixed number of queries, over the whole years spanning the stored and the requested ranges, so
    ``cum_us`` stays consistent. Two processes building the
    same calendar at once: the loser's insert fails on the unique start, and it reads again.
    """
    if last < first:
        raise ValueError(f"last {last} is before first {first}.")
    key = calendar_key(schedule)
    for attempt in range(_ATTEMPTS):
        stored = WorkCalendar.objects.filter(key=key).values_list("first_day", "last_day").first()
        if _covers(stored, first, last):
            return key
        try:
            _build(schedule, key, first, last)
        except IntegrityError:
            if attempt == _ATTEMPTS - 1:
                raise
            continue
        return key
    raise AssertionError("unreachable")  # pragma: no cover


def _epoch_sql(vendor: str, moment: str) -> str:
    """SQL for the UTC epoch microseconds of the datetime SQL ``moment`` (see :class:`EpochMicros`)."""
    if vendor == "postgresql":
        return f"(EXTRACT(EPOCH FROM {moment}) * 1000000)::bigint"
    if vendor == "sqlite":
        # "%%" reaches SQLite as "%" (Django's SQLite cursor turns %s into ? and %% into %).
        seconds = f"CAST(strftime('%%s', substr({moment}, 1, 19)) AS INTEGER)"
        return f"({seconds} * 1000000 + CAST(substr({moment} || '000000', 21, 6) AS INTEGER))"
    raise NotImplementedError(f"Working time in SQL is not implemented for {vendor}.")  # pragma: no cover


class EpochMicros(Func):
    """The UTC epoch microseconds (bigint) of a datetime expression, exact on SQLite and PostgreSQL.

    PostgreSQL: ``EXTRACT(EPOCH ...)`` is numeric (exact) since PostgreSQL 14. SQLite stores
    Django's datetimes as UTC text ``YYYY-MM-DD HH:MM:SS[.ffffff]``; ``strftime('%s')`` reads the
    whole seconds (of the first 19 characters only: it rounds a fraction to milliseconds, which
    would turn ``:59.9999995`` into the next second) and the fraction is read as text, padded.
    On SQLite the expression appears twice in the SQL.
    """

    arity = 1
    output_field = BigIntegerField()

    def as_sql(
        self,
        compiler: SQLCompiler,
        connection: BaseDatabaseWrapper,
        function: str | None = None,
        template: str | None = None,
        arg_joiner: str | None = None,
        **extra_context: Any,
    ) -> tuple[str, list[Any]]:
        sql, params = compiler.compile(self.source_expressions[0])
        uses = 1 if connection.vendor == "postgresql" else 2
        return _epoch_sql(connection.vendor, sql), list(params) * uses


class WorkingMicros(Func):
    """The working time, in microseconds, from ``start`` to ``end`` (two datetime fields or
    annotations of the query it annotates) on the calendar ``calendar`` (a key from
    :func:`ensure_calendar`, whose range must cover both instants).

    It is ``C(end) - C(start)``, where ``C(t)``, the calendar's working time before ``t``, is read
    from the last period starting at or before ``t``: ``cum_us + min(max(t - start_us, 0),
    end_us - start_us)``, or 0 when no period starts by ``t``. Equal to
    ``Schedule.working_time(start, end)`` for ``start <= end``; negative when ``end`` is before
    ``start``; NULL when either is NULL.

    The two instants are read once, in a derived table (kept from being inlined by ``OFFSET 0``),
    and the two lookups use them from there: an instant that is itself a subquery (the previous
    step's completion) would otherwise be computed six times.
    """

    output_field = BigIntegerField()

    def __init__(self, start: str, end: str, calendar: str) -> None:
        super().__init__(F(start), F(end), Value(calendar))

    def as_sql(
        self,
        compiler: SQLCompiler,
        connection: BaseDatabaseWrapper,
        function: str | None = None,
        template: str | None = None,
        arg_joiner: str | None = None,
        **extra_context: Any,
    ) -> tuple[str, list[Any]]:
        (start, start_params), (end, end_params), (key, key_params) = (
            compiler.compile(expression) for expression in self.source_expressions
        )
        vendor = connection.vendor
        quote = connection.ops.quote_name
        meta = WorkPeriod._meta
        table = quote(meta.db_table)
        calendar, start_us, end_us, cum_us = (
            f"p.{quote(_column(name))}" for name in ("calendar", "start_us", "end_us", "cum_us")
        )
        least, greatest = ("LEAST", "GREATEST") if vendor == "postgresql" else ("MIN", "MAX")
        fence = "OFFSET 0" if vendor == "postgresql" else "LIMIT -1 OFFSET 0"

        def before(column: str) -> str:
            t = _epoch_sql(vendor, column)
            period = (
                f"SELECT {cum_us} + {least}({greatest}({t} - {start_us}, 0), {end_us} - {start_us}) FROM {table} p "
                f"WHERE {calendar} = {key} AND {start_us} <= {t} ORDER BY {start_us} DESC LIMIT 1"
            )
            return f"COALESCE(({period}), {t} * 0)"

        sql = (
            f"(SELECT {before('m.working_end')} - {before('m.working_start')} "
            f"FROM (SELECT {start} AS working_start, {end} AS working_end {fence}) m)"
        )
        return sql, [*key_params, *key_params, *start_params, *end_params]


# ── The calendar by UTC date, joined rather than looked up ──────────────────────────────────────


@dataclass(frozen=True)
class WorkingDays:
    """A schedule's working time by UTC date over whole local years (see the module's docstring).

    ``rows`` are ``(UTC date, cum_us, ((start_us, length_us), ...))``: the working time from the
    first row's midnight to this date's UTC midnight, and the working periods (or their parts)
    inside the date, as microseconds from its midnight; every row has ``width`` periods, padded
    with ``(0, 0)`` (which adds nothing). ``first_day`` and ``last_day`` are the local dates
    covered: an instant whose local date lies outside has no row, and its working time is NULL.
    """

    first_day: date
    last_day: date
    width: int
    rows: tuple[tuple[date, int, tuple[tuple[int, int], ...]], ...]

    def covers(self, first: date, last: date) -> bool:
        return self.first_day <= first and last <= self.last_day

    @cached_property
    def _by_day(self) -> dict[date, tuple[int, tuple[tuple[int, int], ...]]]:
        return {day: (cum, periods) for day, cum, periods in self.rows}

    def clock(self, moment: datetime) -> int | None:
        """``C(t)`` in Python, as the SQL computes it: the working microseconds from the calendar's
        start to the aware datetime ``moment``; None outside the calendar."""
        utc = moment.astimezone(UTC)
        row = self._by_day.get(utc.date())
        if row is None:
            return None
        tod = (utc - utc.replace(hour=0, minute=0, second=0, microsecond=0)) // _MICROSECOND
        cum, periods = row
        return cum + sum(min(max(tod - start, 0), length) for start, length in periods)

    def working_time(self, start: datetime, end: datetime) -> timedelta | None:
        """``Schedule.working_time(start, end)`` in two dictionary lookups (None when an instant is
        outside the calendar): for a page of rows each timing an interval that may span months."""
        low, high = self.clock(start), self.clock(end)
        if low is None or high is None:
            return None
        return timedelta(microseconds=high - low)

    def payload(self, vendor: str) -> str:
        """The rows as the JSON parameter of :meth:`table_sql`: the day as ``YYYY-MM-DD`` on SQLite
        (compared with the stored text), as days since 1970-01-01 on PostgreSQL."""
        epoch = date(1970, 1, 1)
        return _json_rows(self, vendor == "sqlite", epoch)

    def table_sql(self, vendor: str) -> str:
        """A derived table ``(day, cum_us, s1, l1, ... )`` read from one JSON parameter (%s)."""
        names = ["day", "cum_us"] + [f"{kind}{n}" for n in range(1, self.width + 1) for kind in ("s", "l")]
        if vendor == "postgresql":
            columns = ["(r->>0)::bigint AS day"] + [f"(r->>{i})::bigint AS {name}" for i, name in enumerate(names) if i]
            return f"SELECT {', '.join(columns)} FROM jsonb_array_elements(%s::jsonb) AS r"
        if vendor == "sqlite":
            columns = [f"json_extract(value, '$[{i}]') AS {name}" for i, name in enumerate(names)]
            return f"SELECT {', '.join(columns)} FROM json_each(%s)"
        raise NotImplementedError(f"Working time in SQL is not implemented for {vendor}.")  # pragma: no cover

    def clock_sql(self, vendor: str, row: str, tod: str) -> str:
        """SQL for ``C(t)``: the working time before an instant whose time of day (UTC microseconds
        since midnight, see :func:`instant_columns`) is ``tod``, ``row`` being its joined day row."""
        least, greatest = ("LEAST", "GREATEST") if vendor == "postgresql" else ("MIN", "MAX")
        parts = [f"{least}({greatest}({tod} - {row}.s{n}, 0), {row}.l{n})" for n in range(1, self.width + 1)]
        return f"({row}.cum_us + {' + '.join(parts)})"


def instant_columns(vendor: str, moment: str, name: str) -> str:
    """Select-list SQL giving the datetime SQL ``moment`` as ``{name}_day`` (the key of its UTC
    date in :class:`WorkingDays`) and ``{name}_tod`` (microseconds since that date's UTC midnight).

    On SQLite both are read from the stored text ``YYYY-MM-DD HH:MM:SS[.ffffff]`` by position, with
    no date parsing; on PostgreSQL from the epoch microseconds."""
    if vendor == "postgresql":
        # date_part's double precision (EXTRACT's numeric is several times slower): PostgreSQL keeps
        # integer microseconds, and until the year 2200 a double holds epoch seconds within 0.25 µs,
        # so the rounded product is exact
        epoch = f"ROUND(date_part('epoch', {moment}) * 1000000)::bigint"
        return f"{epoch} / {_DAY_US} AS {name}_day, MOD({epoch}, {_DAY_US}) AS {name}_tod"
    if vendor == "sqlite":
        tod = (
            f"CAST(substr({moment}, 12, 2) AS INTEGER) * 3600000000 + CAST(substr({moment}, 15, 2) AS INTEGER) "
            f"* 60000000 + CAST(substr({moment}, 18, 2) AS INTEGER) * 1000000 "
            f"+ CAST(substr({moment} || '000000', 21, 6) AS INTEGER)"
        )
        return f"substr({moment}, 1, 10) AS {name}_day, {tod} AS {name}_tod"
    raise NotImplementedError(f"Working time in SQL is not implemented for {vendor}.")  # pragma: no cover


def _json_rows(days: WorkingDays, as_text: bool, epoch: date) -> str:
    rows = []
    for day, cum, periods in days.rows:
        key: Any = day.isoformat() if as_text else (day - epoch).days
        rows.append([key, cum, *(value for period in periods for value in period)])
    return json.dumps(rows, separators=(",", ":"))


def working_days(schedule: Schedule, first: date, last: date) -> WorkingDays:
    """The schedule's :class:`WorkingDays` covering the local dates ``first``..``last`` (built over
    whole years and kept in memory: a process builds a calendar once, not once per request)."""
    if last < first:
        raise ValueError(f"last {last} is before first {first}.")
    return _working_days(schedule, first.year, last.year)


@lru_cache(maxsize=16)
def _working_days(schedule: Schedule, first_year: int, last_year: int) -> WorkingDays:
    first, last = date(first_year, 1, 1), date(last_year, 12, 31)
    # UTC dates holding any instant of the local dates first..last (offsets are under a day)
    first_utc, last_utc = first - timedelta(days=1), last + timedelta(days=1)
    by_day: dict[date, list[tuple[int, int]]] = {}
    for start, end in schedule.periods_between(first - timedelta(days=2), last + timedelta(days=2)):
        low, high = _epoch_us(start), _epoch_us(end)
        while low < high:  # split at UTC midnights
            day_number = low // _DAY_US
            midnight = day_number * _DAY_US
            part_end = min(high, midnight + _DAY_US)
            day = date(1970, 1, 1) + timedelta(days=day_number)
            if first_utc <= day <= last_utc:
                by_day.setdefault(day, []).append((low - midnight, part_end - low))
            low = part_end
    width = max((len(periods) for periods in by_day.values()), default=0) or 1
    rows = []
    cumulative = 0
    day = first_utc
    while day <= last_utc:
        periods = by_day.get(day, [])
        rows.append((day, cumulative, tuple(periods + [(0, 0)] * (width - len(periods)))))
        cumulative += sum(length for _start, length in periods)
        day += timedelta(days=1)
    return WorkingDays(first, last, width, tuple(rows))
