"""The knowledge app's rows of the role × route matrix (tests/test_route_matrix.py).

The world gets, on first use: a company space "制度库" (everyone reads); RD's private space "研发内部"
with a page owned by RD's liaison (RD and RD-HW read it; RD people write it); an empty RD space; and
SALES's private space with a page and an attachment that nobody of RD may reach, whatever id they
guess. Coordinators and administrators (who see every space) read them all; RD's head manages RD's
spaces; only administrators, RD's people and the named editors write in RD's space.
"""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from xietong.attachments.models import Attachment
from xietong.attachments.services import attachment_add
from xietong.common.testing.routes import UNKNOWN_ID, Route, by_role, signed_in
from xietong.knowledge.models import Page, PageVersion, Space

REVIEW_BY = date(2030, 1, 1)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def company_space(world: Any) -> Space:
    space, _ = Space.objects.get_or_create(name="制度库", defaults={"visibility": Space.Visibility.COMPANY})
    return space


def rd_space(world: Any) -> Space:
    space, _ = Space.objects.get_or_create(
        name="研发内部", defaults={"visibility": Space.Visibility.PRIVATE, "department": world.rd}
    )
    return space


def rd_empty_space(world: Any) -> Space:
    space, _ = Space.objects.get_or_create(
        name="研发空空间", defaults={"visibility": Space.Visibility.PRIVATE, "department": world.rd}
    )
    return space


def sales_space(world: Any) -> Space:
    space, _ = Space.objects.get_or_create(
        name="销售内部", defaults={"visibility": Space.Visibility.PRIVATE, "department": world.sales}
    )
    return space


def _page(space: Space, title: str, owner: Any) -> Page:
    existing = Page.objects.filter(space=space, title=title).first()
    if existing is not None:
        return existing
    from xietong.common import clock

    now = clock.now()
    page = Page.objects.create(
        space=space,
        title=title,
        body="## 背景\n\n内容",
        owner=owner,
        review_by=REVIEW_BY,
        created_at=now,
        updated_at=now,
    )
    PageVersion.objects.create(page=page, number=1, title=title, body=page.body, author=owner, created_at=now)
    return page


def rd_page(world: Any) -> Page:
    return _page(rd_space(world), "硬件评审规范", world.liaison)


def sales_page(world: Any) -> Page:
    return _page(sales_space(world), "大客户报价口径", world.other_department)


def sales_attachment(world: Any) -> Attachment:
    page = sales_page(world)
    existing = Attachment.objects.filter(object_id=str(page.pk), filename="报价.png").first()
    if existing is not None:
        return existing
    upload = io.BytesIO(PNG)
    upload.name = "报价.png"
    return attachment_add(actor=world.other_department, owner=page, upload=upload)


def page_state(world: Any) -> Any:
    return (
        list(Page.objects.order_by("pk").values_list("pk", "title", "body", "version", "owner", "review_by")),
        PageVersion.objects.count(),
    )


def space_state(world: Any) -> Any:
    return list(Space.objects.order_by("pk").values_list("pk", "name", "description", "visibility"))


def _edit(world: Any) -> dict[str, Any]:
    page = rd_page(world)
    return {
        "title": "硬件评审规范（修订）",
        "body": "## 背景\n\n新内容",
        "summary": "修订",
        "owner": world.liaison.pk,
        "review_by": "2030-06-01",
        "base_version": page.version,
    }


# RD's private page: RD-HW and RD read it, SALES does not; coordinators and administrators see all.
READ_RD = by_role(anonymous=302, employee=200, other_department=404, head=200, coordinator=200, admin=200)
READ_SALES = by_role(anonymous=302, employee=404, other_department=200, head=404, coordinator=200, admin=200)
UNKNOWN = signed_in(404)

