"""The audit app's rows of the role × route matrix (tests/test_route_matrix.py).

The audit trail is for administrators only. Everyone else is refused with 403 before any lookup,
whatever the model and id, so the page cannot be used to probe which objects exist (of any model:
the URL names the model). Administrators get 404 for an unknown model or id.
"""

from __future__ import annotations

from typing import Any

from xietong.common.testing.routes import UNKNOWN_ID, Route, admins

API_ANONYMOUS = 403  # DRF: NotAuthenticated without a WWW-Authenticate header (SessionAuthentication first)


def _rd_log(world: Any) -> dict[str, Any]:
    return {"model": "org.department", "pk": str(world.rd.pk)}


ROUTES = [
    Route("audit:object_log", kwargs=_rd_log, expect=admins(200)),
    Route(
        "audit:object_log",
        label="unknown id",
        kwargs=lambda w: {"model": "org.department", "pk": UNKNOWN_ID},
        expect=admins(404),
    ),
    Route(
        "audit:object_log",
        label="id that is not a number",
        kwargs=lambda w: {"model": "org.department", "pk": "abc"},
        expect=admins(404),
    ),
    Route(
        "audit:object_log",
        label="unknown model",
        kwargs=lambda w: {"model": "org.nothing", "pk": "1"},
        expect=admins(404),
    ),
    Route(
        "api:audit_entries",
        data=lambda w: {"model": "org.department", "object_id": w.rd.pk},
        expect=admins(200, anonymous=API_ANONYMOUS),
    ),
    Route(
        "api:audit_entries",
        label="without parameters",
        expect=admins(400, anonymous=API_ANONYMOUS),
    ),
    Route(
        "api:audit_entries",
        label="unknown model",
        data=lambda w: {"model": "org.nothing", "object_id": "1"},
        expect=admins(404, anonymous=API_ANONYMOUS),
    ),
]
