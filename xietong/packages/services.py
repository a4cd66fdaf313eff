"""Imports from any door (CLI, web upload, spreadsheet) go through here."""

from __future__ import annotations

from typing import Any

from xietong.packages.document import DocumentError
from xietong.packages.importer import ImportFailed, ImportResult, Progress, import_document, package_import
from xietong.packages.spreadsheet import xlsx_to_document

XLSX_MAGIC = b"PK\x03\x04"


def is_xlsx(raw: bytes, filename: str = "") -> bool:
    return filename.lower().endswith(".xlsx") or raw.startswith(XLSX_MAGIC)


def upload_import(
    *, raw: bytes, filename: str, actor: Any, dry_run: bool, progress: Progress | None = None
) -> ImportResult:
    """Import an uploaded package (.yaml/.yml/.json) or a filled-in spreadsheet template (.xlsx)."""
    if is_xlsx(raw, filename):
        try:
            doc = xlsx_to_document(raw)
        except DocumentError as exc:
            raise ImportFailed(exc.problems) from exc
        return import_document(doc, actor=actor, dry_run=dry_run, partial=True, progress=progress)
    return package_import(raw=raw, actor=actor, dry_run=dry_run, progress=progress)
