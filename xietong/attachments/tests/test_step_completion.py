"""Completing a process step with an output note and files: the case page, the API, the service, and
that a refused file refuses the whole completion."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from xietong.attachments.models import Attachment
from xietong.attachments.tests.conftest import stored_files
from xietong.audit.models import AuditEntry
from xietong.common import clock
from xietong.common.exceptions import ApplicationError
from xietong.processes import services
from xietong.processes.models import Case, CaseEvent, Process, ProcessVersion, Step, StepRun
from xietong.processes.tests.route_matrix_cases import PUBLISHED, hw_case

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")
PDF_BYTES = b"%PDF-1.7\n%%EOF\n"
HTML_AS_PDF = b"<!doctype html><script>alert(document.cookie)</script>"


def zh(message: str, **values: Any) -> str:
    with translation.override("zh-hans"):
        return translation.gettext(message).format(**values)


def pdf(name: str = "方案.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF_BYTES)


def snapshot(case: Case) -> tuple[Any, ...]:
    return (
        list(StepRun.objects.filter(case=case).order_by("pk").values_list("pk", "completed_at", "output_note")),
        Case.objects.filter(pk=case.pk).values_list("state", "closed_at").get(),
        CaseEvent.objects.filter(case=case).count(),
        Attachment.objects.count(),
        AuditEntry.objects.count(),
    )


def test_the_service_attaches_the_files_to_the_completed_run(world, media_root):
    # given
    case = hw_case(world)
    run = case.step_runs.get()
    # when
    services.step_complete(actor=world.employee, run=run, note="已诊断", files=[pdf("诊断.pdf"), pdf("照片.pdf")])
    # then
    run.refresh_from_db()
    assert run.completed_at is not None
    assert list(Attachment.objects.values_list("object_id", "filename", "uploaded_by")) == [
        (str(run.pk), "诊断.pdf", world.employee.pk),
        (str(run.pk), "照片.pdf", world.employee.pk),
    ]
    assert len(stored_files(media_root)) == 2


def test_a_refused_file_leaves_the_step_uncompleted(world, media_root):
    # given
    case = hw_case(world)
    run = case.step_runs.get()
    before = snapshot(case)
    # when
    with pytest.raises(ApplicationError):
        services.step_complete(
            actor=world.employee, run=run, note="已诊断", files=[pdf(), SimpleUploadedFile("说明.pdf", HTML_AS_PDF)]
        )
    # then: no completion, no next step, no event, no attachment, no audit entry, no file
    assert snapshot(case) == before
    assert stored_files(media_root) == []


def test_the_case_page_completes_a_step_with_files_and_lists_them(client, world, media_root):
    # given
    case = hw_case(world)
    client.force_login(world.employee)
    url = reverse("processes:case_detail", args=[case.pk])
    # when
    form = client.get(url)
    response = client.post(
        reverse("processes:step_complete", args=[case.pk]),
        {"note": "已诊断", "attachments": [pdf("诊断.pdf"), SimpleUploadedFile("记录.txt", "温度过高\n".encode())]},
    )
    page = client.get(url)
    # then
    assert 'enctype="multipart/form-data"' in form.content.decode()
    assert response.status_code == 302
    run = case.step_runs.get(position=0)
    assert run.completed_at is not None
    first, second = Attachment.objects.order_by("pk")
    html = page.content.decode()
    assert f'href="{reverse("attachments:download", args=[first.pk])}"' in html
    assert f'href="{reverse("attachments:download", args=[second.pk])}"' in html
    assert "诊断.pdf" in html
    assert "记录.txt" in html
    assert (first.size, second.size) == (len(PDF_BYTES), len("温度过高\n".encode()))


def test_the_case_page_refuses_a_disguised_file_with_a_message_and_changes_nothing(client, world, media_root):
    # given
    case = hw_case(world)
    before = snapshot(case)
    client.force_login(world.employee)
    # when
    response = client.post(
        reverse("processes:step_complete", args=[case.pk]),
        {"note": "已诊断", "attachments": [pdf(), SimpleUploadedFile("说明.pdf", HTML_AS_PDF)]},
    )
    # then
    assert response.status_code == 302
    assert [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)] == [
        (
            "error",
            zh(
                "The file “{name}” is {kind}, which cannot be attached: web pages, SVG, XML, JavaScript and "
                "programs are refused.",
                name="说明.pdf",
                kind=zh("a web page (HTML)"),
            ),
        )
    ]
    assert snapshot(case) == before
    assert stored_files(media_root) == []


def test_the_api_completes_a_step_with_multipart_files_and_lists_them(client, world, media_root):
    # given
    case = hw_case(world)
    client.force_login(world.employee)
    # when
    response = client.post(
        f"/api/v1/processes/cases/{case.pk}/complete/", {"note": "已诊断", "files": [pdf("诊断.pdf"), pdf("b.pdf")]}
    )
    # then
    assert response.status_code == 200
    first, second = Attachment.objects.order_by("pk")
    runs = response.json()["step_runs"]
    assert runs[0]["attachments"] == [
        {
            "id": attachment.pk,
            "filename": attachment.filename,
            "size": len(PDF_BYTES),
            "content_type": "application/pdf",
            "url": f"http://testserver/attachments/{attachment.pk}/",
        }
        for attachment in (first, second)
    ]
    assert (runs[0]["output_note"], runs[1]["attachments"]) == ("已诊断", [])
    detail = client.get(f"/api/v1/processes/cases/{case.pk}/")
    assert detail.json()["step_runs"] == runs


def test_the_api_refuses_a_disguised_file_and_changes_nothing(client, world, media_root):
    # given
    case = hw_case(world)
    before = snapshot(case)
    client.force_login(world.employee)
    # when
    response = client.post(
        f"/api/v1/processes/cases/{case.pk}/complete/",
        {"note": "x", "files": [SimpleUploadedFile("a.pdf", HTML_AS_PDF)]},
    )
    # then
    assert (response.status_code, response.json()["error"]["code"]) == (400, "invalid")
    assert snapshot(case) == before
    assert stored_files(media_root) == []


# ── Query count of the case page ───────────────────────────────────────────────────────────────


def long_case(world: Any, steps: int, files_per_step: int) -> Case:
    """A case of a process of ``steps`` RD-HW steps, all but the last completed with files."""
    process = Process.objects.create(code=f"LONG-{steps}", name="长流程")
    version = ProcessVersion.objects.create(process=process, number=1, published_at=PUBLISHED)
    for position in range(steps):
        Step.objects.create(
            version=version,
            position=position,
            code=f"L-{position}",
            name=f"步骤{position}",
            responsible=world.rd_hw,
            time_limit="1d",
        )
    case = services.case_open(actor=world.employee, process=process, title="长", ref=f"L{steps}")
    for _ in range(steps - 1):
        run = case.step_runs.get(completed_at__isnull=True)
        files = [pdf(f"{run.position}-{n}.pdf") for n in range(files_per_step)]
        services.step_complete(actor=world.employee, run=run, note="ok", files=files)
    return case


def case_page_queries(client: Any, world: Any, case: Case) -> int:
    client.force_login(world.employee)
    url = reverse("processes:case_detail", args=[case.pk])
    client.get(url)  # warm the caches every request would find warm
    with CaptureQueriesContext(connection) as queries, clock.freeze(datetime(2026, 3, 4, 9, tzinfo=TZ)):
        response = client.get(url)
    assert response.status_code == 200
    assert (
        response.content.decode().count('href="/attachments/')
        == Attachment.objects.filter(
            object_id__in=[str(pk) for pk in case.step_runs.values_list("pk", flat=True)]
        ).count()
    )
    return len(queries)


def test_the_case_page_costs_the_same_queries_whatever_the_number_of_steps_and_files(client, world, media_root):
    # when
    small = case_page_queries(client, world, long_case(world, 2, 1))
    large = case_page_queries(client, world, long_case(world, 6, 3))
    # then
    assert small == large
