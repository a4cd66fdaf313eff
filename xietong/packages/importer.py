"""Import an organization package: read every section, check, then apply all or nothing."""

from __future__ import annotations

import contextlib
import dataclasses
import gc
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

from django.db import connection, transaction
from django.utils.translation import gettext as _

from xietong.packages.document import Document, DocumentError, Problem, Reader, load_document
from xietong.packages.registry import (
    RECORD_KEYS,
    TOP_LEVEL_KEYS,
    Change,
    ImportContext,
    after_import_callbacks,
    handler_for,
    handlers,
)

ANALYZE_AFTER = 10_000  # changed objects; below, autovacuum's own statistics are soon enough

# progress(phase, done, total): called as an import advances; phase is a translated label such as
# "Reading the file" or "Writing: people"; total is 0 when unknown.
Progress = Callable[[str, int, int], None]


def _no_progress(phase: str, done: int, total: int) -> None:
    pass


class ImportFailed(Exception):
    """The package has problems; nothing was changed."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


@dataclasses.dataclass
class ImportResult:
    changes: list[Change]
    dry_run: bool

    def counts(self) -> dict[str, Counter[str]]:
        counts: dict[str, Counter[str]] = {}
        for change in self.changes:
            counts.setdefault(change.section, Counter())[change.action] += 1
        return counts

    @property
    def is_empty(self) -> bool:
        return not self.changes


def package_import(
    *, raw: bytes, actor: Any = None, dry_run: bool = False, partial: bool = False, progress: Progress | None = None
) -> ImportResult:
    """Import a package file. Raises ImportFailed with every problem found; then nothing changed.

    ``dry_run`` applies inside the transaction and rolls back: the result is the preview of what
    a real import would change. ``partial`` lets a file leave out the required sections (used by
    the spreadsheet import, which carries departments and people only).
    """
    say = progress or _no_progress
    with _no_cyclic_gc():
        say(_("Reading the file"), 0, 0)
        try:
            doc = load_document(raw)
        except DocumentError as exc:
            raise ImportFailed(exc.problems) from exc
        return import_document(doc, actor=actor, dry_run=dry_run, partial=partial, progress=progress)


@contextlib.contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Pause Python's cycle collector while an import builds millions of objects: each full collection
    walks all of them (a 1,000,000-step-run import spends a third of its time there). Reference
    counting still frees everything an import drops; the collector runs again afterwards."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def import_document(
    doc: Document,
    *,
    actor: Any = None,
    dry_run: bool = False,
    partial: bool = False,
    progress: Progress | None = None,
) -> ImportResult:
    with _no_cyclic_gc():
        return _import(doc, actor=actor, dry_run=dry_run, partial=partial, say=progress or _no_progress)


def _import(doc: Document, *, actor: Any, dry_run: bool, partial: bool, say: Progress) -> ImportResult:
    reader = Reader(doc)
    ctx = ImportContext(reader, actor=actor)
    required = () if partial else ("version", "organization", "departments")
    top = reader.mapping("", doc.data, required=required, optional=[k for k in TOP_LEVEL_KEYS if k not in required])
    if top is None:
        raise ImportFailed(reader.problems)
    if "version" in top:
        version = reader.integer("version", top["version"])
        if version is not None and version != 1:
            reader.error(
                "version", _("this is format version {version}; xietong reads version 1").format(version=version)
            )

    # Sections are read in the format's key order (the organization first: its timezone reads the
    # datetimes of the rest); cross-references are checked once every section was read. Each
    # section's raw values are let go once read (the document is consumed: a large file's tree
    # takes gigabytes beside what the sections keep).
    raw = doc.data if isinstance(doc.data, dict) else {}
    for key in TOP_LEVEL_KEYS:
        if key == "version" or key not in top:
            continue
        if key == "records":
            records = reader.mapping("records", top[key], required=(), optional=RECORD_KEYS) or {}
            raw_records = raw.get("records")
            if not isinstance(raw_records, dict):
                raw_records = {}
            for sub in RECORD_KEYS:
                if sub in records:
                    _read_section(ctx, f"records.{sub}", records.pop(sub))
                    raw_records.pop(sub, None)
        else:
            _read_section(ctx, key, top.pop(key))
            raw.pop(key, None)
    present = [h for h in handlers() if h.key in ctx.parsed]
    say(_("Checking references"), 0, len(present))
    for handler in present:
        handler.check(ctx)
    if reader.problems:
        raise ImportFailed(_sorted(reader.problems))

    steps = 2 * len(present) + 1
    with transaction.atomic():
        for done, handler in enumerate(present):
            say(_("Writing: {section}").format(section=handler.key), done, steps)
            handler.apply(ctx)
        for done, handler in enumerate(present, start=len(present)):
            say(_("Linking: {section}").format(section=handler.key), done, steps)
            handler.apply_links(ctx)
        say(_("Writing the audit trail"), steps - 1, steps)
        _audit(ctx)
        if dry_run:
            transaction.set_rollback(True)
        else:
            for callback in after_import_callbacks():
                transaction.on_commit(callback, robust=True)
    if not dry_run and len(ctx.changes) >= ANALYZE_AFTER and connection.vendor == "postgresql":
        # PostgreSQL plans queries from table statistics that autovacuum refreshes only later: after a
        # large import the pages would meanwhile be planned for the empty tables they were.
        say(_("Updating the database's statistics"), steps, steps)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    say(_("Done"), steps, steps)
    return ImportResult(changes=ctx.changes, dry_run=dry_run)


def _read_section(ctx: ImportContext, key: str, value: Any) -> None:
    handler = handler_for(key)
    if handler is None:
        ctx.error(key, _("the section “{key}” is not supported by this version of xietong yet").format(key=key))
        return
    ctx.parsed.setdefault(key, None)
    handler.read(ctx, key, value)


def _sorted(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.line is None, p.line or 0, p.path))


def _audit(ctx: ImportContext) -> None:
    """One audit entry per created or updated object, written in bulk."""
    from xietong.audit.services import audit_bulk

    audit_bulk(actor=ctx.actor, entries=[(c.obj, f"import.{c.action}", c.fields) for c in ctx.changes])
