"""Recall and precision of Chinese search, on the database the environment names.

    XIETONG_DATA_DIR=/tmp/xt-recall .venv/bin/python bench/search_recall.py [--docs 3000 --queries 2000]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/xt_recall XIETONG_DATA_DIR=/tmp/xt-recall \\
        .venv/bin/python bench/search_recall.py

Fills a scratch database with generated documents (xietong/common/corpus.py, as published processes),
indexes them, then checks, query by query, that the documents found are exactly those whose text
contains the query (after NFKC and lower-casing; a query's letters and digits must not continue a
longer word: words are whole): every 1–6 character substring of the documents'
Chinese runs (sampled), dictionary words, mixed Chinese/English/number words, and words that are in
no document. A one-character query is a substring search capped at the newest SUBSTRING_LIMIT
matches: it must return exactly those. Prints recall, precision and the misses.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from collections import Counter

from django.core.management import call_command
from django.db import connection
from search_speed import PREFIX, fill, people, say  # sets up Django on import, before the app imports below

from xietong.common.corpus import BUSINESS, MIXED
from xietong.processes.models import Process
from xietong.search.selectors import SUBSTRING_LIMIT, search
from xietong.search.services import search_refresh
from xietong.search.text import normalize

CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")


def _pattern(needle: str) -> re.Pattern[str]:
    """Where a document contains ``needle``: anywhere, except that letters and digits at its ends
    must not continue a longer word (words are whole: sap does not find saperp)."""
    before = r"(?<![0-9a-z])" if re.match(r"[0-9a-z]", needle) else ""
    after = r"(?![0-9a-z])" if re.search(r"[0-9a-z]$", needle) else ""
    return re.compile(before + re.escape(needle) + after)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=3000)
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    fill(args.docs, args.seed)
    search_refresh("process")
    employee, _coordinator = people()
    texts = {
        pk: (normalize(f"{code} {name}"), normalize(body))
        for pk, code, name, body in Process.objects.filter(code__startswith=PREFIX).values_list(
            "pk", "code", "name", "description"
        )
    }
    runs = [run for title, body in texts.values() for run in CJK_RUN.findall(title + "。" + body)]
    rng = random.Random(args.seed)
    queries: list[tuple[str, str]] = []
    for _ in range(args.queries):
        run = rng.choice(runs)
        length = rng.randint(1, min(6, len(run)))
        start = rng.randint(0, len(run) - length)
        queries.append((f"substring of {length}", run[start : start + length]))
    queries += [("dictionary word", w) for w in BUSINESS]
    queries += [("mixed", w) for w in MIXED + [m.lower() for m in MIXED]]
    queries += [("absent", w) for w in ("鸡蛋", "飞机场", "iPhone", "9D报告", "2027年", "量子计算")]
    outcome: Counter[tuple[str, str]] = Counter()
    misses: list[tuple[str, str, int, int]] = []
    started = time.monotonic()
    for label, query in queries:
        pattern = _pattern(normalize(query))
        expected = {pk for pk, (title, body) in texts.items() if pattern.search(title) or pattern.search(body)}
        results = search(employee, query, kind="process")
        found = {hit.object_id for hit in results[0 : results.count()]}
        if results.is_substring:
            expected = set(sorted(expected, reverse=True)[:SUBSTRING_LIMIT])
        outcome[label, "queries"] += 1
        outcome[label, "expected"] += len(expected)
        outcome[label, "found right"] += len(found & expected)
        outcome[label, "found wrong"] += len(found - expected)
        if found != expected:
            misses.append((label, query, len(expected - found), len(found - expected)))
    elapsed = time.monotonic() - started
    say(f"{connection.vendor}: {len(queries)} queries over {args.docs} documents in {elapsed:.1f}s")
    for label in sorted({label for label, _ in outcome}):
        expected, right, wrong = (outcome[label, k] for k in ("expected", "found right", "found wrong"))
        recall = right / expected if expected else 1.0
        precision = right / (right + wrong) if right + wrong else 1.0
        say(
            f"  {label}: {outcome[label, 'queries']} queries, {expected} expected documents, "
            f"recall {recall:.2%}, precision {precision:.2%}"
        )
    say(f"  queries with a wrong result set: {len(misses)}")
    for miss in misses[:20]:
        say(f"    {miss}")
    sys.exit(1 if misses else 0)


if __name__ == "__main__":
    main()
