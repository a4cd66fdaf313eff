"""Tests of the working-time calendar (xietong.common.worktime).

Pure Python: run with ``python -m pytest -p no:django xietong/common/tests/test_worktime.py``.
The China calendars of 2025 and 2026 are written out below from the State Council's
notices, so that the ``holidays`` package is checked against an independent source.
"""

from __future__ import annotations

import random
import re
import subprocess
import sys
import time as clock
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from xietong.common.worktime import (
    Duration,
    Schedule,
    ScheduleError,
    _,
    cn_calendar,
    cn_has_year,
    parse_duration,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")

# The organization schedule of the worked example: 09:00-12:00, 13:00-18:00, days cn.
CN = Schedule.from_spec(None, "Asia/Shanghai")
SEVEN_AND_A_HALF = Schedule.from_spec({"working_hours": ["09:00-12:00", "13:00-17:30"]}, "Asia/Shanghai")
ROUND_THE_CLOCK = Schedule.from_spec({"working_hours": ["00:00-24:00"], "days": "all"}, "Asia/Shanghai")


def sh(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """An aware datetime on the Shanghai wall clock."""
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def hours(n: float) -> timedelta:
    return timedelta(hours=n)


def days_in(first: date, last: date) -> set[date]:
    return {first + timedelta(days=i) for i in range((last - first).days + 1)}


# The State Council's notices (国办发明电〔2024〕12号 for 2025, 〔2025〕7号 for 2026):
# every day of each 放假 range is off, each 调休上班 day is worked.
OFFICIAL = {
    2025: {
        "off": (
            days_in(date(2025, 1, 1), date(2025, 1, 1))
            | days_in(date(2025, 1, 28), date(2025, 2, 4))
            | days_in(date(2025, 4, 4), date(2025, 4, 6))
            | days_in(date(2025, 5, 1), date(2025, 5, 5))
            | days_in(date(2025, 5, 31), date(2025, 6, 2))
            | days_in(date(2025, 10, 1), date(2025, 10, 8))
        ),
        "make_up": {
            date(2025, 1, 26),
            date(2025, 2, 8),
            date(2025, 4, 27),
            date(2025, 9, 28),
            date(2025, 10, 11),
        },
    },
    2026: {
        "off": (
            days_in(date(2026, 1, 1), date(2026, 1, 3))
            | days_in(date(2026, 2, 15), date(2026, 2, 23))
            | days_in(date(2026, 4, 4), date(2026, 4, 6))
            | days_in(date(2026, 5, 1), date(2026, 5, 5))
            | days_in(date(2026, 6, 19), date(2026, 6, 21))
            | days_in(date(2026, 9, 25), date(2026, 9, 27))
            | days_in(date(2026, 10, 1), date(2026, 10, 7))
        ),
        "make_up": {
            date(2026, 1, 4),
            date(2026, 2, 14),
            date(2026, 2, 28),
            date(2026, 5, 9),
            date(2026, 9, 20),
            date(2026, 10, 10),
        },
    },
}


def official_working_days(year: int) -> list[date]:
    """Working days of ``year`` computed from the notice above, not from the library."""
    off, make_up = OFFICIAL[year]["off"], OFFICIAL[year]["make_up"]
    return [
        day
        for day in sorted(days_in(date(year, 1, 1), date(year, 12, 31)))
        if day in make_up or (day.weekday() < 5 and day not in off)
    ]


# ------------------------------------------------------------- the worked example


def test_worked_example_step_with_4h_limit_is_due_after_lunch():
    # given step CP-1 started Monday 2026-03-02 09:30 with a 4h limit
    start = sh(2026, 3, 2, 9, 30)
    # when its due instant is computed
    due = CN.add_working_time(start, parse_duration("4h").to_timedelta(CN))
    # then 2.5h run before lunch and 1.5h after it
    assert due == sh(2026, 3, 2, 14, 30)


def test_worked_example_step_with_2d_limit_is_due_at_the_end_of_the_morning_period():
    # given step CP-2 started Monday 2026-03-02 13:00 with a 2d limit (16 working hours)
    start = sh(2026, 3, 2, 13)
    limit = parse_duration("2d").to_timedelta(CN)
    # when its due instant is computed
    due = CN.add_working_time(start, limit)
    # then Mon 13-18 (5h) + Tue (8h) + Wed 09-12 (3h) make 16h: the limit runs out at the
    # end of Wednesday's morning period, which is the earliest instant with 16h (metrics.md);
    # 13:00 after the lunch break carries the same working time but is later
    assert limit == hours(16)
    assert due == sh(2026, 3, 4, 12)
    assert CN.working_time(start, sh(2026, 3, 4, 13)) == hours(16)
    # and the step, completed Thursday 2026-03-05 10:00, is late either way
    assert sh(2026, 3, 5, 10) > sh(2026, 3, 4, 13)


def test_worked_example_hand_off_across_lunch_counts_one_hour():
    # given CP-1 completed 11:00 and CP-2 started 13:00 on the same day
    # when the hand-off time is measured
    # then only 11:00-12:00 is working time
    assert CN.working_time(sh(2026, 3, 2, 11), sh(2026, 3, 2, 13)) == hours(1)


def test_worked_example_dispute_open_from_tuesday_to_thursday_lasts_18h():
    # given a dispute opened Tue 2026-03-03 14:00 and resolved Thu 2026-03-05 16:00
    # when its resolution time is measured
    elapsed = CN.working_time(sh(2026, 3, 3, 14), sh(2026, 3, 5, 16))
    # then 4h + 8h + 6h = 18h = 2.25 working days
    assert elapsed == hours(18)
    assert elapsed / CN.day_length == 2.25


# -------------------------------------------------------- periods and lunch breaks


def test_lunch_break_is_skipped():
    # given a start at 11:00 with a 12:00-13:00 lunch break
    # when two working hours are added
    # then one hour runs before lunch and one after
    assert CN.add_working_time(sh(2026, 3, 2, 11), hours(2)) == sh(2026, 3, 2, 14)


def test_deadline_landing_at_the_end_of_the_morning_stays_at_noon():
    # given a start at 09:00
    # when exactly the three morning hours are added
    # then the deadline is 12:00, not 13:00
    assert CN.add_working_time(sh(2026, 3, 2, 9), hours(3)) == sh(2026, 3, 2, 12)


def test_deadline_landing_at_the_end_of_the_day_stays_at_1800():
    # given a start at 10:00
    # when the rest of the day (2h + 5h) is added
    # then the deadline is 18:00 that day, not 09:00 next morning
    assert CN.add_working_time(sh(2026, 3, 2, 10), hours(7)) == sh(2026, 3, 2, 18)


def test_limit_running_out_at_1730_on_friday_is_due_friday_not_monday():
    # given a 7.5-hour day ending 17:30 and a start on Friday 2026-03-06 at 09:00
    # when one working day is added
    due = SEVEN_AND_A_HALF.add_working_time(sh(2026, 3, 6, 9), parse_duration("1d").to_timedelta(SEVEN_AND_A_HALF))
    # then it is due at 17:30 on that Friday
    assert due == sh(2026, 3, 6, 17, 30)


def test_start_before_working_hours_counts_from_0900():
    # given a start at 07:15 on a Monday
    # when one hour is added
    # then the clock starts at 09:00
    assert CN.add_working_time(sh(2026, 3, 2, 7, 15), hours(1)) == sh(2026, 3, 2, 10)
    assert CN.working_time(sh(2026, 3, 2, 7, 15), sh(2026, 3, 2, 9, 30)) == timedelta(minutes=30)


def test_start_during_lunch_counts_from_1300():
    # given a start at 12:20
    # when 90 minutes are added
    # then the clock starts at 13:00
    assert CN.add_working_time(sh(2026, 3, 2, 12, 20), timedelta(minutes=90)) == sh(2026, 3, 2, 14, 30)
    assert CN.working_time(sh(2026, 3, 2, 12, 20), sh(2026, 3, 2, 12, 59)) == timedelta(0)


def test_start_in_the_evening_counts_from_next_morning():
    # given a start at 20:00 on Monday
    # when 30 minutes are added
    # then the deadline is Tuesday 09:30
    assert CN.add_working_time(sh(2026, 3, 2, 20), timedelta(minutes=30)) == sh(2026, 3, 3, 9, 30)


def test_start_on_a_weekend_counts_from_monday():
    # given a start on Saturday 2026-03-07 (an ordinary weekend)
    # when four hours are added
    # then the deadline is Monday 2026-03-09 14:00
    assert CN.add_working_time(sh(2026, 3, 7, 10), hours(4)) == sh(2026, 3, 9, 14)
    assert CN.working_time(sh(2026, 3, 7), sh(2026, 3, 9)) == timedelta(0)


def test_start_on_a_holiday_counts_from_the_next_working_day():
    # given a start on National Day, Thursday 2026-10-01 (days off until 10-07)
    # when one hour is added
    # then the deadline is Thursday 2026-10-08 10:00
    assert CN.add_working_time(sh(2026, 10, 1, 10), hours(1)) == sh(2026, 10, 8, 10)


def test_zero_duration_returns_the_start_even_outside_working_hours():
    # given a start on a Sunday night
    start = sh(2026, 3, 8, 23, 59)
    # when nothing is added
    # then the due instant is the start itself
    assert CN.add_working_time(start, timedelta(0)) == start


def test_working_time_of_an_empty_interval_is_zero():
    # given the same instant twice, inside a period
    # then no working time passes
    assert CN.working_time(sh(2026, 3, 2, 10), sh(2026, 3, 2, 10)) == timedelta(0)


def test_working_time_is_exact_to_the_microsecond():
    # given instants with microseconds inside a period
    start = sh(2026, 3, 2, 9).replace(microsecond=1)
    end = sh(2026, 3, 2, 13).replace(second=7, microsecond=500_000)
    # when the working time is measured
    # then it is 3h - 1µs in the morning plus 7.5s after lunch
    assert CN.working_time(start, end) == timedelta(hours=3, seconds=7, microseconds=499_999)
    # and adding it back gives the end
    assert CN.add_working_time(start, timedelta(hours=3, seconds=7, microseconds=499_999)) == end


def test_negative_duration_is_rejected():
    with pytest.raises(ValueError, match="cannot be negative"):
        CN.add_working_time(sh(2026, 3, 2, 9), timedelta(minutes=-1))


def test_end_before_start_is_rejected():
    with pytest.raises(ValueError, match="is before start"):
        CN.working_time(sh(2026, 3, 2, 10), sh(2026, 3, 2, 9))


def test_naive_datetimes_are_rejected():
    naive = datetime(2026, 3, 2, 9)
    with pytest.raises(ValueError, match="has no timezone"):
        CN.working_time(naive, sh(2026, 3, 2, 10))
    with pytest.raises(ValueError, match="has no timezone"):
        CN.add_working_time(naive, hours(1))


# ------------------------------------------------------------ China's calendar 2026


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 2, 13), True),  # Friday before the break
        (date(2026, 2, 14), True),  # Saturday, make-up day
        (date(2026, 2, 15), False),  # Sunday
        (date(2026, 2, 16), False),  # New Year's Eve (Monday)
        (date(2026, 2, 17), False),
        (date(2026, 2, 18), False),
        (date(2026, 2, 19), False),
        (date(2026, 2, 20), False),  # Friday, given off for 02-14
        (date(2026, 2, 21), False),
        (date(2026, 2, 22), False),
        (date(2026, 2, 23), False),  # Monday, given off for 02-28
        (date(2026, 2, 24), True),
        (date(2026, 2, 28), True),  # Saturday, make-up day
        (date(2026, 3, 1), False),  # Sunday
    ],
)
def test_spring_festival_2026_days(day: date, working: bool):
    # given the cn schedule
    # then the Spring Festival swaps of 2026 are followed
    assert CN.is_working_day(day) is working


