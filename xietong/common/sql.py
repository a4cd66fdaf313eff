"""Small SQL helpers shared by the apps' selectors."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from functools import lru_cache
from typing import Any, NamedTuple

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import CharField, F, Func, QuerySet
from django.db.models.sql.compiler import SQLCompiler

__all__ = ["LocalMonth", "Middle", "middle_values", "middles_of_sql"]

HOUR_US = 3_600_000_000


class Middle(NamedTuple):
    """The middle of a group of integer values: its size and its one or two middle values
    (``low == high`` for an odd size)."""

    size: int
    low: int
    high: int

    @property
    def median_hours(self) -> float:
        """The median of microsecond values in hours, the mean of the two middle values for an
        even count; exact until the one final division."""
        return (self.low + self.high) / (2 * HOUR_US)


def middle_values(queryset: QuerySet[Any], *, partition: Sequence[str], value: str) -> dict[tuple[Any, ...], Middle]:
    """The size and middle value(s) of ``value`` in each group of ``queryset`` with equal
    ``partition`` fields, keyed by the tuple of those fields; one query. Rows whose value is NULL
    are left out.

    The rows are ranked inside each group by window functions (``ROW_NUMBER`` and ``COUNT`` over
    the group) and only the one or two middle rows of each group leave the database. The ranking
    runs over the queryset's rows as a derived table, so ``value`` is computed once per row: Django's
    own filtering on window expressions would repeat the value's expression in the window's ORDER BY
    and the groups' in its PARTITION BY, computing each (with their subqueries) two or three times.
    """
    columns = {f"_middle_g{n}": F(name) for n, name in enumerate(partition)}
    rows = queryset.order_by().values(**columns, _middle_v=F(value))
    if rows.query.is_sliced:
        raise TypeError("middle_values() takes an unsliced queryset.")
    sql, params = rows.query.get_compiler(using=queryset.db).as_sql()
    return middles_of_sql(sql, list(params), groups=list(columns), values=["_middle_v"], using=queryset.db)["_middle_v"]


def middles_of_sql(
    sql: str, params: list[Any], *, groups: Sequence[str], values: Sequence[str], using: str = "default"
) -> dict[str, dict[tuple[Any, ...], Middle]]:
    """:func:`middle_values` of several value columns at once, over the rows of the SQL ``sql``
    (with ``params``), which has the columns ``groups`` and ``values``: for each value column, the
    size and middle value(s) of each group, NULLs left out; one query, the rows read once.

    Each value column is ranked by its own window (``ROW_NUMBER`` and ``COUNT`` over the group), and
    a row leaves the database only when it is a middle row of one of them."""
    connection = connections[using]
    quote = connection.ops.quote_name
    # OFFSET 0 keeps the rows a derived table of their own: inlined, PostgreSQL computes the values
    # again where the window query returns them
    fence = "LIMIT -1 OFFSET 0" if connection.vendor == "sqlite" else "OFFSET 0"
    group_list = ", ".join(quote(name) for name in groups)
    ranks = []
    for n, name in enumerate(values):
        value = quote(name)
        # NULLs rank after the values and are not counted (no WHERE on the value: the database would
        # push it into the derived table and compute the value twice)
        ranks.append(
            f"ROW_NUMBER() OVER (PARTITION BY {group_list} ORDER BY {value} NULLS LAST) AS middle_rank{n}, "
            f"COUNT({value}) OVER (PARTITION BY {group_list}) AS middle_size{n}"
        )
    value_list = ", ".join(quote(name) for name in values)
    ranked = f"SELECT {group_list}, {value_list}, {', '.join(ranks)} FROM ({sql} {fence}) middle_rows"
    # the middle of n values ranked 1..n: rank n/2 + 1/2 (n odd), ranks n/2 and n/2 + 1 (n even); a
    # NULL passes only in a group of NULLs (n = 0), which is dropped below
    wanted = " OR ".join(
        f"2 * middle_rank{n} BETWEEN middle_size{n} AND middle_size{n} + 2" for n in range(len(values))
    )
    middle = f"SELECT * FROM ({ranked}) middle_ranked WHERE {wanted}"
    width = len(groups)
    found: dict[str, dict[tuple[Any, ...], Middle]] = {name: {} for name in values}
    with connection.cursor() as cursor:
        cursor.execute(middle, params)
        for row in cursor.fetchall():
            key = tuple(row[:width])
            for n, name in enumerate(values):
                value = row[width + n]
                rank, size = row[width + len(values) + 2 * n], row[width + len(values) + 2 * n + 1]
                if value is None or not size <= 2 * rank <= size + 2:
                    continue
                middles = found[name]
                seen = middles.get(key)
                if seen is None:
                    middles[key] = Middle(size, value, value)
                else:
                    middles[key] = Middle(size, min(seen.low, value), max(seen.high, value))
    return found


# ── Months in the organization's time zone ──────────────────────────────────────────────────────


@lru_cache(maxsize=16)
def _offsets(tz: tzinfo, until_year: int) -> tuple[tuple[datetime, int], ...]:
    """The UTC offsets of ``tz`` in seconds from 1970 to the end of ``until_year``, as (UTC instant
    from which it holds, offset), oldest first: one entry for a zone without changes since 1970,
    two a year for one with daylight saving time. Found by reading the offset at every UTC midnight
    and bisecting to the second where it changed."""

    def offset(moment: datetime) -> int:
        delta = moment.astimezone(tz).utcoffset()
        return int(delta.total_seconds()) if delta is not None else 0

    day = datetime(1970, 1, 1, tzinfo=UTC)
    end = datetime(until_year + 1, 1, 1, tzinfo=UTC)
    changes = [(day, offset(day))]
    while day < end:
        following = day + timedelta(days=1)
        if offset(following) != changes[-1][1]:
            low, high = day, following  # offset(low) is the old one, offset(high) the new one
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                middle = middle.replace(microsecond=0)
                if offset(middle) == changes[-1][1]:
                    low = middle
                else:
                    high = middle
            changes.append((high, offset(high)))
        day = following
    return tuple(changes)


class LocalMonth(Func):
    """The month (text ``YYYY-MM``) of a datetime expression in the time zone ``tz``, computed in
    the database without a call back into Python.

    PostgreSQL converts with ``AT TIME ZONE``. SQLite stores UTC text, and Django's own
    ``TruncMonth(tzinfo=...)`` calls a Python function for every row there; here the text is shifted
    by the zone's UTC offset with SQLite's own ``strftime``, the offset chosen by a ``CASE`` over the
    zone's offset changes up to ``until`` (latest first; none for Asia/Shanghai since 1991), so a
    month starts at local midnight also across daylight-saving changes."""

    output_field = CharField()

    def __init__(self, expression: str, tz: tzinfo, *, until: datetime) -> None:
        super().__init__(F(expression))
        self.tz, self.until = tz, until

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
        if connection.vendor == "postgresql":
            return f"to_char(({sql}) AT TIME ZONE %s, 'YYYY-MM')", [*params, str(self.tz)]
        if connection.vendor != "sqlite":  # pragma: no cover - the two supported backends
            raise NotImplementedError(f"LocalMonth is not implemented for {connection.vendor}.")
        changes = _offsets(self.tz, self.until.astimezone(UTC).year)
        first_offset = changes[0][1]
        whens: list[str] = []
        when_params: list[Any] = []
        for since, seconds in reversed(changes[1:]):
            whens.append(f"WHEN {sql} >= %s THEN %s")
            when_params += [*params, since.strftime("%Y-%m-%d %H:%M:%S"), f"{seconds:+d} seconds"]
        modifier, modifier_params = "%s", [f"{first_offset:+d} seconds"]
        if whens:
            modifier = f"CASE {' '.join(whens)} ELSE %s END"
            modifier_params = [*when_params, f"{first_offset:+d} seconds"]
        # whole seconds only (the first 19 characters): SQLite reads a fraction to the millisecond,
        # rounding 23:59:59.9999995 up into the next day (offsets and month starts are whole seconds)
        return f"strftime(%s, substr({sql}, 1, 19), {modifier})", ["%Y-%m", *params, *modifier_params]
