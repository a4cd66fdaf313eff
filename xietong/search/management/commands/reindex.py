"""``xietong reindex [--kind K]``: bring the search index up to date from the registered sources.

Entries are read in batches and written with bulk upserts; an entry whose text has not changed is
not rewritten, and entries of objects that are gone are removed. Safe to run at any time (also while
people search): each batch is its own transaction.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from xietong.search.registry import sources
from xietong.search.services import search_reindex


class Command(BaseCommand):
    help = "Rebuild the search index from every registered source (or only one kind)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--kind", action="append", help="Only this kind (repeatable): person, case, notice…")

    def handle(self, *args: Any, **options: Any) -> None:
        known = [s.kind for s in sources()]
        kinds = options["kind"] or []
        unknown = [k for k in kinds if k not in known]
        if unknown:
            raise CommandError(f"Unknown kind {', '.join(unknown)}; registered kinds: {', '.join(known)}.")
        started = time.monotonic()

        def progress(kind: str, done: int, written: int) -> None:
            self.stdout.write(f"  {kind}: {done} read, {written} written ({time.monotonic() - started:.1f}s)")

        results = search_reindex(kinds or None, progress=progress)
        for kind, result in results.items():
            self.stdout.write(
                f"{kind}: {result['entries']} entries, {result['written']} written, {result['removed']} removed"
            )
        self.stdout.write(self.style.SUCCESS(f"Search index up to date in {time.monotonic() - started:.1f}s."))
