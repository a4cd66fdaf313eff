"""The notice figures of metrics.md ("Notice figures"), as of an instant, in one aggregate query.

Each notice keeps its due instant ``add_working_time(published_at, ack_within)`` on the
organization's schedule from the moment it is published (or imported), so "on time" is a plain
comparison inside SQL: no Python loop over acknowledgements.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Count, F, Q

from xietong.notices.models import NoticeRecipient


def notice_figures(as_of: datetime) -> dict[str, Any]:
    """``required_acks``, ``acks``, ``ack_rate``, ``acks_on_time`` over the notices requiring
    acknowledgement published at or before ``as_of`` (withdrawn ones included: they were asked)."""
    asked = NoticeRecipient.objects.filter(notice__requires_ack=True, notice__published_at__lte=as_of)
    acked = Q(acknowledged_at__isnull=False, acknowledged_at__lte=as_of)
    totals = asked.aggregate(
        required_acks=Count("pk"),
        acks=Count("pk", filter=acked),
        acks_on_time=Count("pk", filter=acked & Q(acknowledged_at__lte=F("notice__due_at"))),
    )
    required, acks = totals["required_acks"], totals["acks"]
    return {
        "required_acks": required,
        "acks": acks,
        "ack_rate": acks / required if required else None,
        "acks_on_time": totals["acks_on_time"],
    }
