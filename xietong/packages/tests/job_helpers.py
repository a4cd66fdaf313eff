"""Import jobs for tests: a stored upload and its job, as the upload and the worker leave them."""

from __future__ import annotations

import hashlib
from typing import Any

from django.core.files.base import ContentFile

from xietong.packages.models import ImportJob


def stored_job(
    actor: Any,
    raw: bytes,
    *,
    filename: str = "org.yaml",
    kind: str = ImportJob.Kind.PREVIEW,
    status: str = ImportJob.Status.SUCCEEDED,
    result: dict[str, Any] | None = None,
    preview: ImportJob | None = None,
) -> ImportJob:
    """A job whose upload ``raw`` is in the default storage (a preview that succeeded, by default)."""
    job = ImportJob(
        kind=kind,
        status=status,
        actor=actor,
        filename=filename,
        size=len(raw),
        sha256=hashlib.sha256(raw).hexdigest(),
        language="en",
        preview=preview,
        result=result if result is not None else {},
    )
    job.upload.save(f"{job.pk}.yaml", ContentFile(raw), save=False)
    job.save(force_insert=True)
    return job