def test_spring_festival_2026_make_up_saturday_counts():
    # given a start on Friday 2026-02-13 at 17:00
    # when one working day is added
    # then Friday 17-18 and Saturday 09:00-17:00 (a make-up day) make 8h
    assert CN.add_working_time(sh(2026, 2, 13, 17), parse_duration("1d").to_timedelta(CN)) == sh(2026, 2, 14, 17)


def test_spring_festival_2026_break_is_skipped():
    # given a start at the end of the make-up Saturday 2026-02-14
    # when one hour is added
    # then the nine days 02-15..02-23 are skipped
    assert CN.add_working_time(sh(2026, 2, 14, 18), hours(1)) == sh(2026, 2, 24, 10)
    # and the whole stretch from Friday to the Tuesday after holds three working days
    assert CN.working_time(sh(2026, 2, 13), sh(2026, 2, 25)) == hours(24)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 9, 19), False),  # Saturday
        (date(2026, 9, 20), True),  # Sunday, make-up day
        (date(2026, 9, 25), False),  # Mid-Autumn Festival (Friday)
        (date(2026, 9, 30), True),
        (date(2026, 10, 1), False),
        (date(2026, 10, 2), False),
        (date(2026, 10, 5), False),
        (date(2026, 10, 6), False),  # given off for 09-20
        (date(2026, 10, 7), False),  # given off for 10-10
        (date(2026, 10, 8), True),
        (date(2026, 10, 9), True),
        (date(2026, 10, 10), True),  # Saturday, make-up day
        (date(2026, 10, 11), False),
    ],
)
def test_national_day_2026_days(day: date, working: bool):
    assert CN.is_working_day(day) is working


