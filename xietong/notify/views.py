"""The inbox: a person's notifications, newest first; opening one marks it read and follows its link."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from xietong.notify import selectors, services
from xietong.notify.permissions import access_notification
from xietong.org.models import Person

PAGE_SIZE = 50


def _person(request: HttpRequest) -> Person:
    return cast(Person, request.user)  # every view here is login_required


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    unread_only = request.GET.get("unread") == "1"
    notifications = selectors.notification_inbox(person=_person(request), unread_only=unread_only)
    page = Paginator(notifications, PAGE_SIZE).get_page(request.GET.get("page"))
    # The unread count (the bell, and whether "mark all as read" is offered) comes from the
    # context processor: one COUNT for the whole page.
    return render(request, "notify/inbox.html", {"page": page, "unread_only": unread_only})


@login_required
@require_POST
def read_all(request: HttpRequest) -> HttpResponse:
    marked = services.notification_mark_read(person=_person(request))
    if marked:
        messages.success(
            request,
            ngettext("%(n)s notification marked as read.", "%(n)s notifications marked as read.", marked)
            % {"n": marked},
        )
    return HttpResponseRedirect(reverse("notify:inbox"))


@login_required
@require_GET
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark the notification read and go where it points.

    A GET, so that the inbox entries are plain links (open in a new tab, copy the address); what it
    changes is harmless and only the person's own: the first time they read it. Only a path on
    this site is followed; anything else (another site, "//host", "javascript:") leads back to the
    inbox, so a notification cannot be used to send someone elsewhere.
    """
    notification = access_notification(request.user, pk)
    services.notification_mark_one_read(notification=notification)
    return HttpResponseRedirect(notification.link or reverse("notify:inbox"))
