"""The notices app's rows of the role × route matrix (tests/test_route_matrix.py).

The world gets, on first use: a notice of the head of RD to RD (seen by its recipients head, liaison
and employee, and by coordinators and administrators), a notice of the coordinator to SALES (the
other_department person), and a draft of the coordinator's (seen by coordinators and administrators
only). Seeing a notice is 404-or-not; an action on a visible notice that the service refuses is a
message on the notice page (302 back to it).
"""

from __future__ import annotations

from typing import Any

from xietong.common.testing.routes import UNKNOWN_ID, Route, by_role, managers, signed_in
from xietong.notices.models import Notice, NoticeRecipient
from xietong.notices.tests.factories import draft_notice, rd_notice, sales_notice

API_ANONYMOUS = 403  # NotAuthenticated without a WWW-Authenticate header


def _pk_of(make: Any) -> Any:
    return lambda world: {"pk": make(world).pk}


def _unknown(world: Any) -> dict[str, Any]:
    return {"pk": UNKNOWN_ID}


def notices_state(world: Any) -> tuple[Any, ...]:
    return (
        list(Notice.objects.order_by("pk").values_list("pk", "state", "is_pinned", "published_at", "withdrawn_at")),
        list(NoticeRecipient.objects.order_by("pk").values_list("pk", "read_at", "acknowledged_at")),
    )


_rd, _sales, _draft = _pk_of(rd_notice), _pk_of(sales_notice), _pk_of(draft_notice)
# rd_notice: its recipients (employee, head), coordinators and administrators see it; SALES does not.
RD = by_role(anonymous=302, employee=200, other_department=404, head=200, coordinator=200, admin=200)
RD_POST = by_role(anonymous=302, employee=302, other_department=404, head=302, coordinator=302, admin=302)
RD_API = by_role(anonymous=API_ANONYMOUS, employee=200, other_department=404, head=200, coordinator=200, admin=200)
DRAFT = by_role(anonymous=302, employee=404, other_department=404, head=404, coordinator=200, admin=200)
DRAFT_POST = by_role(anonymous=302, employee=404, other_department=404, head=404, coordinator=302, admin=302)
UNKNOWN = signed_in(404)
UNKNOWN_API = signed_in(404, anonymous=API_ANONYMOUS)
PUBLISHERS = by_role(anonymous=302, employee=403, other_department=403, head=200, coordinator=200, admin=200)
NEW = {"title": "停电通知", "body": "周六 9:00-12:00 停电。", "audience": "all", "mode": "now", "ack_within": "2d"}

