"""Every write to the search index.

Domain apps call ``search_index_on_commit(kind, pks)`` after they create, change or delete objects of
a registered source; the index then re-reads those pks through the source's ``entries``: an entry
that came back is inserted or replaced, a pk that did not is removed. ``search_refresh`` brings a
whole kind up to date (``xietong reindex``, and the background refresh after a package import).
Unchanged entries (same fingerprint) are not rewritten, so a refresh of an up-to-date kind only reads.

People and departments belong to the org app, which lies below search and cannot call it: it sends
``xietong.org.signals.org_changed`` inside its transaction, and ``search_queue`` records there which
entries may be stale (``Pending``), so the change and the record of it commit together. Right after
the commit ``search_drain`` re-reads them; what is left (a crash, a failed update) is re-read by the
"search.queue" tick, which costs one query when nothing is queued.

The full-text index follows the ``search_document`` rows by itself (SQLite triggers, PostgreSQL
generated columns: see models.py), so these functions only write that table.
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from itertools import islice
from typing import Any

from django.db import connection, transaction

from xietong.common import clock
from xietong.search.models import Document, Pending
from xietong.search.registry import Entry, Source, source, sources
from xietong.search.text import index_terms

logger = logging.getLogger(__name__)

BATCH_SIZE = 2000
# Queued entries re-read right after the commit that queued them; more (a department of thousands
# renamed) are left to a background task, not to the request that made the change.
INLINE_LIMIT = 500


def _source(kind: str) -> Source:
    try:
        return source(kind)
    except KeyError:
        raise ValueError(f"No search source is registered for the kind {kind!r}.") from None


def _fingerprint(entry: Entry) -> str:
    digest = hashlib.sha1(usedforsecurity=False)
    for part in (entry.title, entry.body, entry.url):
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\x00")
    return digest.hexdigest()


_COLUMNS = ("kind", "object_id", "title", "body", "url", "title_terms", "body_terms", "fingerprint", "indexed_at")


def _row(kind: str, pk: int, entry: Entry, fingerprint: str, now: Any) -> tuple[Any, ...]:
    return (
        kind,
        pk,
        entry.title,
        entry.body,
        entry.url,
        index_terms(entry.title),
        index_terms(entry.body),
        fingerprint,
        now,
    )


def _upsert(rows: list[tuple[Any, ...]]) -> None:
    """Insert or replace rows, 500 to a statement (multi-row VALUES … ON CONFLICT DO UPDATE): several
    times faster than the ORM's bulk_create, which compiles and returns ids, for 100,000 documents."""
    one = "(" + ", ".join(["%s"] * len(_COLUMNS)) + ")"
    updates = ", ".join(f"{column} = excluded.{column}" for column in _COLUMNS[2:])
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 500):
            chunk = rows[start : start + 500]
            cursor.execute(
                f"INSERT INTO {Document._meta.db_table} ({', '.join(_COLUMNS)}) VALUES {', '.join([one] * len(chunk))}"
                f" ON CONFLICT (kind, object_id) DO UPDATE SET {updates}",
                [value for row in chunk for value in row],
            )


def _delete(kind: str, object_ids: Iterable[int]) -> int:
    removed = 0
    ids = list(object_ids)
    for start in range(0, len(ids), 500):
        removed += Document.objects.filter(kind=kind, object_id__in=ids[start : start + 500]).delete()[0]
    return removed


def _apply(
    kind: str, entries: Iterable[tuple[int, Entry]], known: dict[int, str], now: datetime
) -> tuple[int, set[int]]:
    """Write the entries whose fingerprint differs from ``known``; (rows written, pks seen)."""
    stamp = connection.ops.adapt_datetimefield_value(now)
    changed: list[tuple[Any, ...]] = []
    seen: set[int] = set()
    written = 0
    for pk, entry in entries:
        pk = int(pk)
        if pk in seen:
            continue  # a source that yields an object twice: the first entry stands
        seen.add(pk)
        fingerprint = _fingerprint(entry)
        if known.get(pk) != fingerprint:
            changed.append(_row(kind, pk, entry, fingerprint, stamp))
        if len(changed) >= BATCH_SIZE:
            _upsert(changed)
            written += len(changed)
            changed = []
    if changed:
        _upsert(changed)
        written += len(changed)
    return written, seen


def search_index(kind: str, pks: Iterable[int]) -> int:
    """Bring these objects' index entries up to date now (insert, replace or remove). Returns the
    number of rows written or removed."""
    wanted = sorted({int(pk) for pk in pks})
    if not wanted:
        return 0
    found = _source(kind)
    known: dict[int, str] = {}
    with transaction.atomic():
        # Lock the existing entries (PostgreSQL; SQLite's writers take turns anyway) before the objects
        # are read: two updates of one object then write in the order they read, the later state last.
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            rows = Document.objects.filter(kind=kind, object_id__in=chunk).order_by("object_id").select_for_update()
            known |= dict(rows.values_list("object_id", "fingerprint"))
        written, seen = _apply(kind, found.entries(wanted), known, clock.now())
        removed = _delete(kind, [pk for pk in wanted if pk not in seen and pk in known])
    return written + removed


