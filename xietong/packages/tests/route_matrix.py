"""The packages app's rows of the role × route matrix (tests/test_route_matrix.py).

Importing and exporting the organization is for administrators only. The confirmation row puts a
pending import in every role's session first: even then, nobody but an administrator applies it.
"""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from xietong.common import clock
from xietong.common.testing.routes import Route, admins, signed_in
from xietong.org.models import Organization
from xietong.packages.document import dump_document
from xietong.packages.exporter import package_export_data
from xietong.packages.views import SESSION_KEY

RENAMED = "华东精密（导入后）"


def renamed_package() -> bytes:
    """The current organization as a package, with the organization renamed."""
    data = package_export_data(today=clock.now().date())
    data["organization"]["name"] = RENAMED
    return dump_document(data).encode()


def _upload(world: Any) -> dict[str, Any]:
    return {"file": SimpleUploadedFile("org.yaml", renamed_package(), content_type="application/yaml")}


def _pending_import(client: Client, world: Any) -> None:
    """What the preview leaves behind: the file in the data directory, its token in the session."""
    raw = renamed_package()
    token = secrets.token_hex(16)
    pending = Path(settings.DATA_DIR) / "pending-imports"
    pending.mkdir(parents=True, exist_ok=True)
    (pending / token).write_bytes(raw)
    session = client.session
    session[SESSION_KEY] = {"token": token, "filename": "org.yaml", "sha256": hashlib.sha256(raw).hexdigest()}
    session.save()
    world.pending_import_token = token  # for _confirm_form


def _confirm_form(world: Any) -> dict[str, Any]:
    return {"token": world.pending_import_token}


def _organization(world: Any) -> dict[str, Any]:
    return Organization.objects.filter(pk=1).values().get()


ROUTES = [
    Route("packages:index", expect=admins(200)),
    Route("packages:preview", method="post", data=_upload, expect=admins(200), state=_organization),
    Route("packages:preview", label="GET", expect=signed_in(405)),
    Route(
        "packages:confirm",
        method="post",
        prepare=_pending_import,
        data=_confirm_form,
        expect=admins(302),
        state=_organization,
    ),
    Route("packages:export", expect=admins(200)),
    Route("packages:template", expect=admins(200)),
]
