"""The progress app's rows of the role × route matrix (tests/test_route_matrix.py).

The world gets, on first use: a public post of SALES (everyone reads it), a post of RD marked
internal (RD and RD-HW read it, SALES does not), and a post on the SALES-only case of the processes
matrix (the RD people cannot see that case, hence not its post). Coordinators and administrators see
every post; only a post's author (or an administrator) deletes it.
"""

from __future__ import annotations

import io
from typing import Any

from xietong.attachments.models import Attachment
from xietong.attachments.services import attachment_add
from xietong.common import clock
from xietong.common.testing.routes import UNKNOWN_ID, Route, by_role, signed_in
from xietong.processes.tests.route_matrix_cases import hw_case, sales_case
from xietong.progress.models import Post


def _post(world: Any, body: str, **target: Any) -> Post:
    existing = Post.objects.filter(body=body).first()
    if existing is not None:
        return existing
    return Post.objects.create(body=body, created_at=clock.now(), **target)


def sales_post(world: Any) -> Post:
    return _post(world, "销售部：三月订单已全部排产", author=world.other_department, department=world.sales)


def rd_internal_post(world: Any) -> Post:
    return _post(world, "研发中心内部：样机评审推迟", author=world.liaison, department=world.rd, is_internal=True)


def sales_case_post(world: Any) -> Post:
    return _post(world, "报价已发客户", author=world.other_department, case=sales_case(world))


def sales_case_attachment(world: Any) -> Attachment:
    post = sales_case_post(world)
    existing = Attachment.objects.filter(object_id=str(post.pk), filename="报价单.txt").first()
    if existing is not None:
        return existing
    upload = io.BytesIO(b"quote 2026\n")
    upload.name = "报价单.txt"
    return attachment_add(actor=world.other_department, owner=post, upload=upload)


def post_state(world: Any) -> Any:
    return list(Post.objects.order_by("pk").values_list("pk", "body", "deleted_at"))


PAGES = [
    Route("progress:feed", expect=signed_in(200)),
    Route(
        "progress:feed",
        label="one case",
        data=lambda world: {"case": sales_case(world).pk},
        expect=by_role(anonymous=302, employee=404, other_department=200, head=404, coordinator=200, admin=200),
    ),
    Route(
        "progress:post_create",
        method="post",
        label="a department's update",
        data=lambda world: {"body": "研发中心：样机完成", "department": world.rd.pk},
        expect=by_role(anonymous=302, employee=403, other_department=403, head=302, coordinator=302, admin=302),
        state=post_state,
    ),
    Route(
        "progress:post_create",
        method="post",
        label="a case's update",
        data=lambda world: {"body": "诊断完成", "case": hw_case(world).pk},
        expect=by_role(anonymous=302, employee=302, other_department=404, head=302, coordinator=302, admin=302),
        state=post_state,
    ),
    Route(
        "progress:post_create",
        method="post",
        label="an unseen case's update",
        data=lambda world: {"body": "猜一个编号", "case": sales_case(world).pk},
        expect=by_role(anonymous=302, employee=404, other_department=302, head=404, coordinator=302, admin=302),
        state=post_state,
    ),
    Route(
        "progress:post_detail",
        kwargs=lambda world: {"pk": sales_post(world).pk},
        expect=signed_in(200),
    ),
    Route(
        "progress:post_detail",
        label="another department's internal post",
        kwargs=lambda world: {"pk": rd_internal_post(world).pk},
        expect=by_role(anonymous=302, employee=200, other_department=404, head=200, coordinator=200, admin=200),
    ),
    Route(
        "progress:post_detail",
        label="an unseen case's post",
        kwargs=lambda world: {"pk": sales_case_post(world).pk},
        expect=by_role(anonymous=302, employee=404, other_department=200, head=404, coordinator=200, admin=200),
    ),
    Route(
        "attachments:download",
        label="an unseen case's progress attachment",
        kwargs=lambda world: {"pk": sales_case_attachment(world).pk},
        expect=by_role(anonymous=302, employee=404, other_department=200, head=404, coordinator=200, admin=200),
    ),
    Route("progress:post_detail", label="unknown id", kwargs=lambda world: {"pk": UNKNOWN_ID}, expect=signed_in(404)),
    Route(
        "progress:post_delete",
        method="post",
        kwargs=lambda world: {"pk": rd_internal_post(world).pk},
        expect=by_role(anonymous=302, employee=403, other_department=404, head=403, coordinator=403, admin=302),
        state=post_state,
    ),
    Route(
        "progress:post_delete",
        method="post",
        label="one's own",
        kwargs=lambda world: {"pk": sales_post(world).pk},
        expect=by_role(anonymous=302, employee=403, other_department=302, head=403, coordinator=403, admin=302),
        state=post_state,
    ),
    Route(
        "progress:post_delete",
        method="post",
        label="unknown id",
        kwargs=lambda world: {"pk": UNKNOWN_ID},
        expect=signed_in(404),
    ),
]

API = [
    Route("api:progress-post-list", expect=signed_in(200, anonymous=403)),
    Route(
        "api:progress-post-list",
        method="post",
        label="a department's update",
        data=lambda world: {"body": "研发中心：样机完成", "department": "RD"},
        expect=by_role(anonymous=403, employee=403, other_department=403, head=201, coordinator=201, admin=201),
        state=post_state,
    ),
    Route(
        "api:progress-post-list",
        method="post",
        label="an unseen case's update",
        data=lambda world: {"body": "猜一个编号", "case": sales_case(world).pk},
        # The case does not exist for those who cannot see it: 400, as for an unknown case.
        expect=by_role(anonymous=403, employee=400, other_department=201, head=400, coordinator=201, admin=201),
        state=post_state,
    ),
    Route(
        "api:progress-post-detail",
        kwargs=lambda world: {"pk": rd_internal_post(world).pk},
        expect=by_role(anonymous=403, employee=200, other_department=404, head=200, coordinator=200, admin=200),
    ),
    Route(
        "api:progress-post-detail",
        label="an unseen case's post",
        kwargs=lambda world: {"pk": sales_case_post(world).pk},
        expect=by_role(anonymous=403, employee=404, other_department=200, head=404, coordinator=200, admin=200),
    ),
    Route(
        "api:progress-post-detail",
        method="delete",
        kwargs=lambda world: {"pk": sales_post(world).pk},
        expect=by_role(anonymous=403, employee=403, other_department=204, head=403, coordinator=403, admin=204),
        state=post_state,
    ),
    Route(
        "api:progress-post-detail",
        label="unknown id",
        kwargs=lambda world: {"pk": UNKNOWN_ID},
        expect=signed_in(404, anonymous=403),
    ),
]

ROUTES: list[Route] = PAGES + API
