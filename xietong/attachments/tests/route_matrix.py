"""The attachments' rows of the role × route matrix (tests/test_route_matrix.py).

A download is seen by whoever sees the attachment's owner (as its app registered): the rows use a
file attached to the running step of the processes' HW-FIX case (seen by RD-HW, RD's head,
coordinators and administrators) and of the SALES-Q case (seen by SALES, coordinators and
administrators). An unknown id and an owner of a model nobody registered are 404 for everyone.
"""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile

from xietong.attachments.models import Attachment
from xietong.attachments.services import attachment_add
from xietong.common import clock
from xietong.common.testing.routes import UNKNOWN_ID, Route, by_role, signed_in
from xietong.processes.tests.route_matrix_cases import SEES_HW, SEES_SALES, hw_case, sales_case


def _attached(world: Any, case: Any, name: str) -> Attachment:
    existing = Attachment.objects.filter(filename=name).first()
    if existing is not None:
        return existing
    run = case.step_runs.get(completed_at__isnull=True)
    return attachment_add(actor=None, owner=run, upload=SimpleUploadedFile(name, b"%PDF-1.4\n%%EOF\n"))


def _hw(world: Any) -> dict[str, Any]:
    return {"pk": _attached(world, hw_case(world), "诊断报告.pdf").pk}


def _sales(world: Any) -> dict[str, Any]:
    return {"pk": _attached(world, sales_case(world), "报价单.pdf").pk}


def _unregistered(world: Any) -> dict[str, Any]:
    """An attachment row whose owner (a department) no app registered as an owner model."""
    attachment = Attachment.objects.create(
        owner_type=ContentType.objects.get_for_model(world.rd_hw),
        object_id=str(world.rd_hw.pk),
        file="attachments/none.pdf",
        filename="none.pdf",
        size=1,
        content_type="application/pdf",
        created_at=clock.now(),
    )
    return {"pk": attachment.pk}


def _unknown(world: Any) -> dict[str, Any]:
    return {"pk": UNKNOWN_ID}


def _rows(world: Any) -> int:
    return Attachment.objects.count()


ROUTES: list[Route] = [
    Route("attachments:download", kwargs=_hw, expect=SEES_HW),
    Route("attachments:download", label="case of another department", kwargs=_sales, expect=SEES_SALES),
    Route("attachments:download", label="unknown id", kwargs=_unknown, expect=signed_in(404)),
    Route("attachments:download", label="unregistered owner", kwargs=_unregistered, expect=signed_in(404)),
    Route(
        "attachments:download",
        method="post",
        kwargs=_hw,
        expect=by_role(anonymous=302, employee=405, other_department=405, head=405, coordinator=405, admin=405),
        state=_rows,
    ),
]
