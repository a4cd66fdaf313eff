"""E-mail and group-robot delivery: the two outbox channels, the sender and the tick.

Inside the notifying transaction a channel only writes ``Delivery`` rows (the outbox) and asks for
them to be sent after commit (a task); a rolled-back transaction therefore sends nothing, and a
``dedupe_key`` keeps one e-mail per person and one post per webhook however often ``notify()`` runs.

Sending is one *attempt* at a time. An attempt claims the row with a conditional UPDATE on
``attempts`` (the row count says which worker won), records a ``DeliveryAttempt``, sends without
holding a transaction, then writes the outcome. A failure (network error, HTTP status other than
2xx, the vendor's error code, an SMTP error) is retried with exponential back-off up to
``MAX_ATTEMPTS``, then the delivery is failed and shown to admins. A webhook over its vendor's
rate limit is not attempted: its delivery waits until the window has room. The tick
``notify.deliveries`` sends what is due (retries, waiting posts, anything a lost task left).
"""

from __future__ import annotations

import functools
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext

from xietong.common import clock
from xietong.notify import kinds, vendors
from xietong.notify.channels import Message
from xietong.notify.models import Delivery, DeliveryAttempt, NotificationPreference, Webhook
from xietong.org.models import Person

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
BACKOFF_BASE = timedelta(minutes=1)  # 1, 2, 4, 8 minutes between the five attempts
BACKOFF_MAX = timedelta(hours=1)
# A claimed attempt that never reports back (the worker died) is tried again after this.
LEASE = timedelta(minutes=5)
TICK_BATCH = 200
RESPONSE_MAX_CHARS = 2000
BATCH_SIZE = 500


def backoff(attempt: int) -> timedelta:
    """How long to wait after failed attempt number ``attempt`` (1-based)."""
    return min(BACKOFF_BASE * (2 ** (attempt - 1)), BACKOFF_MAX)


def absolute_link(path: str) -> str:
    """The site's address (XIETONG_SITE_URL) followed by ``path``; "" without a path."""
    if not path:
        return ""
    return str(settings.XIETONG_SITE_URL).rstrip("/") + path


# ── The channels (inside the notifying transaction) ─────────────────────────────────────────────


