"""The notify app's rows of the role × route matrix (tests/test_route_matrix.py): the inbox and its API.

Every signed-in person has an inbox and reads and marks only their own notifications: the
employee's notification is 404 to everyone else, exactly as an unknown id, so ids cannot be probed.
Anonymous visitors are sent to sign in (pages) or refused with 403 (API: DRF answers 403, not 401,
because the first authentication class, SessionAuthentication, sends no WWW-Authenticate header).
"""

from __future__ import annotations

from typing import Any

from xietong.common.testing.routes import UNKNOWN_ID, Route, signed_in
from xietong.notify.models import Notification
from xietong.notify.tests.factories import NotificationFactory

API_ANONYMOUS = 403  # NotAuthenticated without a WWW-Authenticate header


def employee_notification(world: Any) -> Notification:
    """The employee's unread notification (made on first use: the world fixture has none)."""
    existing = Notification.objects.filter(recipient=world.employee, dedupe_key="matrix").first()
    if existing is not None:
        return existing
    return NotificationFactory(recipient=world.employee, dedupe_key="matrix", url=f"/org/people/{world.employee.pk}/")


def _employee_notification(world: Any) -> dict[str, Any]:
    return {"pk": employee_notification(world).pk}


def _unknown(world: Any) -> dict[str, Any]:
    return {"pk": UNKNOWN_ID}


def _with_notification(client: Any, world: Any) -> None:
    employee_notification(world)  # before the runner counts the rows: there is something to mark


def read_state(world: Any) -> list[tuple[int, Any]]:
    """Which notifications are read, and since when."""
    return list(Notification.objects.order_by("pk").values_list("pk", "read_at"))


def _api(status: int) -> dict[str, int]:
    return signed_in(status, anonymous=API_ANONYMOUS)


PAGES = [
    Route("notify:inbox", expect=signed_in(200)),
    Route("notify:inbox", label="unread only", data=lambda w: {"unread": "1"}, expect=signed_in(200)),
    Route("notify:inbox", method="post", expect=signed_in(405)),
    Route("notify:read_all", method="post", prepare=_with_notification, expect=signed_in(302), state=read_state),
    Route("notify:read_all", prepare=_with_notification, expect=signed_in(405), state=read_state),
    # Only its recipient opens a notification (marked read, then sent to its link).
    Route(
        "notify:open",
        kwargs=_employee_notification,
        expect=signed_in(404) | {"employee": 302},
        state=read_state,
    ),
    Route("notify:open", label="unknown id", kwargs=_unknown, expect=signed_in(404)),
]

API = [
    Route("api:notification-list", expect=_api(200)),
    Route("api:notification-list", label="unread only", data=lambda w: {"unread": "true"}, expect=_api(200)),
    Route(
        "api:notification-list",
        method="post",
        prepare=_with_notification,
        data=lambda w: {},
        expect=_api(405),
        state=read_state,
    ),
    Route(
        "api:notification-read",
        method="post",
        kwargs=_employee_notification,
        expect=_api(404) | {"employee": 200},
        state=read_state,
    ),
    Route("api:notification-read", method="post", label="unknown id", kwargs=_unknown, expect=_api(404)),
    Route("api:notification-read", kwargs=_employee_notification, expect=_api(405), state=read_state),
    Route(
        "api:notification-read-all",
        method="post",
        prepare=_with_notification,
        expect=_api(200),
        state=read_state,
    ),
    Route("api:notification-unread-count", expect=_api(200)),
]

ROUTES = PAGES + API