def search_index_on_commit(kind: str, pks: Iterable[int]) -> None:
    """``search_index`` once the caller's transaction commits. An index that fails to update is
    logged, never the caller's failure: ``xietong reindex`` repairs it."""
    _source(kind)  # an unregistered kind is a programming error: say so at once
    wanted = [int(pk) for pk in pks]

    def run() -> None:
        try:
            search_index(kind, wanted)
        except Exception:
            logger.exception("search: could not index %s %s", kind, wanted)

    transaction.on_commit(run)


def _batches(iterable: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(iterable)
    while batch := list(islice(iterator, size)):
        yield batch


def search_refresh(
    kind: str, *, progress: Callable[[str, int, int], None] | None = None, batch_size: int = BATCH_SIZE
) -> dict[str, int]:
    """Bring every entry of one kind up to date: write what changed, remove what is gone.
    ``progress(kind, done, written)`` is called after every batch."""
    found = _source(kind)
    known = dict(Document.objects.filter(kind=kind).values_list("object_id", "fingerprint"))
    now = clock.now()
    written = 0
    done = 0
    seen: set[int] = set()
    for batch in _batches(found.entries(None), batch_size):
        with transaction.atomic():
            batch_written, batch_seen = _apply(kind, batch, known, now)
        written += batch_written
        seen |= batch_seen
        done += len(batch)
        if progress is not None:
            progress(kind, done, written)
    with transaction.atomic():
        removed = _delete(kind, [pk for pk in known if pk not in seen])
    return {"entries": done, "written": written, "removed": removed}


def search_reindex(
    kinds: Sequence[str] | None = None, *, progress: Callable[[str, int, int], None] | None = None
) -> dict[str, dict[str, int]]:
    """Refresh the given kinds (every registered kind by default); with no kinds given, also drop
    the entries of kinds no longer registered."""
    chosen = list(kinds) if kinds else [s.kind for s in sources()]
    results = {kind: search_refresh(kind, progress=progress) for kind in chosen}
    if not kinds:
        Document.objects.exclude(kind__in=chosen).delete()
    return results


def search_queue(stale: Mapping[str, Iterable[int]]) -> None:
    """Record, in the caller's transaction, that the entries of these objects ({kind: pks}) may be
    stale, and re-read them once it commits: at once when they are few (``INLINE_LIMIT``), else in a
    background task. Nothing is lost if that fails or the process dies: the "search.queue" tick
    re-reads whatever is still queued."""
    rows = [Pending(kind=kind, object_id=pk) for kind, pks in stale.items() for pk in sorted({int(pk) for pk in pks})]
    if not rows:
        return
    for kind in {row.kind for row in rows}:
        _source(kind)  # an unregistered kind is a programming error: say so at once
    created = Pending.objects.bulk_create(rows, batch_size=1000)
    ids = [row.pk for row in created]
    transaction.on_commit(lambda: _drain_after_commit(ids))


def _drain_after_commit(ids: list[int]) -> None:
    from xietong.search.tasks import search_drain_task

    try:
        if len(ids) <= INLINE_LIMIT and None not in ids:
            search_drain(ids=ids)
        else:
            search_drain_task.enqueue()
    except Exception:
        logger.exception("search: could not re-read %d queued entries; the next tick will", len(ids))


def search_drain(*, ids: Sequence[int] | None = None, batch_size: int = BATCH_SIZE) -> dict[str, int]:
    """Re-read the queued entries (only those of ``ids`` if given), a batch per transaction, and
    unqueue them; returns {"entries": queued rows done, "changed": entries written or removed}.
    With nothing queued it costs one query. Safe to run twice at once: on PostgreSQL a batch is
    claimed with SKIP LOCKED; SQLite's writers take turns. A kind that fails stays queued (logged)."""
    queued = Pending.objects.all() if ids is None else Pending.objects.filter(pk__in=ids)
    if ids is None and not queued.exists():  # the tick's usual case: one query, no transaction
        return {"entries": 0, "changed": 0}
    registered = {s.kind for s in sources()}
    done = changed = 0
    after = 0
    while True:
        with transaction.atomic():
            batch_qs = queued.filter(pk__gt=after).order_by("pk")
            if connection.features.has_select_for_update_skip_locked:
                batch_qs = batch_qs.select_for_update(skip_locked=True)
            batch = list(batch_qs.values_list("pk", "kind", "object_id")[:batch_size])
            if not batch:
                break
            after = batch[-1][0]
            by_kind: dict[str, list[tuple[int, int]]] = defaultdict(list)
            for pk, kind, object_id in batch:
                by_kind[kind].append((pk, object_id))
            finished: list[int] = []
            for kind, items in sorted(by_kind.items()):  # one order of locks for every drain
                if kind in registered:
                    try:
                        with transaction.atomic():
                            changed += search_index(kind, [object_id for _pk, object_id in items])
                    except Exception:
                        logger.exception("search: could not re-read queued %s entries; they stay queued", kind)
                        continue
                finished.extend(pk for pk, _object_id in items)  # done, or of a kind no longer registered
            Pending.objects.filter(pk__in=finished).delete()
            done += len(finished)
        if len(batch) < batch_size:
            break  # the last batch (what is queued meanwhile, the next drain re-reads)
    return {"entries": done, "changed": changed}


def queue_tick(*, now: datetime | None = None) -> dict[str, int]:
    """The "search.queue" tick: re-read what is still queued (one query when nothing is)."""
    del now
    return search_drain()