def _store(rows: list[Delivery], message: Message, lookup: dict[str, Any]) -> int:
    """Insert the outbox rows (skipping what a dedupe key already has) and send them after commit."""
    if message.dedupe_key is None:
        Delivery.objects.bulk_create(rows, batch_size=BATCH_SIZE)
        ids = [row.pk for row in rows]
    else:
        Delivery.objects.bulk_create(rows, batch_size=BATCH_SIZE, ignore_conflicts=True)
        ids = list(
            Delivery.objects.filter(dedupe_key=message.dedupe_key, status=Delivery.Status.PENDING, attempts=0, **lookup)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    if ids:
        send_on_commit(ids)
    return len(ids)


def send_on_commit(delivery_ids: Sequence[int]) -> None:
    """Send these deliveries once the current transaction commits (a task; the tick is the net)."""
    transaction.on_commit(functools.partial(_enqueue, list(delivery_ids)), robust=True)


def _enqueue(delivery_ids: list[int]) -> None:
    from xietong.notify.tasks import send_deliveries

    send_deliveries.enqueue(delivery_ids=delivery_ids)


class EmailChannel:
    """An e-mail to each recipient who chose e-mail for the kind's group and has an address."""

    name = "email"
    once_per_message = False

    def deliver(self, *, recipient_ids: Sequence[int], message: Message) -> int:
        group = kinds.group_of(message.kind)
        if not recipient_ids or not kinds.is_registered(group):
            return 0
        wanted = list(
            NotificationPreference.objects.filter(
                person_id__in=list(recipient_ids), group=group, email=True, person__is_active=True
            )
            .exclude(person__email="")
            .order_by("person_id")
            .values_list("person_id", flat=True)
        )
        if not wanted:
            return 0
        now = clock.now()
        rows = [
            Delivery(
                channel=Delivery.Channel.EMAIL,
                recipient_id=pk,
                kind=message.kind,
                title=message.title,
                body=message.body,
                url=message.url,
                language=message.language or settings.LANGUAGE_CODE,
                dedupe_key=message.dedupe_key,
                created_at=now,
                next_attempt_at=now,
            )
            for pk in wanted
        ]
        return _store(rows, message, {"channel": Delivery.Channel.EMAIL, "recipient_id__in": wanted})


def webhooks_for(*, group: str, recipient_ids: Sequence[int]) -> list[Webhook]:
    """The active webhooks a message of ``group`` to these people goes to: the organization's, those
    of the recipients' own departments, and those of their ancestor departments that chose "include
    sub-departments". One query for the webhooks, one more for the recipients' departments when a
    department has a webhook of the group (the department tree is cached)."""
    from xietong.org.selectors import department_subtree_ids

    hooks = [w for w in Webhook.objects.filter(is_active=True).order_by("pk") if group in (w.groups or [])]
    if not any(w.department_id is not None for w in hooks):
        return hooks
    departments = set(
        Person.objects.filter(pk__in=list(recipient_ids), department__isnull=False)
        .order_by()
        .values_list("department_id", flat=True)
    )

    def reaches(webhook: Webhook) -> bool:
        if webhook.department_id is None or webhook.department_id in departments:
            return True
        return webhook.include_subdepartments and bool(department_subtree_ids({webhook.department_id}) & departments)

    return [webhook for webhook in hooks if reaches(webhook)]


class WebhookChannel:
    """One post per message to each matching group-robot webhook (see ``webhooks_for``)."""

    name = "webhook"
    once_per_message = True

    def deliver(self, *, recipient_ids: Sequence[int], message: Message) -> int:
        group = kinds.group_of(message.kind)
        if not recipient_ids or not kinds.is_registered(group):
            return 0
        hooks = webhooks_for(group=group, recipient_ids=recipient_ids)
        if not hooks:
            return 0
        now = clock.now()
        rows = [_webhook_row(hook, message, now) for hook in hooks]
        return _store(rows, message, {"channel": Delivery.Channel.WEBHOOK, "webhook_id__in": [h.pk for h in hooks]})


def _webhook_row(webhook: Webhook, message: Message, now: datetime) -> Delivery:
    return Delivery(
        channel=Delivery.Channel.WEBHOOK,
        webhook=webhook,
        kind=message.kind,
        title=message.title,
        body=message.body,
        url=message.url,
        language=message.language or settings.LANGUAGE_CODE,
        dedupe_key=message.dedupe_key,
        created_at=now,
        next_attempt_at=now,
    )


# ── Sending (after commit: tasks and the tick) ──────────────────────────────────────────────────


class _GiveUp(Exception):
    """A failure that no retry can mend (the person left, their address was removed)."""


def _rate_limited_until(webhook: Webhook, now: datetime) -> datetime | None:
    """When ``webhook`` may be posted to again, if its vendor's limit is reached now; else None."""
    until = None
    for window, limit in vendors.RATE_LIMITS.get(webhook.vendor, ()):
        recent = list(
            DeliveryAttempt.objects.filter(webhook_id=webhook.pk, started_at__gt=now - window)
            .order_by("-started_at")
            .values_list("started_at", flat=True)[:limit]
        )
        if len(recent) >= limit:
            free_at = recent[-1] + window  # the oldest of the last ``limit`` leaves the window
            until = free_at if until is None else max(until, free_at)
    return until


def delivery_attempt(delivery_id: int, *, now: datetime | None = None) -> str:
    """Try to send one delivery if it is due: "sent", "retry", "failed", "waiting" (rate limit) or
    "skipped" (not due, already sent, or claimed by another worker)."""
    now = now or clock.now()
    due = (
        Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.PENDING, next_attempt_at__lte=now)
        .values("attempts", "webhook_id")
        .first()
    )
    if due is None:
        return "skipped"
    seen, number = due["attempts"], due["attempts"] + 1
    claim = Delivery.objects.filter(
        pk=delivery_id, status=Delivery.Status.PENDING, attempts=seen, next_attempt_at__lte=now
    )
    with transaction.atomic():
        if due["webhook_id"] is not None:
            # Serialise the rate-limit count per webhook (a row lock on PostgreSQL; SQLite's
            # IMMEDIATE transactions already run one writer at a time).
            webhook = Webhook.objects.select_for_update().filter(pk=due["webhook_id"]).first()
            if webhook is not None and (until := _rate_limited_until(webhook, now)) is not None:
                return "waiting" if claim.update(next_attempt_at=until) else "skipped"
        if not claim.update(attempts=number, next_attempt_at=now + LEASE):
            return "skipped"  # another worker won
        attempt = DeliveryAttempt.objects.create(
            delivery_id=delivery_id, webhook_id=due["webhook_id"], number=number, started_at=now
        )
    delivery = Delivery.objects.select_related("recipient", "webhook").get(pk=delivery_id)
    started = time.monotonic()
    http_status: int | None = None
    response = ""
    give_up = False
    try:
        if delivery.channel == Delivery.Channel.EMAIL:
            error = _send_email(delivery)
        else:
            http_status, response, error = _post(delivery, now)
    except _GiveUp as exc:
        error, give_up = str(exc), True
    except Exception as exc:  # any failure of the way out is recorded and retried
        error = f"{type(exc).__name__}: {exc}"
    duration = int((time.monotonic() - started) * 1000)
    DeliveryAttempt.objects.filter(pk=attempt.pk).update(
        outcome=DeliveryAttempt.Outcome.ERROR if error else DeliveryAttempt.Outcome.SUCCESS,
        http_status=http_status,
        response=response[:RESPONSE_MAX_CHARS],
        error=(error or "")[:RESPONSE_MAX_CHARS],
        duration_ms=duration,
    )
    mine = Delivery.objects.filter(pk=delivery_id, attempts=number, status=Delivery.Status.PENDING)
    if error is None:
        mine.update(status=Delivery.Status.SENT, sent_at=clock.now(), last_error="")
        return "sent"
    if give_up or number >= MAX_ATTEMPTS:
        mine.update(status=Delivery.Status.FAILED, last_error=error[:RESPONSE_MAX_CHARS])
        logger.warning("notify: delivery %s failed after %s attempts: %s", delivery_id, number, error)
        return "failed"
    mine.update(next_attempt_at=now + backoff(number), last_error=error[:RESPONSE_MAX_CHARS])
    return "retry"


