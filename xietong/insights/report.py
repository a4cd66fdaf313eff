"""The collaboration report of metrics.md: one JSON object, the same for web, API and CLI.

Each domain app contributes its section through a figures function registered here by name;
a section whose app is not installed yet is an empty object (nothing is computed for it, and
nothing is made up).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

SECTIONS = ("processes", "disputes", "notices", "satisfaction")

_providers: dict[str, Callable[[datetime], Any]] = {}


def register_section(name: str, provider: Callable[[datetime], Any]) -> None:
    if name not in SECTIONS:
        raise ValueError(f"metrics.md defines no report section {name!r}")
    _providers[name] = provider


def format_as_of(as_of: datetime, tz: ZoneInfo) -> str:
    """``YYYY-MM-DDTHH:MM:SS±HH:MM`` in the organization's timezone."""
    local = as_of.astimezone(tz).replace(microsecond=0)
    text = local.isoformat()
    return text if text[-6] in "+-" else text.replace("Z", "+00:00")


def build_report(
    as_of: datetime, tz: ZoneInfo, *, progress: Callable[[str, int, int], None] | None = None
) -> dict[str, Any]:
    """The report of metrics.md; ``progress(section, done, total)`` is told before each section."""
    report: dict[str, Any] = {"as_of": format_as_of(as_of, tz)}
    for done, name in enumerate(SECTIONS):
        if progress is not None:
            progress(name, done, len(SECTIONS))
        provider = _providers.get(name)
        report[name] = provider(as_of) if provider is not None else {}
    return report
