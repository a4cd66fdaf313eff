"""Downloading: who may, and how the file is served (always a download, sandboxed, never sniffed)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from xietong.attachments.models import Attachment
from xietong.attachments.services import attachment_add
from xietong.common.testing.routes import ROLES, UNKNOWN_ID
from xietong.processes.tests.route_matrix_cases import SEES_HW, hw_case

pytestmark = pytest.mark.django_db

PDF_BYTES = b"%PDF-1.7\n%%EOF\n"


def attach(world: Any, name: str, content: bytes) -> Attachment:
    run = hw_case(world).step_runs.get()
    return attach_to(world, run, name, content)


def attach_to(world: Any, run: Any, name: str, content: bytes) -> Attachment:
    return attachment_add(actor=world.employee, owner=run, upload=SimpleUploadedFile(name, content))


@pytest.mark.parametrize("role", ROLES[1:])
def test_a_download_is_for_whoever_sees_the_step_runs_case(client, world, role):
    # given: a file on the HW-FIX case's step (RD-HW's; the SALES person does not see the case)
    attachment = attach(world, "诊断报告.pdf", PDF_BYTES)
    client.force_login(world.user(role))
    # when
    response = client.get(reverse("attachments:download", args=[attachment.pk]))
    # then
    assert response.status_code == SEES_HW[role]
    if response.status_code == 200:
        assert b"".join(response.streaming_content) == PDF_BYTES


def test_an_anonymous_visitor_is_sent_to_sign_in(client, world):
    # given
    attachment = attach(world, "a.pdf", PDF_BYTES)
    # when
    response = client.get(reverse("attachments:download", args=[attachment.pk]))
    # then
    assert response.status_code == 302
    assert urlsplit(response["Location"]).path == reverse("accounts:login")


def test_guessing_ids_finds_nothing(client, world):
    # given
    attach(world, "a.pdf", PDF_BYTES)
    client.force_login(world.admin)
    # when
    response = client.get(reverse("attachments:download", args=[UNKNOWN_ID]))
    # then
    assert response.status_code == 404


def test_a_file_missing_from_the_storage_is_404(client, world, media_root):
    # given
    attachment = attach(world, "a.pdf", PDF_BYTES)
    (media_root / attachment.file.name).unlink()
    client.force_login(world.employee)
    # when
    response = client.get(reverse("attachments:download", args=[attachment.pk]))
    # then
    assert response.status_code == 404


def test_a_download_is_sandboxed_private_and_named_as_uploaded(client, world):
    # given
    attachment = attach(world, "诊断 报告.pdf", PDF_BYTES)
    client.force_login(world.employee)
    # when
    response = client.get(reverse("attachments:download", args=[attachment.pk]))
    # then
    assert {
        header: response[header]
        for header in (
            "Content-Type",
            "Content-Disposition",
            "Content-Length",
            "X-Content-Type-Options",
            "Content-Security-Policy",
            "Cache-Control",
        )
    } == {
        "Content-Type": "application/pdf",
        "Content-Disposition": "attachment; filename*=utf-8''%E8%AF%8A%E6%96%AD%20%E6%8A%A5%E5%91%8A.pdf",
        "Content-Length": str(len(PDF_BYTES)),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox; default-src 'none'",
        "Cache-Control": "private",
    }


def test_text_is_served_as_utf8_text(client, world):
    # given
    attachment = attach(world, "notes.txt", "纪要\n".encode())
    client.force_login(world.employee)
    # when
    response = client.get(reverse("attachments:download", args=[attachment.pk]))
    # then
    assert (response["Content-Type"], response["Content-Disposition"]) == (
        "text/plain; charset=utf-8",
        'attachment; filename="notes.txt"',
    )
