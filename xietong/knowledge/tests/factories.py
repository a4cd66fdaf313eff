from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import factory

from xietong.knowledge.models import Page, PageVersion, Space
from xietong.org.tests.factories import PersonFactory

TZ = ZoneInfo("Asia/Shanghai")
CREATED = datetime(2026, 3, 2, 10, 0, tzinfo=TZ)


class SpaceFactory(factory.django.DjangoModelFactory):
    """A company-wide space (pass ``department=`` and ``visibility=`` for others)."""

    class Meta:
        model = Space

    name = factory.Sequence(lambda n: f"知识空间{n}")
    visibility = Space.Visibility.COMPANY


class PageFactory(factory.django.DjangoModelFactory):
    """A page with its version 1 (as ``services.page_create`` leaves it)."""

    class Meta:
        model = Page
        skip_postgeneration_save = True

    space = factory.SubFactory(SpaceFactory)
    title = factory.Sequence(lambda n: f"页面{n}")
    body = "## 背景\n\n内容"
    owner = factory.SubFactory(PersonFactory)
    review_by = date(2026, 9, 1)
    version = 1
    created_at = CREATED
    updated_at = CREATED

    @factory.post_generation
    def _version(obj: Page, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            PageVersion.objects.create(
                page=obj, number=1, title=obj.title, body=obj.body, author=obj.owner, created_at=obj.created_at
            )
