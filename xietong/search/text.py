"""The index's text: overlapping CJK bigrams, the same on SQLite and PostgreSQL.

Text is normalised (NFKC, lower case), then cut into pieces: each run of CJK characters becomes its
overlapping two-character pieces (会议纪要 → 会议 议纪 纪要; a lone character stays itself), every
other run of letters and digits is one word (ERP, 8d, 2026), and everything else separates. The
pieces, joined by spaces, are what the database's full-text index reads (FTS5 ``unicode61`` and
PostgreSQL's ``simple`` configuration both take each piece as one token).

A query is cut the same way into terms (one per whitespace-separated word the user typed); a term
matches where its pieces stand next to each other, in order: a phrase of bigrams. Because the pieces
are plain letters, digits and CJK characters, no query can carry the databases' query syntax.
"""

from __future__ import annotations

import dataclasses
import html
import re
import unicodedata

from django.utils.safestring import SafeString, mark_safe

# Han ideographs (unified, extensions A–F, compatibility), kana, bopomofo and Hangul syllables.
_CJK = (
    "\u3005\u3007\u3021-\u3029\u3038-\u303b\u3040-\u30ff\u3100-\u312f\u31a0-\u31bf\u31f0-\u31ff"
    "\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003134f"
)
_PIECE = re.compile(rf"([{_CJK}]+)|([^\W_{_CJK}]+)")
_CJK_RUN = re.compile(rf"^[{_CJK}]+$")


def normalize(text: str) -> str:
    if not unicodedata.is_normalized("NFKC", text):  # a quick check: most text already is
        text = unicodedata.normalize("NFKC", text)
    return text.lower()


def _runs(text: str) -> list[tuple[bool, str]]:
    """(is_cjk, run) for each run of CJK characters or of other letters and digits."""
    return [(bool(m.group(1)), m.group(0)) for m in _PIECE.finditer(normalize(text))]


def _bigrams(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def index_terms(text: str) -> str:
    """The text as the index stores it: its pieces joined by single spaces."""
    pieces: list[str] = []
    for match in _PIECE.finditer(normalize(text)):
        run = match.group(0)
        if match.group(1) and len(run) > 2:
            pieces.extend(run[i : i + 2] for i in range(len(run) - 1))
        else:
            pieces.append(run)
    return " ".join(pieces)


@dataclasses.dataclass(frozen=True)
class Term:
    """One word of a query: ``tokens`` must stand next to each other in this order; when ``prefix`` is
    set, the last token is a lone CJK character that may begin a longer piece (``2026年`` finds
    ``2026年度``: the query's 年 is the first half of the document's 年度)."""

    tokens: tuple[str, ...]
    prefix: bool
    runs: tuple[str, ...]  # the normalised runs, to highlight the match

    @property
    def phrase(self) -> str:
        return " ".join(self.tokens)


def query_terms(query: str) -> list[Term]:
    """The query's terms, in order, without duplicates. Syntax characters of FTS5, tsquery or LIKE
    (quotes, ``*``, ``%``, ``_``, ``:``, ``&``, ``|``, ``!``, parentheses) separate pieces like any
    punctuation, so they can never reach the database as syntax."""
    terms: list[Term] = []
    for word in query.split():
        runs = _runs(word)
        if not runs:
            continue
        tokens: list[str] = []
        prefix = False
        for position, (is_cjk, run) in enumerate(runs):
            if is_cjk and len(run) == 1 and position == len(runs) - 1 and len(runs) > 1:
                prefix = True  # a lone CJK character closing the term: the start of a piece
            tokens.extend(_bigrams(run) if is_cjk else [run])
        term = Term(tuple(tokens), prefix, tuple(run for _, run in runs))
        if term not in terms:
            terms.append(term)
    return terms


def single_character(terms: list[Term]) -> str | None:
    """The character when the whole query is one character (searched as a substring instead)."""
    if len(terms) == 1 and len(terms[0].tokens) == 1 and len(terms[0].tokens[0]) == 1:
        return terms[0].tokens[0]
    return None


def is_cjk(text: str) -> bool:
    return bool(_CJK_RUN.match(text))


# ── Highlighting ────────────────────────────────────────────────────────────────────────────────


def _normalized_with_map(text: str) -> tuple[str, list[int]]:
    """The normalised text, and for each of its characters the index of the original character."""
    out: list[str] = []
    where: list[int] = []
    for index, char in enumerate(text):
        piece = normalize(char)
        out.append(piece)
        where.extend([index] * len(piece))
    return "".join(out), where


def _pattern(terms: list[Term]) -> re.Pattern[str] | None:
    alternatives = []
    for term in terms:
        separator = rf"[^{_CJK}\w]*"
        alternatives.append(separator.join(re.escape(run) for run in term.runs))
    if not alternatives:
        return None
    alternatives.sort(key=len, reverse=True)
    return re.compile("|".join(alternatives))


def _spans(text: str, terms: list[Term]) -> list[tuple[int, int]]:
    """Where the terms occur in ``text``, as [start, end) ranges of the original characters."""
    pattern = _pattern(terms)
    if pattern is None or not text:
        return []
    normalized, where = _normalized_with_map(text)
    spans: list[tuple[int, int]] = []
    for match in pattern.finditer(normalized):
        if match.end() > match.start():
            spans.append((where[match.start()], where[match.end() - 1] + 1))
    return spans


def highlight(text: str, terms: list[Term], *, width: int | None = None) -> SafeString:
    """``text`` escaped, with the terms' occurrences in ``<mark>``; cut to about ``width`` characters
    around the first occurrence when ``width`` is given."""
    spans = _spans(text, terms)
    start, end = 0, len(text)
    if width is not None and len(text) > width:
        first = spans[0][0] if spans else 0
        start = max(0, min(first - width // 4, len(text) - width))
        end = min(len(text), start + width)
    parts: list[str] = ["…"] if start > 0 else []
    cursor = start
    for span_start, span_end in spans:
        span_start, span_end = max(span_start, cursor), min(span_end, end)
        if span_start >= span_end:
            continue
        parts.append(html.escape(text[cursor:span_start]))
        parts.append(f"<mark>{html.escape(text[span_start:span_end])}</mark>")
        cursor = span_end
    parts.append(html.escape(text[cursor:end]))
    if end < len(text):
        parts.append("…")
    return mark_safe("".join(parts))  # every piece of the text is escaped above
