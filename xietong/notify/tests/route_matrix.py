"""The notify app's rows of the role × route matrix (tests/test_route_matrix.py): the inbox, the
channel preferences, the administrators' webhook and delivery pages, and their API.

Every signed-in person has an inbox and reads and marks only their own notifications: the
employee's notification is 404 to everyone else, exactly as an unknown id, so ids cannot be probed.
Everyone sets their own preferences. Webhooks are for administrators and, for the departments they
head, department heads (RD's head registers one for RD here; the organization's webhook is 404 to
them); deliveries are for administrators. The lists and creation answer 403 to everyone else, one
webhook or delivery 404 (as an unknown id).
Anonymous visitors are sent to sign in (pages) or refused with 403 (API: DRF answers 403, not 401,
because the first authentication class, SessionAuthentication, sends no WWW-Authenticate header).
"""

from __future__ import annotations

from typing import Any

from xietong.common.testing.routes import UNKNOWN_ID, Route, admins, signed_in
from xietong.notify import kinds
from xietong.notify.models import Delivery, Notification, NotificationPreference, Webhook
from xietong.notify.tests.factories import NotificationFactory

API_ANONYMOUS = 403  # NotAuthenticated without a WWW-Authenticate header
# A group of kinds no app sends: registering it (the registry is process-wide, and a row has no
# teardown) changes nothing for the other tests.
GROUP = "routematrix"


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

# ── Preferences, webhooks, deliveries ───────────────────────────────────────────────────────────


def webhook(world: Any) -> Webhook:
    """The organization's WeCom webhook (made on first use; nothing is ever posted to it here: the
    matrix runs inside a transaction that never commits)."""
    existing = Webhook.objects.filter(name="matrix").first()
    if existing is not None:
        return existing
    return Webhook.objects.create(name="matrix", vendor="wecom", url="http://127.0.0.1:9/matrix", groups=[GROUP])


def delivery(world: Any) -> Delivery:
    existing = Delivery.objects.filter(title="matrix").first()
    if existing is not None:
        return existing
    return Delivery.objects.create(
        channel="webhook", webhook=webhook(world), kind=f"{GROUP}.x", title="matrix", language="zh-hans"
    )


def _failed_delivery(world: Any) -> dict[str, Any]:
    """A delivery that failed for good (made on first use)."""
    existing = Delivery.objects.filter(title="matrix failed").first()
    if existing is None:
        existing = Delivery.objects.create(
            channel="webhook",
            webhook=webhook(world),
            kind=f"{GROUP}.x",
            title="matrix failed",
            language="zh-hans",
            status="failed",
            attempts=5,
        )
    return {"pk": existing.pk}


def _webhook(world: Any) -> dict[str, Any]:
    return {"pk": webhook(world).pk}


def _delivery(world: Any) -> dict[str, Any]:
    return {"pk": delivery(world).pk}


def _with_groups(client: Any, world: Any) -> None:
    """A group is offered, so that a webhook or a preference can choose it."""
    kinds.register_kind_group(GROUP, "route matrix")
    webhook(world)
    delivery(world)


def webhooks_state(world: Any) -> list[dict[str, Any]]:
    return list(Webhook.objects.order_by("pk").values())


def deliveries_state(world: Any) -> list[dict[str, Any]]:
    return list(Delivery.objects.order_by("pk").values())


def preferences_state(world: Any) -> list[tuple[int, str, bool]]:
    return list(NotificationPreference.objects.order_by("pk").values_list("person_id", "group", "email"))


def _webhook_form(world: Any) -> dict[str, Any]:
    return {
        "name": "研发群",
        "vendor": "dingtalk",
        "url": "https://oapi.dingtalk.com/robot/send?access_token=x",
        "groups": [GROUP],
        "secret": "SECx",
        "is_active": "on",
        "department": world.rd.pk,
    }


def _webhook_json(world: Any) -> dict[str, Any]:
    return {
        "name": "研发群",
        "vendor": "dingtalk",
        "url": "https://oapi.dingtalk.com/robot/send?access_token=x",
        "groups": [GROUP],
        "secret": "SECx",
        "department": "RD",
    }


def _admins(status: int, *, others: int = 403) -> dict[str, int]:
    return admins(status, others=others)


def _api_admins(status: int, *, others: int = 403) -> dict[str, int]:
    return admins(status, anonymous=API_ANONYMOUS, others=others)


def _managers(status: int) -> dict[str, int]:
    """Administrators, and RD's head (the form and the JSON register a webhook for RD)."""
    return {**admins(status), "head": status}


def _api_managers(status: int) -> dict[str, int]:
    return {**admins(status, anonymous=API_ANONYMOUS), "head": status}


