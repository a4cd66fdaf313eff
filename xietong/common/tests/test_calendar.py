"""Working time inside SQL (xietong.common.calendar) against ``Schedule.working_time``, to the
microsecond, and the SQL medians of xietong.common.sql; on SQLite and PostgreSQL.

The intervals are stored in a real datetime column (a notification's ``created_at`` and
``read_at``), so what is checked is what the figures read: the database's own storage.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, connection
from django.db.models import F, Value
from django.test.utils import CaptureQueriesContext

from xietong.common import calendar as calendar_module
from xietong.common.calendar import (
    EpochMicros,
    WorkingMicros,
    calendar_key,
    ensure_calendar,
    instant_columns,
    working_days,
)
from xietong.common.models import WorkCalendar, WorkPeriod
from xietong.common.sql import LocalMonth, Middle, middle_values
from xietong.common.worktime import Schedule
from xietong.notify.models import Notification
from xietong.org.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
# The organization schedule of the worked example: lunch breaks, China's holidays and make-up days.
CN = Schedule.from_spec({"working_hours": ["09:00-12:00", "13:00-18:00"], "days": "cn"}, "Asia/Shanghai")
ROUND_THE_CLOCK = Schedule.from_spec({"working_hours": ["00:00-24:00"], "days": "all"}, "Asia/Shanghai")
# Periods around the 02:00-03:00 jumps of 29 March and 25 October 2026, and one ending at 24:00.
BERLIN_NIGHTS = Schedule.from_spec(
    {"working_hours": ["01:00-04:00", "09:00-12:30", "22:00-24:00"], "days": "all"}, "Europe/Berlin"
)
US = timedelta(microseconds=1)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def micros(delta: timedelta) -> int:
    return delta // US


def working_micros_in_sql(schedule: Schedule, intervals: list[tuple[datetime, datetime]]) -> list[int]:
    """Store the intervals as notifications and time them all in one query."""
    key = ensure_calendar(schedule, date(2025, 12, 1), date(2027, 2, 28))
    person = PersonFactory()
    stored = Notification.objects.bulk_create(
        Notification(recipient=person, kind="test.interval", title=str(n), created_at=start, read_at=end)
        for n, (start, end) in enumerate(intervals)
    )
    rows = dict(
        Notification.objects.filter(pk__in=[n.pk for n in stored])
        .annotate(working=WorkingMicros("created_at", "read_at", key))
        .values_list("pk", "working")
    )
    return [rows[n.pk] for n in stored]


def boundaries(schedule: Schedule, first: date, last: date) -> list[datetime]:
    """Every period start and end of the days, and the instants one microsecond either side."""
    edges = [moment for period in schedule.periods_between(first, last) for moment in period]
    return [moment + shift for moment in edges for shift in (-US, timedelta(0), US)]


def random_intervals(schedule: Schedule, seed: int, count: int) -> list[tuple[datetime, datetime]]:
    rng = random.Random(seed)
    low = datetime(2026, 1, 1, tzinfo=schedule.tz)
    edges = boundaries(schedule, date(2026, 1, 1), date(2026, 12, 31))
    intervals = []
    for _ in range(count):
        kind = rng.random()
        start = (
            rng.choice(edges)  # exactly at (or next to) a period's start or end
            if kind < 0.4
            else low + timedelta(microseconds=rng.randrange(365 * 86_400_000_000))
        )
        if kind < 0.2:
            end = rng.choice([edge for edge in edges if edge >= start][:40])
        elif kind < 0.3:
            end = start  # empty
        else:
            end = start + timedelta(microseconds=rng.randrange(rng.choice([3_600, 86_400, 20 * 86_400]) * 10**6))
        intervals.append((start, end))
    return intervals


# ── EpochMicros: the database's own storage, to the microsecond ─────────────────────────────────


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 3, 2, 9, 0, 0, 0, tzinfo=SHANGHAI),
        datetime(2026, 3, 2, 9, 0, 0, 1, tzinfo=SHANGHAI),
        datetime(2026, 3, 2, 9, 0, 59, 999_999, tzinfo=SHANGHAI),  # SQLite's strftime would round it up
        datetime(2026, 3, 2, 9, 0, 59, 999_500, tzinfo=SHANGHAI),
        datetime(2026, 3, 2, 9, 0, 0, 500_000, tzinfo=SHANGHAI),
        datetime(1999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
        datetime(2026, 10, 25, 2, 30, 0, 123_456, fold=1, tzinfo=BERLIN),  # the repeated hour, second time
    ],
)
def test_epoch_micros_reads_a_stored_datetime_exactly(moment: datetime) -> None:
    # given
    notification = Notification.objects.create(
        recipient=PersonFactory(), kind="test.moment", title="t", created_at=moment
    )
    # when
    value = (
        Notification.objects.filter(pk=notification.pk)
        .annotate(us=EpochMicros("created_at"))
        .values_list("us", flat=True)
        .get()
    )
    # then
    assert value == micros(moment - EPOCH)


def test_sqlite_stores_utc_text_with_six_digit_microseconds_or_none() -> None:
    # given: the format EpochMicros reads on SQLite (checked here so a change of Django shows)
    if connection.vendor != "sqlite":
        pytest.skip("SQLite storage format")
    person = PersonFactory()
    moments = [datetime(2026, 3, 2, 1, 0, 0, us, tzinfo=UTC) for us in (0, 1, 999_999)]
    pks = [
        Notification.objects.create(recipient=person, kind="test.moment", title="t", created_at=m).pk for m in moments
    ]
    # when
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT CAST(created_at AS TEXT) FROM {Notification._meta.db_table} WHERE id IN (%s, %s, %s) ORDER BY id",
            pks,
        )
        texts = [row[0] for row in cursor.fetchall()]
    # then
    assert texts == ["2026-03-02 01:00:00", "2026-03-02 01:00:00.000001", "2026-03-02 01:00:00.999999"]


# ── WorkingMicros equals Schedule.working_time ──────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("schedule", "seed"),
    [(CN, 6), (ROUND_THE_CLOCK, 7), (BERLIN_NIGHTS, 8)],
    ids=["cn with lunch breaks", "00:00-24:00", "Europe/Berlin DST"],
)
def test_working_micros_equals_working_time_on_random_intervals(schedule: Schedule, seed: int) -> None:
    # given: 400 seeded intervals, many starting or ending exactly at a period's edge
    intervals = random_intervals(schedule, seed, 400)
    # when
    in_sql = working_micros_in_sql(schedule, intervals)
    # then
    assert in_sql == [micros(schedule.working_time(start, end)) for start, end in intervals]


def at(text: str, tz: ZoneInfo = SHANGHAI) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=tz)


# (start, end, working hours) on the cn schedule, checked against working_time as well
CN_CASES = [
    # Friday 13 Feb 17:00 → Saturday 14 Feb (a make-up day) 10:00: 1h + 1h
    ("2026-02-13T17:00", "2026-02-14T10:00", 2),
    # across the Spring Festival (15-23 Feb off), 28 Feb a make-up Saturday: 14 Feb 17:00 → 24 Feb 10:00
    ("2026-02-14T17:00", "2026-02-24T10:00", 2),
    ("2026-02-27T18:00", "2026-02-28T18:00", 8),
    ("2026-02-15T09:00", "2026-02-23T18:00", 0),  # the whole holiday
    ("2026-03-02T11:00", "2026-03-02T13:00", 1),  # across lunch
    ("2026-03-02T12:00", "2026-03-02T13:00", 0),  # the lunch break exactly
    ("2026-03-02T18:00", "2026-03-03T09:00", 0),  # from the end of a day to the start of the next
    ("2026-03-02T17:59", "2026-03-02T18:00", 1 / 60),  # ending exactly at a period's end
    ("2026-03-06T17:30", "2026-03-09T09:30", 1),  # over a weekend
]


@pytest.mark.parametrize(("start", "end", "hours"), CN_CASES)
def test_working_micros_on_the_nasty_cases(start: str, end: str, hours: float) -> None:
    # when
    [in_sql] = working_micros_in_sql(CN, [(at(start), at(end))])
    # then
    assert in_sql == micros(CN.working_time(at(start), at(end))) == round(hours * 3_600_000_000)


def test_working_micros_on_the_days_the_clocks_change() -> None:
    # given: 29 March 02:00 → 03:00 (the 01:00-04:00 period lasts 2h); 25 October 03:00 → 02:00 (4h)
    spring = (at("2026-03-29T00:00", BERLIN), at("2026-03-29T05:00", BERLIN))
    autumn = (at("2026-10-25T00:00", BERLIN), at("2026-10-25T05:00", BERLIN))
    inside = (at("2026-10-25T02:30", BERLIN), at("2026-10-25T02:30", BERLIN).replace(fold=1))
    # when
    in_sql = working_micros_in_sql(BERLIN_NIGHTS, [spring, autumn, inside])
    # then
    assert in_sql == [2 * 3_600_000_000, 4 * 3_600_000_000, 3_600_000_000]
    assert in_sql == [micros(BERLIN_NIGHTS.working_time(s, e)) for s, e in (spring, autumn, inside)]


def test_working_micros_is_null_when_an_instant_is_null() -> None:
    # given
    key = ensure_calendar(CN, date(2026, 3, 1), date(2026, 3, 31))
    Notification.objects.create(recipient=PersonFactory(), kind="t", title="t", created_at=at("2026-03-02T09:00"))
    # when
    value = Notification.objects.annotate(w=WorkingMicros("created_at", "read_at", key)).values_list("w", flat=True)
    # then
    assert list(value) == [None]


# ── ensure_calendar ─────────────────────────────────────────────────────────────────────────────


def test_a_covered_calendar_costs_one_query_and_writes_nothing() -> None:
    # given
    key = ensure_calendar(CN, date(2026, 1, 1), date(2026, 12, 31))
    rows = WorkPeriod.objects.filter(calendar=key).count()
    # when
    with CaptureQueriesContext(connection) as queries:
        again = ensure_calendar(CN, date(2026, 2, 1), date(2026, 2, 28))
    # then
    assert (again, len(queries)) == (key, 1)
    assert WorkPeriod.objects.filter(calendar=key).count() == rows
    # 2026 in mainland China: 250 working days (weekdays, less days off, plus make-up Saturdays), two periods each
    assert rows == 2 * sum(CN.is_working_day(date(2026, 1, 1) + timedelta(days=n)) for n in range(365))


def test_the_calendar_grows_at_either_end_and_stays_consistent() -> None:
    # given: a calendar of March 2026 (built as the whole year), then asked for 2025 and 2027 too
    key = ensure_calendar(CN, date(2026, 3, 1), date(2026, 3, 31))
    assert WorkCalendar.objects.filter(key=key).values_list("first_day", "last_day").get() == (
        date(2026, 1, 1),
        date(2026, 12, 31),
    )
    ensure_calendar(CN, date(2025, 12, 30), date(2026, 2, 10))
    ensure_calendar(CN, date(2026, 4, 20), date(2027, 1, 2))
    # then: one range of whole years, its periods in order, cum_us their running sum
    assert WorkCalendar.objects.filter(key=key).values_list("first_day", "last_day").get() == (
        date(2025, 1, 1),
        date(2027, 12, 31),
    )
    periods = list(
        WorkPeriod.objects.filter(calendar=key).order_by("start_us").values_list("start_us", "end_us", "cum_us")
    )
    expected = [
        (micros(s - EPOCH), micros(e - EPOCH)) for s, e in CN.periods_between(date(2025, 1, 1), date(2027, 12, 31))
    ]
    assert [(s, e) for s, e, _cum in periods] == expected
    running = 0
    for start_us, end_us, cum_us in periods:
        assert cum_us == running
        running += end_us - start_us
    # and the working time over the whole range is right
    start, end = at("2025-01-01T00:00"), at("2028-01-01T00:00")
    assert working_micros_in_sql(CN, [(start, end)]) == [micros(CN.working_time(start, end))]


def test_a_range_starting_and_ending_on_days_off_is_covered_once_built() -> None:
    # given: a weekend asked for (the stored range, not the periods, says what is covered)
    weekdays = Schedule.from_spec({"days": "weekdays"}, "Asia/Shanghai")
    ensure_calendar(weekdays, date(2026, 2, 28), date(2026, 3, 1))
    # when
    with CaptureQueriesContext(connection) as queries:
        ensure_calendar(weekdays, date(2026, 2, 28), date(2026, 3, 1))
    # then
    assert len(queries) == 1


def test_a_builder_that_loses_a_race_reads_what_the_winner_built() -> None:
    # given: another process builds the calendar first, so this one's insert fails
    build = calendar_module._build

    def lose_the_race(schedule: Schedule, key: str, first: date, last: date) -> None:
        build(schedule, key, first, last)
        raise IntegrityError("duplicate key value violates unique constraint")

    # when
    with mock.patch.object(calendar_module, "_build", side_effect=lose_the_race) as builder:
        key = ensure_calendar(CN, date(2026, 3, 1), date(2026, 3, 31))
    # then
    assert builder.call_count == 1
    assert WorkCalendar.objects.filter(key=key).exists()


def test_calendars_are_told_apart_by_schedule_and_timezone() -> None:
    other_zone = Schedule.from_spec(CN.to_spec(), "Asia/Tokyo")
    lunchless = Schedule.from_spec({"working_hours": ["09:00-18:00"], "days": "cn"}, "Asia/Shanghai")
    keys = {calendar_key(CN), calendar_key(other_zone), calendar_key(lunchless)}
    assert len(keys) == 3
    assert calendar_key(CN) == calendar_key(Schedule.from_spec(CN.to_spec(), "Asia/Shanghai"))
    assert all(len(key) == 32 for key in keys)


def test_a_range_must_not_end_before_it_starts() -> None:
    with pytest.raises(ValueError, match="before first"):
        ensure_calendar(CN, date(2026, 3, 2), date(2026, 3, 1))


# ── middle_values ───────────────────────────────────────────────────────────────────────────────


def test_middle_values_gives_each_groups_size_and_middle_rows_in_one_query() -> None:
    # given: groups of 1, 2, 3, 4 and 5 values (stored unordered, with ties)
    groups = {"a": [7], "b": [9, 3], "c": [5, 1, 5], "d": [8, 2, 6, 4], "e": [10, 0, 10, 3, 3]}
    WorkPeriod.objects.bulk_create(
        WorkPeriod(calendar=name, start_us=n, end_us=n + 1 + value, cum_us=value, day=date(2026, 3, 2))
        for name, values in groups.items()
        for n, value in enumerate(values)
    )
    # when
    with CaptureQueriesContext(connection) as queries:
        middles = middle_values(
            WorkPeriod.objects.annotate(length=F("end_us") - F("start_us") - Value(1)),
            partition=["calendar"],
            value="length",
        )
    # then
    assert len(queries) == 1
    assert middles == {
        ("a",): Middle(1, 7, 7),
        ("b",): Middle(2, 3, 9),
        ("c",): Middle(3, 5, 5),
        ("d",): Middle(4, 4, 6),
        ("e",): Middle(5, 3, 3),
    }


def test_middle_values_of_nothing_is_empty() -> None:
    assert middle_values(WorkPeriod.objects.all(), partition=["calendar"], value="cum_us") == {}


def test_the_median_in_hours_is_exact_until_the_final_division() -> None:
    assert Middle(2, 3_600_000_000, 3_600_000_001).median_hours == 7_200_000_001 / 7_200_000_000
    assert Middle(1, 5_400_000_000, 5_400_000_000).median_hours == 1.5


# ── WorkingDays: the calendar joined by UTC date ────────────────────────────────────────────────


def working_days_in_sql(schedule: Schedule, intervals: list[tuple[datetime, datetime]]) -> list[int | None]:
    """Store the intervals as notifications and time them all in one query, as the process figures do:
    each instant's UTC date row of the calendar looked up, the working time a difference of two clocks."""
    days = working_days(schedule, date(2025, 12, 1), date(2027, 2, 28))
    person = PersonFactory()
    stored = Notification.objects.bulk_create(
        Notification(recipient=person, kind="test.interval", title=str(n), created_at=start, read_at=end)
        for n, (start, end) in enumerate(intervals)
    )
    vendor = connection.vendor
    ids = ", ".join(str(n.pk) for n in stored)
    rows = (
        f"SELECT id, {instant_columns(vendor, 'created_at', 'start')}, {instant_columns(vendor, 'read_at', 'end')} "
        f"FROM notify_notification WHERE id IN ({ids})"
    )
    clock = "(SELECT {sql} FROM working_days d WHERE d.day = t.{name}_day)"
    start, end = (
        clock.format(sql=days.clock_sql(vendor, "d", f"t.{name}_tod"), name=name) for name in ("start", "end")
    )
    sql = f"WITH working_days AS ({days.table_sql(vendor)}) SELECT t.id, {end} - {start} FROM ({rows}) t"
    with connection.cursor() as cursor:
        cursor.execute(sql, [days.payload(vendor)])
        found = dict(cursor.fetchall())
    return [found[n.pk] for n in stored]


