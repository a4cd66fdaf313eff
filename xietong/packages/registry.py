"""The package framework: each app registers a handler for its own section of the package.

The framework imports no app. An app's ``apps.py`` imports its ``package`` module, which calls
``register(...)``. The importer reads every section, then checks references across sections,
then applies them all inside one transaction; the exporter asks each handler for its value.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from xietong.packages.document import Reader

# Every top-level key of format version 1, and the sub-keys of ``records``, in file order.
TOP_LEVEL_KEYS = (
    "version",
    "organization",
    "departments",
    "people",
    "committees",
    "processes",
    "escalation_ladders",
    "meeting_series",
    "projects",
    "records",
)
RECORD_KEYS = ("cases", "disputes", "notices", "surveys")


@dataclasses.dataclass
class Change:
    section: str
    key: str
    action: str  # "create" | "update"
    fields: dict[str, list[Any]]
    obj: Any = None  # the stored object, for the audit trail


class ImportContext:
    """What the sections of one import share: the reader, the identities declared, the changes made."""

    def __init__(self, reader: Reader, *, actor: Any = None, tz: ZoneInfo | None = None) -> None:
        self.reader = reader
        self.actor = actor
        self.tz = tz or ZoneInfo("Asia/Shanghai")
        self.parsed: dict[str, Any] = {}
        self.declared: dict[str, dict[str, str]] = defaultdict(dict)  # kind -> identity -> path
        self.existing: dict[str, set[str]] = defaultdict(set)  # kind -> identities already stored
        self.changes: list[Change] = []
        self._loaded: set[str] = set()

    def error(self, path: str, message: str) -> None:
        self.reader.error(path, message)

    def declare(self, kind: str, identity: str, path: str, *, label: str) -> bool:
        """Declare that the file defines ``identity``; a second definition is an error."""
        first = self.declared[kind].get(identity)
        if first is not None:
            self.error(
                path,
                _("duplicate {label} “{identity}” (first defined at {first})").format(
                    label=label, identity=identity, first=first
                ),
            )
            return False
        self.declared[kind][identity] = path
        return True

    def load_existing(self, kind: str, loader: Callable[[], Iterable[str]]) -> None:
        """Make the identities of ``kind`` already in the database resolvable (once per import)."""
        if kind not in self._loaded:
            self._loaded.add(kind)
            self.existing[kind].update(loader())

    def exists(self, kind: str, identity: str) -> bool:
        return identity in self.declared[kind] or identity in self.existing[kind]

    def record(self, section: str, key: str, action: str, fields: dict[str, list[Any]], obj: Any = None) -> None:
        self.changes.append(Change(section, key, action, fields, obj))


class ExportContext:
    def __init__(self, *, today: date) -> None:
        self.today = today
        self.first_year = today.year


class SectionHandler:
    """Base class of a package section. ``key`` is a top-level key or ``records.<name>``."""

    key: str = ""
    order: int = 100  # apply order: lower first

    def earliest_date(self) -> date | None:
        """The earliest date of a stored record of this section (export writes calendars from there)."""
        return None

    def read(self, ctx: ImportContext, path: str, value: Any) -> None:
        """Parse ``value``, record problems, declare identities, keep the result in ``ctx.parsed``."""
        raise NotImplementedError

    def check(self, ctx: ImportContext) -> None:
        """Check references to other sections, after every section was read."""

    def apply(self, ctx: ImportContext) -> None:
        """Write this section (inside the import's transaction)."""
        raise NotImplementedError

    def apply_links(self, ctx: ImportContext) -> None:
        """Second pass, after every section applied: links that point forward (a department's head)."""

    def export(self, ctx: ExportContext) -> Any:
        """The value for this key in an exported package, or None to leave it out."""
        raise NotImplementedError


_handlers: dict[str, SectionHandler] = {}


def register(handler: SectionHandler) -> SectionHandler:
    top = handler.key.split(".", 1)[0]
    if top not in TOP_LEVEL_KEYS or (top == "records" and handler.key.split(".", 1)[-1] not in RECORD_KEYS):
        raise ValueError(f"not a section of package format version 1: {handler.key}")
    if handler.key in _handlers and type(_handlers[handler.key]) is not type(handler):
        raise ValueError(f"section {handler.key} is registered twice")
    _handlers[handler.key] = handler
    return handler


def handlers() -> Iterable[SectionHandler]:
    return sorted(_handlers.values(), key=lambda h: (h.order, h.key))


def handler_for(key: str) -> SectionHandler | None:
    return _handlers.get(key)


# ── After an import ───────────────────────────────────────────────────────────────────────────

_after_import: list[Callable[[], None]] = []


def register_after_import(callback: Callable[[], None]) -> None:
    """Call ``callback()`` once an import has committed (e.g. the search index refreshing what the
    import wrote in bulk). Not called for dry runs."""
    if callback not in _after_import:
        _after_import.append(callback)


def after_import_callbacks() -> list[Callable[[], None]]:
    return list(_after_import)
