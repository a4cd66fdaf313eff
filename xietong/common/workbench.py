"""The start page's "waiting for me" tiles (工作台). Each app registers the things it asks of a person
(steps to work on, notices to acknowledge, disputes to handle, pages to review) in its
AppConfig.ready(); the start page knows no app.

A tile's ``count`` runs one query (an aggregate) and returns ``(total, urgent)``: how many things
wait, and how many of them are late or due soon. The start page therefore costs one query per tile,
whatever the data size.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from django.urls import reverse


@dataclasses.dataclass(frozen=True)
class Tile:
    key: str
    label: Any  # a lazy translation: "Notices to acknowledge"
    url_name: str
    count: Callable[[Any], tuple[int, int]]  # (total, urgent) for this person, in one query
    urgent_label: Any = ""  # "overdue", "late" … shown beside a non-zero urgent count
    order: int = 100
    visible: Callable[[Any], bool] = lambda user: True


_tiles: dict[str, Tile] = {}


def register(tile: Tile) -> None:
    _tiles[tile.key] = tile


def tiles_for(user: Any) -> list[dict[str, Any]]:
    rows = []
    for tile in sorted(_tiles.values(), key=lambda t: (t.order, t.key)):
        if not tile.visible(user):
            continue
        total, urgent = tile.count(user)
        rows.append(
            {
                "key": tile.key,
                "label": tile.label,
                "url": reverse(tile.url_name),
                "total": total,
                "urgent": urgent,
                "urgent_label": tile.urgent_label,
            }
        )
    return rows