def test_national_day_2026_make_up_sunday_and_saturday_count():
    # given a start on the ordinary Saturday before the make-up Sunday 2026-09-20
    # when one hour is added
    # then it runs on the Sunday
    assert CN.add_working_time(sh(2026, 9, 19, 10), hours(1)) == sh(2026, 9, 20, 10)
    # given a start at 17:00 on 2026-09-30, the last day before the holiday
    # when two hours are added
    # then one runs then and the other after the week off
    assert CN.add_working_time(sh(2026, 9, 30, 17), hours(2)) == sh(2026, 10, 8, 10)
    # and Friday 10-09 18:00 + 1h falls on the make-up Saturday 10-10
    assert CN.add_working_time(sh(2026, 10, 9, 18), hours(1)) == sh(2026, 10, 10, 10)


@pytest.mark.parametrize("year", [2025, 2026])
def test_cn_calendar_matches_the_state_council_notice(year: int):
    # given the library's calendar and the notice written out above
    days_off, make_up = cn_calendar(year)
    # then the make-up days are the same, and so are the weekdays off
    # (the library also lists some weekend holidays; they are off anyway)
    assert make_up == OFFICIAL[year]["make_up"]
    assert {d for d in days_off if d.weekday() < 5} == {d for d in OFFICIAL[year]["off"] if d.weekday() < 5}
    # and every day of the year is classified as the notice says
    expected = set(official_working_days(year))
    for day in days_in(date(year, 1, 1), date(year, 12, 31)):
        assert CN.is_working_day(day) is (day in expected), day


def test_2026_has_248_working_days_and_a_full_year_of_working_time():
    # given the 2026 notice: 261 weekdays, 19 of them off, 6 make-up weekend days
    count = len(official_working_days(2026))
    assert count == 248
    # when the working time of all of 2026 is measured
    total = CN.working_time(sh(2026, 1, 1), sh(2027, 1, 1))
    # then it is 8h per working day
    assert total == hours(8) * 248


def test_two_years_of_working_time_are_exact_and_fast():
    # given 2025 and 2026 (248 working days each by their notices)
    expected = hours(8) * (len(official_working_days(2025)) + len(official_working_days(2026)))
    began = clock.perf_counter()
    # when two years are measured and added back
    total = CN.working_time(sh(2025, 1, 1), sh(2027, 1, 1))
    due = CN.add_working_time(sh(2025, 1, 1), total)
    elapsed = clock.perf_counter() - began
    # then the numbers match, the deadline is the last working instant of 2026, and it is quick
    assert total == hours(8 * 496)
    assert total == expected
    assert due == sh(2026, 12, 31, 18)
    assert elapsed < 2.0


def test_cn_has_year_knows_only_published_schedules():
    # the library carries the State Council notices from 2001 to 2026; later years are
    # only estimated from the statutory rules
    assert cn_has_year(2026) is True
    assert cn_has_year(2001) is True
    assert cn_has_year(2027) is False
    assert cn_has_year(2000) is False
    # and it still lists estimated holidays for 2027, which is why entries prove nothing
    assert date(2027, 10, 1) in cn_calendar(2027)[0]


def test_cn_calendar_keeps_only_dates_of_the_year_asked_for():
    # given the swap for New Year 2012: Saturday 2011-12-31 worked, Tuesday 2012-01-03 off
    days_off_2011, make_up_2011 = cn_calendar(2011)
    days_off_2012, make_up_2012 = cn_calendar(2012)
    # then each date belongs to its own year
    assert date(2011, 12, 31) in make_up_2011
    assert date(2012, 1, 3) in days_off_2012
    assert all(d.year == 2011 for d in days_off_2011 | make_up_2011)
    assert all(d.year == 2012 for d in days_off_2012 | make_up_2012)
    assert CN.is_working_day(date(2011, 12, 31)) is True
    # and 2026 carries no stray dates from 2001-2011 (the library's weekend_workdays does)
    assert all(d.year == 2026 for d in cn_calendar(2026)[1])


def test_cn_calendar_is_cached():
    assert cn_calendar(2026) is cn_calendar(2026)


# ------------------------------------------------------------------- other days


