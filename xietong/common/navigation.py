"""The main navigation. Each app registers its entries in its AppConfig.ready(); the shell knows no app."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from django.urls import reverse


@dataclasses.dataclass(frozen=True)
class NavItem:
    key: str
    label: Any  # a lazy translation
    url_name: str
    order: int = 100
    visible: Callable[[Any], bool] = lambda user: True
    section: str = "main"  # "main" (top bar) or "admin" (the administration menu)


_items: dict[str, NavItem] = {}


def register(item: NavItem) -> None:
    _items[item.key] = item


def items_for(user: Any, section: str = "main") -> list[dict[str, Any]]:
    return [
        {"key": i.key, "label": i.label, "url": reverse(i.url_name)}
        for i in sorted(_items.values(), key=lambda i: (i.order, i.key))
        if i.section == section and i.visible(user)
    ]
