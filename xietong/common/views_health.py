"""``/healthz``: the liveness check for load balancers and monitors, and the benchmark's ceiling.

It answers "ok" as plain text without touching the database or asking anyone to sign in, yet goes
through the whole middleware stack like every other page, so its speed is the framework's ceiling
for this server (bench/run.py, docs/benchmark.md).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe


@require_safe
@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain; charset=utf-8")
