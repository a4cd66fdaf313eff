from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import factory

from xietong.org.tests.factories import PersonFactory
from xietong.progress.models import Post

TZ = ZoneInfo("Asia/Shanghai")


class PostFactory(factory.django.DjangoModelFactory):
    """A department's post (pass ``case=`` and ``department=None`` for a case's)."""

    class Meta:
        model = Post

    author = factory.SubFactory(PersonFactory)
    body = factory.Sequence(lambda n: f"本周进展{n}：样机测试完成")
    created_at = factory.Sequence(lambda n: datetime(2026, 3, 2, 9, 0, tzinfo=TZ).replace(minute=n % 60))
