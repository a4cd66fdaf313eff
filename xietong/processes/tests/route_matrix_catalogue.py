"""The process catalogue's and editor's rows of the role × route matrix (tests/test_route_matrix.py).

Everyone signed in reads the catalogue and the page of a published process; coordinators and
administrators create processes and edit, publish and discard drafts (others: 403 on a published
process). A process whose only version is a draft does not exist for those who may not edit it (404
on every route), nor does an unknown id (404 for everyone signed in). Anonymous visitors are sent to
sign in.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from xietong.common.testing.routes import UNKNOWN_ID, Route, managers, signed_in
from xietong.processes.models import Process, ProcessVersion, Step

TZ = ZoneInfo("Asia/Shanghai")
PUBLISHED = datetime(2026, 1, 5, 9, 0, tzinfo=TZ)


def published_process(world: Any) -> Process:
    """CAT-PUB, version 1: RD-HW designs (2d, SALES cooperating), RD reviews (4h)."""
    existing = Process.objects.filter(code="CAT-PUB").first()
    if existing is not None:
        return existing
    process = Process.objects.create(code="CAT-PUB", name="样机评审", owner=world.rd)
    version = ProcessVersion.objects.create(process=process, number=1, published_at=PUBLISHED)
    design = Step.objects.create(
        version=version, position=0, code="CP-1", name="样机设计", responsible=world.rd_hw, time_limit="2d"
    )
    design.cooperating.set([world.sales])
    Step.objects.create(version=version, position=1, code="CP-2", name="评审", responsible=world.rd, time_limit="4h")
    return process


def with_draft(world: Any) -> Process:
    """CAT-PUB with a draft of version 2 (one step)."""
    process = published_process(world)
    if not ProcessVersion.objects.filter(process=process, published_at__isnull=True).exists():
        draft = ProcessVersion.objects.create(process=process, number=2)
        Step.objects.create(
            version=draft, position=0, code="CP-1", name="样机设计", responsible=world.rd_hw, time_limit="3d"
        )
    return process


def draft_only_process(world: Any) -> Process:
    existing = Process.objects.filter(code="CAT-DRAFT").first()
    if existing is not None:
        return existing
    process = Process.objects.create(code="CAT-DRAFT", name="草拟中的流程")
    version = ProcessVersion.objects.create(process=process, number=1)
    Step.objects.create(version=version, position=0, code="CD-1", name="草拟", responsible=world.rd, time_limit="1d")
    return process


def versions_state(world: Any) -> list[tuple[Any, ...]]:
    """Every version and step of every process (what the editor's routes change)."""
    return [
        *ProcessVersion.objects.order_by("pk").values_list("process__code", "number", "published_at", "published_by"),
        *Step.objects.order_by("pk").values_list("version__process__code", "version__number", "code", "time_limit"),
    ]


def processes_state(world: Any) -> list[str]:
    return list(Process.objects.order_by("code").values_list("code", flat=True))


def process_fields_state(world: Any) -> list[tuple[Any, ...]]:
    return list(Process.objects.order_by("code").values_list("code", "name", "description", "owner"))


def _published(world: Any) -> dict[str, Any]:
    return {"pk": published_process(world).pk}


def _with_draft(world: Any) -> dict[str, Any]:
    return {"pk": with_draft(world).pk}


def _draft_only(world: Any) -> dict[str, Any]:
    return {"pk": draft_only_process(world).pk}


def _unknown(world: Any) -> dict[str, Any]:
    return {"pk": UNKNOWN_ID}


def new_process_form(world: Any) -> dict[str, Any]:
    return {"code": "CAT-NEW", "name": "新流程", "description": "", "owner": world.rd.pk}


def draft_form(world: Any) -> dict[str, Any]:
    """Two steps: RD-HW designs in 3d with SALES cooperating; RD reviews in 4h."""
    return {
        "steps-TOTAL_FORMS": "2",
        "steps-INITIAL_FORMS": "0",
        "steps-MIN_NUM_FORMS": "0",
        "steps-MAX_NUM_FORMS": "100",
        "steps-0-code": "CP-1",
        "steps-0-name": "样机设计",
        "steps-0-responsible": world.rd_hw.pk,
        "steps-0-cooperating": [world.sales.pk],
        "steps-0-inputs": "需求书",
        "steps-0-outputs": "样机\n图纸",
        "steps-0-time_limit": "3d",
        "steps-0-ORDER": "1",
        "steps-1-code": "CP-2",
        "steps-1-name": "评审",
        "steps-1-responsible": world.rd.pk,
        "steps-1-time_limit": "4h",
        "steps-1-ORDER": "2",
    }


EDITORS_404 = managers(200, others=404)  # a draft-only process: unknown to those who may not edit

ROUTES = [
    Route("processes:catalogue", expect=signed_in(200)),
    Route(
        "processes:catalogue",
        label="with a draft-only process",
        prepare=lambda client, w: draft_only_process(w) and None,
        expect=signed_in(200),
    ),
    # A process's page.
    Route("processes:process_detail", kwargs=_published, expect=signed_in(200)),
    Route("processes:process_detail", label="with a draft", kwargs=_with_draft, expect=signed_in(200)),
    Route("processes:process_detail", label="draft only", kwargs=_draft_only, expect=EDITORS_404),
    Route("processes:process_detail", label="unknown id", kwargs=_unknown, expect=signed_in(404)),
    # Creating a process.
    Route("processes:process_create", expect=managers(200)),
    Route(
        "processes:process_create",
        method="post",
        data=new_process_form,
        expect=managers(302),
        state=processes_state,
    ),
    # Name, description and owner.
    Route("processes:process_edit", kwargs=_published, expect=managers(200)),
    Route("processes:process_edit", label="draft only", kwargs=_draft_only, expect=EDITORS_404),
    Route("processes:process_edit", label="unknown id", kwargs=_unknown, expect=signed_in(404)),
    Route(
        "processes:process_edit",
        method="post",
        kwargs=_published,
        data=lambda world: {"code": "ignored", "name": "改名后的流程", "description": "", "owner": ""},
        expect=managers(302),
        state=process_fields_state,
    ),
    # The draft editor.
    Route("processes:draft_edit", kwargs=_published, expect=managers(200)),
    Route("processes:draft_edit", label="with a draft", kwargs=_with_draft, expect=managers(200)),
    Route("processes:draft_edit", label="draft only", kwargs=_draft_only, expect=EDITORS_404),
    Route("processes:draft_edit", label="unknown id", kwargs=_unknown, expect=signed_in(404)),
    Route(
        "processes:draft_edit",
        method="post",
        kwargs=_published,
        data=draft_form,
        expect=managers(302),
        state=versions_state,
    ),
    Route(
        "processes:draft_edit",
        method="post",
        label="draft only",
        kwargs=_draft_only,
        data=draft_form,
        expect=EDITORS_404 | {"coordinator": 302, "admin": 302},
        state=versions_state,
    ),
    Route(
        "processes:draft_edit",
        method="post",
        label="unknown id",
        kwargs=_unknown,
        data=draft_form,
        expect=signed_in(404),
        state=versions_state,
    ),
    # Publishing and discarding the draft.
    Route(
        "processes:draft_publish",
        method="post",
        kwargs=_with_draft,
        expect=managers(302),
        state=versions_state,
    ),
    Route(
        "processes:draft_publish",
        method="post",
        label="draft only",
        kwargs=_draft_only,
        expect=managers(302, others=404),
        state=versions_state,
    ),
    Route("processes:draft_publish", label="GET", kwargs=_with_draft, expect=signed_in(405)),
    Route(
        "processes:draft_publish",
        method="post",
        label="unknown id",
        kwargs=_unknown,
        expect=signed_in(404),
        state=versions_state,
    ),
    Route(
        "processes:draft_discard",
        method="post",
        kwargs=_with_draft,
        expect=managers(302),
        state=versions_state,
    ),
    Route(
        "processes:draft_discard",
        method="post",
        label="draft only",
        kwargs=_draft_only,
        expect=managers(302, others=404),
        state=versions_state,
    ),
    Route(
        "processes:draft_discard",
        method="post",
        label="unknown id",
        kwargs=_unknown,
        expect=signed_in(404),
        state=versions_state,
    ),
]
