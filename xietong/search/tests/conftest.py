"""Fixtures of the search tests: processes and cases made directly (their text is what matters here),
then indexed through the services, as the domain's services would."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from xietong.processes.models import Case, Process, ProcessVersion, Step
from xietong.search.services import search_index

PUBLISHED = datetime(2026, 1, 5, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def make_process(
    code: str, name: str, description: str = "", *, responsible: Any = None, published: bool = True
) -> Process:
    process = Process.objects.create(code=code, name=name, description=description)
    version = ProcessVersion.objects.create(process=process, number=1, published_at=PUBLISHED if published else None)
    if responsible is not None:
        Step.objects.create(
            version=version, position=0, code=f"{code}-1", name="处理", responsible=responsible, time_limit="1d"
        )
    search_index("process", [process.pk])
    return process


def make_case(process: Process, ref: str, title: str, description: str = "", *, opened_by: Any) -> Case:
    case = Case.objects.create(
        process=process,
        version=process.versions.get(),
        ref=ref,
        title=title,
        description=description,
        opened_at=PUBLISHED,
        opened_by=opened_by,
    )
    search_index("case", [case.pk])
    return case


@pytest.fixture
def make() -> Any:
    class Make:
        process = staticmethod(make_process)
        case = staticmethod(make_case)

    return Make


OWN_KINDS = ("person", "department", "process", "case")


@pytest.fixture(autouse=True)
def only_known_sources(request: Any) -> Any:
    """These tests search the sources this app and processes register; the other apps' sources are
    exercised by their own tests (and by ``test_every_registered_source`` here, which opts out)."""
    from xietong.search import registry

    if "all_sources" in request.fixturenames:
        yield
        return
    saved = dict(registry._sources)
    registry._sources.clear()
    registry._sources.update({kind: saved[kind] for kind in OWN_KINDS})
    yield
    registry._sources.clear()
    registry._sources.update(saved)


@pytest.fixture
def all_sources() -> None:
    """Search with every registered source (see ``only_known_sources``)."""