ROUTES: list[Route] = [
    # pages
    Route("notices:list", expect=signed_in(200)),
    Route("notices:list", label="to acknowledge", data=lambda w: {"show": "to_ack"}, expect=signed_in(200)),
    Route("notices:to_acknowledge", expect=signed_in(200)),
    Route("notices:create", expect=PUBLISHERS),
    Route(
        "notices:create",
        method="post",
        data=lambda w: NEW,
        expect=by_role(anonymous=302, employee=403, other_department=403, head=302, coordinator=302, admin=302),
        state=notices_state,
    ),
    Route("notices:dashboard", expect=managers(200)),
    Route("notices:detail", kwargs=_rd, expect=RD, state=notices_state),
    Route(
        "notices:detail",
        label="to SALES",
        kwargs=_sales,
        expect=by_role(anonymous=302, employee=404, other_department=200, head=404, coordinator=200, admin=200),
        state=notices_state,
    ),
    Route("notices:detail", label="draft", kwargs=_draft, expect=DRAFT, state=notices_state),
    Route("notices:detail", label="unknown id", kwargs=_unknown, expect=UNKNOWN),
    Route("notices:acknowledge", method="post", kwargs=_rd, expect=RD_POST, state=notices_state),
    Route("notices:acknowledge", method="post", label="unknown id", kwargs=_unknown, expect=UNKNOWN),
    Route("notices:edit", kwargs=_draft, expect=DRAFT),
    Route(
        "notices:edit",
        label="published",  # the author and managers are sent back to the notice: it is not edited any more
        kwargs=_rd,
        expect=by_role(anonymous=302, employee=403, other_department=404, head=302, coordinator=302, admin=302),
    ),
    Route(
        "notices:edit",
        method="post",
        kwargs=_draft,
        data=lambda w: {"title": "年度协作计划", "audience": "all", "mode": "draft", "ack_within": "2d"},
        expect=DRAFT_POST,
        state=notices_state,
    ),
    Route("notices:edit", label="unknown id", kwargs=_unknown, expect=UNKNOWN),
    Route("notices:publish", method="post", kwargs=_draft, expect=DRAFT_POST, state=notices_state),
    Route("notices:publish", method="post", label="unknown id", kwargs=_unknown, expect=UNKNOWN),
    Route(
        "notices:pin", method="post", kwargs=_rd, data=lambda w: {"pinned": "1"}, expect=RD_POST, state=notices_state
    ),
    Route("notices:pin", method="post", label="unknown id", kwargs=_unknown, expect=UNKNOWN),
    Route("notices:withdraw", method="post", kwargs=_rd, expect=RD_POST, state=notices_state),
    Route("notices:withdraw", method="post", label="unknown id", kwargs=_unknown, expect=UNKNOWN),
    # the report: the author (head), coordinators, administrators; a plain recipient gets 404
    Route(
        "notices:report",
        kwargs=_rd,
        expect=by_role(anonymous=302, employee=404, other_department=404, head=200, coordinator=200, admin=200),
    ),
    Route(
        "notices:report",
        label="to SALES",
        kwargs=_sales,
        expect=by_role(anonymous=302, employee=404, other_department=404, head=404, coordinator=200, admin=200),
    ),
    Route("notices:report", label="draft", kwargs=_draft, expect=signed_in(404)),
    Route("notices:report", label="unknown id", kwargs=_unknown, expect=UNKNOWN),
    # API
    Route("api:notice-list", expect=signed_in(200, anonymous=API_ANONYMOUS)),
    Route(
        "api:notice-list",
        label="bad filter",
        data=lambda w: {"show": "everything"},
        expect=signed_in(400, anonymous=API_ANONYMOUS),
    ),
    Route(
        "api:notice-list",
        method="post",
        data=lambda w: {"title": "停电通知", "audience": "all", "requires_ack": True},
        expect=by_role(
            anonymous=API_ANONYMOUS, employee=403, other_department=403, head=201, coordinator=201, admin=201
        ),
        state=notices_state,
    ),
    Route("api:notice-detail", kwargs=_rd, expect=RD_API, state=notices_state),
    Route(
        "api:notice-detail",
        label="draft",
        kwargs=_draft,
        expect=by_role(
            anonymous=API_ANONYMOUS, employee=404, other_department=404, head=404, coordinator=200, admin=200
        ),
    ),
    Route("api:notice-detail", label="unknown id", kwargs=_unknown, expect=UNKNOWN_API),
    Route(
        "api:notice-acknowledge",
        method="post",
        kwargs=_rd,
        # recipients acknowledge; coordinators and administrators see it but were not addressed
        expect=by_role(
            anonymous=API_ANONYMOUS, employee=200, other_department=404, head=200, coordinator=403, admin=403
        ),
        state=notices_state,
    ),
    Route("api:notice-acknowledge", method="post", label="unknown id", kwargs=_unknown, expect=UNKNOWN_API),
    Route(
        "api:notice-withdraw",
        method="post",
        kwargs=_rd,
        expect=by_role(
            anonymous=API_ANONYMOUS, employee=403, other_department=404, head=200, coordinator=200, admin=200
        ),
        state=notices_state,
    ),
    Route("api:notice-withdraw", method="post", label="unknown id", kwargs=_unknown, expect=UNKNOWN_API),
    Route(
        "api:notice-read-rate",
        kwargs=_rd,
        expect=by_role(
            anonymous=API_ANONYMOUS, employee=404, other_department=404, head=200, coordinator=200, admin=200
        ),
    ),
    Route("api:notice-read-rate", label="unknown id", kwargs=_unknown, expect=UNKNOWN_API),
]
