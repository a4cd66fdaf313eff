"""The catalogue, process page and editor pages (xietong.processes.views.catalogue), and process_series."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from xietong.common import clock
from xietong.processes.figures import process_series
from xietong.processes.models import Case, Process, ProcessVersion, Step
from xietong.processes.tests.factories import (
    TZ,
    CaseFactory,
    ProcessFactory,
    ProcessVersionFactory,
    StepFactory,
    StepRunFactory,
)
from xietong.processes.views.catalogue import swimlane

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 4, 1, 10, 0, tzinfo=TZ)
MARCH = datetime(2026, 3, 2, 9, 0, tzinfo=TZ)


@pytest.fixture(autouse=True)
def _frozen_english() -> Any:
    with clock.freeze(NOW), translation.override("en"):
        yield


def three_step_process(world: Any, code: str = "DEV", *, number: int = 1) -> tuple[Process, list[Step]]:
    """RD-HW designs (SALES cooperating), RD reviews (RD-HW cooperating), SALES quotes (GM cooperating)."""
    version = ProcessVersionFactory(
        process=ProcessFactory(code=code, name=f"流程{code}", owner=world.rd), number=number
    )
    steps = [
        StepFactory(
            version=version, position=0, code=f"{code}-1", name="设计", responsible=world.rd_hw, time_limit="2d"
        ),
        StepFactory(version=version, position=1, code=f"{code}-2", name="评审", responsible=world.rd, time_limit="4h"),
        StepFactory(
            version=version, position=2, code=f"{code}-3", name="报价", responsible=world.sales, time_limit="1d"
        ),
    ]
    steps[0].cooperating.set([world.sales])
    steps[0].inputs, steps[0].outputs = ["需求书"], ["图纸"]
    steps[0].save(update_fields=["inputs", "outputs"])
    steps[1].cooperating.set([world.rd_hw])
    steps[2].cooperating.set([world.gm])
    return version.process, steps


def add_cases(steps: list[Step], count: int) -> None:
    """``count`` cases: each completed its first step (on time for even ones) and runs its second,
    overdue for the first case only."""
    for i in range(count):
        case = CaseFactory(version=steps[0].version, opened_at=MARCH)
        StepRunFactory(
            case=case,
            step=steps[0],
            started_at=MARCH,
            due_at=MARCH + timedelta(days=2),
            completed_at=MARCH + timedelta(days=1 if i % 2 == 0 else 3),
        )
        due = NOW - timedelta(hours=1) if i == 0 else NOW + timedelta(days=1)
        StepRunFactory(case=case, step=steps[1], started_at=MARCH + timedelta(days=3), due_at=due)


def login(client: Any, user: Any) -> None:
    """Sign in, reading the pages in English (the source text of the messages compared below)."""
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def get(client: Any, user: Any, url: str) -> Any:
    login(client, user)
    return client.get(url)


# ── Catalogue ───────────────────────────────────────────────────────────────────────────────────


def test_catalogue_lists_published_processes_with_their_counts(client, world) -> None:
    # given
    _process, steps = three_step_process(world)
    add_cases(steps, 3)
    Case.objects.filter(ref=Case.objects.order_by("pk").last().ref).update(state=Case.State.COMPLETED)
    ProcessVersionFactory(process=ProcessFactory(code="ONLY-DRAFT"), published_at=None)
    # when
    response = get(client, world.employee, reverse("processes:catalogue"))
    # then
    rows = list(response.context["processes"])
    assert [(p.code, p.owner.code, p.step_count, p.current_number, p.open_cases, p.overdue_cases) for p in rows] == [
        ("DEV", "RD", 3, 1, 2, 1)
    ]
    assert b"ONLY-DRAFT" not in response.content
    assert b'id="process-create"' not in response.content


def test_editors_also_see_draft_only_processes_and_the_new_button(client, world) -> None:
    # given
    three_step_process(world)
    ProcessVersionFactory(process=ProcessFactory(code="ONLY-DRAFT"), published_at=None)
    # when
    response = get(client, world.coordinator, reverse("processes:catalogue"))
    # then
    assert [(p.code, p.current_number, p.has_draft) for p in response.context["processes"]] == [
        ("DEV", 1, False),
        ("ONLY-DRAFT", None, True),
    ]
    assert b'id="process-create"' in response.content


def _queries(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


# session, person, organization (language), notification bell, the catalogue
CATALOGUE_QUERIES = 5


@pytest.mark.parametrize("count", [2, 10])
def test_catalogue_costs_a_fixed_number_of_queries(client, world, count: int) -> None:
    # given
    for i in range(count):
        _process, steps = three_step_process(world, f"P{i:02d}")
        add_cases(steps, 2)
    client.force_login(world.coordinator)
    # when
    queries = _queries(client, reverse("processes:catalogue"))
    # then
    assert queries == CATALOGUE_QUERIES


# ── Process page ────────────────────────────────────────────────────────────────────────────────


def test_swimlane_has_a_lane_per_department_in_order_of_first_appearance(world) -> None:
    # given
    _process, steps = three_step_process(world)
    # when
    lanes = swimlane(steps)
    # then
    assert [(lane.department.code, [role for role, _step in lane.cells]) for lane in lanes] == [
        ("RD-HW", ["responsible", "cooperating", ""]),
        ("SALES", ["cooperating", "", "responsible"]),
        ("RD", ["", "responsible", ""]),
        ("GM", ["", "", "cooperating"]),
    ]


def test_process_page_shows_the_swimlane_history_and_figures(client, world) -> None:
    # given: version 1, then version 2 (the current one), with cases
    process, old_steps = three_step_process(world, number=1)
    v2 = ProcessVersionFactory(process=process, number=2, published_at=datetime(2026, 2, 1, 9, 0, tzinfo=TZ))
    StepFactory(version=v2, position=0, code="DEV-1", name="新设计", responsible=world.rd, time_limit="3d")
    add_cases(old_steps, 2)
    # when
    response = get(client, world.employee, reverse("processes:process_detail", args=[process.pk]))
    # then
    assert response.status_code == 200
    assert response.context["current"].number == 2
    assert [lane.department.code for lane in response.context["lanes"]] == ["RD"]
    assert [v.number for v in response.context["history"]] == [2, 1]
    figures = response.context["figures"]
    assert (figures["cases_total"], figures["steps_completed"], figures["steps_on_time"]) == (2, 2, 1)
    assert figures["overdue_open_steps"] == 1
    assert b'id="draft-edit"' not in response.content


def test_editors_see_the_draft_status(client, world) -> None:
    # given
    process, _steps = three_step_process(world)
    draft = ProcessVersionFactory(process=process, number=2, published_at=None)
    StepFactory(version=draft, position=0, code="DEV-1", name="设计", responsible=world.rd, time_limit="0d")
    # when
    response = get(client, world.coordinator, reverse("processes:process_detail", args=[process.pk]))
    # then
    assert response.context["draft"].pk == draft.pk
    assert response.context["draft_problems"] == ["“0d” is not above zero."]
    assert b'id="draft-publish" disabled' in response.content


def test_a_draft_only_process_is_404_for_non_editors(client, world) -> None:
    # given
    draft = ProcessVersionFactory(published_at=None)
    url = reverse("processes:process_detail", args=[draft.process.pk])
    # then
    assert get(client, world.head, url).status_code == 404
    assert get(client, world.coordinator, url).status_code == 200


# session, person, organization (language and schedule), notification bell; the process; its versions,
# their steps and cooperating departments (3); process_series (2); process_figures (5, this process:
# its cases, its runs per step, the steps, the two medians; the calendar is built in memory); whether
# the user may open a case (1)
@pytest.mark.parametrize("count", [2, 10])
def test_process_page_costs_a_fixed_number_of_queries(client, world, count: int) -> None:
    # given
    process, steps = three_step_process(world)
    add_cases(steps, count)
    for i in range(count):  # other processes with cases too
        _other, other_steps = three_step_process(world, f"O{i:02d}")
        add_cases(other_steps, 1)
    client.force_login(world.employee)
    # when
    queries = _queries(client, reverse("processes:process_detail", args=[process.pk]))
    # then
    assert queries == PROCESS_PAGE_QUERIES


PROCESS_PAGE_QUERIES = 16


def test_chart_data_is_the_on_time_rate_by_step_and_month(client, world) -> None:
    # given: DEV-1 completed 3 times (2 on time), DEV-2 once late in April (local time)
    process, steps = three_step_process(world)
    add_cases(steps, 3)
    run = steps[1].runs.order_by("pk").first()
    run.completed_at = datetime(2026, 4, 1, 0, 30, tzinfo=TZ)  # still March in UTC
    run.due_at = datetime(2026, 3, 31, 18, 0, tzinfo=TZ)
    run.save(update_fields=["completed_at", "due_at"])
    # when
    response = get(client, world.employee, reverse("processes:process_detail", args=[process.pk]))
    # then
    html = response.content.decode()
    start = html.index('<script id="process-series" type="application/json">') + len(
        '<script id="process-series" type="application/json">'
    )
    data = json.loads(html[start : html.index("</script>", start)])
    assert data == {
        "by_step": [
            {"code": "DEV-1", "completed": 3, "on_time": 2, "rate": 2 / 3},
            {"code": "DEV-2", "completed": 1, "on_time": 0, "rate": 0.0},
        ],
        "by_month": [
            {"month": "2026-03", "completed": 3, "on_time": 2, "rate": 2 / 3},
            {"month": "2026-04", "completed": 1, "on_time": 0, "rate": 0.0},
        ],
    }
    assert "vendor/echarts/echarts.min.js" in html
    assert "xietong/process-charts.js" in html


def test_without_completed_steps_the_chart_is_an_empty_table(client, world) -> None:
    # given
    process, _steps = three_step_process(world)
    # when
    response = get(client, world.employee, reverse("processes:process_detail", args=[process.pk]))
    # then
    html = response.content.decode()
    assert 'id="series-empty"' in html
    assert "process-series" not in html
    assert "echarts" not in html


def test_process_series_leaves_out_what_happened_after_as_of(world) -> None:
    # given
    process, steps = three_step_process(world)
    add_cases(steps, 2)
    # when: before any step completed
    series = process_series(process.pk, MARCH + timedelta(hours=1), TZ)
    # then
    assert series == {"by_step": [], "by_month": []}


# ── Editor pages ────────────────────────────────────────────────────────────────────────────────


def test_create_page_makes_the_process_and_goes_to_its_draft(client, world) -> None:
    # given
    login(client, world.coordinator)
    # when
    response = client.post(
        reverse("processes:process_create"), {"code": "NEW", "name": "新流程", "description": "", "owner": ""}
    )
    # then
    process = Process.objects.get(code="NEW")
    assert response.status_code == 302
    assert response["Location"] == reverse("processes:draft_edit", args=[process.pk])


def test_create_page_shows_a_taken_code_on_the_field(client, world) -> None:
    # given
    ProcessFactory(code="NEW")
    login(client, world.coordinator)
    # when
    response = client.post(reverse("processes:process_create"), {"code": "NEW", "name": "又一个"})
    # then
    assert response.status_code == 200
    assert response.context["form"].errors == {"code": ["A process with this code already exists."]}
    assert Process.objects.count() == 1


def _step_data(**values: Any) -> dict[str, Any]:
    data = {
        "steps-TOTAL_FORMS": "1",
        "steps-INITIAL_FORMS": "0",
        "steps-MIN_NUM_FORMS": "0",
        "steps-MAX_NUM_FORMS": "100",
        "steps-0-ORDER": "1",
    }
    return data | {f"steps-0-{k}": v for k, v in values.items()}


def test_draft_page_starts_from_the_current_version(client, world) -> None:
    # given
    process, _steps = three_step_process(world)
    # when
    response = get(client, world.coordinator, reverse("processes:draft_edit", args=[process.pk]))
    # then
    formset = response.context["formset"]
    assert [form.initial.get("code") for form in formset] == ["DEV-1", "DEV-2", "DEV-3", None]
    assert ProcessVersion.objects.filter(process=process).count() == 1  # opening the page writes nothing


def test_draft_page_saves_the_steps(client, world) -> None:
    # given
    process = ProcessFactory()
    login(client, world.coordinator)
    data = _step_data(
        code="N-1",
        name="受理",
        responsible=world.rd.pk,
        cooperating=[world.sales.pk],
        inputs="申请\n\n附件",
        outputs="",
        time_limit="4h",
    )
    # when
    response = client.post(reverse("processes:draft_edit", args=[process.pk]), data)
    # then
    assert response.status_code == 302
    step = Step.objects.get(version__process=process)
    assert (step.code, step.version.published_at, step.inputs, step.outputs) == ("N-1", None, ["申请", "附件"], [])


def test_draft_page_shows_service_errors_on_the_step_fields(client, world) -> None:
    # given
    process = ProcessFactory()
    login(client, world.coordinator)
    data = _step_data(code="N-1", name="受理", responsible=world.rd.pk, cooperating=[world.rd.pk], time_limit="0d")
    # when
    response = client.post(reverse("processes:draft_edit", args=[process.pk]), data)
    # then
    assert response.status_code == 200
    assert response.context["formset"].forms[0].errors == {
        "cooperating": ["“研发中心” is responsible for this step; it cannot also cooperate on it."],
        "time_limit": ["“0d” is not above zero."],
    }
    assert ProcessVersion.objects.exists() is False


def test_draft_page_adds_a_blank_step_without_saving(client, world) -> None:
    # given
    process = ProcessFactory()
    login(client, world.coordinator)
    data = _step_data(code="N-1", name="受理", responsible=world.rd.pk, time_limit="4h") | {"add_step": "1"}
    # when
    response = client.post(reverse("processes:draft_edit", args=[process.pk]), data)
    # then
    assert response.status_code == 200
    assert len(response.context["formset"].forms) == 2
    assert ProcessVersion.objects.exists() is False


def test_publish_and_discard_buttons(client, world) -> None:
    # given
    process, _steps = three_step_process(world)
    draft = ProcessVersionFactory(process=process, number=2, published_at=None)
    StepFactory(version=draft, position=0, code="DEV-1", name="设计", responsible=world.rd, time_limit="1d")
    login(client, world.coordinator)
    # when
    response = client.post(reverse("processes:draft_publish", args=[process.pk]))
    # then
    draft.refresh_from_db()
    assert response.status_code == 302
    assert (draft.number, draft.published_at, draft.published_by_id) == (2, NOW, world.coordinator.pk)
    # and discarding when there is no draft any more says so and changes nothing
    response = client.post(reverse("processes:draft_discard", args=[process.pk]), follow=True)
    assert [str(m) for m in response.context["messages"]][-1] == "This process has no draft to discard."
    assert ProcessVersion.objects.filter(process=process).count() == 2
