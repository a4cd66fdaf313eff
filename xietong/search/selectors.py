"""Searching the index, within what the searcher may see.

One SQL query returns a page of results of every kind, ranked (FTS5 ``bm25`` on SQLite, ``ts_rank``
on PostgreSQL; a match in the title weighs ten times one in the body); one more counts them per kind
(the facets, whose sum is the total). The scope is part of both: each registered source's
``visible(user)`` queryset is compiled into the same statement as a subquery, so a document is
returned only if its object is among those the searcher may see, whatever its kind; a kind with no
registered source is never returned.

A query is cut into terms (xietong.search.text.query_terms); every term must match. A term of
several pieces is a phrase of bigrams in the full-text index; a term of one lone character is a
substring of the stored text (LIKE), and a query made only of such terms is capped at
``SUBSTRING_LIMIT`` results, since it cannot use the index.
"""

from __future__ import annotations

import dataclasses
import weakref
from collections.abc import Sequence
from typing import Any, overload

from django.core.exceptions import EmptyResultSet
from django.db import NotSupportedError, connection
from django.db.models import BigIntegerField
from django.db.models.expressions import RawSQL
from django.utils.safestring import SafeString

from xietong.search.registry import Source, sources
from xietong.search.text import Term, highlight, query_terms

MAX_QUERY_LENGTH = 200
MAX_TERMS = 8
SUBSTRING_LIMIT = 200
SNIPPET_WIDTH = 160
TITLE_WEIGHT = 10.0


@dataclasses.dataclass(frozen=True)
class Hit:
    kind: str
    object_id: int
    title: str
    url: str
    label: Any
    title_html: SafeString
    snippet_html: SafeString


@dataclasses.dataclass(frozen=True)
class Facet:
    kind: str
    label: Any
    count: int


def _like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class _Statement:
    """The FROM and WHERE of one search, for the current database."""

    def __init__(self, terms: list[Term], scopes: list[tuple[str, str, Sequence[Any]]]) -> None:
        self.postgres = connection.vendor == "postgresql"
        singles = [t for t in terms if len(t.tokens) == 1 and len(t.tokens[0]) == 1]
        phrases = [t for t in terms if t not in singles]
        self.uses_index = bool(phrases)
        where: list[str] = []
        params: list[Any] = []
        rank_sql = "0"
        rank_params: list[Any] = []
        if self.postgres:
            from_sql = "search_document d"
            ranks: list[str] = []
            for term in phrases:
                complete = term.tokens[:-1] if term.prefix else term.tokens
                column_matches = []
                for vector, text in (("d.title_vector", "d.title_terms"), ("d.body_vector", "d.body_terms")):
                    parts = []
                    if complete:
                        parts.append(f"{vector} @@ phraseto_tsquery('simple', %s)")
                        params.append(" ".join(complete))
                    if term.prefix:
                        parts.append(f"(' ' || {text}) LIKE %s ESCAPE '\\'")
                        params.append("% " + _like(term.phrase) + "%")
                    column_matches.append("(" + " AND ".join(parts) + ")")
                where.append("(" + " OR ".join(column_matches) + ")")
                if complete:
                    ranks.append(
                        f"ts_rank(d.title_vector, phraseto_tsquery('simple', %s)) * {TITLE_WEIGHT}"
                        " + ts_rank(d.body_vector, phraseto_tsquery('simple', %s))"
                    )
                    rank_params += [" ".join(complete), " ".join(complete)]
            if ranks:
                rank_sql = "-(" + " + ".join(ranks) + ")"  # lower sorts first, as bm25 on SQLite
        else:
            if phrases:
                match = " AND ".join(f'"{t.phrase}"' + (" *" if t.prefix else "") for t in phrases)
                # CROSS JOIN: SQLite keeps the full-text match as the outer loop (else it may run the MATCH
                # once per document of a kind, seconds on a large index).
                from_sql = "search_document_fts CROSS JOIN search_document d ON d.id = search_document_fts.rowid"
                where.append("search_document_fts MATCH %s")
                params.append(match)
                rank_sql = f"bm25(search_document_fts, {TITLE_WEIGHT}, 1.0)"
            else:
                from_sql = "search_document d"
        for term in singles:
            where.append("(d.title_terms LIKE %s ESCAPE '\\' OR d.body_terms LIKE %s ESCAPE '\\')")
            params += ["%" + _like(term.tokens[0]) + "%"] * 2
        if not self.uses_index:
            # Substring only: titles that contain it first.
            first = singles[0].tokens[0]
            rank_sql = "CASE WHEN d.title_terms LIKE %s ESCAPE '\\' THEN 0 ELSE 1 END"
            rank_params = ["%" + _like(first) + "%"]
        scope_parts = []
        # On SQLite "+d.kind" keeps the planner off the (kind, object_id) index: the documents are
        # reached through the full-text match, or scanned newest first (a substring), never by kind.
        kind_column = "d.kind" if self.postgres else "+d.kind"
        for kind, sql, scope_params in scopes:
            scope_parts.append(f"({kind_column} = %s AND {sql})")
            params += [kind, *scope_params]
        where.append("(" + " OR ".join(scope_parts) + ")")
        self.from_sql = from_sql
        self.where_sql = " AND ".join(where)
        self.params = params
        self.rank_sql = rank_sql
        self.rank_params = rank_params


