"""The web import (upload → preview job → confirm → import job), the export download and the template.

Background tasks run at once in tests (ImmediateBackend); the jobs are enqueued once the request's
transaction commits, so the requests that start one run inside ``django_capture_on_commit_callbacks``
(the ``send`` fixture). The page's progress, written by a running job, is tested in test_views_jobs.py.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from xietong.audit.models import AuditEntry
from xietong.common import clock
from xietong.org.models import Department, Person
from xietong.packages.importer import package_import
from xietong.packages.models import ImportJob
from xietong.packages.tests.helpers import db_snapshot, package
from xietong.packages.tests.job_helpers import stored_job

pytestmark = pytest.mark.django_db

GOOD = """
    version: 1
    organization: {name: 华东精密制造有限公司}
    departments:
      - {code: QA, name: 质量部, parent: GM, head: qa1}
      - {code: SALES, name: 市场部, parent: GM}
    people:
      - {username: qa1, name: 质检员, department: QA}
"""
BAD = """
    version: 1
    organization: {name: 华东精密制造有限公司}
    departments:
      - {code: QA, name: 质量部, parent: NOPE}
    people:
      - {username: qa1, name: 质检员, department: QA, level: boss}
"""
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NOT_PENDING = "This import is no longer pending; upload the file again."

Send = Callable[..., Any]


@pytest.fixture(autouse=True)
def data_dir(settings: Any, tmp_path: Path) -> Path:
    settings.DATA_DIR = tmp_path / "data"
    return tmp_path


@pytest.fixture
def admin_client(client: Client, world: Any) -> Client:
    Person.objects.filter(pk=world.admin.pk).update(language="en")
    client.force_login(world.admin)
    return client


@pytest.fixture
def send(django_capture_on_commit_callbacks: Any) -> Send:
    """POST, then run what the request enqueued on commit (the job, at once: ImmediateBackend)."""

    def post(client: Client, url: str, data: dict[str, Any] | None = None) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, data or {})

    return post


def upload(name: str, raw: bytes) -> dict[str, Any]:
    return {"file": SimpleUploadedFile(name, raw)}


def stored_files() -> list[str]:
    """The uploads kept in the storage (under MEDIA_ROOT in tests)."""
    folder = Path(settings.MEDIA_ROOT) / "imports"
    return sorted(str(p.relative_to(settings.MEDIA_ROOT)) for p in folder.rglob("*") if p.is_file())


def jobs() -> list[tuple[str, str, str]]:
    return list(ImportJob.objects.order_by("created_at", "kind").values_list("kind", "status", "filename"))


def job_of(response: Any) -> ImportJob:
    """The job a redirect leads to."""
    assert response.status_code == 302, response.status_code
    job_id = response["Location"].rstrip("/").split("/")[-1]
    job = ImportJob.objects.get(pk=job_id)
    assert response["Location"] == reverse("packages:job", kwargs={"job_id": job.pk})
    return job


def messages_of(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def preview(send: Send, client: Client, name: str, raw: bytes) -> ImportJob:
    """Upload a file and run its preview job."""
    job = job_of(send(client, reverse("packages:preview"), upload(name, raw)))
    job.refresh_from_db()
    return job


def confirm(send: Send, client: Client, job: ImportJob) -> Any:
    return send(client, reverse("packages:confirm", kwargs={"job_id": job.pk}))


# --- who may use it -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["employee", "other_department", "head", "coordinator"])
def test_only_administrators_may_import_or_export(client, world, role, send):
    # given an administrator's preview waiting for confirmation
    previewed = stored_job(world.admin, package(GOOD), result={"counts": [], "changes_total": 3})
    client.force_login(world.user(role))
    before = (db_snapshot(), list(ImportJob.objects.values()), stored_files())
    job_kwargs = {"job_id": previewed.pk}
    # when
    responses = [
        client.get(reverse("packages:index")),
        client.get(reverse("packages:export")),
        client.get(reverse("packages:template")),
        send(client, reverse("packages:preview"), upload("good.yaml", package(GOOD))),
        client.get(reverse("packages:job", kwargs=job_kwargs)),
        client.get(reverse("packages:job_progress", kwargs=job_kwargs)),
        send(client, reverse("packages:confirm", kwargs=job_kwargs)),
    ]
    # then
    assert [r.status_code for r in responses] == [403] * 7
    assert (db_snapshot(), list(ImportJob.objects.values()), stored_files()) == before


@pytest.mark.parametrize("role", ["employee", "coordinator"])
def test_guessing_a_job_id_tells_a_non_administrator_nothing(client, world, role):
    # given one job that exists and one id that does not
    existing = stored_job(world.admin, package(GOOD))
    client.force_login(world.user(role))
    # when
    statuses = [
        client.get(reverse(name, kwargs={"job_id": job_id})).status_code
        for name in ("packages:job", "packages:job_progress")
        for job_id in (existing.pk, "00000000-0000-0000-0000-000000000001")
    ]
    # then: the same answer for both
    assert statuses == [403, 403, 403, 403]


def test_anonymous_visitors_are_sent_to_sign_in(client, world):
    # given
    previewed = stored_job(world.admin, package(GOOD))
    before = (db_snapshot(), list(ImportJob.objects.values()), stored_files())
    urls = {
        "packages:index": reverse("packages:index"),
        "packages:export": reverse("packages:export"),
        "packages:template": reverse("packages:template"),
        "packages:job": reverse("packages:job", kwargs={"job_id": previewed.pk}),
        "packages:job_progress": reverse("packages:job_progress", kwargs={"job_id": previewed.pk}),
    }
    # when
    responses = {name: client.get(url) for name, url in urls.items()}
    posted = client.post(reverse("packages:preview"), upload("good.yaml", package(GOOD)))
    # then
    assert {name: (r.status_code, r["Location"]) for name, r in responses.items()} == {
        name: (302, f"/accounts/login/?next={url}") for name, url in urls.items()
    }
    assert (posted.status_code, posted["Location"]) == (302, f"/accounts/login/?next={reverse('packages:preview')}")
    assert (db_snapshot(), list(ImportJob.objects.values()), stored_files()) == before


def test_an_unknown_job_is_not_found_for_an_administrator(admin_client):
    # given
    unknown = {"job_id": "00000000-0000-0000-0000-000000000001"}
    # when
    statuses = [
        admin_client.get(reverse("packages:job", kwargs=unknown)).status_code,
        admin_client.get(reverse("packages:job_progress", kwargs=unknown)).status_code,
        admin_client.post(reverse("packages:confirm", kwargs=unknown)).status_code,
    ]
    # then
    assert statuses == [404, 404, 404]
    assert ImportJob.objects.exists() is False


# --- upload and preview ---------------------------------------------------------------------------


def test_an_upload_is_stored_and_its_preview_queued(admin_client, world):
    # given
    raw = package(GOOD)
    before = db_snapshot()
    # when the request returns, before any worker ran the job
    response = admin_client.post(reverse("packages:preview"), upload("good.yaml", raw))
    # then the file is in the default storage, the job waits, and its page asks for news every second
    job = job_of(response)
    assert (job.kind, job.status, job.actor, job.filename, job.size) == (
        "preview",
        "queued",
        world.admin,
        "good.yaml",
        len(raw),
    )
    assert job.sha256 == hashlib.sha256(raw).hexdigest()
    assert job.language == "en"
    assert stored_files() == [job.upload.name]
    with default_storage.open(job.upload.name, "rb") as handle:
        assert handle.read() == raw
    page = admin_client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert f'hx-get="{reverse("packages:job_progress", kwargs={"job_id": job.pk})}" hx-trigger="every 1s"' in html
    assert "Waiting for a worker…" in html
    assert 'id="confirm-import"' not in html
    assert db_snapshot() == before


def test_preview_shows_the_changes_and_writes_nothing(admin_client, send):
    # given
    before = db_snapshot()
    # when
    job = preview(send, admin_client, "good.yaml", package(GOOD))
    response = admin_client.get(reverse("packages:job", kwargs={"job_id": job.pk}))
    # then
    assert (job.kind, job.status) == ("preview", "succeeded")
    assert job.result["counts"] == [
        {"section": "departments", "create": 1, "update": 1},
        {"section": "people", "create": 1, "update": 0},
    ]
    assert [(c["section"], c["key"], c["action"]) for c in response.context["changes"]] == [
        ("departments", "QA", "create"),
        ("departments", "SALES", "update"),
        ("people", "qa1", "create"),
    ]
    # in the importer's order, whatever the database does to a JSON object's keys
    assert response.context["changes"][0]["fields"] == [
        ["name", None, "质量部"],
        ["parent", None, "GM"],
        ["is_active", None, "True"],
        ["head", None, "qa1"],
    ]
    html = response.content.decode()
    assert "hx-trigger" not in html
    assert 'id="import-changes"' in html
    assert "<code>QA</code>" in html
    assert "销售部 → 市场部" in html
    assert f'action="{reverse("packages:confirm", kwargs={"job_id": job.pk})}"' in html
    assert 'id="confirm-import"' in html
    assert db_snapshot() == before
    assert stored_files() == [job.upload.name]  # kept for the confirmation


def test_preview_of_a_bad_file_lists_every_problem_writes_nothing_and_drops_the_file(admin_client, send):
    # given
    before = db_snapshot()
    # when
    job = preview(send, admin_client, "bad.yaml", package(BAD))
    response = admin_client.get(reverse("packages:job", kwargs={"job_id": job.pk}))
    # then
    assert (job.status, job.upload.name) == ("failed", "")
    assert [(p["line"], p["path"], p["message"]) for p in response.context["problems"]] == [
        (4, "departments[0].parent", "no department has the code “NOPE”"),
        (6, "people[0].level", "“boss” is not one of: staff, manager, executive"),
    ]
    html = response.content.decode()
    assert "The file has 2 problems; nothing was imported." in html
    assert 'id="import-problems"' in html
    assert "<td>4</td><td><code>departments[0].parent</code></td>" in html
    assert 'id="confirm-import"' not in html
    assert "hx-trigger" not in html
    assert db_snapshot() == before
    assert stored_files() == []
    # and confirming it anyway is refused
    refused = confirm(send, admin_client, job)
    assert messages_of(refused) == [NOT_PENDING]
    assert db_snapshot() == before
    assert jobs() == [("preview", "failed", "bad.yaml")]


def test_a_file_that_changes_nothing_cannot_be_confirmed_from_the_page(admin_client, send):
    # given the organization as it is, exported
    raw = admin_client.get(reverse("packages:export")).content
    # when
    job = preview(send, admin_client, "same.yaml", raw)
    html = admin_client.get(reverse("packages:job", kwargs={"job_id": job.pk})).content.decode()
    # then
    assert job.result == {"counts": [], "changes_total": 0, "changes": []}
    assert "The file matches what is stored: importing it changes nothing." in html
    assert 'id="confirm-import"' not in html


def test_preview_without_a_file_is_refused(admin_client, send):
    # given
    before = db_snapshot()
    # when
    response = send(admin_client, reverse("packages:preview"))
    # then
    assert (response.status_code, response["Location"]) == (302, reverse("packages:index"))
    assert messages_of(response) == ["Choose a file to import."]
    assert db_snapshot() == before
    assert (jobs(), stored_files()) == ([], [])


def test_preview_of_a_file_over_the_size_limit_is_refused(admin_client, settings, send):
    # given
    settings.XIETONG_IMPORT_MAX_BYTES = 1024 * 1024
    before = db_snapshot()
    # when
    response = send(admin_client, reverse("packages:preview"), upload("big.yaml", b"#" * (1024 * 1024 + 1)))
    # then
    assert (response.status_code, response["Location"]) == (302, reverse("packages:index"))
    assert messages_of(response) == ["The file is larger than the limit of 1 MB."]
    assert db_snapshot() == before
    assert (jobs(), stored_files()) == ([], [])


def test_a_non_yaml_upload_is_refused_cleanly(admin_client, send):
    # given
    before = db_snapshot()
    # when
    job = preview(send, admin_client, "org.yaml", b"\xff\xfe\x00garbage")
    # then
    assert job.status == "failed"
    assert [(p["line"], p["path"]) for p in job.result["problems"]] == [(1, "")]
    assert db_snapshot() == before
    assert stored_files() == []


def test_an_unexpected_error_fails_the_job_and_changes_nothing(admin_client, send, monkeypatch):
    # given an importer that breaks halfway
    def broken(**kwargs: Any) -> Any:
        raise RuntimeError("disk full")

    monkeypatch.setattr("xietong.packages.jobs.upload_import", broken)
    before = db_snapshot()
    # when
    job = preview(send, admin_client, "good.yaml", package(GOOD))
    html = admin_client.get(reverse("packages:job", kwargs={"job_id": job.pk})).content.decode()
    # then
    assert (job.status, job.result, job.upload.name) == (
        "failed",
        {"error": "The import stopped on an unexpected error; nothing was changed."},
        "",
    )
    assert "The file could not be checked; nothing was imported." in html
    assert "hx-trigger" not in html
    assert db_snapshot() == before
    assert stored_files() == []


# --- confirm ---------------------------------------------------------------------------------------


def test_confirm_imports_the_previewed_file_with_the_admin_as_actor_and_drops_the_file(admin_client, world, send):
    # given
    previewed = preview(send, admin_client, "good.yaml", package(GOOD))
    audit_before = AuditEntry.objects.count()
    # when
    response = confirm(send, admin_client, previewed)
    # then the import job ran and its page shows the result
    imported = job_of(response)
    imported.refresh_from_db()
    assert (imported.kind, imported.status, imported.preview, imported.actor) == (
        "import",
        "succeeded",
        previewed,
        world.admin,
    )
    assert imported.result == {
        "counts": [
            {"section": "departments", "create": 1, "update": 1},
            {"section": "people", "create": 1, "update": 0},
        ],
        "changes_total": 3,
    }
    html = admin_client.get(response["Location"]).content.decode()
    assert "Imported good.yaml: 3 changes." in html
    assert "hx-trigger" not in html
    qa = Department.objects.get(code="QA")
    assert (qa.name, qa.parent, qa.head.username) == ("质量部", world.gm, "qa1")
    assert Department.objects.get(code="SALES").name == "市场部"
    entries = list(AuditEntry.objects.order_by("pk")[audit_before:])
    assert [(e.action, e.object_repr, e.actor_id, e.actor_repr) for e in entries] == [
        ("import.create", "质量部", world.admin.pk, "黎俊杰 (admin)"),
        ("import.update", "市场部", world.admin.pk, "黎俊杰 (admin)"),
        ("import.create", "质检员 (qa1)", world.admin.pk, "黎俊杰 (admin)"),
    ]
    assert stored_files() == []
    assert list(ImportJob.objects.values_list("upload", flat=True)) == ["", ""]
    # and the preview's page now leads to the import instead of offering it again
    preview_html = admin_client.get(reverse("packages:job", kwargs={"job_id": previewed.pk})).content.decode()
    assert 'id="confirm-import"' not in preview_html
    assert reverse("packages:job", kwargs={"job_id": imported.pk}) in preview_html


def test_confirming_twice_imports_once(admin_client, send):
    # given
    previewed = preview(send, admin_client, "good.yaml", package(GOOD))
    first = confirm(send, admin_client, previewed)
    admin_client.get(first["Location"])  # shows (and uses up) any message
    after_first = db_snapshot()
    # when the button is clicked again (a double click, or a second tab)
    second = confirm(send, admin_client, previewed)
    # then the second click shows the first import and imports nothing
    assert second["Location"] == first["Location"]
    assert messages_of(second) == ["This preview has been confirmed already."]
    assert db_snapshot() == after_first
    assert jobs() == [("preview", "succeeded", "good.yaml"), ("import", "succeeded", "good.yaml")]


def test_two_confirmations_racing_claim_the_preview_once(world):
    # given two requests that both read the preview before either confirmed it
    from xietong.common.exceptions import ApplicationError
    from xietong.packages.jobs import import_job_confirm

    previewed = stored_job(world.admin, package(GOOD), result={"counts": [], "changes_total": 3})
    seen_by_first, seen_by_second = ImportJob.objects.get(pk=previewed.pk), ImportJob.objects.get(pk=previewed.pk)
    # when
    imported = import_job_confirm(job=seen_by_first, actor=world.admin)
    with pytest.raises(ApplicationError) as refused:
        import_job_confirm(job=seen_by_second, actor=world.admin)
    # then
    assert refused.value.code == "confirmed"
    assert list(ImportJob.objects.filter(kind="import").values_list("pk", flat=True)) == [imported.pk]


def test_another_administrator_may_confirm_and_is_the_actor(admin_client, world, send):
    # given a preview by the first administrator
    previewed = preview(send, admin_client, "good.yaml", package(GOOD))
    other_admin = Person.objects.create(username="admin2", name="第二管理员", department=world.gm, is_admin=True)
    other = Client()
    other.force_login(other_admin)
    # when the second one opens it and confirms
    page = other.get(reverse("packages:job", kwargs={"job_id": previewed.pk}))
    response = confirm(send, other, previewed)
    # then
    assert page.status_code == 200
    imported = job_of(response)
    assert (imported.actor, ImportJob.objects.get(pk=imported.pk).status) == (other_admin, "succeeded")
    assert AuditEntry.objects.filter(action="import.create", actor=other_admin).count() == 2


def test_a_new_upload_replaces_the_pending_preview(admin_client, send):
    # given
    first = preview(send, admin_client, "good.yaml", package(GOOD))
    # when
    second = preview(send, admin_client, "bad.yaml", package(BAD))
    refused = confirm(send, admin_client, first)
    # then
    assert second.status == "failed"
    assert stored_files() == []
    assert (refused["Location"], messages_of(refused)) == (
        reverse("packages:job", kwargs={"job_id": first.pk}),
        [NOT_PENDING],
    )
    assert Department.objects.filter(code="QA").exists() is False
    assert jobs() == [("preview", "succeeded", "good.yaml"), ("preview", "failed", "bad.yaml")]
    html = admin_client.get(refused["Location"]).content.decode()
    assert 'id="confirm-import"' not in html
    assert NOT_PENDING in html


def test_a_new_upload_leaves_the_previews_of_other_administrators_alone(admin_client, world, send):
    # given another administrator's preview
    theirs = stored_job(world.coordinator, package(GOOD), result={"counts": [], "changes_total": 3})
    # when
    preview(send, admin_client, "bad.yaml", package(BAD))
    # then
    assert stored_files() == [theirs.upload.name]


def test_a_stored_file_changed_after_the_preview_is_not_imported(admin_client, send):
    # given the stored upload is replaced behind xietong's back after the preview
    previewed = preview(send, admin_client, "good.yaml", package(GOOD))
    default_storage.delete(previewed.upload.name)
    default_storage.save(previewed.upload.name, io.BytesIO(package(GOOD).replace(b"QA", b"QX")))
    before = db_snapshot()
    # when
    imported = job_of(confirm(send, admin_client, previewed))
    # then
    imported.refresh_from_db()
    assert (imported.status, imported.result) == (
        "failed",
        {"error": "The stored file changed after it was uploaded; nothing was imported. Upload it again."},
    )
    assert (
        "The import failed; nothing was changed."
        in admin_client.get(reverse("packages:job", kwargs={"job_id": imported.pk})).content.decode()
    )
    assert db_snapshot() == before
    assert stored_files() == []


def test_a_file_that_became_invalid_before_confirmation_shows_the_problems(admin_client, send):
    # given the previewed file names a parent that is deleted before the confirmation
    extra = Department.objects.create(code="TMP", name="临时")
    raw = package("""
        version: 1
        organization: {name: 华东精密制造有限公司}
        departments:
          - {code: QA, name: 质量部, parent: TMP}
    """)
    previewed = preview(send, admin_client, "qa.yaml", raw)
    extra.delete()
    before = db_snapshot()
    # when
    imported = job_of(confirm(send, admin_client, previewed))
    # then
    imported.refresh_from_db()
    assert imported.status == "failed"
    assert imported.result["problems"] == [
        {"line": 4, "path": "departments[0].parent", "message": "no department has the code “TMP”"}
    ]
    assert db_snapshot() == before
    assert stored_files() == []


def test_the_upload_goes_to_the_default_storage_not_to_a_local_path(admin_client, settings, send, data_dir):
    # given a storage that is not the local disk (as S3 is not)
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"}}
    # when
    previewed = preview(send, admin_client, "good.yaml", package(GOOD))
    # then the file is in that storage, and nowhere on the disk
    assert default_storage.exists(previewed.upload.name) is True
    assert [p for p in data_dir.rglob("*") if p.is_file()] == []
    # when
    confirm(send, admin_client, previewed)
    # then the import read it from there, and deleted it
    assert Department.objects.filter(code="QA").exists() is True
    assert default_storage.exists(previewed.upload.name) is False


# --- the import page lists the recent jobs ---------------------------------------------------------


def test_the_import_page_lists_the_recent_jobs_of_every_administrator(admin_client, world, send):
    # given
    mine = preview(send, admin_client, "good.yaml", package(GOOD))
    theirs = stored_job(world.coordinator, package(BAD), filename="theirs.yaml", status=ImportJob.Status.RUNNING)
    # when
    response = admin_client.get(reverse("packages:index"))
    # then
    assert [(j.pk, j.filename, j.status) for j in response.context["jobs"]] == [
        (theirs.pk, "theirs.yaml", "running"),
        (mine.pk, "good.yaml", "succeeded"),
    ]
    html = response.content.decode()
    assert f'href="{reverse("packages:job", kwargs={"job_id": theirs.pk})}">theirs.yaml</a>' in html


def _index_queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("packages:index")).status_code == 200
    return len(queries)


def test_the_import_page_costs_the_same_queries_with_1_and_12_jobs(admin_client, world):
    # given
    stored_job(world.admin, package(GOOD))
    few = _index_queries(admin_client)
    for n in range(11):
        stored_job(world.coordinator if n % 2 else world.admin, package(GOOD), filename=f"{n}.yaml")
    # when
    many = _index_queries(admin_client)
    # then
    assert many == few


# --- export ---------------------------------------------------------------------------------------


def test_export_download_imports_back_with_no_changes(admin_client, world):
    # given 2026-12-31 17:00 UTC is 2027-01-01 in Shanghai
    before = db_snapshot()
    # when
    with clock.freeze(datetime(2026, 12, 31, 17, 0, tzinfo=UTC)):
        response = admin_client.get(reverse("packages:export"))
    # then
    assert response.status_code == 200
    assert response["Content-Type"] == "application/yaml; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="xietong-2027-01-01.yaml"'
    assert '    holidays:\n      - "2027-01-01"\n' in response.content.decode()
    assert package_import(raw=response.content).changes == []
    assert db_snapshot() == before


# --- the spreadsheet ------------------------------------------------------------------------------


def filled_template(client: Client, departments: list[list[Any]], people: list[list[Any]]) -> bytes:
    """The downloaded template with its example rows replaced."""
    response = client.get(reverse("packages:template"))
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == ["departments", "people", "README"]
    for name, rows in (("departments", departments), ("people", people)):
        ws = wb[name]
        ws.delete_rows(2, ws.max_row)
        for row in rows:
            ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_the_template_has_a_header_row_of_package_keys(admin_client):
    # when
    response = admin_client.get(reverse("packages:template"))
    # then
    wb = load_workbook(io.BytesIO(response.content))
    assert [c.value for c in wb["departments"][1]] == [
        "code",
        "name",
        "parent",
        "head",
        "liaison",
        "deputy_liaison",
        "active",
    ]
    assert [c.value for c in wb["people"][1]] == [
        "username",
        "name",
        "department",
        "title",
        "level",
        "email",
        "roles",
        "active",
    ]
    assert response["Content-Disposition"] == 'attachment; filename="xietong-departments-people.xlsx"'


def test_a_filled_template_is_previewed_then_imported(admin_client, world, send):
    # given
    raw = filled_template(
        admin_client,
        departments=[
            ["QA", "质量部", "GM", "qa1", None, None, True],
            ["QA-LAB", "实验室", "QA", None, "qa2", None, None],
            [None, None, None, None, None, None, None],  # a blank row is skipped
            ["SALES", "市场销售部", "GM", None, None, None, True],
        ],
        people=[
            ["qa1", "质检主管", "QA", "主管", "manager", "qa1@example.com", "coordinator, admin", True],
            ["qa2", "化验员", "QA-LAB", None, None, None, None, False],
        ],
    )
    before = db_snapshot()
    # when
    previewed = preview(send, admin_client, "people.xlsx", raw)
    # then the preview lists the changes and nothing is written yet
    assert previewed.status == "succeeded"
    assert previewed.result["counts"] == [
        {"section": "departments", "create": 2, "update": 1},
        {"section": "people", "create": 2, "update": 0},
    ]
    assert previewed.upload.name.endswith(".xlsx")
    assert db_snapshot() == before
    # when
    confirmed = confirm(send, admin_client, previewed)
    # then
    assert "Imported people.xlsx: 5 changes." in admin_client.get(confirmed["Location"]).content.decode()
    assert list(
        Department.objects.filter(code__in=["QA", "QA-LAB", "SALES"])
        .order_by("code")
        .values_list("code", "name", "parent__code", "head__username", "liaison__username", "is_active")
    ) == [
        ("QA", "质量部", "GM", "qa1", None, True),
        ("QA-LAB", "实验室", "QA", None, "qa2", True),
        ("SALES", "市场销售部", "GM", None, None, True),
    ]
    assert list(
        Person.objects.filter(username__in=["qa1", "qa2"])
        .order_by("username")
        .values_list(
            "username", "name", "department__code", "title", "level", "email", "is_admin", "is_coordinator", "is_active"
        )
    ) == [
        ("qa1", "质检主管", "QA", "主管", "manager", "qa1@example.com", True, True, True),
        ("qa2", "化验员", "QA-LAB", "", "staff", "", False, False, False),
    ]


def test_a_template_with_bad_rows_shows_the_problems_with_row_numbers(admin_client, world, send):
    # given
    raw = filled_template(
        admin_client,
        departments=[
            ["QA", "质量部", "GM", None, None, None, True],
            ["QA", "质量部二", "GM", None, None, None, "yes"],
        ],
        people=[
            ["qa1", "质检员", "NOPE", None, "staff", None, None, None],
            ["Bad Name", "坏名字", "QA", None, "boss", None, "owner", None],
        ],
    )
    before = db_snapshot()
    # when
    job = preview(send, admin_client, "people.xlsx", raw)
    # then
    assert job.status == "failed"
    assert [(p["line"], p["path"], p["message"]) for p in job.result["problems"]] == [
        (2, "people[0].department", "no department has the code “NOPE”"),
        (3, "departments[1].active", "“yes” is not a boolean; write true or false"),
        (3, "departments[1].code", "duplicate department code “QA” (first defined at departments[0].code)"),
        (3, "people[1].level", "“boss” is not one of: staff, manager, executive"),
        (3, "people[1].roles[0]", "“owner” is not one of: admin, coordinator"),
        (
            3,
            "people[1].username",
            "“Bad Name” is not a valid username (lowercase letters, digits, “_”, “.”, “-”;"
            " at most 64 characters, starting with a lowercase letter or digit)",
        ),
    ]
    assert db_snapshot() == before
    assert stored_files() == []


def test_a_template_with_an_unknown_column_is_refused(admin_client, send):
    # given
    raw = filled_template(admin_client, departments=[["QA", "质量部"]], people=[])
    wb = load_workbook(io.BytesIO(raw))
    wb["departments"]["H1"] = "budget"
    out = io.BytesIO()
    wb.save(out)
    before = db_snapshot()
    # when
    job = preview(send, admin_client, "people.xlsx", out.getvalue())
    # then
    assert (job.status, job.result["problems"]) == (
        "failed",
        [{"line": 1, "path": "departments", "message": "unknown column(s) “budget” in the sheet “departments”"}],
    )
    assert db_snapshot() == before


@pytest.mark.parametrize(
    "raw",
    [
        b"version: 1\n",
        b"PK\x03\x04 not really a zip",
        b"",
    ],
    ids=["yaml", "broken zip", "empty"],
)
def test_a_file_named_xlsx_that_is_not_a_workbook_is_refused_cleanly(admin_client, raw, send):
    # given
    before = db_snapshot()
    # when
    job = preview(send, admin_client, "people.xlsx", raw)
    # then
    assert (job.status, job.result["problems"]) == (
        "failed",
        [{"line": None, "path": "", "message": "the file is not an Excel workbook (.xlsx)"}],
    )
    assert db_snapshot() == before
    assert stored_files() == []


def test_a_zip_that_is_not_a_workbook_is_refused_cleanly(admin_client, send):
    # given
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "hello")
    before = db_snapshot()
    # when
    job = preview(send, admin_client, "people.xlsx", out.getvalue())
    # then
    assert (job.status, job.result["problems"]) == (
        "failed",
        [{"line": None, "path": "", "message": "the file is not an Excel workbook (.xlsx)"}],
    )
    assert db_snapshot() == before