PAGES = [
    Route("knowledge:space_list", expect=signed_in(200)),
    Route(
        "knowledge:space_create",
        expect=by_role(anonymous=302, employee=403, other_department=403, head=200, coordinator=200, admin=200),
    ),
    Route(
        "knowledge:space_create",
        method="post",
        label="a department's space",
        data=lambda world: {"name": "研发经验", "department": world.rd.pk, "visibility": "private"},
        expect=by_role(anonymous=302, employee=403, other_department=403, head=302, coordinator=302, admin=302),
    ),
    Route(
        "knowledge:space_create",
        method="post",
        label="a company space",
        data=lambda world: {"name": "公司制度", "visibility": "company"},
        # A head's form requires one of their departments: the form comes back with that error.
        expect=by_role(anonymous=302, employee=403, other_department=403, head=200, coordinator=302, admin=302),
        state=space_state,
    ),
    Route("knowledge:space_detail", kwargs=lambda world: {"pk": rd_space(world).pk}, expect=READ_RD),
    Route(
        "knowledge:space_detail",
        label="another department's private space",
        kwargs=lambda world: {"pk": sales_space(world).pk},
        expect=READ_SALES,
    ),
    Route("knowledge:space_detail", label="unknown id", kwargs=lambda world: {"pk": UNKNOWN_ID}, expect=UNKNOWN),
    Route(
        "knowledge:space_edit",
        kwargs=lambda world: {"pk": rd_space(world).pk},
        expect=by_role(anonymous=302, employee=403, other_department=404, head=200, coordinator=200, admin=200),
    ),
    Route(
        "knowledge:space_edit",
        method="post",
        kwargs=lambda world: {"pk": rd_space(world).pk},
        data=lambda world: {"name": "研发内部知识", "visibility": "private"},
        expect=by_role(anonymous=302, employee=403, other_department=404, head=302, coordinator=302, admin=302),
        state=space_state,
    ),
    Route("knowledge:space_edit", label="unknown id", kwargs=lambda world: {"pk": UNKNOWN_ID}, expect=UNKNOWN),
    Route(
        "knowledge:page_create",
        kwargs=lambda world: {"pk": rd_space(world).pk},
        data=lambda world: {"template": "retrospective"},
        expect=by_role(anonymous=302, employee=403, other_department=404, head=200, coordinator=403, admin=200),
    ),
    Route(
        "knowledge:page_create",
        method="post",
        kwargs=lambda world: {"pk": rd_space(world).pk},
        data=lambda world: {"title": "新规范", "body": "内容", "owner": world.head.pk, "review_by": "2030-01-01"},
        expect=by_role(anonymous=302, employee=403, other_department=404, head=302, coordinator=403, admin=302),
        state=page_state,
    ),
    Route(
        "knowledge:page_create",
        method="post",
        label="another department's private space",
        kwargs=lambda world: {"pk": sales_space(world).pk},
        data=lambda world: {
            "title": "新规范",
            "body": "内容",
            "owner": world.other_department.pk,
            "review_by": "2030-01-01",
        },
        expect=by_role(anonymous=302, employee=404, other_department=302, head=404, coordinator=403, admin=302),
        state=page_state,
    ),
    Route("knowledge:page_create", label="unknown id", kwargs=lambda world: {"pk": UNKNOWN_ID}, expect=UNKNOWN),
    Route("knowledge:page_preview", method="post", data=lambda world: {"body": "**粗体**"}, expect=signed_in(200)),
    Route("knowledge:page_detail", kwargs=lambda world: {"pk": rd_page(world).pk}, expect=READ_RD),
    Route(
        "knowledge:page_detail",
        label="another department's private page",
        kwargs=lambda world: {"pk": sales_page(world).pk},
        expect=READ_SALES,
    ),
    Route("knowledge:page_detail", label="unknown id", kwargs=lambda world: {"pk": UNKNOWN_ID}, expect=UNKNOWN),
    Route(
        "knowledge:page_edit",
        kwargs=lambda world: {"pk": rd_page(world).pk},
        expect=by_role(anonymous=302, employee=403, other_department=404, head=200, coordinator=403, admin=200),
    ),
    Route(
        "knowledge:page_edit",
        method="post",
        kwargs=lambda world: {"pk": rd_page(world).pk},
        data=_edit,
        expect=by_role(anonymous=302, employee=403, other_department=404, head=302, coordinator=403, admin=302),
        state=page_state,
    ),
    Route("knowledge:page_edit", label="unknown id", kwargs=lambda world: {"pk": UNKNOWN_ID}, expect=UNKNOWN),
    Route(
        "knowledge:page_delete",
        method="post",
        kwargs=lambda world: {"pk": rd_page(world).pk},
        expect=by_role(anonymous=302, employee=403, other_department=404, head=302, coordinator=302, admin=302),
        state=page_state,
    ),
    Route(
        "knowledge:page_delete",
        method="post",
        label="another department's private page",
        kwargs=lambda world: {"pk": sales_page(world).pk},
        expect=by_role(anonymous=302, employee=404, other_department=302, head=404, coordinator=302, admin=302),
        state=page_state,
    ),
    Route(
        "knowledge:page_delete",
        method="post",
        label="unknown id",
        kwargs=lambda world: {"pk": UNKNOWN_ID},
        expect=UNKNOWN,
    ),
    Route(
        "knowledge:page_confirm_current",
        method="post",
        kwargs=lambda world: {"pk": rd_page(world).pk},
        expect=by_role(anonymous=302, employee=403, other_department=404, head=302, coordinator=403, admin=302),
        state=page_state,
    ),
    Route(
        "knowledge:page_confirm_current",
        method="post",
        label="unknown id",
        kwargs=lambda world: {"pk": UNKNOWN_ID},
        expect=UNKNOWN,
    ),
    Route("knowledge:page_history", kwargs=lambda world: {"pk": rd_page(world).pk}, expect=READ_RD),
    Route(
        "knowledge:page_history",
        label="another department's private page",
        kwargs=lambda world: {"pk": sales_page(world).pk},
        expect=READ_SALES,
    ),
    Route("knowledge:page_history", label="unknown id", kwargs=lambda world: {"pk": UNKNOWN_ID}, expect=UNKNOWN),
    Route("knowledge:page_version", kwargs=lambda world: {"pk": rd_page(world).pk, "number": 1}, expect=READ_RD),
    Route(
        "knowledge:page_version",
        label="another department's private page",
        kwargs=lambda world: {"pk": sales_page(world).pk, "number": 1},
        expect=READ_SALES,
    ),
    Route(
        "knowledge:page_version",
        label="unknown version",
        kwargs=lambda world: {"pk": rd_page(world).pk, "number": 99},
        expect=by_role(anonymous=302, employee=404, other_department=404, head=404, coordinator=404, admin=404),
    ),
    Route(
        "knowledge:page_version",
        label="unknown id",
        kwargs=lambda world: {"pk": UNKNOWN_ID, "number": 1},
        expect=UNKNOWN,
    ),
    Route("knowledge:page_diff", kwargs=lambda world: {"pk": rd_page(world).pk}, expect=READ_RD),
    Route(
        "knowledge:page_diff",
        label="another department's private page",
        kwargs=lambda world: {"pk": sales_page(world).pk},
        data=lambda world: {"from": 1, "to": 1},
        expect=READ_SALES,
    ),
    Route("knowledge:page_diff", label="unknown id", kwargs=lambda world: {"pk": UNKNOWN_ID}, expect=UNKNOWN),
    Route(
        "attachments:download",
        label="a private knowledge page's attachment",
        kwargs=lambda world: {"pk": sales_attachment(world).pk},
        expect=READ_SALES,
    ),
]

