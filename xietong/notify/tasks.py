"""Background work of notify: thin wrappers, safe to run twice (each attempt is claimed once)."""

from __future__ import annotations

from django_tasks import task

from xietong.notify import delivery


@task()
def send_deliveries(delivery_ids: list[int]) -> dict[str, int]:
    """Send these e-mails and webhook posts now (those that are due; the rest wait for the tick)."""
    return delivery.send_deliveries(delivery_ids)
