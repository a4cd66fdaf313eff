from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Assert on the English messages, whatever catalogues the project ships."""
    with translation.override("en"):
        yield