API_READ_RD = by_role(anonymous=403, employee=200, other_department=404, head=200, coordinator=200, admin=200)
API_READ_SALES = by_role(anonymous=403, employee=404, other_department=200, head=404, coordinator=200, admin=200)
API_UNKNOWN = signed_in(404, anonymous=403)

API = [
    Route("api:knowledge-space-list", expect=signed_in(200, anonymous=403)),
    Route(
        "api:knowledge-space-list",
        method="post",
        label="a company space",
        data=lambda world: {"name": "公司制度", "visibility": "company"},
        expect=by_role(anonymous=403, employee=403, other_department=403, head=403, coordinator=201, admin=201),
    ),
    Route(
        "api:knowledge-space-list",
        method="post",
        label="a department's space",
        data=lambda world: {"name": "研发经验", "department": "RD", "visibility": "private"},
        expect=by_role(anonymous=403, employee=403, other_department=403, head=201, coordinator=201, admin=201),
    ),
    Route("api:knowledge-space-detail", kwargs=lambda world: {"pk": rd_space(world).pk}, expect=API_READ_RD),
    Route(
        "api:knowledge-space-detail",
        label="another department's private space",
        kwargs=lambda world: {"pk": sales_space(world).pk},
        expect=API_READ_SALES,
    ),
    Route(
        "api:knowledge-space-detail",
        method="patch",
        kwargs=lambda world: {"pk": rd_space(world).pk},
        data=lambda world: {"name": "研发内部知识"},
        expect=by_role(anonymous=403, employee=403, other_department=404, head=200, coordinator=200, admin=200),
        state=space_state,
    ),
    Route(
        "api:knowledge-space-detail",
        method="delete",
        kwargs=lambda world: {"pk": rd_empty_space(world).pk},
        expect=by_role(anonymous=403, employee=403, other_department=404, head=204, coordinator=204, admin=204),
        state=space_state,
    ),
    Route(
        "api:knowledge-space-detail", label="unknown id", kwargs=lambda world: {"pk": UNKNOWN_ID}, expect=API_UNKNOWN
    ),
    Route("api:knowledge-page-list", expect=signed_in(200, anonymous=403)),
    Route(
        "api:knowledge-page-list",
        method="post",
        data=lambda world: {"space": rd_space(world).pk, "title": "新规范", "body": "内容", "review_by": "2030-01-01"},
        # SALES does not see the space: the request names a space that does not exist for them (400).
        expect=by_role(anonymous=403, employee=403, other_department=400, head=201, coordinator=403, admin=201),
        state=page_state,
    ),
    Route("api:knowledge-page-detail", kwargs=lambda world: {"pk": rd_page(world).pk}, expect=API_READ_RD),
    Route(
        "api:knowledge-page-detail",
        label="another department's private page",
        kwargs=lambda world: {"pk": sales_page(world).pk},
        expect=API_READ_SALES,
    ),
    Route(
        "api:knowledge-page-detail",
        method="patch",
        kwargs=lambda world: {"pk": rd_page(world).pk},
        data=lambda world: {"body": "## 背景\n\n改过", "summary": "修订"},
        expect=by_role(anonymous=403, employee=403, other_department=404, head=200, coordinator=403, admin=200),
        state=page_state,
    ),
    Route(
        "api:knowledge-page-detail",
        method="delete",
        kwargs=lambda world: {"pk": rd_page(world).pk},
        expect=by_role(anonymous=403, employee=403, other_department=404, head=204, coordinator=204, admin=204),
        state=page_state,
    ),
    Route("api:knowledge-page-detail", label="unknown id", kwargs=lambda world: {"pk": UNKNOWN_ID}, expect=API_UNKNOWN),
    Route("api:knowledge-page-versions", kwargs=lambda world: {"pk": rd_page(world).pk}, expect=API_READ_RD),
    Route(
        "api:knowledge-page-versions",
        label="another department's private page",
        kwargs=lambda world: {"pk": sales_page(world).pk},
        expect=API_READ_SALES,
    ),
    Route(
        "api:knowledge-page-versions", label="unknown id", kwargs=lambda world: {"pk": UNKNOWN_ID}, expect=API_UNKNOWN
    ),
    Route(
        "api:knowledge-page-version", kwargs=lambda world: {"pk": rd_page(world).pk, "number": "1"}, expect=API_READ_RD
    ),
    Route(
        "api:knowledge-page-version",
        label="another department's private page",
        kwargs=lambda world: {"pk": sales_page(world).pk, "number": "1"},
        expect=API_READ_SALES,
    ),
    Route(
        "api:knowledge-page-version",
        label="unknown version",
        kwargs=lambda world: {"pk": rd_page(world).pk, "number": "99"},
        expect=API_UNKNOWN,
    ),
    Route(
        "api:knowledge-page-version",
        label="unknown id",
        kwargs=lambda world: {"pk": UNKNOWN_ID, "number": "1"},
        expect=API_UNKNOWN,
    ),
]

ROUTES: list[Route] = PAGES + API