def test_weekdays_mode_ignores_china_holidays_and_make_up_days():
    # given a Monday-to-Friday schedule
    schedule = Schedule.from_spec({"days": "weekdays"}, "Asia/Shanghai")
    # then National Day is worked and the make-up Saturday is not
    assert schedule.is_working_day(date(2026, 10, 1)) is True
    assert schedule.is_working_day(date(2026, 10, 10)) is False
    assert schedule.add_working_time(sh(2026, 10, 9, 18), hours(1)) == sh(2026, 10, 12, 10)


def test_all_mode_makes_every_day_a_working_day():
    # given a schedule running every day
    schedule = Schedule.from_spec({"days": "all"}, "Asia/Shanghai")
    # then Sundays and Spring Festival count
    assert schedule.is_working_day(date(2026, 2, 15)) is True
    assert schedule.is_working_day(date(2026, 2, 17)) is True
    assert schedule.working_time(sh(2026, 2, 14), sh(2026, 2, 21)) == hours(56)


def test_explicit_holidays_and_workdays_win_over_days():
    # given cn with a company holiday on a Wednesday and two extra workdays
    schedule = Schedule.from_spec(
        {"holidays": ["2026-03-04"], "workdays": ["2026-10-01", date(2026, 3, 7)]}, "Asia/Shanghai"
    )
    # then the lists decide those dates
    assert schedule.is_working_day(date(2026, 3, 4)) is False
    assert schedule.is_working_day(date(2026, 10, 1)) is True
    assert schedule.is_working_day(date(2026, 3, 7)) is True
    # and the rest follows cn
    assert schedule.is_working_day(date(2026, 10, 2)) is False
    # and due instants follow them: Tue 17:00 + 2h skips Wednesday
    assert schedule.add_working_time(sh(2026, 3, 3, 17), hours(2)) == sh(2026, 3, 5, 10)


def test_explicit_lists_work_in_weekdays_and_all_modes():
    weekdays = Schedule.from_spec({"days": "weekdays", "workdays": ["2026-03-07"]}, "UTC")
    every_day = Schedule.from_spec({"days": "all", "holidays": ["2026-03-07"]}, "UTC")
    assert weekdays.is_working_day(date(2026, 3, 7)) is True
    assert weekdays.is_working_day(date(2026, 3, 8)) is False
    assert every_day.is_working_day(date(2026, 3, 7)) is False
    assert every_day.is_working_day(date(2026, 3, 8)) is True


# ------------------------------------------------ 7.5-hour days and 24:00 periods


def test_seven_and_a_half_hour_day_sets_the_length_of_a_d():
    # given 09:00-12:00 and 13:00-17:30
    # then a working day is 7h30m, 1.5d is 11h15m, 1d is still 30m and 4h
    assert SEVEN_AND_A_HALF.day_length == timedelta(hours=7, minutes=30)
    assert parse_duration("1d").to_timedelta(SEVEN_AND_A_HALF) == timedelta(hours=7, minutes=30)
    assert parse_duration("1.5d").to_timedelta(SEVEN_AND_A_HALF) == timedelta(hours=11, minutes=15)
    assert parse_duration("4h").to_timedelta(SEVEN_AND_A_HALF) == hours(4)
    # and 1.5d from Monday 09:00 ends Tuesday 13:00 + 0h45m
    assert SEVEN_AND_A_HALF.add_working_time(sh(2026, 3, 2, 9), timedelta(hours=11, minutes=15)) == sh(
        2026, 3, 3, 13, 45
    )


def test_default_day_length_is_eight_hours():
    assert CN.day_length == hours(8)


def test_period_ending_at_2400_with_all_days():
    # given a round-the-clock schedule
    # then three calendar days hold 72 working hours
    assert ROUND_THE_CLOCK.working_time(sh(2026, 3, 6), sh(2026, 3, 9)) == hours(72)
    # and a deadline runs through midnight without a gap
    assert ROUND_THE_CLOCK.add_working_time(sh(2026, 3, 7, 22), hours(3)) == sh(2026, 3, 8, 1)
    assert ROUND_THE_CLOCK.day_length == hours(24)


def test_evening_period_ending_at_2400_lands_on_next_midnight():
    # given an evening shift 18:00-24:00 every day
    evening = Schedule.from_spec({"working_hours": ["18:00-24:00"], "days": "all"}, "Asia/Shanghai")
    # when the last hour of the shift is used up
    # then the deadline is the end of the shift, next midnight
    assert evening.add_working_time(sh(2026, 3, 7, 23), hours(1)) == sh(2026, 3, 8)
    assert evening.working_time(sh(2026, 3, 7, 12), sh(2026, 3, 8, 12)) == hours(6)
    assert evening.to_spec()["working_hours"] == ["18:00-24:00"]


# ---------------------------------------------------------------------- timezones


def test_berlin_period_over_the_spring_forward_lasts_two_real_hours():
    # given 01:00-04:00 every day in Berlin, where 2026-03-29 02:00 jumps to 03:00
    schedule = Schedule.from_spec({"working_hours": ["01:00-04:00"], "days": "all"}, "Europe/Berlin")
    day = datetime(2026, 3, 29, tzinfo=BERLIN)
    # then that day holds two real hours of work, the days around it three
    assert schedule.working_time(day, day + timedelta(days=1)) == hours(2)
    assert schedule.working_time(day - timedelta(days=1), day) == hours(3)
    # and 1h30m from 01:00 ends at 03:30 summer time (01:30 UTC)
    due = schedule.add_working_time(datetime(2026, 3, 29, 1, tzinfo=BERLIN), timedelta(hours=1, minutes=30))
    assert due == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert due.utcoffset() == hours(2)


