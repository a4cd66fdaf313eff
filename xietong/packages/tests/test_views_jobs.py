"""A job's page while it runs: the progress the worker writes to the cache, asked for every second.

The worker runs at once in tests, so these tests write the progress themselves, as a running job
would, and look at the page.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from xietong.org.models import Person
from xietong.packages.importer import ImportFailed, package_import
from xietong.packages.jobs import ProgressReporter, import_job_run, progress_key, progress_read, progress_write
from xietong.packages.models import ImportJob
from xietong.packages.tests.helpers import db_snapshot, package
from xietong.packages.tests.job_helpers import stored_job

pytestmark = pytest.mark.django_db

CHINESE = re.compile(r"[\u4e00-\u9fff]")

GOOD = package("""
    version: 1
    organization: {name: 华东精密制造有限公司}
    departments:
      - {code: QA, name: 质量部, parent: GM}
""")


@pytest.fixture
def admin_client(client: Client, world: Any) -> Client:
    Person.objects.filter(pk=world.admin.pk).update(language="en")
    client.force_login(world.admin)
    return client


def progress_html(client: Client, job: ImportJob) -> str:
    response = client.get(reverse("packages:job_progress", kwargs={"job_id": job.pk}), headers={"HX-Request": "true"})
    assert response.status_code == 200
    return response.content.decode()


def test_a_running_job_shows_its_phase_and_a_bar_of_done_over_total(admin_client, world):
    # given
    job = stored_job(world.admin, GOOD, status=ImportJob.Status.RUNNING)
    progress_write(job.pk, "Writing: people", 30_000, 100_000)
    # when
    html = progress_html(admin_client, job)
    # then: the fragment replaces itself, and asks again in a second
    assert html.startswith('<div id="import-job" data-status="running"')
    assert f'hx-get="{reverse("packages:job_progress", kwargs={"job_id": job.pk})}" hx-trigger="every 1s"' in html
    assert '<div class="fw-bold" id="import-phase">Writing: people</div>' in html
    assert "30,000 of 100,000 (30%)" in html
    assert 'value="30000" max="100000"' in html
    assert "progress-bar-indeterminate" not in html
    assert "<html" not in html  # a fragment, not a page


def test_a_phase_of_unknown_length_shows_an_indeterminate_bar(admin_client, world):
    # given
    job = stored_job(world.admin, GOOD, status=ImportJob.Status.RUNNING)
    progress_write(job.pk, "Reading the file", 0, 0)
    # when
    html = progress_html(admin_client, job)
    # then
    assert '<div class="fw-bold" id="import-phase">Reading the file</div>' in html
    assert "progress-bar-indeterminate" in html
    assert "<progress" not in html
    assert 'id="import-count"' not in html
    assert 'hx-trigger="every 1s"' in html


def test_a_queued_job_waits_for_a_worker(admin_client, world):
    # given a job no worker has taken yet (a stale progress entry is not shown)
    job = stored_job(world.admin, GOOD, status=ImportJob.Status.QUEUED)
    progress_write(job.pk, "Writing: people", 5, 10)
    # when
    html = progress_html(admin_client, job)
    # then
    assert '<div class="fw-bold" id="import-phase">Waiting for a worker…</div>' in html
    assert "progress-bar-indeterminate" in html
    assert 'hx-trigger="every 1s"' in html


def test_a_running_job_without_progress_yet_is_starting(admin_client, world):
    # given
    job = stored_job(world.admin, GOOD, status=ImportJob.Status.RUNNING)
    # when
    html = progress_html(admin_client, job)
    # then
    assert '<div class="fw-bold" id="import-phase">Starting…</div>' in html


def test_the_polling_stops_when_the_job_has_finished(admin_client, world):
    # given a preview the worker has just finished
    job = stored_job(
        world.admin,
        GOOD,
        result={
            "counts": [{"section": "departments", "create": 1, "update": 0}],
            "changes_total": 1,
            "changes": [
                {"section": "departments", "key": "QA", "action": "create", "fields": [["name", None, "质量部"]]}
            ],
        },
    )
    # when
    html = progress_html(admin_client, job)
    # then: the last swap brings the preview and its button, and no trigger
    assert "hx-get" not in html
    assert "hx-trigger" not in html
    assert 'data-status="succeeded"' in html
    assert "<code>QA</code>" in html
    assert "1 new, 0 changed" in html
    assert f'action="{reverse("packages:confirm", kwargs={"job_id": job.pk})}"' in html
    assert 'name="csrfmiddlewaretoken"' in html


def test_the_progress_of_a_job_goes_to_the_cache_and_is_cleared_when_it_ends(world, monkeypatch):
    # given a queued preview
    job = stored_job(world.admin, GOOD, status=ImportJob.Status.QUEUED)
    seen: list[dict[str, Any] | None] = []
    backend = caches["default"]
    real_set = backend.set

    def spy(key: str, value: Any, *args: Any, **kwargs: Any) -> Any:
        if key == progress_key(job.pk):
            seen.append(value)
        return real_set(key, value, *args, **kwargs)

    monkeypatch.setattr(backend, "set", spy)
    # when
    status = import_job_run(job_id=job.pk)
    # then: the phases of the importer went by in order, and nothing is left once the job ended
    assert status == "succeeded"
    phases = [entry["phase"] for entry in seen if entry is not None]
    assert phases[0] == "Reading the file"
    assert phases[-1] == "Done"
    assert "Writing: departments" in phases
    assert progress_read(job.pk) is None


def test_running_a_job_twice_runs_it_once(world):
    # given a preview that already ran
    job = stored_job(world.admin, GOOD, status=ImportJob.Status.QUEUED)
    assert import_job_run(job_id=job.pk) == "succeeded"
    finished = ImportJob.objects.values().get(pk=job.pk)
    before = db_snapshot()
    # when a second worker picks the same task
    status = import_job_run(job_id=job.pk)
    # then
    assert status == "succeeded"
    assert ImportJob.objects.values().get(pk=job.pk) == finished
    assert db_snapshot() == before


def test_a_job_reports_in_the_language_of_its_uploader(world):
    # given a job uploaded from the Chinese UI
    raw = b"version: 1\norganization: {name: X}\ndepartments: []\nbogus: 1\n"
    job = stored_job(world.admin, raw, status=ImportJob.Status.QUEUED)
    ImportJob.objects.filter(pk=job.pk).update(language="zh-hans")
    with translation.override("zh-hans"), pytest.raises(ImportFailed) as failed:
        package_import(raw=raw)
    expected = [str(problem.message) for problem in failed.value.problems]
    # when the worker runs it (with English active, as in this test)
    import_job_run(job_id=job.pk)
    # then its problems read as the Chinese UI shows them
    job.refresh_from_db()
    assert [p["message"] for p in job.result["problems"]] == expected
    assert CHINESE.search(job.result["problems"][0]["message"])


def test_the_reporter_writes_each_phase_and_at_most_every_interval_within_one(monkeypatch):
    # given a clock that moves only when told
    now = [100.0]
    monkeypatch.setattr("xietong.packages.jobs.time.monotonic", lambda: now[0])
    job_id = uuid.uuid4()
    writes: list[tuple[str, int, int]] = []
    monkeypatch.setattr(
        "xietong.packages.jobs.progress_write", lambda _job, phase, done, total: writes.append((phase, done, total))
    )
    say = ProgressReporter(job_id, interval=0.5)
    # when
    say("Writing: people", 0, 100)
    say("Writing: people", 10, 100)  # too soon
    now[0] += 0.6
    say("Writing: people", 20, 100)
    say("Writing: people", 100, 100)  # the end of a phase is always written
    say("Linking: people", 0, 100)  # so is a new phase
    # then
    assert writes == [
        ("Writing: people", 0, 100),
        ("Writing: people", 20, 100),
        ("Writing: people", 100, 100),
        ("Linking: people", 0, 100),
    ]


def test_a_broken_cache_loses_the_progress_not_the_import(world, monkeypatch):
    # given a cache that fails on every call
    def down(*args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("redis is down")

    backend = caches["default"]  # the backend itself, not the proxy (settings change it at teardown)
    for method in ("set", "get", "delete"):
        monkeypatch.setattr(backend, method, down)
    job = stored_job(world.admin, GOOD, status=ImportJob.Status.QUEUED)
    # when
    status = import_job_run(job_id=job.pk)
    # then
    assert status == "succeeded"
    assert progress_read(job.pk) is None


# --- query counts ----------------------------------------------------------------------------------


def page_queries(client: Client, job: ImportJob, name: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse(name, kwargs={"job_id": job.pk})).status_code == 200
    return len(queries)


def big_result(n: int) -> dict[str, Any]:
    changes = [
        {"section": "people", "key": f"p{i}", "action": "create", "fields": [["name", None, f"人{i}"]]}
        for i in range(n)
    ]
    return {"counts": [{"section": "people", "create": n, "update": 0}], "changes_total": n, "changes": changes}


@pytest.mark.parametrize("name", ["packages:job", "packages:job_progress"])
def test_a_finished_job_page_costs_the_same_queries_for_1_and_500_changes(admin_client, world, name):
    # given
    small = stored_job(world.admin, GOOD, result=big_result(1))
    large = stored_job(world.coordinator, GOOD, result=big_result(500))
    for _ in range(5):
        stored_job(world.admin, GOOD, result=big_result(1))
    # when
    counts = [page_queries(admin_client, small, name), page_queries(admin_client, large, name)]
    # then
    assert counts[0] == counts[1]


@pytest.mark.parametrize("name", ["packages:job", "packages:job_progress"])
def test_a_running_job_page_costs_the_same_queries_with_1_and_20_jobs(admin_client, world, name):
    # given
    first = stored_job(world.admin, GOOD, status=ImportJob.Status.RUNNING)
    progress_write(first.pk, "Writing: people", 1, 2)
    few = page_queries(admin_client, first, name)
    for _ in range(19):
        stored_job(world.admin, GOOD, status=ImportJob.Status.FAILED, result={"problems": [], "problems_total": 0})
    # when
    many = page_queries(admin_client, first, name)
    # then
    assert many == few
