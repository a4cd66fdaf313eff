"""Attaching files to objects. Every write runs inside the caller's transaction and is audited.

A refused file (too large, empty, or of a refused type) raises ``ApplicationError`` before anything
is written; the file's bytes go to the default storage under a random name
(``attachments/<year>/<month>/<random><.ext>``), never under the uploader's name.
"""

from __future__ import annotations

import secrets
import unicodedata
from collections.abc import Iterable
from typing import IO, Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ImproperlyConfigured
from django.db import models, transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from xietong.attachments import sniff
from xietong.attachments.models import FILENAME_MAX_LENGTH, Attachment
from xietong.attachments.registry import is_owner_model
from xietong.audit.services import audit_record
from xietong.common import clock
from xietong.common.exceptions import ApplicationError

# The extension given to the random name on disk, by sniffed type (none for anything else).
DISK_EXTENSIONS = {
    sniff.PDF: ".pdf",
    sniff.PNG: ".png",
    sniff.JPEG: ".jpg",
    sniff.GIF: ".gif",
    sniff.WEBP: ".webp",
    sniff.DOCX: ".docx",
    sniff.XLSX: ".xlsx",
    sniff.PPTX: ".pptx",
    sniff.DOC: ".doc",
    sniff.XLS: ".xls",
    sniff.PPT: ".ppt",
    sniff.TEXT: ".txt",
    sniff.CSV: ".csv",
}
_LONGEST_KEPT_EXTENSION = 16


def clean_filename(name: str) -> str:
    """The uploader's file name without any path, control or format characters (a right-to-left
    override could disguise ``exe.pdf``), trailing dots or spaces, and at most 200 characters (the
    extension kept)."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if not unicodedata.category(ch).startswith("C"))
    name = name.strip().rstrip(". ")
    if not name.strip("."):
        return "file"
    if len(name) > FILENAME_MAX_LENGTH:
        stem, dot, ext = name.rpartition(".")
        if dot and stem and len(ext) <= _LONGEST_KEPT_EXTENSION:
            name = f"{stem[: FILENAME_MAX_LENGTH - len(ext) - 1].rstrip()}.{ext}"
        else:
            name = name[:FILENAME_MAX_LENGTH]
    return name


def _size(upload: Any) -> int:
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, 2)
        size = upload.tell()
        upload.seek(0)
    return int(size)


def attachment_check(upload: Any) -> tuple[str, int, str]:
    """The (clean file name, size, sniffed type) of an upload, or ``ApplicationError`` if it is refused."""
    filename = clean_filename(getattr(upload, "name", "") or "")
    size = _size(upload)
    limit: int = settings.XIETONG_ATTACHMENT_MAX_BYTES
    if size == 0:
        raise ApplicationError(_("The file “{name}” is empty.").format(name=filename))
    if size > limit:
        raise ApplicationError(
            _("The file “{name}” is {size}: files are at most {limit}.").format(
                name=filename, size=filesizeformat(size), limit=filesizeformat(limit)
            )
        )
    content_type = sniff.sniff(upload, filename)
    if content_type in sniff.REFUSED:
        raise ApplicationError(
            _(
                "The file “{name}” is {kind}, which cannot be attached: web pages, SVG, XML, JavaScript "
                "and programs are refused."
            ).format(name=filename, kind=sniff.REFUSED[content_type])
        )
    return filename, size, content_type


@transaction.atomic
def attachment_add(*, actor: Any, owner: models.Model, upload: IO[bytes] | Any) -> Attachment:
    """Attach ``upload`` (an uploaded file) to ``owner``, whose model an app registered as an owner."""
    if not is_owner_model(type(owner)):
        raise ImproperlyConfigured(f"{owner._meta.label} is not registered with attachments.register_owner")
    filename, size, content_type = attachment_check(upload)
    attachment = Attachment(
        owner_type=ContentType.objects.get_for_model(owner, for_concrete_model=True),
        object_id=str(owner.pk),
        filename=filename,
        size=size,
        content_type=content_type,
        uploaded_by=actor if getattr(actor, "pk", None) else None,
        created_at=clock.now(),
    )
    upload.seek(0)
    attachment.file.save(secrets.token_hex(16) + DISK_EXTENSIONS.get(content_type, ""), upload, save=False)
    try:
        attachment.save()
        audit_record(
            actor=actor,
            obj=attachment,
            action="add",
            changes={
                "owner": [None, f"{owner._meta.label_lower}:{owner.pk}"],
                "filename": [None, filename],
                "size": [None, size],
                "content_type": [None, content_type],
            },
        )
    except BaseException:
        attachment.file.delete(save=False)
        raise
    return attachment


def attachments_add(*, actor: Any, owner: models.Model, uploads: Iterable[Any]) -> list[Attachment]:
    """Attach every upload to ``owner`` (inside the caller's transaction). Each one is checked before
    any is stored: one refused file refuses them all, and nothing is left in the storage."""
    uploads = list(uploads)
    for upload in uploads:
        attachment_check(upload)
    added: list[Attachment] = []
    try:
        for upload in uploads:
            added.append(attachment_add(actor=actor, owner=owner, upload=upload))
    except BaseException:
        for attachment in added:
            attachment.file.delete(save=False)
        raise
    return added