@pytest.mark.parametrize(
    ("schedule", "seed"),
    [(CN, 16), (ROUND_THE_CLOCK, 17), (BERLIN_NIGHTS, 18)],
    ids=["cn with lunch breaks", "00:00-24:00", "Europe/Berlin DST"],
)
def test_working_days_equal_working_time_on_random_intervals(schedule: Schedule, seed: int) -> None:
    # given: 400 seeded intervals, many starting or ending exactly at a period's edge
    intervals = random_intervals(schedule, seed, 400)
    # when
    in_sql = working_days_in_sql(schedule, intervals)
    # then
    assert in_sql == [micros(schedule.working_time(start, end)) for start, end in intervals]


@pytest.mark.parametrize(("start", "end", "hours"), CN_CASES)
def test_working_days_on_the_nasty_cases(start: str, end: str, hours: float) -> None:
    # when
    [in_sql] = working_days_in_sql(CN, [(at(start), at(end))])
    # then
    assert in_sql == micros(CN.working_time(at(start), at(end))) == round(hours * 3_600_000_000)


def test_working_days_on_the_days_the_clocks_change() -> None:
    # given: a period around each jump, and the repeated hour's two 02:30s
    spring = (at("2026-03-29T00:00", BERLIN), at("2026-03-29T05:00", BERLIN))
    autumn = (at("2026-10-25T00:00", BERLIN), at("2026-10-25T05:00", BERLIN))
    inside = (at("2026-10-25T02:30", BERLIN), at("2026-10-25T02:30", BERLIN).replace(fold=1))
    # when
    in_sql = working_days_in_sql(BERLIN_NIGHTS, [spring, autumn, inside])
    # then
    assert in_sql == [2 * 3_600_000_000, 4 * 3_600_000_000, 3_600_000_000]


