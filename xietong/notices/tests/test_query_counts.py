"""The notice list, the "to acknowledge" list, the acknowledgement report and the dashboard cost a
fixed number of queries whatever the data size (measured with two sizes)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from xietong.notices import services, views
from xietong.notices.tests.factories import publish
from xietong.org.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def _grow(world, notices: int, people: int) -> None:
    for n in range(people):
        PersonFactory(username=f"p{len(str(n))}-{n}-{notices}", department=world.rd_hw if n % 2 else world.rd)
    for n in range(notices):
        notice = publish(world.coordinator, title=f"通知{n}", requires_ack=True)
        if n % 2:
            services.notice_acknowledge(actor=world.employee, notice=notice)
        if n % 3 == 0:
            services.notice_pin(actor=world.coordinator, notice=notice, pinned=True)


def _queries(client, url: str) -> int:
    """Queries of a request, counted on the second one (the first fills the short-lived org caches)."""
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("role", ["employee", "head", "coordinator"])
@pytest.mark.parametrize(
    "url",
    ["/notices/", "/notices/?show=to_ack", "/notices/?show=unread", "/notices/to-acknowledge/", "/api/v1/notices/"],
)
def test_lists_cost_the_same_for_few_and_many_notices(world, client, role, url):
    # given
    client.force_login(world.user(role))
    _grow(world, notices=2, people=1)
    small = _queries(client, url)
    # when
    _grow(world, notices=12, people=6)
    large = _queries(client, url)
    # then
    assert large == small


@pytest.mark.parametrize("role", ["head", "coordinator"])
def test_the_report_costs_the_same_for_few_and_many_recipients(world, client, role):
    # given: a notice of the head's to RD
    client.force_login(world.user(role))
    PersonFactory(username="a1", department=world.rd)
    small_notice = publish(world.head, departments=[world.rd])
    for n in range(15):
        PersonFactory(username=f"b{n}", department=world.rd_hw if n % 2 else world.rd)
    large_notice = publish(world.head, departments=[world.rd])
    services.notice_acknowledge(actor=world.employee, notice=large_notice)
    # when
    small = _queries(client, f"/notices/{small_notice.pk}/report/")
    large = _queries(client, f"/notices/{large_notice.pk}/report/")
    small_api = _queries(client, f"/api/v1/notices/{small_notice.pk}/read-rate/")
    large_api = _queries(client, f"/api/v1/notices/{large_notice.pk}/read-rate/")
    # then
    assert (large, large_api) == (small, small_api)


@pytest.mark.parametrize("role", ["head", "coordinator"])
@pytest.mark.parametrize(
    "query",
    ["?page=2", "?department=RD", "?department=RD-HW&page=2&departments_page=2", "?department=NOPE"],
)
def test_the_pages_of_the_report_cost_the_same_for_few_and_many_recipients(world, client, monkeypatch, role, query):
    # given: two a page, so both sizes have a second page of departments and of people
    monkeypatch.setattr(views, "REPORT_PAGE_SIZE", 2)
    client.force_login(world.user(role))
    for n in range(4):
        PersonFactory(username=f"a{n}", department=world.rd_hw if n % 2 else world.rd)
    small_notice = publish(world.coordinator)
    for n in range(30):
        PersonFactory(username=f"b{n}", department=world.rd_hw if n % 2 else world.rd)
    large_notice = publish(world.coordinator)
    services.notice_acknowledge(actor=world.employee, notice=large_notice)
    # when
    small = _queries(client, f"/notices/{small_notice.pk}/report/{query}")
    large = _queries(client, f"/notices/{large_notice.pk}/report/{query}")
    api_query = query.replace("&departments_page=2", "") + "&page_size=2"
    small_api = _queries(client, f"/api/v1/notices/{small_notice.pk}/read-rate/{api_query}")
    large_api = _queries(client, f"/api/v1/notices/{large_notice.pk}/read-rate/{api_query}")
    # then
    assert (large, large_api) == (small, small_api)


def test_the_dashboard_costs_the_same_for_few_and_many_notices(world, client):
    client.force_login(world.coordinator)
    _grow(world, notices=2, people=1)
    small = _queries(client, "/notices/dashboard/")
    _grow(world, notices=12, people=5)
    assert _queries(client, "/notices/dashboard/") == small
