"""Notices for tests, made through the services (so recipients and deadlines are as in real life)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from xietong.common import clock
from xietong.notices import services
from xietong.notices.models import Notice

TZ = ZoneInfo("Asia/Shanghai")
MONDAY_9 = datetime(2026, 3, 2, 9, 0, tzinfo=TZ)  # a working Monday


def publish(
    actor: Any,
    *,
    title: str = "跨部门协作流程正式发布",
    departments: list[Any] | None = None,
    requires_ack: bool = True,
    ack_within: str = "2d",
    at: datetime | None = None,
    **extra: Any,
) -> Notice:
    """A notice published by ``actor`` at ``at`` (default now) to ``departments`` (default everyone)."""
    arguments: dict[str, Any] = {
        "actor": actor,
        "title": title,
        "body": extra.pop("body", "三项核心协作流程自即日起执行。\n请各部门负责人组织学习。"),
        "audience_all": not departments,
        "departments": departments or [],
        "requires_ack": requires_ack,
        "ack_within": ack_within,
        **extra,
    }
    if at is None:
        return services.notice_create(**arguments)
    with clock.freeze(at):
        return services.notice_create(**arguments)


def rd_notice(world: Any) -> Notice:
    """Published by the head of RD to RD (so RD and RD-HW: head, liaison, employee), requiring acknowledgement."""
    existing = Notice.objects.filter(title="研发中心安全规范").first()
    return existing or publish(world.head, title="研发中心安全规范", departments=[world.rd])


def sales_notice(world: Any) -> Notice:
    """Published by the coordinator to SALES only (the other_department person), requiring acknowledgement."""
    existing = Notice.objects.filter(title="销售报价纪律").first()
    return existing or publish(world.coordinator, title="销售报价纪律", departments=[world.sales])


def draft_notice(world: Any) -> Notice:
    """A draft of the coordinator's, to everyone."""
    existing = Notice.objects.filter(title="年度协作计划（草稿）").first()
    return existing or publish(world.coordinator, title="年度协作计划（草稿）", mode=services.SAVE_DRAFT)
