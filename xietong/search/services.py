"""Every write to the search index.

TEMPORARY INTERFACE (the search helper replaces the bodies; the signatures stay): domain apps call
``search_index_on_commit(kind, pks)`` after they create, change or delete objects of a registered
source; the index then re-reads those pks through the source's ``entries``.
"""

from __future__ import annotations

from collections.abc import Iterable


def search_index(kind: str, pks: Iterable[int]) -> int:
    """Bring these objects' index entries up to date now (insert, replace or remove)."""
    return 0


def search_index_on_commit(kind: str, pks: Iterable[int]) -> None:
    """``search_index`` once the caller's transaction commits."""
    del kind, pks
