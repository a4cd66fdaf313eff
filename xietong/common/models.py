"""Abstract base models shared by every app."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class WorkCalendar(models.Model):
    """Which dates of a schedule's calendar are materialised as :class:`WorkPeriod` rows.

    ``key`` is :func:`xietong.common.calendar.calendar_key` of the schedule. The stored range,
    not the periods, says what is covered: a range may begin or end on days without work.
    """

    key = models.CharField(max_length=64, unique=True)
    first_day = models.DateField()
    last_day = models.DateField()

    class Meta:
        ordering = ("key",)
        constraints = [
            models.CheckConstraint(
                condition=models.Q(first_day__lte=models.F("last_day")), name="common_workcalendar_range_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.first_day}..{self.last_day}"


class WorkPeriod(models.Model):
    """One working period of a materialised calendar, in UTC epoch microseconds.

    ``cum_us`` is the calendar's working time before this period, counted from its first
    materialised period, so the working time up to an instant ``t`` inside or after the
    period is ``cum_us + min(max(t - start_us, 0), end_us - start_us)`` (see
    :class:`xietong.common.calendar.WorkingMicros`). ``day`` is the local working day.
    """

    calendar = models.CharField(max_length=64)
    start_us = models.BigIntegerField()
    end_us = models.BigIntegerField()
    cum_us = models.BigIntegerField()
    day = models.DateField()

    class Meta:
        ordering = ("calendar", "start_us")
        constraints = [
            # Its index serves the lookups "the last period of calendar k starting at or before t".
            models.UniqueConstraint(fields=("calendar", "start_us"), name="common_workperiod_unique_start"),
            models.CheckConstraint(
                condition=models.Q(end_us__gt=models.F("start_us")), name="common_workperiod_not_empty"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.calendar} {self.start_us}-{self.end_us}"
