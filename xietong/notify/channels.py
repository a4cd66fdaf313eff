"""The channels a notification goes out through: the inbox (here), e-mail and group-robot webhooks
(xietong.notify.delivery, registered by NotifyConfig.ready()).

``notify()`` hands every channel the same ``Message`` and the ids of the active people who receive
it, inside the caller's transaction. A channel must be idempotent for a message with a
``dedupe_key``: ``notify()`` may run twice for one event (several workers, a retried task).

The in-app channel stores the notifications themselves. A channel that leaves the process
(e-mail, WeCom, DingTalk, Feishu: xietong.notify.delivery) records what it will send inside the transaction,
keyed on the notification (an outbox), and send it after commit with
``transaction.on_commit``, so that a rolled-back transaction sends nothing and a rerun sends nothing
twice. Such a channel is added with ``register()`` (from ``NotifyConfig.ready()``); it decides
per person whether it applies (address known, preference set).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Protocol

from xietong.common import clock
from xietong.notify.models import Notification

BATCH_SIZE = 500


@dataclasses.dataclass(frozen=True)
class Message:
    """What the caller wants said: the same for every recipient."""

    kind: str
    title: str
    body: str = ""
    url: str = ""
    dedupe_key: str | None = None
    language: str = ""  # the language title and body are written in


class Channel(Protocol):
    """A way out. ``notify()`` calls ``deliver`` once per language of the recipients, with the
    message in that language; a channel whose ``once_per_message`` is true (a group chat, which
    everyone reads) is called once per message instead, with every recipient and the message in
    the organization's language."""

    name: str
    once_per_message: bool

    def deliver(self, *, recipient_ids: Sequence[int], message: Message) -> int:
        """Deliver ``message`` to these (active) people; return how many deliveries are new."""
        ...


class InAppChannel:
    """The inbox: one ``Notification`` row per recipient, read on /notifications/ and the API."""

    name = "in_app"
    once_per_message = False

    def deliver(self, *, recipient_ids: Sequence[int], message: Message) -> int:
        if not recipient_ids:
            return 0
        ids = list(recipient_ids)
        if message.dedupe_key is not None:
            # Skip who already has it (the common rerun case, and an exact count) …
            already = set(
                Notification.objects.filter(dedupe_key=message.dedupe_key, recipient_id__in=ids).values_list(
                    "recipient_id", flat=True
                )
            )
            ids = [pk for pk in ids if pk not in already]
            if not ids:
                return 0
        now = clock.now()
        rows = [
            Notification(
                recipient_id=pk,
                kind=message.kind,
                title=message.title,
                body=message.body,
                url=message.url,
                created_at=now,
                dedupe_key=message.dedupe_key,
            )
            for pk in ids
        ]
        # … and let the unique constraint settle a race with a concurrent caller: ON CONFLICT DO
        # NOTHING (PostgreSQL) / INSERT OR IGNORE (SQLite) neither raises nor breaks the caller's
        # transaction. The loser of such a race counts a row the winner wrote; there is still one.
        Notification.objects.bulk_create(rows, batch_size=BATCH_SIZE, ignore_conflicts=message.dedupe_key is not None)
        return len(rows)


_in_app = InAppChannel()
_others: dict[str, Channel] = {}


def register(channel: Channel) -> None:
    """Add a channel beside the inbox (e-mail and webhooks: xietong.notify.delivery)."""
    if channel.name == _in_app.name:
        raise ValueError("the in-app channel is always on")
    _others[channel.name] = channel


def unregister(name: str) -> None:
    _others.pop(name, None)


def in_app() -> InAppChannel:
    return _in_app


def others() -> list[Channel]:
    """The channels beside the inbox, in the order they were registered."""
    return list(_others.values())
