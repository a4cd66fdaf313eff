"""The search source (published notices only, scoped) and the notice figures at their boundaries."""

from datetime import datetime, timedelta

import pytest

from xietong.common import clock
from xietong.notices import services
from xietong.notices.figures import notice_figures
from xietong.notices.search import SOURCE
from xietong.notices.tests.factories import MONDAY_9, TZ, publish
from xietong.search.registry import source

pytestmark = pytest.mark.django_db


def test_the_source_is_registered_and_indexes_published_notices_only(world):
    # given
    published = publish(world.coordinator, title="停电通知", body="周六停电")
    draft = publish(world.coordinator, title="草稿", mode=services.SAVE_DRAFT)
    withdrawn = publish(world.coordinator, title="撤回")
    services.notice_withdraw(actor=world.coordinator, notice=withdrawn)
    # when
    entries = dict(SOURCE.entries([published.pk, draft.pk, withdrawn.pk]))
    # then
    assert source("notice") is SOURCE
    assert list(entries) == [published.pk]
    assert (entries[published.pk].title, entries[published.pk].body) == ("停电通知", "周六停电")
    assert entries[published.pk].url == f"/notices/{published.pk}/"
    assert [pk for pk, _entry in SOURCE.entries(None)] == [published.pk]


def test_the_source_sees_what_the_person_sees(world):
    notice = publish(world.coordinator, title="销售纪律", departments=[world.sales])
    assert list(SOURCE.visible(world.other_department).values_list("pk", flat=True)) == [notice.pk]
    assert list(SOURCE.visible(world.employee).values_list("pk", flat=True)) == []


def test_figures_count_only_what_happened_by_as_of(world):
    # given: to everyone (6 people) at Monday 09:00, due Tuesday 18:00; one ack on time, one late,
    # and a notice not requiring acknowledgement
    notice = publish(world.coordinator, at=MONDAY_9)
    publish(world.coordinator, title="无需回执", requires_ack=False, at=MONDAY_9)
    due = datetime(2026, 3, 3, 18, 0, tzinfo=TZ)
    with clock.freeze(due):  # exactly at the due instant: on time
        services.notice_acknowledge(actor=world.employee, notice=notice)
    with clock.freeze(due + timedelta(seconds=1)):
        services.notice_acknowledge(actor=world.head, notice=notice)
    # then
    assert notice_figures(MONDAY_9 - timedelta(seconds=1)) == {
        "required_acks": 0,
        "acks": 0,
        "ack_rate": None,
        "acks_on_time": 0,
    }
    assert notice_figures(due) == {"required_acks": 6, "acks": 1, "ack_rate": 1 / 6, "acks_on_time": 1}
    assert notice_figures(due + timedelta(days=1)) == {
        "required_acks": 6,
        "acks": 2,
        "ack_rate": 2 / 6,
        "acks_on_time": 1,
    }


def test_a_withdrawn_notice_still_counts_in_the_figures(world):
    notice = publish(world.coordinator, at=MONDAY_9)
    services.notice_withdraw(actor=world.coordinator, notice=notice)
    assert notice_figures(datetime(2026, 4, 1, tzinfo=TZ))["required_acks"] == 6
