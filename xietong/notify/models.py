"""Notifications: what a person was told, and whether they have read it.

notify delivers; it does not decide. The apps choose who is told what (and the ``kind``, e.g.
"process.step_overdue"); this app stores it in the person's inbox and, later, sends it through the
other channels (e-mail, WeCom, DingTalk, Feishu). It imports no domain app.
"""

from __future__ import annotations

import unicodedata

from django.conf import settings
from django.db import models
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from xietong.common import clock

KIND_MAX_LENGTH = 64
TITLE_MAX_LENGTH = 200
URL_MAX_LENGTH = 500
DEDUPE_KEY_MAX_LENGTH = 200


def is_internal_link(url: str) -> bool:
    """A path on this site ("/org/people/3/"): no scheme, no host, not "//host" nor "/\\host", and
    no spaces or control characters (which browsers drop or reinterpret)."""
    if not url.startswith("/") or any(ch.isspace() or unicodedata.category(ch).startswith("C") for ch in url):
        return False
    return url_has_allowed_host_and_scheme(url, allowed_hosts=None)


class Notification(models.Model):
    """One message in one person's inbox (the in-app channel). Unread while ``read_at`` is null."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
        db_index=False,  # the inbox index and the dedupe constraint both start with the recipient
    )
    # "<app>.<event>", chosen by the app that notifies (e.g. "process.step_overdue").
    kind = models.CharField(_("kind"), max_length=KIND_MAX_LENGTH)
    title = models.CharField(pgettext_lazy("notification", "title"), max_length=TITLE_MAX_LENGTH)  # not a job title
    body = models.TextField(_("body"), blank=True)
    # A link inside xietong ("/processes/cases/12/"), never to another site.
    url = models.CharField(_("link"), max_length=URL_MAX_LENGTH, blank=True)
    created_at = models.DateTimeField(_("created at"), default=clock.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    # Same recipient and key: one notification, however often (and by however many workers) the
    # event is reported. Null, not "": NULLs never collide in the unique constraint, "" would.
    dedupe_key = models.CharField(  # noqa: DJ001  # null means "no key", see above
        _("deduplication key"), max_length=DEDUPE_KEY_MAX_LENGTH, null=True, blank=True
    )

    class Meta:
        ordering = ("-created_at", "-pk")
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            # The inbox and the bell: one person's (unread) notifications, newest first.
            models.Index(fields=("recipient", "read_at", "-created_at"), name="notify_notification_inbox"),
        ]
        constraints = [
            # NULL keys never collide (SQL NULLs are distinct), so only keyed notifications are deduplicated.
            models.UniqueConstraint(
                fields=("recipient", "dedupe_key"),
                name="notify_notification_unique_dedupe_key",
                violation_error_message=_("This person has already been sent this notification."),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    @property
    def link(self) -> str:
        """Where opening the notification leads: its url if it is internal, else "" (checked again
        on the way out, whatever wrote the row)."""
        return self.url if is_internal_link(self.url) else ""