def test_working_days_are_built_once_per_schedule_and_years() -> None:
    # when
    first = working_days(CN, date(2026, 3, 1), date(2026, 3, 31))
    again = working_days(CN, date(2026, 1, 2), date(2026, 12, 30))
    # then: whole years, one object, covering its range and not beyond
    assert again is first
    assert (first.first_day, first.last_day) == (date(2026, 1, 1), date(2026, 12, 31))
    assert first.covers(date(2026, 1, 1), date(2026, 12, 31))
    assert not first.covers(date(2025, 12, 31), date(2026, 1, 1))


def test_working_days_refuse_a_backwards_range() -> None:
    with pytest.raises(ValueError, match="before"):
        working_days(CN, date(2026, 3, 2), date(2026, 3, 1))


# ── LocalMonth ──────────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("tz", [SHANGHAI, BERLIN, ZoneInfo("America/St_Johns")], ids=str)
def test_local_month_starts_at_local_midnight_also_across_daylight_saving(tz: ZoneInfo) -> None:
    # given: instants a microsecond either side of each local month start of 2026, and of 1991's
    # (Shanghai's last summer time), stored as notifications
    person = PersonFactory()
    starts = [datetime(year, month, 1, tzinfo=tz) for year in (1991, 2026) for month in range(1, 13)]
    moments = [start + shift for start in starts for shift in (-US, timedelta(0), US)]
    stored = Notification.objects.bulk_create(
        Notification(recipient=person, kind="test.month", title=str(n), created_at=moment)
        for n, moment in enumerate(moments)
    )
    # when
    months = dict(
        Notification.objects.filter(pk__in=[n.pk for n in stored])
        .annotate(month=LocalMonth("created_at", tz, until=datetime(2026, 12, 31, tzinfo=UTC)))
        .values_list("pk", "month")
    )
    # then
    assert [months[n.pk] for n in stored] == [f"{moment.astimezone(tz):%Y-%m}" for moment in moments]


@pytest.mark.parametrize(
    ("schedule", "seed"),
    [(CN, 26), (ROUND_THE_CLOCK, 27), (BERLIN_NIGHTS, 28)],
    ids=["cn with lunch breaks", "00:00-24:00", "Europe/Berlin DST"],
)
def test_working_days_in_python_equal_working_time(schedule: Schedule, seed: int) -> None:
    # given
    days = working_days(schedule, date(2026, 1, 1), date(2027, 2, 28))
    intervals = random_intervals(schedule, seed, 400)
    # when
    found = [days.working_time(start, end) for start, end in intervals]
    # then: the same as the day-by-day loop, and nothing for an instant outside the calendar
    assert found == [schedule.working_time(start, end) for start, end in intervals]
    assert days.working_time(at("2024-06-03T09:00"), at("2026-03-02T09:00")) is None
