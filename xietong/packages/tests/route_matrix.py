"""The packages app's rows of the role × route matrix (tests/test_route_matrix.py).

Importing and exporting the organization is for administrators only, and every other role is
refused before any lookup (403), so guessing an import job's id tells them nothing. The job rows
create an administrator's preview first: even then, nobody but an administrator sees or confirms it.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from xietong.common import clock
from xietong.common.testing.routes import Route, admins, signed_in
from xietong.org.models import Organization
from xietong.packages.document import dump_document
from xietong.packages.exporter import package_export_data
from xietong.packages.models import ImportJob
from xietong.packages.tests.job_helpers import stored_job

RENAMED = "华东精密（导入后）"
UNKNOWN_JOB = uuid.UUID(int=999_999)


def renamed_package() -> bytes:
    """The current organization as a package, with the organization renamed."""
    data = package_export_data(today=clock.now().date())
    data["organization"]["name"] = RENAMED
    return dump_document(data).encode()


def _upload(world: Any) -> dict[str, Any]:
    return {"file": SimpleUploadedFile("org.yaml", renamed_package(), content_type="application/yaml")}


def _previewed(world: Any) -> dict[str, Any]:
    """An administrator's preview that succeeded, its file stored, waiting for confirmation."""
    job = stored_job(
        world.admin,
        renamed_package(),
        result={"counts": [{"section": "organization", "create": 0, "update": 1}], "changes_total": 1},
    )
    return {"job_id": job.pk}


def _running(world: Any) -> dict[str, Any]:
    job = stored_job(world.admin, renamed_package(), status=ImportJob.Status.RUNNING)
    return {"job_id": job.pk}


def _unknown(world: Any) -> dict[str, Any]:
    return {"job_id": UNKNOWN_JOB}


def _organization(world: Any) -> dict[str, Any]:
    return Organization.objects.filter(pk=1).values().get()


def _confirmations(world: Any) -> list[Any]:
    return list(ImportJob.objects.order_by("pk").values_list("pk", "confirmed_at", "upload"))


ROUTES = [
    Route("packages:index", expect=admins(200)),
    Route("packages:preview", method="post", data=_upload, expect=admins(302), state=_organization),
    Route("packages:preview", label="GET", expect=signed_in(405)),
    Route("packages:job", kwargs=_previewed, expect=admins(200)),
    Route("packages:job", kwargs=_unknown, label="unknown id", expect=admins(404)),
    Route("packages:job_progress", kwargs=_running, expect=admins(200)),
    Route("packages:job_progress", kwargs=_unknown, label="unknown id", expect=admins(404)),
    Route(
        "packages:confirm",
        method="post",
        kwargs=_previewed,
        expect=admins(302),
        state=lambda world: (_organization(world), _confirmations(world)),
    ),
    Route("packages:confirm", method="post", kwargs=_unknown, label="unknown id", expect=admins(404)),
    Route("packages:confirm", label="GET", kwargs=_previewed, expect=signed_in(405)),
    Route("packages:export", expect=admins(200)),
    Route("packages:template", expect=admins(200)),
]
