"""The inbox page, opening a notification, "mark all as read", and the bell in the top bar.

Who gets which status on every route is in the role × route matrix (route_matrix.py); these tests
say what the pages show and what the writes do.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory

from xietong.common import clock
from xietong.notify.context_processors import unread_notifications
from xietong.notify.models import Notification, is_internal_link
from xietong.notify.tests.factories import NotificationFactory

pytestmark = pytest.mark.django_db

AT = datetime(2025, 3, 3, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
INBOX = "/notifications/"


def _listed(response: Any) -> list[tuple[int, str]]:
    """(id, "true"/"false" unread) of the notifications on the page, in order."""
    html = response.content.decode()
    return [(int(pk), unread) for pk, unread in re.findall(r'data-notification="(\d+)" data-unread="(\w+)"', html)]


def _bell(response: Any) -> str | None:
    match = re.search(
        r'<span class="badge bg-red text-red-fg" id="notification-count">([^<]*)</span>', response.content.decode()
    )
    return match.group(1) if match else None


def _read_at(*notifications: Notification) -> list[datetime | None]:
    read = dict(Notification.objects.values_list("pk", "read_at"))
    return [read[n.pk] for n in notifications]


# ── the inbox ───────────────────────────────────────────────────────────────────────────────────


def test_inbox_lists_only_ones_own_notifications_newest_first_unread_marked(client, world):
    # given
    old = NotificationFactory(recipient=world.employee, created_at=AT - timedelta(days=2), read_at=AT)
    new = NotificationFactory(recipient=world.employee, created_at=AT)
    NotificationFactory(recipient=world.head, created_at=AT)
    client.force_login(world.employee)
    # when
    response = client.get(INBOX)
    # then
    assert response.status_code == 200
    assert _listed(response) == [(new.pk, "true"), (old.pk, "false")]
    html = response.content.decode()
    assert html.count("bg-primary-lt") == 1
    assert 'id="mark-all-read"' in html


def test_inbox_shows_title_body_and_time(client, world):
    # given
    NotificationFactory(recipient=world.employee, title="步骤“评审”已超时", body="请在今天内处理。", created_at=AT)
    client.force_login(world.employee)
    # when
    html = client.get(INBOX).content.decode()
    # then
    assert "步骤“评审”已超时" in html
    assert "请在今天内处理。" in html
    assert '<time datetime="2025-03-03T10:00:00+08:00">2025-03-03 10:00</time>' in html


def test_inbox_escapes_what_the_notification_says(client, world):
    # given
    NotificationFactory(recipient=world.employee, title="<script>alert(1)</script>", body="<b>x</b>")
    client.force_login(world.employee)
    # when
    html = client.get(INBOX).content.decode()
    # then
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html


def test_inbox_unread_only(client, world):
    # given
    NotificationFactory(recipient=world.employee, read_at=AT)
    unread = NotificationFactory(recipient=world.employee)
    client.force_login(world.employee)
    # when
    response = client.get(INBOX, {"unread": "1"})
    # then
    assert _listed(response) == [(unread.pk, "true")]


def test_inbox_with_nothing_unread_offers_no_mark_all_button(client, world):
    # given
    NotificationFactory(recipient=world.employee, read_at=AT)
    client.force_login(world.employee)
    # when
    html = client.get(INBOX).content.decode()
    # then
    assert 'id="mark-all-read"' not in html


def test_inbox_pages_by_fifty(client, world):
    # given
    with clock.freeze(AT):
        Notification.objects.bulk_create(
            Notification(recipient=world.employee, kind="test.x", title=f"n{i}", created_at=AT + timedelta(minutes=i))
            for i in range(51)
        )
    newest_first = list(
        Notification.objects.filter(recipient=world.employee).order_by("-created_at").values_list("pk", flat=True)
    )
    client.force_login(world.employee)
    # when
    first, second = client.get(INBOX), client.get(INBOX, {"page": "2"})
    # then
    assert [pk for pk, _ in _listed(first)] == newest_first[:50]
    assert [pk for pk, _ in _listed(second)] == newest_first[50:]
    assert "1 / 2" in first.content.decode()


# ── mark all as read ────────────────────────────────────────────────────────────────────────────


def test_mark_all_read_marks_ones_own_and_returns_to_the_inbox(client, world):
    # given
    mine = NotificationFactory.create_batch(2, recipient=world.employee)
    theirs = NotificationFactory(recipient=world.head)
    client.force_login(world.employee)
    # when
    with clock.freeze(AT):
        response = client.post(f"{INBOX}read-all/")
    # then
    assert (response.status_code, response["Location"]) == (302, INBOX)
    assert _read_at(*mine, theirs) == [AT, AT, None]


# ── opening a notification ──────────────────────────────────────────────────────────────────────


def test_opening_a_notification_marks_it_read_and_follows_its_link(client, world):
    # given
    notification = NotificationFactory(recipient=world.employee, url=f"/org/people/{world.employee.pk}/?tab=1")
    client.force_login(world.employee)
    # when
    with clock.freeze(AT):
        response = client.get(f"{INBOX}{notification.pk}/open/")
    # then
    assert (response.status_code, response["Location"]) == (302, f"/org/people/{world.employee.pk}/?tab=1")
    assert _read_at(notification) == [AT]


@pytest.mark.parametrize(
    "url",
    [
        "",
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "\\\\evil.example",
        "javascript:alert(1)",
        "org/people/",
        " /org/",
        "/\x08/evil.example",
    ],
)
def test_opening_a_notification_with_a_link_elsewhere_goes_to_the_inbox(client, world, url):
    # given: written around notify(), which refuses such links
    notification = NotificationFactory(recipient=world.employee, url=url)
    client.force_login(world.employee)
    # when
    with clock.freeze(AT):
        response = client.get(f"{INBOX}{notification.pk}/open/")
    # then
    assert (response.status_code, response["Location"]) == (302, INBOX)
    assert _read_at(notification) == [AT]


def test_opening_someone_elses_notification_is_404_and_changes_nothing(client, world):
    # given
    theirs = NotificationFactory(recipient=world.head)
    client.force_login(world.employee)
    # when
    response = client.get(f"{INBOX}{theirs.pk}/open/")
    # then
    assert response.status_code == 404
    assert _read_at(theirs) == [None]


def test_opening_an_already_read_notification_keeps_when_it_was_read(client, world):
    # given
    notification = NotificationFactory(recipient=world.employee, read_at=AT)
    client.force_login(world.employee)
    # when
    response = client.get(f"{INBOX}{notification.pk}/open/")
    # then
    assert response.status_code == 302
    assert _read_at(notification) == [AT]


@pytest.mark.parametrize(
    ("url", "internal"),
    [
        ("/", True),
        ("/org/?q=1#x", True),
        ("/org/%E4%BA%BA/", True),
        ("", False),
        ("//x", False),
        ("/\\x", False),
        ("http://x/", False),
        ("/\t/x", False),
        ("/a b/", False),
    ],
)
def test_is_internal_link(url, internal):
    assert is_internal_link(url) is internal


# ── the bell ────────────────────────────────────────────────────────────────────────────────────


def test_bell_shows_how_many_of_ones_own_are_unread(client, world):
    # given
    NotificationFactory.create_batch(3, recipient=world.employee)
    NotificationFactory(recipient=world.employee, read_at=AT)
    NotificationFactory.create_batch(2, recipient=world.head)
    client.force_login(world.employee)
    # when
    response = client.get("/org/")
    # then
    assert _bell(response) == "3"
    assert 'href="/notifications/" class="nav-link px-0" id="notification-bell"' in response.content.decode()


def test_bell_has_no_badge_when_nothing_is_unread(client, world):
    # given
    NotificationFactory(recipient=world.employee, read_at=AT)
    client.force_login(world.employee)
    # when
    response = client.get("/org/")
    # then
    assert 'id="notification-bell"' in response.content.decode()
    assert _bell(response) is None


def test_bell_shows_99_plus_beyond_99(client, world):
    # given
    Notification.objects.bulk_create(
        Notification(recipient=world.employee, kind="test.x", title=str(i)) for i in range(100)
    )
    client.force_login(world.employee)
    # when
    response = client.get("/org/")
    # then
    assert _bell(response) == "99+"


def test_sign_in_page_has_no_bell(client, world):
    response = client.get("/accounts/login/")
    assert 'id="notification-bell"' not in response.content.decode()


def test_bell_count_is_one_query_made_only_when_shown(world, django_assert_num_queries):
    # given
    NotificationFactory.create_batch(2, recipient=world.employee)
    request = RequestFactory().get("/")
    request.user = world.employee
    # when: a template that does not show the bell (an htmx fragment) costs nothing …
    with django_assert_num_queries(0):
        context = unread_notifications(request)
    # … and showing it, however often, costs one COUNT
    with django_assert_num_queries(1) as queries:
        shown = (
            str(context["notify_unread_count"]),
            context["notify_unread_count"] > 1,
            bool(context["notify_unread_count"]),
        )
    # then
    assert shown == ("2", True, True)
    assert "COUNT(" in queries.captured_queries[0]["sql"].upper()


def test_bell_costs_nothing_for_anonymous_visitors(world, django_assert_num_queries):
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    with django_assert_num_queries(0):
        context = unread_notifications(request)
    assert context == {"notify_unread_count": 0}
