"""Attaching files: what is refused, what a file is sniffed as, how it is named and stored, audited."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from xietong.attachments import services, sniff
from xietong.attachments.models import Attachment
from xietong.attachments.selectors import attachments_by_owner, attachments_for
from xietong.attachments.tests.conftest import office_zip, ole_file, stored_files, upload
from xietong.audit.models import AuditEntry
from xietong.common.exceptions import ApplicationError

pytestmark = pytest.mark.django_db


def zh(message: str, **values: Any) -> str:
    with translation.override("zh-hans"):
        return translation.gettext(message).format(**values)


PDF_BYTES = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"

SNIFFED = [
    ("report.pdf", PDF_BYTES, sniff.PDF),
    ("photo.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", sniff.PNG),
    ("photo.jpg", b"\xff\xd8\xff\xe0\0\x10JFIF\0", sniff.JPEG),
    ("anim.gif", b"GIF89a\x01\0\x01\0", sniff.GIF),
    ("pic.webp", b"RIFF\x24\0\0\0WEBPVP8 ", sniff.WEBP),
    ("memo.docx", office_zip("word/document.xml"), sniff.DOCX),
    ("sheet.xlsx", office_zip("xl/workbook.xml"), sniff.XLSX),
    ("deck.pptx", office_zip("ppt/presentation.xml"), sniff.PPTX),
    ("memo.doc", ole_file("WordDocument"), sniff.DOC),
    ("sheet.xls", ole_file("Workbook"), sniff.XLS),
    ("notes.txt", "会议纪要：下周一交付。\n".encode(), sniff.TEXT),
    ("bom.txt", b"\xef\xbb\xbfhello\n", sniff.TEXT),
    ("parts.csv", "编号,名称\n1,主板\n".encode(), sniff.CSV),
    # the name does not make a type: only the bytes do
    ("disguised.docx", PDF_BYTES, sniff.PDF),
    ("archive.zip", office_zip("readme.txt", content_types=False), sniff.OCTET_STREAM),
    ("odd.docx", office_zip("other.xml"), sniff.OCTET_STREAM),
    ("unknown.ole", ole_file("Something"), sniff.OCTET_STREAM),
    ("random.bin", bytes(range(256)), sniff.OCTET_STREAM),
    ("latin1.txt", "café".encode("latin-1"), sniff.OCTET_STREAM),
]


@pytest.mark.parametrize(("name", "content", "expected"), SNIFFED, ids=[s[0] for s in SNIFFED])
def test_the_content_type_is_sniffed_from_the_first_bytes(name, content, expected):
    # when
    sniffed = sniff.sniff(upload(name, content), name)
    # then
    assert sniffed == expected


REFUSED = [
    ("disguised-html.pdf", b"<!DOCTYPE html><html><body>hi</body></html>", sniff.HTML),
    ("page.txt", b"  \n<html>\n<script>alert(1)</script>", sniff.HTML),
    ("polyglot.txt", b"just text\nthen <script>alert(1)</script>", sniff.HTML),
    ("lead-div.txt", b"<div onclick=x>", sniff.HTML),
    ("image.png", b'<svg xmlns="http://www.w3.org/2000/svg"></svg>', sniff.SVG),
    ("image.txt", b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>', sniff.SVG),
    ("data.txt", b'<?xml version="1.0"?><root/>', sniff.XML),
    ("app.js", b"console.log(1)", sniff.JAVASCRIPT),
    ("report.html", PDF_BYTES, sniff.HTML),  # named HTML: the downloader's computer would open it as a page
    ("drawing.svg", b"plain", sniff.SVG),
    ("setup.pdf", b"MZ\x90\0\x03\0\0\0", sniff.PROGRAM),
    ("tool.txt", b"\x7fELF\x02\x01\x01\0", sniff.PROGRAM),
    ("run.txt", b"#!/bin/sh\nrm -rf /\n", sniff.PROGRAM),
    ("setup.exe", b"harmless", sniff.PROGRAM),
]


@pytest.mark.parametrize(("name", "content", "kind"), REFUSED, ids=[r[0] for r in REFUSED])
def test_web_content_and_programs_are_refused_whatever_their_name(
    departments_own_files, world, media_root, name, content, kind
):
    # when
    with pytest.raises(ApplicationError) as refused:
        services.attachment_add(actor=world.employee, owner=world.rd_hw, upload=upload(name, content))
    # then
    assert str(refused.value.message) == zh(
        "The file “{name}” is {kind}, which cannot be attached: web pages, SVG, XML, JavaScript and programs "
        "are refused.",
        name=name,
        kind=zh(str(sniff.REFUSED[kind])),
    )
    assert (Attachment.objects.count(), AuditEntry.objects.count(), stored_files(media_root)) == (0, 0, [])


def test_an_empty_file_is_refused(departments_own_files, world, media_root):
    # when
    with pytest.raises(ApplicationError) as refused:
        services.attachment_add(actor=world.employee, owner=world.rd_hw, upload=upload("empty.txt", b""))
    # then
    assert str(refused.value.message) == zh("The file “{name}” is empty.", name="empty.txt")
    assert (Attachment.objects.count(), stored_files(media_root)) == (0, [])


def test_a_file_over_the_size_limit_is_refused_and_one_at_the_limit_is_taken(
    departments_own_files, world, media_root, settings
):
    # given
    settings.XIETONG_ATTACHMENT_MAX_BYTES = 10
    # when
    with pytest.raises(ApplicationError) as refused:
        services.attachment_add(actor=world.employee, owner=world.rd_hw, upload=upload("big.txt", b"x" * 11))
    taken = services.attachment_add(actor=world.employee, owner=world.rd_hw, upload=upload("ok.txt", b"x" * 10))
    # then
    with translation.override("zh-hans"):
        from django.template.defaultfilters import filesizeformat

        expected = zh(
            "The file “{name}” is {size}: files are at most {limit}.",
            name="big.txt",
            size=filesizeformat(11),
            limit=filesizeformat(10),
        )
    assert str(refused.value.message) == expected
    assert list(Attachment.objects.values_list("pk", "size")) == [(taken.pk, 10)]


def test_the_default_size_limit_is_20_mb(settings):
    assert settings.XIETONG_ATTACHMENT_MAX_BYTES == 20 * 1024 * 1024


NAMES = [
    ("报告.pdf", "报告.pdf"),
    ("../../etc/passwd", "passwd"),
    ("C:\\Users\\王\\Desktop\\方案.docx", "方案.docx"),
    ("evil\u202egpj.exe", "evilgpj.exe"),  # a right-to-left override would show it as "evilexe.jpg"
    ("tab\there\n.txt", "tabhere.txt"),
    ("trailing.pdf. . ", "trailing.pdf"),
    ("..", "file"),
    ("", "file"),
    ("a" * 300 + ".pdf", "a" * 196 + ".pdf"),
    ("b" * 300, "b" * 200),
]


@pytest.mark.parametrize(("given", "expected"), NAMES, ids=[f"name {i}" for i in range(len(NAMES))])
def test_the_original_file_name_is_sanitised(given, expected):
    assert services.clean_filename(given) == expected


def test_an_attachment_is_stored_under_a_random_name_and_audited(departments_own_files, world, media_root):
    # when
    attachment = services.attachment_add(
        actor=world.employee, owner=world.rd_hw, upload=upload("../机密/诊断报告.pdf", PDF_BYTES)
    )
    # then
    attachment.refresh_from_db()
    stored = stored_files(media_root)
    assert (attachment.filename, attachment.size, attachment.content_type, attachment.uploaded_by) == (
        "诊断报告.pdf",
        len(PDF_BYTES),
        "application/pdf",
        world.employee,
    )
    assert (attachment.object_id, attachment.owner_type.model) == (str(world.rd_hw.pk), "department")
    assert stored == [attachment.file.name]
    assert attachment.file.name.startswith(f"attachments/{attachment.created_at:%Y/%m}/")
    assert "诊断" not in attachment.file.name
    assert attachment.file.name.endswith(".pdf")
    assert len(attachment.file.name.rsplit("/", 1)[-1]) == len("0123456789abcdef0123456789abcdef.pdf")
    assert (media_root / attachment.file.name).read_bytes() == PDF_BYTES
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor, entry.object_id, entry.changes) == (
        "add",
        world.employee,
        str(attachment.pk),
        {
            "owner": [None, f"org.department:{world.rd_hw.pk}"],
            "filename": [None, "诊断报告.pdf"],
            "size": [None, len(PDF_BYTES)],
            "content_type": [None, "application/pdf"],
        },
    )


def test_an_owner_model_nobody_registered_cannot_own_files(world):
    # when / then
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured):
        services.attachment_add(actor=world.employee, owner=world.rd_hw, upload=upload("a.txt", b"a"))
    assert Attachment.objects.count() == 0


def test_one_refused_file_of_several_stores_none(departments_own_files, world, media_root):
    # when
    with pytest.raises(ApplicationError):
        services.attachments_add(
            actor=world.employee,
            owner=world.rd_hw,
            uploads=[upload("a.pdf", PDF_BYTES), upload("b.pdf", b"<html><script>x</script>")],
        )
    # then
    assert (Attachment.objects.count(), AuditEntry.objects.count(), stored_files(media_root)) == (0, 0, [])


def test_the_selectors_read_attachments_in_one_query(departments_own_files, world):
    # given
    first = services.attachment_add(actor=world.employee, owner=world.rd_hw, upload=upload("1.txt", b"one"))
    second = services.attachment_add(actor=world.employee, owner=world.rd_hw, upload=upload("2.txt", b"two"))
    other = services.attachment_add(actor=world.employee, owner=world.sales, upload=upload("3.txt", b"three"))
    attachments_for(world.gm).count()  # the content type is cached, as in any request after the first
    # when
    with CaptureQueriesContext(connection) as queries:
        one = list(attachments_for(world.rd_hw))
        many = attachments_by_owner([world.rd_hw, world.sales, world.gm])
    # then
    assert len(queries) == 2
    assert one == [first, second]
    assert many == {world.rd_hw.pk: [first, second], world.sales.pk: [other], world.gm.pk: []}


def test_a_long_utf8_text_cut_inside_a_character_by_the_sample_is_still_text():
    # given: 8191 ASCII bytes, then a three-byte character across the sample's end
    content = b"a" * (sniff.SAMPLE_BYTES - 1) + "中文".encode()
    # when / then
    assert sniff.sniff(upload("long.txt", content), "long.txt") == sniff.TEXT
