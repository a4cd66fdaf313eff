"""Web imports as background jobs: upload → preview job (dry run) → confirm → import job.

A job runs in the worker (``tasks.run_import_job``), which may be another machine: the upload is
kept in the default file storage, the job's record in the database, and its progress (phase,
done, total) in the cache. The import writes everything in one transaction, during which SQLite
lets no other connection write; so the worker writes the job's status before the import starts
and its result after the import's transaction has ended, and the progress in between goes to the
cache only.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import time
import uuid
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from xietong.common import clock
from xietong.common.exceptions import ApplicationError
from xietong.packages.importer import ImportFailed, ImportResult
from xietong.packages.models import ImportJob
from xietong.packages.services import upload_import

logger = logging.getLogger(__name__)

# What a finished job keeps for its page: the first changes of a preview, the first problems.
CHANGES_SHOWN = 500
PROBLEMS_SHOWN = 1000
# Progress lives in the cache for a day (a job that long has died: its page says when it last moved).
PROGRESS_TIMEOUT = 24 * 60 * 60
# The importer may report often (every few thousand rows); the cache is written at most this often
# per phase (a new phase, and the last step of one, are always written).
PROGRESS_INTERVAL = 0.5


# ── Progress (in the cache) ───────────────────────────────────────────────────────────────────────


def progress_key(job_id: uuid.UUID | str) -> str:
    return f"xietong:packages:import-job:{job_id}:progress"


def progress_write(job_id: uuid.UUID | str, phase: str, done: int, total: int) -> None:
    """Record how far a job has got; a cache that fails loses the progress, never the import."""
    value = {"phase": str(phase), "done": done, "total": total, "updated": clock.now().isoformat()}
    try:
        cache.set(progress_key(job_id), value, PROGRESS_TIMEOUT)
    except Exception:  # the cache is a convenience here: Redis down must not fail a 20-minute import
        logger.warning("could not record the progress of import job %s", job_id, exc_info=True)


def progress_read(job_id: uuid.UUID | str) -> dict[str, Any] | None:
    """The last progress a job reported: {"phase", "done", "total", "updated"}, or None."""
    try:
        value = cache.get(progress_key(job_id))
    except Exception:
        logger.warning("could not read the progress of import job %s", job_id, exc_info=True)
        return None
    return value if isinstance(value, dict) else None


class ProgressReporter:
    """The importer's ``progress`` callback for one job, writing to the cache at most every
    ``interval`` seconds within a phase."""

    def __init__(self, job_id: uuid.UUID | str, *, interval: float = PROGRESS_INTERVAL) -> None:
        self.job_id = job_id
        self.interval = interval
        self._phase: str | None = None
        self._written_at = 0.0

    def __call__(self, phase: str, done: int, total: int) -> None:
        now = time.monotonic()
        phase = str(phase)
        finishing = total > 0 and done >= total
        if phase == self._phase and not finishing and now - self._written_at < self.interval:
            return
        self._phase, self._written_at = phase, now
        progress_write(self.job_id, phase, done, total)


# ── Starting and confirming ──────────────────────────────────────────────────────────────────────


def import_job_start(*, actor: Any, upload: UploadedFile) -> ImportJob:
    """Store the upload and queue its preview (a dry run). Raises ApplicationError for a file over the
    size limit; then nothing is stored.

    A new upload replaces the actor's previews still waiting for confirmation: their files are
    deleted, and they can no longer be confirmed.
    """
    limit = settings.XIETONG_IMPORT_MAX_BYTES
    if upload.size is not None and upload.size > limit:
        raise ApplicationError(
            _("The file is larger than the limit of {mb} MB.").format(mb=limit // (1024 * 1024)), code="too_large"
        )
    digest = hashlib.sha256()
    size = 0
    for chunk in upload.chunks():
        digest.update(chunk)
        size += len(chunk)
    filename = PurePath(upload.name or "").name[-255:] or "upload"
    _discard_pending_previews(actor)
    job = ImportJob(
        kind=ImportJob.Kind.PREVIEW,
        actor=actor,
        filename=filename,
        size=size,
        sha256=digest.hexdigest(),
        language=translation.get_language() or settings.LANGUAGE_CODE,
    )
    # A random name in the storage, keeping the extension (the importer tells .xlsx by it).
    job.upload.save(f"{job.pk}{PurePath(filename).suffix.lower()[:10]}", upload, save=False)
    try:
        job.save(force_insert=True)
    except BaseException:
        job.upload.delete(save=False)
        raise
    transaction.on_commit(functools.partial(_enqueue, job.pk), robust=True)
    return job


def import_job_confirm(*, job: ImportJob, actor: Any) -> ImportJob:
    """Queue the real import of a preview that succeeded. Each preview is confirmed once, however
    many requests (double clicks, two administrators) ask at the same moment: the first one claims
    it with a conditional UPDATE, the others get ApplicationError (code "confirmed" when the import
    exists already, "not_pending" when the preview cannot be imported)."""
    with transaction.atomic():
        claimed = (
            ImportJob.objects.filter(
                pk=job.pk, kind=ImportJob.Kind.PREVIEW, status=ImportJob.Status.SUCCEEDED, confirmed_at__isnull=True
            )
            .exclude(upload="")
            .update(confirmed_at=clock.now())
        )
        if not claimed:
            if ImportJob.objects.filter(preview_id=job.pk).exists():
                raise ApplicationError(_("This preview has been confirmed already."), code="confirmed")
            raise ApplicationError(_("This import is no longer pending; upload the file again."), code="not_pending")
        imported = ImportJob.objects.create(
            kind=ImportJob.Kind.IMPORT,
            actor=actor,
            preview=job,
            filename=job.filename,
            size=job.size,
            sha256=job.sha256,
            upload=job.upload.name,
            language=translation.get_language() or settings.LANGUAGE_CODE,
        )
        transaction.on_commit(functools.partial(_enqueue, imported.pk), robust=True)
    return imported


def _enqueue(job_id: uuid.UUID) -> None:
    from xietong.packages.tasks import run_import_job

    run_import_job.enqueue(job_id=str(job_id))


def _discard_pending_previews(actor: Any) -> None:
    """Delete the stored files of the actor's finished previews that nobody confirmed."""
    pending = ImportJob.objects.filter(
        actor=actor, kind=ImportJob.Kind.PREVIEW, status=ImportJob.Status.SUCCEEDED, confirmed_at__isnull=True
    ).exclude(upload="")
    for pk, name in pending.values_list("pk", "upload"):
        default_storage.delete(name)
        ImportJob.objects.filter(pk=pk, confirmed_at__isnull=True).update(upload="")


