"""Small SQL helpers shared by the apps' selectors."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from django.db import connections
from django.db.models import F, QuerySet

__all__ = ["Middle", "middle_values"]

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
    connection = connections[queryset.db]
    quote = connection.ops.quote_name
    # OFFSET 0 keeps the rows a derived table of their own: inlined, PostgreSQL computes the value
    # again where the window query returns it
    fence = "LIMIT -1 OFFSET 0" if connection.vendor == "sqlite" else "OFFSET 0"
    groups = ", ".join(quote(name) for name in columns)
    number = quote("_middle_v")
    # NULLs rank after the n values and are not counted (no WHERE on the value: the database would
    # push it into the derived table and compute the value twice)
    ranked = (
        f"SELECT {groups}, {number}, ROW_NUMBER() OVER (PARTITION BY {groups} ORDER BY {number} NULLS LAST) "
        f"AS middle_rank, COUNT({number}) OVER (PARTITION BY {groups}) AS middle_size FROM ({sql} {fence}) middle_rows"
    )
    # the middle of n values ranked 1..n: rank n/2 + 1/2 (n odd), ranks n/2 and n/2 + 1 (n even); a
    # NULL passes only in a group of NULLs (n = 0), which is dropped below
    middle = f"SELECT {groups}, {number}, middle_size FROM ({ranked}) middle_ranked "
    middle += "WHERE 2 * middle_rank BETWEEN middle_size AND middle_size + 2"
    width = len(columns)
    middles: dict[tuple[Any, ...], Middle] = {}
    with connection.cursor() as cursor:
        cursor.execute(middle, params)
        for row in cursor.fetchall():
            key, found, size = tuple(row[:width]), row[width], row[width + 1]
            if found is None:
                continue
            seen = middles.get(key)
            if seen is None:
                middles[key] = Middle(size, found, found)
            else:
                middles[key] = Middle(size, min(seen.low, found), max(seen.high, found))
    return middles
