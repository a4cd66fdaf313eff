"""Downloading an attachment: always as a download, in a sandbox, never sniffed by the browser."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.http import require_safe

from xietong.attachments.permissions import access_attachment

SANDBOX_POLICY = "sandbox; default-src 'none'"


@login_required
@require_safe
def download(request: HttpRequest, pk: int) -> FileResponse:
    attachment = access_attachment(request.user, pk)
    storage = attachment.file.storage
    try:
        handle = storage.open(attachment.file.name, "rb")
    except FileNotFoundError:
        raise Http404 from None
    content_type = attachment.content_type
    if content_type.startswith("text/"):
        content_type += "; charset=utf-8"  # only UTF-8 text is sniffed as text
    response = FileResponse(handle, as_attachment=True, filename=attachment.filename, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = SANDBOX_POLICY  # kept as is by the CSP middleware
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Cache-Control"] = "private"
    return response
