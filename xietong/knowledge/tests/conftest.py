from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def indexed(monkeypatch: Any) -> list[tuple[str, list[int]]]:
    """The search index updates the knowledge services ask for, in order."""
    calls: list[tuple[str, list[int]]] = []

    def record(kind: str, pks: Any) -> None:
        calls.append((kind, list(pks)))

    monkeypatch.setattr("xietong.knowledge.services.search_index_on_commit", record)
    return calls
