from __future__ import annotations

import factory

from xietong.common import clock
from xietong.notify.models import Notification
from xietong.org.tests.factories import PersonFactory


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    recipient = factory.SubFactory(PersonFactory)
    kind = "test.something_happened"
    title = factory.Sequence(lambda n: f"通知{n}")
    body = ""
    url = "/org/"
    created_at = factory.LazyFunction(clock.now)
