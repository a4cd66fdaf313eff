"""Fixtures of notify's tests: the local webhook receiver, and registered groups of kinds."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.utils.translation import gettext_lazy

from xietong.notify import kinds
from xietong.notify.tests.receiver import receiver  # noqa: F401  # a fixture

SITE = "https://xt.example.cn"


@pytest.fixture
def kind_groups() -> Iterator[None]:
    """Exactly the groups "dispute" and "process" are registered during the test."""
    saved = dict(kinds._groups)
    kinds._groups.clear()
    kinds.register_kind_group("dispute", gettext_lazy("Disputes"))
    kinds.register_kind_group("process", gettext_lazy("Processes"))
    try:
        yield
    finally:
        kinds._groups.clear()
        kinds._groups.update(saved)


@pytest.fixture
def site(settings: Any) -> str:
    settings.XIETONG_SITE_URL = SITE
    return SITE