def test_berlin_period_over_the_fall_back_lasts_four_real_hours():
    # given 01:00-04:00 every day in Berlin, where 2026-10-25 03:00 goes back to 02:00
    schedule = Schedule.from_spec({"working_hours": ["01:00-04:00"], "days": "all"}, "Europe/Berlin")
    day = datetime(2026, 10, 25, tzinfo=BERLIN)
    # then that day holds four real hours of work
    assert schedule.working_time(day, day + timedelta(days=1)) == hours(4)
    # and 3h30m from 01:00 ends at 03:30 winter time
    due = schedule.add_working_time(datetime(2026, 10, 25, 1, tzinfo=BERLIN), timedelta(hours=3, minutes=30))
    assert due == datetime(2026, 10, 25, 2, 30, tzinfo=UTC)
    assert due.utcoffset() == hours(1)


def test_berlin_period_cut_by_the_jump_ends_at_the_jump():
    # given 01:00-02:30 and 02:30-03:30 in Berlin on the spring-forward day
    schedule = Schedule.from_spec({"working_hours": ["01:00-02:30", "02:30-03:30"], "days": "all"}, "Europe/Berlin")
    # when the periods of that day are listed
    periods = list(schedule.periods_between(date(2026, 3, 29), date(2026, 3, 29)))
    # then 02:30 does not exist: the first period ends at the jump (03:00 summer time)
    assert periods == [
        (datetime(2026, 3, 29, 1, tzinfo=BERLIN), datetime(2026, 3, 29, 3, tzinfo=BERLIN)),
        (datetime(2026, 3, 29, 3, tzinfo=BERLIN), datetime(2026, 3, 29, 3, 30, tzinfo=BERLIN)),
    ]
    # and working time does not count the jump twice
    day = datetime(2026, 3, 29, tzinfo=BERLIN)
    assert schedule.working_time(day, day + timedelta(days=1)) == timedelta(hours=1, minutes=30)


def test_berlin_office_hours_across_the_clock_change():
    # given Monday to Friday 09:00-17:00 in Berlin
    schedule = Schedule.from_spec({"working_hours": ["09:00-17:00"], "days": "weekdays"}, "Europe/Berlin")
    # when two hours are added on Friday 2026-03-27 16:00 (winter time)
    due = schedule.add_working_time(datetime(2026, 3, 27, 16, tzinfo=BERLIN), hours(2))
    # then it is Monday 10:00 summer time
    assert due == datetime(2026, 3, 30, 8, tzinfo=UTC)
    assert due.utcoffset() == hours(2)
    assert schedule.working_time(datetime(2026, 3, 27, 9, tzinfo=BERLIN), due) == hours(9)


def test_new_york_office_hours_across_the_clock_change():
    # given Monday to Friday 09:00-17:00 in New York, where 2026-03-08 springs forward
    schedule = Schedule.from_spec({"working_hours": ["09:00-17:00"], "days": "weekdays"}, "America/New_York")
    # when two hours are added on Friday 2026-03-06 16:00 EST
    due = schedule.add_working_time(datetime(2026, 3, 6, 16, tzinfo=NEW_YORK), hours(2))
    # then it is Monday 10:00 EDT, 14:00 UTC
    assert due == datetime(2026, 3, 9, 14, tzinfo=UTC)
    assert due.utcoffset() == hours(-4)
    # and US holidays mean nothing to a weekdays schedule
    assert schedule.is_working_day(date(2026, 7, 3)) is True


def test_inputs_in_utc_or_another_offset_are_read_in_the_schedule_timezone():
    # given 01:00 UTC, which is 09:00 in Shanghai
    start = datetime(2026, 3, 2, 1, tzinfo=UTC)
    # when four hours are added
    due = CN.add_working_time(start, hours(4))
    # then the deadline is 14:00 Shanghai, returned in Shanghai time
    assert due == sh(2026, 3, 2, 14)
    assert due.tzinfo is SHANGHAI
    # and an end given at +09:00 counts the same
    end = datetime(2026, 3, 2, 15, tzinfo=timezone(timedelta(hours=9)))  # 14:00 in Shanghai
    assert CN.working_time(start, end) == hours(4)


def test_a_utc_evening_can_be_the_next_morning_in_shanghai():
    # given Sunday 2026-03-01 23:30 UTC = Monday 07:30 Shanghai
    start = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    # then working time starts at 09:00 Shanghai on Monday
    assert CN.add_working_time(start, hours(1)) == sh(2026, 3, 2, 10)


def test_zero_duration_result_is_converted_to_the_schedule_timezone():
    start = datetime(2026, 3, 2, 1, tzinfo=UTC)
    assert CN.add_working_time(start, timedelta(0)).tzinfo is SHANGHAI


# ------------------------------------------------------------------ round trips


ROUND_TRIP_SCHEDULES = [
    CN,
    SEVEN_AND_A_HALF,
    ROUND_THE_CLOCK,
    Schedule.from_spec({"working_hours": ["01:00-04:00", "08:30-24:00"], "days": "all"}, "Europe/Berlin"),
    Schedule.from_spec({"working_hours": ["09:00-17:00"], "days": "weekdays", "holidays": ["2026-07-03"]}, NEW_YORK),
]


@pytest.mark.parametrize("schedule", ROUND_TRIP_SCHEDULES, ids=lambda s: f"{s.tz.key}-{s.days}")
def test_add_working_time_is_the_earliest_instant_with_that_working_time(schedule: Schedule):
    # given many random starts (to the microsecond, around DST changes and holidays)
    # and random durations up to 40 working days
    rng = random.Random(20260302)
    origin = datetime(2025, 12, 1, tzinfo=UTC)
    for _round in range(300):
        start = origin + timedelta(microseconds=rng.randrange(400 * 86_400 * 10**6))
        duration = timedelta(microseconds=rng.randrange(1, 40 * 8 * 3600 * 10**6))
        # when the duration is added
        due = schedule.add_working_time(start, duration)
        # then exactly that much working time lies between, and not a microsecond earlier
        assert due >= start
        assert schedule.working_time(start, due) == duration, (start, duration)
        assert schedule.working_time(start, due - timedelta(microseconds=1)) < duration, (start, duration)