_jit_off: weakref.WeakSet[Any] = weakref.WeakSet()


def _without_jit() -> None:
    """PostgreSQL's JIT compiler spends seconds compiling these statements (their cost estimate
    crosses ``jit_above_cost`` when a word is common) to save milliseconds: turn it off, once per
    database connection (setting ``options=-c jit=off`` on the database does the same for all)."""
    if connection.vendor != "postgresql":
        return
    connection.ensure_connection()
    raw = connection.connection
    if raw in _jit_off:
        return
    with connection.cursor() as cursor:
        cursor.execute("SET jit = off")
    _jit_off.add(raw)


def _scopes(user: Any, kinds: Sequence[Source]) -> list[tuple[str, str, Sequence[Any]]]:
    """(kind, condition SQL, params): for each kind, the condition that the document's object is among
    those the user may see. The source's queryset, narrowed to the document's object, becomes a
    correlated EXISTS: its cost follows the number of matches, not the number of visible objects.
    A queryset that cannot be narrowed (sliced, a union…) is used whole, as ``IN (subquery)``."""
    scopes: list[tuple[str, str, Sequence[Any]]] = []
    outer = RawSQL("d.object_id", [], output_field=BigIntegerField())
    for found in kinds:
        visible = found.visible(user).order_by()
        try:
            try:
                sql, params = visible.filter(pk=outer).values("pk").query.sql_with_params()
                # OFFSET 0 keeps PostgreSQL from turning the EXISTS (inside an OR) into a hashed
                # subplan over every visible object: it stays a per-match index probe.
                condition = f"EXISTS ({sql}{' OFFSET 0' if connection.vendor == 'postgresql' else ''})"
            except (TypeError, NotSupportedError):
                sql, params = visible.values("pk").query.sql_with_params()
                condition = f"d.object_id IN ({sql})"
        except EmptyResultSet:
            continue  # .none(): nothing of this kind
        scopes.append((found.kind, condition, params))
    return scopes


