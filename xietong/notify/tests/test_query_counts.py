"""The inbox and the notifications API cost a fixed number of queries whatever the inbox holds.

Each is measured with a small inbox (scale 1) and one five times as large (scale 5), both larger
than one page for the list, and both must cost exactly the stated number of queries. The count
includes what every signed-in request costs: the session, the person, and the organization (for
its language).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from xietong.notify.models import Notification

pytestmark = pytest.mark.django_db

SCALES = (1, 5)
AT = datetime(2025, 3, 3, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def grow(world: Any, scale: int) -> None:
    """Give the employee ``scale`` × 60 notifications (a third of them read), and the head as many."""
    Notification.objects.bulk_create(
        Notification(
            recipient=person,
            kind="test.something_happened",
            title=f"通知{i}",
            body="正文",
            url="/org/",
            created_at=AT + timedelta(minutes=i),
            read_at=AT if i % 3 == 0 else None,
        )
        for person in (world.employee, world.head)
        for i in range(60 * scale)
    )


# (what, the URL, the exact number of queries)
PAGES: list[tuple[str, str, int]] = [
    # session, person, organization, paginator count, the page, the bell's COUNT (also "mark all as read")
    ("inbox", "/notifications/", 6),
    ("inbox, unread only", "/notifications/?unread=1", 6),
    ("inbox, second page", "/notifications/?page=2", 6),
    # session, person, organization, paginator count, the page
    ("API list", "/api/v1/notify/notifications/", 5),
    ("API list, unread only", "/api/v1/notify/notifications/?unread=true", 5),
    # session, person, organization, the COUNT
    ("API unread count", "/api/v1/notify/notifications/unread-count/", 4),
]


@pytest.mark.parametrize("scale", SCALES)
@pytest.mark.parametrize(("what", "url", "queries"), PAGES, ids=[page[0] for page in PAGES])
def test_page_costs_a_fixed_number_of_queries(client, world, django_assert_num_queries, scale, what, url, queries):
    # given
    grow(world, scale)
    client.force_login(world.employee)
    # when
    with django_assert_num_queries(queries):
        response = client.get(url)
    # then
    assert response.status_code == 200


def test_grow_adds_what_it_says(world):
    # when
    grow(world, 5)
    # then
    assert Notification.objects.filter(recipient=world.employee).count() == 300
    assert Notification.objects.filter(recipient=world.employee, read_at__isnull=True).count() == 200
    assert Notification.objects.filter(recipient=world.head).count() == 300


# ── the administrators' webhook and delivery pages, and the preferences ─────────────────────────


def grow_deliveries(world: Any, scale: int) -> None:
    """``scale`` × 3 webhooks (department and organization ones), each with 20 deliveries of every
    status and an attempt each; and ``scale`` × 20 e-mails."""
    from xietong.notify.models import Delivery, DeliveryAttempt, Webhook

    for i in range(3 * scale):
        webhook = Webhook.objects.create(
            name=f"群{i}",
            vendor=("wecom", "dingtalk", "feishu")[i % 3],
            url=f"https://example.cn/hook/{i}",
            department=(world.rd, world.sales, None)[i % 3],
            groups=["dispute"],
            secret="" if i % 3 == 0 else "SEC",
        )
        for n in range(20):
            delivery = Delivery.objects.create(
                channel="webhook",
                webhook=webhook,
                kind="dispute.x",
                title=f"消息{n}",
                language="zh-hans",
                status=("pending", "sent", "failed")[n % 3],
                attempts=1,
            )
            DeliveryAttempt.objects.create(
                delivery=delivery, webhook=webhook, number=1, started_at=AT, outcome="error", error="HTTP 500"
            )
    for n in range(20 * scale):
        Delivery.objects.create(
            channel="email",
            recipient=world.employee,
            kind="dispute.x",
            title=f"邮件{n}",
            language="zh-hans",
            status="failed",
        )


ADMIN_PAGES: list[tuple[str, str, int]] = [
    # session, person, organization, the webhooks with their counts, the bell
    ("webhook list", "/notifications/webhooks/", 5),
    # session, person, organization, paginator count, the page, the status counts, the attempts, the bell
    ("deliveries", "/notifications/deliveries/", 8),
    ("deliveries, all", "/notifications/deliveries/?status=all", 8),
    # session, person, organization, paginator count, the page
    ("API webhooks", "/api/v1/notify/webhooks/", 5),
    ("API deliveries", "/api/v1/notify/deliveries/", 5),
    ("API failed deliveries", "/api/v1/notify/deliveries/?status=failed", 5),
]


@pytest.mark.usefixtures("kind_groups")
@pytest.mark.parametrize("scale", SCALES)
@pytest.mark.parametrize(("what", "url", "queries"), ADMIN_PAGES, ids=[page[0] for page in ADMIN_PAGES])
def test_admin_page_costs_a_fixed_number_of_queries(
    client, world, django_assert_num_queries, scale, what, url, queries
):
    # given
    grow_deliveries(world, scale)
    client.force_login(world.admin)
    # when
    with django_assert_num_queries(queries):
        response = client.get(url)
    # then
    assert response.status_code == 200


@pytest.mark.usefixtures("kind_groups")
@pytest.mark.parametrize(
    ("url", "queries"),
    [
        # session, person, organization, the preferences, the bell; the departments the person heads
        # and the department tree (whether they manage group robots)
        ("/notifications/settings/", 7),
        # session, person, organization, the preferences
        ("/api/v1/notify/preferences/", 4),
    ],
)
def test_preferences_cost_a_fixed_number_of_queries(client, world, django_assert_num_queries, url, queries):
    from xietong.notify.services import notification_preferences_set

    notification_preferences_set(person=world.employee, email_groups=["dispute", "process"])
    client.force_login(world.employee)
    with django_assert_num_queries(queries):
        response = client.get(url)
    assert response.status_code == 200
