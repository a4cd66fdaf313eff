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