class SearchResults:
    """The results of one search: ``facets`` (counted at once), ``count()`` and slices (a page is one
    query), so a Django ``Paginator`` pages through it."""

    def __init__(self, user: Any, query: str, kind: str | None = None) -> None:
        self.query = query.strip()[:MAX_QUERY_LENGTH]
        self.terms = query_terms(self.query)[:MAX_TERMS]
        registered = sources()
        self.sources = {s.kind: s for s in registered}
        self.kind = kind if kind in self.sources else None
        self._order = {s.kind: position for position, s in enumerate(registered)}
        self._statement: _Statement | None = None
        self.facets: list[Facet] = []
        self.total = 0
        if self.terms:
            _without_jit()
            scopes = _scopes(user, registered)
            if scopes:
                self._statement = _Statement(self.terms, scopes)
                self._count()

    @property
    def is_substring(self) -> bool:
        return self._statement is not None and not self._statement.uses_index

    def _count(self) -> None:
        statement = self._statement
        assert statement is not None
        inner = f"SELECT d.kind FROM {statement.from_sql} WHERE {statement.where_sql}"
        params = list(statement.params)
        if not statement.uses_index:
            inner += " ORDER BY d.id DESC LIMIT %s"  # the newest SUBSTRING_LIMIT, as _fetch ranks them
            params.append(SUBSTRING_LIMIT)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT k.kind, COUNT(*) FROM ({inner}) k GROUP BY k.kind", params)
            counts = dict(cursor.fetchall())
        self.facets = [
            Facet(kind, self.sources[kind].label, counts[kind])
            for kind in sorted(counts, key=lambda k: self._order.get(k, 999))
            if kind in self.sources
        ]
        self.total = sum(f.count for f in self.facets if self.kind in (None, f.kind))

    @property
    def total_all(self) -> int:
        """Every result, whatever the kind filter."""
        return sum(f.count for f in self.facets)

    def count(self) -> int:
        return self.total

    def __len__(self) -> int:
        return self.total

    @overload
    def __getitem__(self, index: int) -> Hit: ...

    @overload
    def __getitem__(self, index: slice) -> list[Hit]: ...

    def __getitem__(self, index: int | slice) -> Hit | list[Hit]:
        if isinstance(index, int):
            return self._fetch(index, 1)[0]
        start = index.start or 0
        stop = self.total if index.stop is None else min(index.stop, self.total)
        return self._fetch(start, max(0, stop - start))

    def _fetch(self, offset: int, limit: int) -> list[Hit]:
        statement = self._statement
        if statement is None or limit <= 0:
            return []
        kind_order = " ".join(f"WHEN %s THEN {position}" for position in self._order.values())
        columns = "d.id, d.kind, d.object_id, d.title, d.body, d.url"
        where = statement.where_sql + (" AND d.kind = %s" if self.kind else "")
        params = list(statement.params) + ([self.kind] if self.kind else [])
        if statement.uses_index:
            sql = f"SELECT {columns}, {statement.rank_sql} AS score FROM {statement.from_sql} WHERE {where}"
            params = [*statement.rank_params, *params]
        else:
            # A substring cannot use the index: rank only the newest SUBSTRING_LIMIT matches (as counted).
            newest = (
                f"SELECT {columns}, d.title_terms FROM {statement.from_sql} WHERE {where} ORDER BY d.id DESC LIMIT %s"
            )
            sql = f"SELECT {columns}, {statement.rank_sql} AS score FROM ({newest}) d"
            params = [*statement.rank_params, *params, SUBSTRING_LIMIT]
        sql += f" ORDER BY score, CASE d.kind {kind_order} ELSE 999 END, d.id LIMIT %s OFFSET %s"
        params += [*self._order.keys(), limit, offset]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        return [
            Hit(
                kind=kind,
                object_id=object_id,
                title=title,
                url=url,
                label=self.sources[kind].label,
                title_html=highlight(title, self.terms),
                snippet_html=highlight(body, self.terms, width=SNIPPET_WIDTH),
            )
            for _id, kind, object_id, title, body, url, _score in rows
        ]


def search(user: Any, query: str, *, kind: str | None = None) -> SearchResults:
    """What ``user`` finds with ``query`` (optionally only one kind): facets counted now (one query),
    results fetched a page at a time (one query each)."""
    return SearchResults(user, query, kind)
