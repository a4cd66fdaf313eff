"""A web import's journey in a real browser: an administrator uploads a package, watches the job's
page report its progress (htmx asks every second), sees the preview, confirms, and sees the result.

The background tasks wait in a queue here (DummyBackend) and the test plays the worker, with the
page's clock paused (Playwright's clock): the page asks for news only when the test lets a second
pass, so the worker's writes and the page's requests never overlap. Screenshots of the progress
page (1280 px and 390 px wide) go to $XIETONG_SHOTS (default /tmp/xt-webimport/).
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_journeys import expect_path, sign_in, zh
from xietong.org.models import Department, Person
from xietong.packages.jobs import progress_write
from xietong.packages.models import ImportJob
from xietong.packages.tasks import run_import_job

pytestmark = pytest.mark.e2e

SHOTS = Path(os.environ.get("XIETONG_SHOTS", "/tmp/xt-webimport"))
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
PACKAGE = """\
version: 1
organization: {name: 华东精密制造有限公司}
departments:
  - {code: QA, name: 质量部, parent: GM, head: qa1}
  - {code: SALES, name: 市场部, parent: GM}
people:
  - {username: qa1, name: 质检员, department: QA}
"""


def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _one_second_passes(page: Page) -> None:
    """Let the page's clock run a second and a half: htmx settles its last swap (20 ms, which is when it
    sets up the next poll), then asks for the job's news once; wait for the answer."""
    with page.expect_response(lambda r: r.url.endswith("/progress/") and r.request.headers.get("hx-request") == "true"):
        page.clock.run_for(1500)


def _horizontal_overflow(page: Page) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


def test_an_administrator_uploads_watches_the_progress_previews_confirms_and_sees_the_result(
    new_page: Any, world: Any, settings: Any
) -> None:
    # given: tasks wait for a worker (the test plays it), and an administrator whose page clock is paused
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    page, console = new_page()
    page.clock.install(time=datetime(2026, 11, 27, 9, 0, tzinfo=UTC))
    page.clock.pause_at(datetime(2026, 11, 27, 9, 0, 1, tzinfo=UTC))
    sign_in(page, "admin")

    # when: they upload a package on the import page
    page.goto("/packages/")
    page.set_input_files(
        "#id_file", files=[{"name": "org.yaml", "mimeType": "application/yaml", "buffer": PACKAGE.encode()}]
    )
    with page.expect_navigation():
        page.click("form[enctype] button[type=submit]")

    # then: the preview job's page, waiting for a worker; nothing is imported
    job = ImportJob.objects.get()
    expect_path(page, f"/packages/import/{job.pk}/")
    expect(page.locator("#import-job")).to_have_attribute("data-status", "queued")
    expect(page.locator("#import-phase")).to_have_text(zh("Waiting for a worker…"))
    expect(page.locator("#import-bar .progress-bar-indeterminate")).to_have_count(1)
    console.assert_none()

    # when: a worker takes the job and reports a phase of known length (a large package's people)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING)
    progress_write(job.pk, "Writing: people", 42_000, 100_000)
    _one_second_passes(page)

    # then: the page shows the phase and a bar at 42%
    expect(page.locator("#import-job")).to_have_attribute("data-status", "running")
    expect(page.locator("#import-phase")).to_have_text("Writing: people")
    expect(page.locator("progress#import-bar")).to_have_attribute("value", "42000")
    expect(page.locator("progress#import-bar")).to_have_attribute("max", "100000")
    expect(page.locator("#import-count")).to_contain_text("42%")
    console.assert_none()
    _shot(page, "progress-1280")
    page.set_viewport_size(PHONE)
    _shot(page, "progress-390")
    assert _horizontal_overflow(page) == 0
    page.set_viewport_size(DESKTOP)

    # when: the worker runs the preview to its end (the real task, from the start)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.QUEUED)
    assert run_import_job.call(job_id=str(job.pk)) == "succeeded"
    _one_second_passes(page)

    # then: the preview: counts per section, the changes, and the button; still nothing imported
    expect(page.locator("#import-job")).to_have_attribute("data-status", "succeeded")
    expect(page.locator("#import-changes tbody tr")).to_have_count(3)
    expect(page.locator("#import-counts")).to_contain_text("departments")
    expect(page.locator("#import-phase")).to_have_count(0)
    assert Department.objects.filter(code="QA").exists() is False
    console.assert_none()
    _shot(page, "preview-1280")

    # when: they confirm
    with page.expect_navigation():
        page.click("#confirm-import")

    # then: the import job's page, waiting for a worker
    imported = ImportJob.objects.get(kind=ImportJob.Kind.IMPORT)
    expect_path(page, f"/packages/import/{imported.pk}/")
    expect(page.locator("#import-phase")).to_have_text(zh("Waiting for a worker…"))
    console.assert_none()

    # when: the worker imports it
    assert run_import_job.call(job_id=str(imported.pk)) == "succeeded"
    _one_second_passes(page)

    # then: the result, and the organization changed
    expect(page.locator("#import-done")).to_be_visible()
    expect(page.locator("#import-done")).to_contain_text("org.yaml")
    expect(page.locator("#import-job")).not_to_have_attribute("hx-trigger", re.compile(".*"))
    assert Department.objects.get(code="QA").head == Person.objects.get(username="qa1")
    assert Department.objects.get(code="SALES").name == "市场部"
    console.assert_none()
    _shot(page, "result-1280")

    # and: the import page lists both jobs
    page.goto("/packages/")
    expect(page.locator("#import-jobs tbody tr")).to_have_count(2)
    console.assert_none()