@pytest.mark.parametrize("schedule", ROUND_TRIP_SCHEDULES, ids=lambda s: f"{s.tz.key}-{s.days}")
def test_measuring_then_adding_back_never_passes_the_end(schedule: Schedule):
    # given random intervals
    rng = random.Random(7)
    origin = datetime(2026, 1, 1, tzinfo=UTC)
    for _round in range(200):
        start = origin + timedelta(seconds=rng.randrange(365 * 86_400))
        end = start + timedelta(seconds=rng.randrange(60 * 86_400))
        # when the working time between them is added to the start
        measured = schedule.working_time(start, end)
        due = schedule.add_working_time(start, measured)
        # then the deadline is no later than the end and carries the same working time
        assert start <= due <= end
        assert schedule.working_time(due, end) == timedelta(0)


def test_working_time_is_additive_over_a_split_point():
    # given random points a <= b <= c
    rng = random.Random(99)
    origin = sh(2026, 1, 1)
    for _round in range(200):
        a, b, c = sorted(origin + timedelta(minutes=rng.randrange(365 * 1440)) for _point in range(3))
        # then working_time(a, c) = working_time(a, b) + working_time(b, c)
        assert CN.working_time(a, c) == CN.working_time(a, b) + CN.working_time(b, c)


def test_a_calendar_without_working_time_stops_after_fifty_years():
    # given a weekdays schedule whose holidays cover the next 51 years
    every_day = frozenset(date(2026, 1, 1) + timedelta(days=i) for i in range(51 * 366))
    schedule = Schedule(((540, 600),), "weekdays", every_day, frozenset(), SHANGHAI)
    # when a deadline is sought
    # then it fails clearly instead of looping for ever
    with pytest.raises(ValueError, match="no working time within 50 years"):
        schedule.add_working_time(sh(2026, 1, 1), hours(1))


def test_a_very_long_duration_is_not_mistaken_for_an_empty_calendar():
    # given a round-the-clock schedule
    # when 60 years of working time are added
    # then the answer is found (the guard is on gaps, not on length)
    due = ROUND_THE_CLOCK.add_working_time(sh(2026, 1, 1), timedelta(days=60 * 365))
    assert due == sh(2026, 1, 1) + timedelta(days=60 * 365)


# ------------------------------------------------------------------ periods_between


def test_periods_between_lists_the_periods_of_working_days_only():
    # given Friday 2026-02-13 to Monday 2026-02-16 (Saturday is a make-up day, Monday is off)
    periods = list(CN.periods_between(date(2026, 2, 13), date(2026, 2, 16)))
    # then the Friday and Saturday periods come out, in order, in Shanghai time
    assert periods == [
        (sh(2026, 2, 13, 9), sh(2026, 2, 13, 12)),
        (sh(2026, 2, 13, 13), sh(2026, 2, 13, 18)),
        (sh(2026, 2, 14, 9), sh(2026, 2, 14, 12)),
        (sh(2026, 2, 14, 13), sh(2026, 2, 14, 18)),
    ]
    assert all(start.tzinfo is SHANGHAI for start, _end in periods)


def test_periods_between_ends_a_2400_period_at_next_midnight_and_skips_reversed_ranges():
    assert list(ROUND_THE_CLOCK.periods_between(date(2026, 3, 7), date(2026, 3, 7))) == [
        (sh(2026, 3, 7), sh(2026, 3, 8))
    ]
    assert list(CN.periods_between(date(2026, 3, 7), date(2026, 3, 6))) == []


# ------------------------------------------------------------------ reading specs


def test_missing_spec_takes_the_defaults():
    # given no schedule at all, or every key null
    for spec in (None, {}, {"working_hours": None, "days": None, "holidays": None, "workdays": None}):
        schedule = Schedule.from_spec(spec, "Asia/Shanghai")
        # then the defaults of package-format.md apply
        assert schedule == Schedule(((540, 720), (780, 1080)), "cn", frozenset(), frozenset(), SHANGHAI)


def test_to_spec_writes_text_with_sorted_dates_and_reads_back_the_same():
    # given a schedule with unsorted dates, a date object and an x- key
    spec = {
        "working_hours": ["08:30-12:00", "13:30-24:00"],
        "days": "weekdays",
        "holidays": ["2026-12-25", "2026-01-02"],
        "workdays": [date(2026, 3, 7)],
        "x-note": "kept by other tools",
    }
    schedule = Schedule.from_spec(spec, ZoneInfo("Europe/Berlin"))
    # when it is written out
    written = schedule.to_spec()
    # then the mapping is text, dates sorted, x- keys gone
    assert written == {
        "working_hours": ["08:30-12:00", "13:30-24:00"],
        "days": "weekdays",
        "holidays": ["2026-01-02", "2026-12-25"],
        "workdays": ["2026-03-07"],
    }
    # and it reads back to the same schedule
    assert Schedule.from_spec(written, "Europe/Berlin") == schedule


def test_real_lists_tuples_and_touching_periods_are_accepted():
    schedule = Schedule.from_spec(
        {"working_hours": ("09:00-12:00", "12:00-13:00"), "holidays": (date(2026, 3, 4),)}, SHANGHAI
    )
    assert schedule.working_hours == ((540, 720), (720, 780))
    assert schedule.add_working_time(sh(2026, 3, 2, 11), hours(2)) == sh(2026, 3, 2, 13)


