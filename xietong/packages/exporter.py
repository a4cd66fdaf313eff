"""Export the organization as a package that imports back to the same state."""

from __future__ import annotations

from datetime import date
from typing import Any

from xietong.packages.document import dump_document
from xietong.packages.registry import TOP_LEVEL_KEYS, ExportContext, handlers


def package_export_data(*, today: date) -> dict[str, Any]:
    ctx = ExportContext(today=today)
    earliest = [d for d in (h.earliest_date() for h in handlers()) if d is not None]
    ctx.first_year = min([today.year, *(d.year for d in earliest)])
    sections: dict[str, Any] = {}
    for handler in handlers():
        value = handler.export(ctx)
        if value is None:
            continue
        if handler.key.startswith("records."):
            sections.setdefault("records", {})[handler.key.split(".", 1)[1]] = value
        else:
            sections[handler.key] = value
    data: dict[str, Any] = {"version": 1}
    data.update((key, sections[key]) for key in TOP_LEVEL_KEYS if key in sections)
    return data


def package_export(*, today: date) -> str:
    return dump_document(package_export_data(today=today))
