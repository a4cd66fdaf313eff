"""Administrators import a package or spreadsheet (upload, preview, confirm) and export the package."""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from xietong.common import clock
from xietong.org.permissions import is_admin
from xietong.packages.exporter import package_export
from xietong.packages.importer import ImportFailed
from xietong.packages.services import upload_import
from xietong.packages.spreadsheet import xlsx_template

SESSION_KEY = "xietong.pending_import"


def _require_admin(request: HttpRequest) -> None:
    user = request.user
    if not is_admin(user):
        raise PermissionDenied


def _pending_dir() -> Path:
    path = Path(settings.DATA_DIR) / "pending-imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _discard_pending(request: HttpRequest) -> None:
    pending = request.session.pop(SESSION_KEY, None)
    if pending:
        (_pending_dir() / pending["token"]).unlink(missing_ok=True)


@login_required
def index(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    return render(request, "packages/index.html", {"max_mb": settings.XIETONG_IMPORT_MAX_BYTES // (1024 * 1024)})


@login_required
@require_POST
def preview(request: HttpRequest) -> HttpResponse:
    """Validate the upload and show what importing it would change; nothing is written yet."""
    _require_admin(request)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("Choose a file to import."))
        return HttpResponseRedirect(reverse("packages:index"))
    if upload.size is not None and upload.size > settings.XIETONG_IMPORT_MAX_BYTES:
        messages.error(
            request,
            _("The file is larger than the limit of {mb} MB.").format(
                mb=settings.XIETONG_IMPORT_MAX_BYTES // (1024 * 1024)
            ),
        )
        return HttpResponseRedirect(reverse("packages:index"))
    _discard_pending(request)  # a new upload replaces the one waiting for confirmation
    raw = upload.read()
    filename = upload.name or ""
    try:
        result = upload_import(raw=raw, filename=filename, actor=request.user, dry_run=True)
    except ImportFailed as exc:
        return render(request, "packages/preview.html", {"filename": filename, "problems": exc.problems}, status=400)
    token = secrets.token_hex(16)
    (_pending_dir() / token).write_bytes(raw)
    request.session[SESSION_KEY] = {"token": token, "filename": filename, "sha256": hashlib.sha256(raw).hexdigest()}
    return render(
        request,
        "packages/preview.html",
        {
            "filename": filename,
            "result": result,
            "counts": result.counts(),
            "token": token,
        },
    )


@login_required
@require_POST
def confirm(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    pending = request.session.get(SESSION_KEY)
    if not pending or pending["token"] != request.POST.get("token"):
        messages.error(request, _("This import is no longer pending; upload the file again."))
        return HttpResponseRedirect(reverse("packages:index"))
    path = _pending_dir() / pending["token"]
    raw = path.read_bytes() if path.exists() else b""
    if hashlib.sha256(raw).hexdigest() != pending["sha256"]:
        messages.error(request, _("This import is no longer pending; upload the file again."))
        return HttpResponseRedirect(reverse("packages:index"))
    try:
        result = upload_import(raw=raw, filename=pending["filename"], actor=request.user, dry_run=False)
    except ImportFailed as exc:
        # The data changed between preview and confirmation: show the problems, change nothing.
        return render(
            request, "packages/preview.html", {"filename": pending["filename"], "problems": exc.problems}, status=400
        )
    finally:
        path.unlink(missing_ok=True)
        request.session.pop(SESSION_KEY, None)
    messages.success(
        request,
        ngettext("Imported {file}: {n} change.", "Imported {file}: {n} changes.", len(result.changes)).format(
            file=pending["filename"], n=len(result.changes)
        ),
    )
    return HttpResponseRedirect(reverse("packages:index"))


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