@pytest.mark.parametrize(
    ("spec", "path", "message"),
    [
        ({"working_hours": ["12:30-12:00"]}, "working_hours[0]", "“12:30-12:00” ends before it starts."),
        (
            {"working_hours": ["10:00-10:00"]},
            "working_hours[0]",
            "“10:00-10:00” is empty: it ends when it starts.",
        ),
        (
            {"working_hours": ["22:00-06:00"]},
            "working_hours[0]",
            "“22:00-06:00” crosses midnight, which a period cannot do; split it into “22:00-24:00” and “00:00-06:00”.",
        ),
        (
            {"working_hours": ["24:00-24:00"]},
            "working_hours[0]",
            "“24:00-24:00” starts at 24:00; 24:00 can only end a period.",
        ),
        (
            {"working_hours": ["09:00-24:30"]},
            "working_hours[0]",
            "In “09:00-24:30”, “24:30” is not a time of day (00:00 to 24:00).",
        ),
        (
            {"working_hours": ["09:60-12:00"]},
            "working_hours[0]",
            "In “09:60-12:00”, “09:60” is not a time of day (00:00 to 24:00).",
        ),
        (
            {"working_hours": ["9:00-12:00"]},
            "working_hours[0]",
            "“9:00-12:00” is not a period in the form HH:MM-HH:MM, such as “09:00-12:00”.",
        ),
        (
            {"working_hours": ["09:00 - 12:00"]},
            "working_hours[0]",
            "“09:00 - 12:00” is not a period in the form HH:MM-HH:MM, such as “09:00-12:00”.",
        ),
        (
            {"working_hours": [540]},
            "working_hours[0]",
            "“540” is not a period in the form HH:MM-HH:MM, such as “09:00-12:00”.",
        ),
        (
            {"working_hours": ["13:00-18:00", "09:00-12:00"]},
            "working_hours[1]",
            "“09:00-12:00” comes before “13:00-18:00”; list the periods in order of time.",
        ),
        (
            {"working_hours": ["09:00-12:00", "11:30-14:00"]},
            "working_hours[1]",
            "“11:30-14:00” overlaps “09:00-12:00”.",
        ),
        (
            {"working_hours": ["09:00-12:00", "09:00-12:00"]},
            "working_hours[1]",
            "“09:00-12:00” overlaps “09:00-12:00”.",
        ),
        (
            {"working_hours": []},
            "working_hours",
            "working_hours is empty; list at least one period, such as “09:00-18:00”.",
        ),
        (
            {"working_hours": "09:00-18:00"},
            "working_hours",
            "working_hours must be a list of periods, such as [“09:00-18:00”], not one text.",
        ),
        ({"days": "weekend"}, "days", "“weekend” is not a days value: use cn, weekdays or all."),
        ({"days": "CN"}, "days", "“CN” is not a days value: use cn, weekdays or all."),
        ({"holidays": ["2026-02-30"]}, "holidays[0]", "“2026-02-30” is not a date in the calendar."),
        ({"holidays": ["2026/10/01"]}, "holidays[0]", "“2026/10/01” is not a date in the form YYYY-MM-DD."),
        ({"workdays": ["20261010"]}, "workdays[0]", "“20261010” is not a date in the form YYYY-MM-DD."),
        (
            {"workdays": [datetime(2026, 10, 10, 9)]},
            "workdays[0]",
            "“2026-10-10 09:00:00” is a date and time; give only the date (YYYY-MM-DD).",
        ),
        ({"holidays": "2026-10-01"}, "holidays", "holidays must be a list of dates, such as [“2026-10-01”]."),
        (
            {"holidays": ["2026-10-01", date(2026, 10, 1)]},
            "holidays[1]",
            "2026-10-01 is listed twice in holidays (also at holidays[0]).",
        ),
        (
            {"holidays": ["2026-03-06", "2026-10-09"], "workdays": ["2026-10-09"]},
            "workdays[0]",
            "2026-10-09 is listed both in holidays (at holidays[1]) and in workdays; "
            "a date is either a holiday or a workday.",
        ),
        (
            {"working_days": ["09:00-18:00"]},
            "working_days",
            "Unknown key “working_days”: a schedule has only working_hours, days, holidays and workdays.",
        ),
    ],
)
def test_each_bad_schedule_value_is_reported_with_its_path(spec: dict[str, object], path: str, message: str):
    # when the bad spec is read
    with pytest.raises(ScheduleError) as caught:
        Schedule.from_spec(spec, "Asia/Shanghai")
    # then exactly that problem is reported, at that path
    assert caught.value.errors == [(path, message)]


def test_unknown_timezone_is_reported():
    with pytest.raises(ScheduleError) as caught:
        Schedule.from_spec(None, "Asia/Beijing")
    assert caught.value.errors == [("", "“Asia/Beijing” is not a known IANA timezone, such as Asia/Shanghai.")]


def test_a_spec_that_is_not_a_mapping_is_reported():
    with pytest.raises(ScheduleError) as caught:
        Schedule.from_spec(["09:00-18:00"], "Asia/Shanghai")  # type: ignore[arg-type]
    assert [path for path, _message in caught.value.errors] == [""]


def test_all_problems_are_reported_together():
    # given a spec with a problem in every key, an unknown key and a bad timezone
    spec = {
        "working_hours": ["09:00-12:00", "11:00-13:00", "14:00-13:00", "25:00-26:00"],
        "days": "workdays",
        "holidays": ["2026-10-01", "2026-10-01", "tomorrow"],
        "workdays": ["2026-10-01", "2026-13-01"],
        "timezone": "Asia/Shanghai",
        "x-comment": "ignored",
    }
    # when it is read
    with pytest.raises(ScheduleError) as caught:
        Schedule.from_spec(spec, "Nowhere/Town")
    # then every problem is listed, once, with its path
    assert [path for path, _message in caught.value.errors] == [
        "",
        "timezone",
        "working_hours[1]",
        "working_hours[2]",
        "working_hours[3]",
        "working_hours[3]",
        "days",
        "holidays[1]",
        "holidays[2]",
        "workdays[1]",
        "workdays[0]",
    ]
    # and the exception text carries them all
    assert "holidays[2]: “tomorrow” is not a date in the form YYYY-MM-DD." in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_a_schedule_built_directly_is_checked_too():
    with pytest.raises(ScheduleError) as caught:
        Schedule(((600, 540),), "sometimes", frozenset({date(2026, 1, 1)}), frozenset({date(2026, 1, 1)}), SHANGHAI)
    assert [path for path, _message in caught.value.errors] == ["working_hours[0]", "days", "workdays"]


