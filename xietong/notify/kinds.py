"""Groups of notification kinds: what a person chooses e-mail for, and what a webhook receives.

A kind is "<app>.<event>" ("process.step_overdue"); its group is the part before the first dot
("process"). Each app registers its group with a label once, from its ``AppConfig.ready()``::

    from xietong.notify.kinds import register_kind_group
    register_kind_group("dispute", gettext_lazy("Disputes"))

notify imports no app: a kind whose group nobody registered is delivered in the app only (nobody
can have chosen e-mail for it, no webhook can have chosen it).
"""

from __future__ import annotations

import re
from typing import Any

GROUP_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
GROUP_MAX_LENGTH = 32

_groups: dict[str, Any] = {}


def register_kind_group(group: str, label: Any) -> None:
    """Offer the kinds "<group>.*" for e-mail and webhooks, under ``label`` (a lazy translation)."""
    if len(group) > GROUP_MAX_LENGTH or not GROUP_PATTERN.match(group):
        raise ValueError(f"notification kind group {group!r}: lower case letters, digits and '_' (at most 32)")
    _groups[group] = label


def unregister_kind_group(group: str) -> None:
    _groups.pop(group, None)


def kind_groups() -> list[tuple[str, Any]]:
    """(group, label) of every registered group, in group order."""
    return sorted(_groups.items())


def is_registered(group: str) -> bool:
    return group in _groups


def group_of(kind: str) -> str:
    """The group of a kind: "process" for "process.step_overdue"."""
    return kind.split(".", 1)[0]


def group_label(group: str) -> Any:
    return _groups.get(group, group)