# ── Running (in the worker) ──────────────────────────────────────────────────────────────────────


def import_job_run(*, job_id: uuid.UUID) -> str:
    """Run a queued job and record its outcome; returns its status. Safe to run twice: a job that is
    not queued any more (another worker claimed it, or it finished) is left alone."""
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.QUEUED).update(
        status=ImportJob.Status.RUNNING, started_at=clock.now()
    )
    job = ImportJob.objects.select_related("actor").get(pk=job_id)
    if not claimed:
        return str(job.status)
    language = job.language if job.language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
    with translation.override(language):
        return _run(job)


def _run(job: ImportJob) -> str:
    say = ProgressReporter(job.pk)
    say(_("Reading the file"), 0, 0)
    status: str = ImportJob.Status.FAILED
    result: dict[str, Any]
    try:
        raw = _stored_bytes(job)
        outcome = upload_import(raw=raw, filename=job.filename, actor=job.actor, dry_run=job.is_preview, progress=say)
    except ImportFailed as exc:
        result = {
            "problems": [
                {"line": p.line, "path": p.path, "message": str(p.message)} for p in exc.problems[:PROBLEMS_SHOWN]
            ],
            "problems_total": len(exc.problems),
        }
    except ApplicationError as exc:
        result = {"error": str(exc.message)}
    except Exception:
        # Nothing was written (the import is one transaction); the log has the traceback.
        logger.exception("import job %s stopped on an unexpected error", job.pk)
        _finish(
            job,
            ImportJob.Status.FAILED,
            {"error": _("The import stopped on an unexpected error; nothing was changed.")},
        )
        raise
    else:
        status, result = ImportJob.Status.SUCCEEDED, _summary(outcome, keep_changes=job.is_preview)
    _finish(job, status, result)
    return str(status)


def _stored_bytes(job: ImportJob) -> bytes:
    """The stored upload, checked against the digest taken when it was uploaded."""
    if not job.upload.name or not default_storage.exists(job.upload.name):
        raise ApplicationError(_("This import is no longer pending; upload the file again."), code="not_pending")
    with default_storage.open(job.upload.name, "rb") as handle:
        raw = handle.read()
    if hashlib.sha256(raw).hexdigest() != job.sha256:
        raise ApplicationError(
            _("The stored file changed after it was uploaded; nothing was imported. Upload it again."),
            code="changed",
        )
    return bytes(raw)


def _summary(outcome: ImportResult, *, keep_changes: bool) -> dict[str, Any]:
    result: dict[str, Any] = {
        # Lists, not mappings, keep the importer's order (PostgreSQL's jsonb reorders an object's keys).
        "counts": [
            {"section": section, "create": counter["create"], "update": counter["update"]}
            for section, counter in outcome.counts().items()
        ],
        "changes_total": len(outcome.changes),
    }
    if keep_changes:
        result["changes"] = [
            {
                "section": change.section,
                "key": change.key,
                "action": change.action,
                "fields": [
                    [field, *(None if value is None else str(value) for value in values)]
                    for field, values in change.fields.items()
                ],
            }
            for change in outcome.changes[:CHANGES_SHOWN]
        ]
    return result


def _finish(job: ImportJob, status: str, result: dict[str, Any]) -> None:
    """Write the outcome (after the import's transaction). Only a preview that succeeded keeps its
    file, for the confirmation; the file of an import, or of a preview that failed, is deleted."""
    keep = job.is_preview and status == ImportJob.Status.SUCCEEDED
    if not keep and job.upload.name:
        default_storage.delete(job.upload.name)
        ImportJob.objects.filter(upload=job.upload.name).update(upload="")
    ImportJob.objects.filter(pk=job.pk).update(
        status=status, result=result, finished_at=clock.now(), **({} if keep else {"upload": ""})
    )
    try:
        cache.delete(progress_key(job.pk))
    except Exception:
        logger.warning("could not clear the progress of import job %s", job.pk, exc_info=True)