CHANNEL_PAGES = [
    Route("notify:preferences", expect=signed_in(200)),
    Route(
        "notify:preferences",
        method="post",
        prepare=_with_groups,
        data=lambda w: {f"email_{GROUP}": "on"},
        expect=signed_in(302),
    ),
    Route("notify:webhook_list", prepare=_with_groups, expect=_managers(200)),
    Route("notify:webhook_create", expect=_managers(200)),
    Route(
        "notify:webhook_create",
        method="post",
        prepare=_with_groups,
        data=_webhook_form,
        expect=_managers(302),
        state=webhooks_state,
    ),
    Route("notify:webhook_edit", kwargs=_webhook, expect=_admins(200, others=404)),
    Route(
        "notify:webhook_edit",
        method="post",
        kwargs=_webhook,
        prepare=_with_groups,
        data=_webhook_form,
        expect=_admins(302, others=404),
        state=webhooks_state,
    ),
    Route("notify:webhook_edit", label="unknown id", kwargs=_unknown, expect=signed_in(404)),
    Route("notify:webhook_delete", kwargs=_webhook, expect=_admins(200, others=404), state=webhooks_state),
    Route(
        "notify:webhook_delete",
        method="post",
        kwargs=_webhook,
        prepare=_with_groups,
        expect=_admins(302, others=404),
        state=webhooks_state,
    ),
    Route("notify:webhook_delete", method="post", label="unknown id", kwargs=_unknown, expect=signed_in(404)),
    Route(
        "notify:webhook_test",
        method="post",
        kwargs=_webhook,
        prepare=_with_groups,
        expect=_admins(302, others=404),
        state=deliveries_state,
    ),
    Route("notify:webhook_test", kwargs=_webhook, expect=signed_in(405), state=deliveries_state),
    Route("notify:webhook_test", method="post", label="unknown id", kwargs=_unknown, expect=signed_in(404)),
    Route("notify:deliveries", prepare=_with_groups, expect=_admins(200)),
    Route(
        "notify:delivery_retry",
        method="post",
        kwargs=_failed_delivery,
        expect=_admins(302, others=404),
        state=deliveries_state,
    ),
    Route("notify:delivery_retry", kwargs=_failed_delivery, expect=signed_in(405), state=deliveries_state),
    Route("notify:delivery_retry", method="post", label="unknown id", kwargs=_unknown, expect=signed_in(404)),
    Route("notify:deliveries", label="all", data=lambda w: {"status": "all"}, expect=_admins(200)),
]

CHANNEL_API = [
    Route("api:notification-preferences", expect=_api(200)),
    Route(
        "api:notification-preferences",
        method="put",
        prepare=_with_groups,
        data=lambda w: {"email_groups": [GROUP]},
        expect=_api(200),
    ),
    Route(
        "api:notification-preferences",
        method="post",
        data=lambda w: {"email_groups": []},
        expect=_api(405),
        state=preferences_state,
    ),
    Route("api:webhook-list", prepare=_with_groups, expect=_api_managers(200)),
    Route(
        "api:webhook-list",
        method="post",
        prepare=_with_groups,
        data=_webhook_json,
        expect=_api_managers(201),
        state=webhooks_state,
    ),
    Route("api:webhook-detail", kwargs=_webhook, expect=_api_admins(200, others=404)),
    Route(
        "api:webhook-detail",
        method="patch",
        kwargs=_webhook,
        prepare=_with_groups,
        data=lambda w: {"name": "改名"},
        expect=_api_admins(200, others=404),
        state=webhooks_state,
    ),
    Route(
        "api:webhook-detail",
        method="put",
        kwargs=_webhook,
        prepare=_with_groups,
        data=_webhook_json,
        expect=_api_admins(200, others=404),
        state=webhooks_state,
    ),
    Route(
        "api:webhook-detail",
        method="delete",
        kwargs=_webhook,
        expect=_api_admins(204, others=404),
        state=webhooks_state,
    ),
    Route("api:webhook-detail", label="unknown id", kwargs=_unknown, expect=_api(404)),
    Route(
        "api:webhook-test",
        method="post",
        kwargs=_webhook,
        prepare=_with_groups,
        expect=_api_admins(202, others=404),
        state=deliveries_state,
    ),
    Route("api:webhook-test", method="post", label="unknown id", kwargs=_unknown, expect=_api(404)),
    Route("api:delivery-list", prepare=_with_groups, expect=_api_admins(200)),
    Route("api:delivery-detail", kwargs=_delivery, expect=_api_admins(200, others=404)),
    Route("api:delivery-detail", label="unknown id", kwargs=_unknown, expect=_api(404)),
    Route(
        "api:delivery-retry",
        method="post",
        kwargs=_failed_delivery,
        expect=_api_admins(202, others=404),
        state=deliveries_state,
    ),
    Route("api:delivery-retry", method="post", label="unknown id", kwargs=_unknown, expect=_api(404)),
]

ROUTES = PAGES + API + CHANNEL_PAGES + CHANNEL_API
