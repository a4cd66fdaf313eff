"""The client's address behind trusted reverse proxies (settings.XIETONG_TRUSTED_PROXIES)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """Each trusted proxy appends the address it received the request from to X-Forwarded-For, so
    the client is the entry that many places from the right; what stands left of it came from the
    client and proves nothing. Without the header (a request that bypassed the proxies), the peer."""
    proxies = settings.XIETONG_TRUSTED_PROXIES
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if proxies and forwarded:
        return forwarded[-min(proxies, len(forwarded))]
    return request.META.get("REMOTE_ADDR")
