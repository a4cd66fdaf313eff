"""Administrators import a package or spreadsheet (upload → preview job → confirm → import job) and
export the package. Previews and imports run in the background; their page shows the progress."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from xietong.common import clock
from xietong.common.exceptions import ApplicationError
from xietong.org.permissions import is_admin
from xietong.packages.exporter import package_export
from xietong.packages.jobs import import_job_confirm, import_job_start, progress_read
from xietong.packages.models import ImportJob
from xietong.packages.spreadsheet import xlsx_template

RECENT_JOBS = 10


def _require_admin(request: HttpRequest) -> None:
    """Refused before any lookup: a non-administrator learns nothing, not even whether a job exists."""
    if not is_admin(request.user):
        raise PermissionDenied


def _job(job_id: uuid.UUID) -> ImportJob:
    return get_object_or_404(ImportJob.objects.select_related("actor", "preview", "confirmed_import"), pk=job_id)


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    jobs = ImportJob.objects.select_related("actor").defer("result").order_by("-created_at", "pk")[:RECENT_JOBS]
    return render(
        request,
        "packages/index.html",
        {"max_mb": settings.XIETONG_IMPORT_MAX_BYTES // (1024 * 1024), "jobs": jobs},
    )


@login_required
@require_POST
def preview(request: HttpRequest) -> HttpResponse:
    """Store the upload and start its preview (a dry run) in the background; nothing is written yet."""
    _require_admin(request)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("Choose a file to import."))
        return HttpResponseRedirect(reverse("packages:index"))
    try:
        job = import_job_start(actor=request.user, upload=upload)
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
        return HttpResponseRedirect(reverse("packages:index"))
    return HttpResponseRedirect(reverse("packages:job", kwargs={"job_id": job.pk}))


@login_required
@require_GET
def job(request: HttpRequest, job_id: uuid.UUID) -> HttpResponse:
    """A preview or import job: its progress while it runs, then the changes, problems or result."""
    _require_admin(request)
    return render(request, "packages/job.html", _job_context(_job(job_id)))


@login_required
@require_GET
def job_progress(request: HttpRequest, job_id: uuid.UUID) -> HttpResponse:
    """The job's part of the page, asked for every second by htmx while the job runs."""
    _require_admin(request)
    return render(request, "packages/_job.html", _job_context(_job(job_id)))


@login_required
@require_POST
def confirm(request: HttpRequest, job_id: uuid.UUID) -> HttpResponse:
    """Start the real import of a preview that succeeded (once, whoever asks first)."""
    _require_admin(request)
    preview_job = _job(job_id)
    try:
        imported = import_job_confirm(job=preview_job, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
        # A double click (or another administrator) confirmed it first: show that import.
        imported_id = ImportJob.objects.filter(preview=preview_job).values_list("pk", flat=True).first()
        return HttpResponseRedirect(reverse("packages:job", kwargs={"job_id": imported_id or preview_job.pk}))
    return HttpResponseRedirect(reverse("packages:job", kwargs={"job_id": imported.pk}))


def _job_context(job: ImportJob) -> dict[str, Any]:
    result = job.result or {}
    context: dict[str, Any] = {
        "job": job,
        "counts": result.get("counts", []),
        "changes": result.get("changes", []),
        "changes_total": result.get("changes_total", 0),
        "problems": result.get("problems", []),
        "problems_total": result.get("problems_total", 0),
        "error": result.get("error", ""),
        "confirmed_import": getattr(job, "confirmed_import", None) if job.is_preview else None,
        "can_confirm": (
            job.is_preview
            and job.status == ImportJob.Status.SUCCEEDED
            and job.confirmed_at is None
            and bool(job.upload.name)
            and bool(result.get("changes_total"))
        ),
    }
    if not job.is_finished:
        progress = progress_read(job.pk) if job.status == ImportJob.Status.RUNNING else None
        done, total = (progress["done"], progress["total"]) if progress else (0, 0)
        context["progress"] = {
            "phase": progress["phase"] if progress else "",
            "done": done,
            "total": total,
            "percent": min(100, done * 100 // total) if total > 0 else None,
            "updated": _parse_time(progress.get("updated")) if progress else None,
        }
    return context


def _parse_time(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


@login_required
def export(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    today = timezone.localdate(clock.now())  # the local date, not UTC's
    response = HttpResponse(package_export(today=today), content_type="application/yaml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="xietong-{today.isoformat()}.yaml"'
    return response


@login_required
def template(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    response = HttpResponse(
        xlsx_template(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = 'attachment; filename="xietong-departments-people.xlsx"'
    return response