def test_is_working_day_refuses_a_datetime():
    with pytest.raises(TypeError, match="not a datetime"):
        CN.is_working_day(sh(2026, 3, 2, 9))


# ------------------------------------------------------------------- durations


@pytest.mark.parametrize(
    ("text", "amount", "unit", "canonical"),
    [
        ("4h", Decimal(4), "h", "4h"),
        ("2d", Decimal(2), "d", "2d"),
        ("1.5d", Decimal("1.5"), "d", "1.5d"),
        ("30m", Decimal(30), "m", "30m"),
        ("2.0d", Decimal(2), "d", "2d"),
        ("0.50h", Decimal("0.5"), "h", "0.5h"),
        ("100m", Decimal(100), "m", "100m"),
    ],
)
def test_parse_duration_reads_valid_text(text: str, amount: Decimal, unit: str, canonical: str):
    duration = parse_duration(text)
    assert duration == Duration(amount, unit)
    assert str(duration) == canonical


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0d", "“0d” is not above zero."),
        ("0.0h", "“0.0h” is not above zero."),
        ("-1h", "“-1h” is not above zero."),
        ("2", "“2” has no unit: write 2d, 2h or 2m."),
        ("2 d", "“2 d” must be written without spaces, as “2d”."),
        ("2H", "“2H” must use a lowercase unit, as “2h”."),
        ("1.d", "“1.d” is not a duration such as 4h, 2d, 1.5d or 30m."),
        (".5d", "“.5d” is not a duration such as 4h, 2d, 1.5d or 30m."),
        ("2 days", "“2 days” is not a duration such as 4h, 2d, 1.5d or 30m."),
        ("1h30m", "“1h30m” is not a duration such as 4h, 2d, 1.5d or 30m."),
        ("2w", "“2w” is not a duration such as 4h, 2d, 1.5d or 30m."),
        ("", "“” is not a duration such as 4h, 2d, 1.5d or 30m."),
        ("１h", "“１h” is not a duration such as 4h, 2d, 1.5d or 30m."),
    ],
)
def test_parse_duration_rejects_bad_text_with_a_clear_message(text: str, message: str):
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$") as caught:
        parse_duration(text)
    assert str(caught.value) == message


def test_parse_duration_rejects_a_number_that_yaml_did_not_leave_as_text():
    with pytest.raises(ValueError, match="is not a duration") as caught:
        parse_duration(2)  # type: ignore[arg-type]
    assert str(caught.value) == "“2” is not a duration such as 4h, 2d, 1.5d or 30m."


@pytest.mark.parametrize(
    ("duration", "canonical"),
    [
        (Duration(Decimal("2.0"), "d"), "2"),
        (Duration(Decimal("1.50"), "d"), "1.5"),
        (Duration(Decimal("1E+2"), "m"), "100"),
        (Duration(Decimal("0.25"), "h"), "0.25"),
        (Duration(Decimal(30), "m"), "30"),
    ],
)
def test_duration_text_is_canonical(duration: Duration, canonical: str):
    assert str(duration) == canonical + duration.unit


def test_durations_convert_to_exact_timedeltas():
    assert parse_duration("30m").to_timedelta(CN) == timedelta(minutes=30)
    assert parse_duration("1.5d").to_timedelta(CN) == hours(12)
    assert parse_duration("0.1h").to_timedelta(CN) == timedelta(minutes=6)
    assert parse_duration("2d").to_timedelta(ROUND_THE_CLOCK) == hours(48)
    # a third of a 7.5-hour day, given to many decimals, is rounded to the microsecond
    assert parse_duration("0.3333333333d").to_timedelta(SEVEN_AND_A_HALF) == timedelta(
        hours=2, minutes=29, seconds=59, microseconds=999_999
    )


def test_duration_rounds_half_microseconds_to_even():
    # 0.000000025m = 1.5µs and 0.000000075m = 4.5µs
    assert Duration(Decimal("0.000000025"), "m").to_timedelta(CN) == timedelta(microseconds=2)
    assert Duration(Decimal("0.000000075"), "m").to_timedelta(CN) == timedelta(microseconds=4)


def test_duration_refuses_bad_amounts_and_units():
    with pytest.raises(ValueError, match="above zero"):
        Duration(Decimal(0), "h")
    with pytest.raises(ValueError, match="above zero"):
        Duration(Decimal("NaN"), "h")
    with pytest.raises(ValueError, match="not a duration unit"):
        Duration(Decimal(1), "w")


def test_an_absurdly_long_duration_is_a_value_error():
    with pytest.raises(ValueError, match="too long"):
        parse_duration("99999999999999999999d").to_timedelta(CN)


# ---------------------------------------------------------------- no Django here


def test_messages_pass_through_unchanged_without_a_configured_django():
    assert _("“{text}” ends before it starts.") == "“{text}” ends before it starts."


def test_the_module_does_not_import_django():
    # given a fresh interpreter
    root = Path(__file__).resolve().parents[3]
    code = (
        "import sys\n"
        "import xietong.common.worktime as w\n"
        "try:\n"
        "    w.parse_duration('0d')\n"
        "except ValueError:\n"
        "    pass\n"
        "assert 'django' not in sys.modules, sorted(m for m in sys.modules if m.startswith('django'))\n"
    )
    # when the module is imported and produces a message
    result = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=False)
    # then Django was never loaded
    assert result.returncode == 0, result.stderr


def test_due_uses_the_schedules_day_length_for_days():
    # given: a 7.5-hour day
    schedule = Schedule.from_spec(
        {"working_hours": ["09:00-12:00", "13:00-17:30"], "days": "weekdays"}, "Asia/Shanghai"
    )
    start = datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    # when / then: 1.5d = 11h15m → Monday 7.5h, Tuesday 3h45m
    assert schedule.due(start, "1.5d") == datetime(2026, 3, 3, 13, 45, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert schedule.due(start, parse_duration("30m")) == datetime(2026, 3, 2, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
