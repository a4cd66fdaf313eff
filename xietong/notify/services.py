"""Every write of notify: telling people something, and marking what they have read.

Apps call ``notify_on_commit`` from their services (the house rule: notifications go out after the
caller's transaction commits, so a rolled-back change tells nobody), or ``notify`` from work that
already runs after commit (tasks, management commands). Both are safe to call twice for one event
when given a ``dedupe_key``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.functional import Promise

from xietong.common import clock
from xietong.notify import channels
from xietong.notify.channels import Message
from xietong.notify.models import (
    DEDUPE_KEY_MAX_LENGTH,
    KIND_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    URL_MAX_LENGTH,
    Notification,
    is_internal_link,
)
from xietong.org.models import Person

# "<app>.<event>": lower case, at least one dot, e.g. "process.step_overdue".
KIND_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")


Text = str | Promise  # a lazy translation is written in each recipient's language


def _render(text: Text, params: Mapping[str, Any] | None) -> str:
    """``text`` in the active language, with ``params`` filled in."""
    return str(text).format(**params) if params else str(text)


def _message(*, kind: str, title: str, body: str, url: str, dedupe_key: str | None) -> Message:
    """The message, checked. Mistakes here are the calling app's bugs: ValueError, at the call."""
    if len(kind) > KIND_MAX_LENGTH or not KIND_PATTERN.match(kind):
        raise ValueError(f"notification kind {kind!r}: use '<app>.<event>' in lower case (at most 64)")
    if url and (len(url) > URL_MAX_LENGTH or not is_internal_link(url)):
        raise ValueError(f"notification url {url!r}: use a path on this site, e.g. '/org/people/3/'")
    if dedupe_key is not None and not (0 < len(dedupe_key) <= DEDUPE_KEY_MAX_LENGTH):
        raise ValueError(f"notification dedupe_key {dedupe_key!r}: 1 to {DEDUPE_KEY_MAX_LENGTH} characters, or None")
    title = " ".join(title.split())
    if not title:
        raise ValueError("a notification needs a title")
    if len(title) > TITLE_MAX_LENGTH:  # titles quote user data (a case name…): shorten, do not fail
        title = title[: TITLE_MAX_LENGTH - 1] + "…"
    return Message(kind=kind, title=title, body=body.strip(), url=url, dedupe_key=dedupe_key)


def _recipient_ids(recipients: Iterable[Person | int]) -> list[int]:
    return sorted({r if isinstance(r, int) else r.pk for r in recipients})


def notify(
    *,
    recipients: Iterable[Person | int],
    kind: str,
    title: Text,
    body: Text = "",
    url: str = "",
    dedupe_key: str | None = None,
    params: Mapping[str, Any] | None = None,
) -> int:
    """Tell ``recipients`` (people or their ids) something; return how many notifications are new.

    People who left (inactive) are skipped. With a ``dedupe_key``, a person who already has a
    notification with that key gets no other, whoever sent it and however often: a rerun returns 0,
    and a concurrent caller neither raises nor duplicates (the one that loses such a race may count
    a notification the other wrote). Runs inside the caller's transaction if
    there is one. Costs one query to find the active recipients, one more with a ``dedupe_key``,
    and one insert per 500 recipients.

    ``title`` and ``body`` may be lazy translations with ``{placeholders}`` filled from ``params``:
    each recipient then reads them in their own language (their choice, else the organization's).
    """
    _message(kind=kind, title=_render(title, params), body=_render(body, params), url=url, dedupe_key=dedupe_key)
    ids = _recipient_ids(recipients)
    if not ids:
        return 0
    created = 0
    with transaction.atomic(savepoint=False):
        people = Person.objects.filter(pk__in=ids, is_active=True).order_by("pk").values_list("pk", "language")
        by_language: dict[str, list[int]] = {}
        for pk, language in people:
            by_language.setdefault(language or _default_language(), []).append(pk)
        for language, active in sorted(by_language.items()):
            with translation.override(language):
                message = _message(
                    kind=kind, title=_render(title, params), body=_render(body, params), url=url, dedupe_key=dedupe_key
                )
            created += channels.in_app().deliver(recipient_ids=active, message=message)
            for channel in channels.others():
                channel.deliver(recipient_ids=active, message=message)
    return created


def _default_language() -> str:
    from xietong.org.selectors import organization_get

    org = organization_get()
    return org.language if org is not None else settings.LANGUAGE_CODE


def notify_on_commit(
    *,
    recipients: Iterable[Person | int],
    kind: str,
    title: Text,
    body: Text = "",
    url: str = "",
    dedupe_key: str | None = None,
    params: Mapping[str, Any] | None = None,
) -> None:
    """``notify`` once the caller's transaction commits (nothing if it rolls back).

    The arguments are checked now, so a mistake fails where it was made; the recipients are
    remembered by id. A failure after the commit is logged, not raised: the caller's change is
    already saved and must not look failed.
    """
    _message(kind=kind, title=_render(title, params), body=_render(body, params), url=url, dedupe_key=dedupe_key)
    ids = _recipient_ids(recipients)
    if not ids:
        return
    transaction.on_commit(
        functools.partial(
            notify,
            recipients=ids,
            kind=kind,
            title=title,
            body=body,
            url=url,
            dedupe_key=dedupe_key,
            params=dict(params) if params else None,
        ),
        robust=True,
    )


def notification_mark_read(*, person: Person, ids: Iterable[int] | None = None) -> int:
    """Mark ``person``'s unread notifications read: those with these ids (others' ids are ignored),
    or all of them when ``ids`` is None. Returns how many were unread. One UPDATE."""
    unread = Notification.objects.filter(recipient=person, read_at__isnull=True)
    if ids is not None:
        wanted = list(ids)
        if not wanted:
            return 0
        unread = unread.filter(pk__in=wanted)
    return unread.update(read_at=clock.now())


def notification_mark_one_read(*, notification: Notification) -> Notification:
    """Mark one notification read (fetch it with ``permissions.access_notification``). Reading it
    again keeps the first time it was read."""
    if notification.read_at is not None:
        return notification
    now = clock.now()
    if Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now):
        notification.read_at = now
    else:  # read meanwhile (another tab, the API): keep that time
        notification.refresh_from_db(fields=["read_at"])
    return notification