def _send_email(delivery: Delivery) -> str | None:
    person = delivery.recipient
    if person is None or not person.is_active or not person.email:
        raise _GiveUp("the person has left or has no e-mail address")
    with translation.override(delivery.language):
        text = render_to_string(
            "notify/email/notification.txt",
            {
                "title": delivery.title,
                "body": delivery.body,
                "link": absolute_link(delivery.url),
                "settings_link": absolute_link("/notifications/settings/"),
                "group": kinds.group_label(kinds.group_of(delivery.kind)),
            },
        )
    EmailMessage(subject=delivery.title, body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=[person.email]).send()
    return None


def _post(delivery: Delivery, now: datetime) -> tuple[int | None, str, str | None]:
    """Post to the delivery's webhook: (HTTP status, answer, error or None)."""
    webhook = delivery.webhook
    if webhook is None or not webhook.is_active:
        raise _GiveUp("the webhook was deactivated")
    with translation.override(delivery.language):
        label = gettext("Open in xietong")
    content = vendors.Content(
        title=delivery.title,
        body=delivery.body,
        link=absolute_link(delivery.url),
        link_label=label,
        language=delivery.language,
    )
    url, body = vendors.build_request(
        vendor=webhook.vendor, url=webhook.url, secret=webhook.secret, content=content, now=now
    )
    return post_json(url, body, vendor=webhook.vendor)


def post_json(url: str, body: bytes, *, vendor: str) -> tuple[int | None, str, str | None]:
    request = urllib.request.Request(  # the URL's scheme is checked (http or https) on save
        url, data=body, method="POST", headers={"Content-Type": "application/json; charset=utf-8"}
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.XIETONG_WEBHOOK_TIMEOUT) as answer:
            status = answer.status
            text = answer.read(64 * 1024).decode(errors="replace")
    except urllib.error.HTTPError as exc:
        text = exc.read(64 * 1024).decode(errors="replace") if exc.fp is not None else ""
        return exc.code, text, f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return None, "", f"network error: {reason}"
    if not 200 <= status < 300:
        return status, text, f"HTTP {status}"
    return status, text, vendors.check_response(vendor, text)


def send_deliveries(delivery_ids: Sequence[int], *, now: datetime | None = None) -> dict[str, int]:
    """Attempt each of these deliveries that is due; count the outcomes."""
    counts = {"sent": 0, "retry": 0, "failed": 0, "waiting": 0}
    for pk in delivery_ids:
        outcome = delivery_attempt(pk, now=now)
        if outcome in counts:
            counts[outcome] += 1
    return counts


def deliveries_tick(*, now: datetime | None = None) -> dict[str, int]:
    """The tick ``notify.deliveries``: attempt the deliveries that are due (at most TICK_BATCH)."""
    now = now or clock.now()
    due = list(
        Delivery.objects.filter(status=Delivery.Status.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:TICK_BATCH]
    )
    return send_deliveries(due, now=now)
