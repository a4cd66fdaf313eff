"""The notice pages: list markers and filters, the htmx acknowledge button, the publish form, the
report and the dashboard."""

import re
from datetime import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from xietong.common import clock
from xietong.notices import services, views
from xietong.notices.models import Notice, NoticeRecipient
from xietong.notices.tests.factories import MONDAY_9, TZ, publish, rd_notice

pytestmark = pytest.mark.django_db


def test_the_list_shows_pinned_first_and_marks_unread_and_unacknowledged(world, client):
    # given
    old = publish(world.coordinator, title="旧通知", at=datetime(2026, 3, 1, 9, tzinfo=TZ), requires_ack=False)
    services.notice_pin(actor=world.coordinator, notice=old, pinned=True)
    new = publish(world.coordinator, title="新通知", at=MONDAY_9)
    client.force_login(world.employee)
    # when
    html = client.get("/notices/").content.decode()
    # then: the pinned old one first; the new one unread and to acknowledge
    assert html.index("旧通知") < html.index("新通知")
    assert f'data-notice="{new.pk}"' in html
    assert html.count('data-unread="1"') == 2
    assert html.count('data-to-ack="1"') == 1
    assert 'data-pinned="1"' in html


def test_opening_a_notice_marks_it_read(world, client):
    notice = rd_notice(world)
    client.force_login(world.employee)
    assert client.get(f"/notices/{notice.pk}/").status_code == 200
    row = NoticeRecipient.objects.get(notice=notice, person=world.employee)
    assert row.read_at is not None
    assert 'data-unread="1"' not in client.get("/notices/").content.decode()


def test_filters_search_and_to_acknowledge(world, client):
    publish(world.coordinator, title="停电通知", requires_ack=False)
    acked = publish(world.coordinator, title="安全培训")
    services.notice_acknowledge(actor=world.employee, notice=acked)
    publish(world.coordinator, title="消防演练")
    client.force_login(world.employee)
    assert "停电通知" not in client.get("/notices/", {"q": "消防"}).content.decode()
    to_ack = client.get("/notices/", {"show": "to_ack"}).content.decode()
    assert "消防演练" in to_ack
    assert "安全培训" not in to_ack
    assert "停电通知" not in to_ack
    page = client.get("/notices/to-acknowledge/").content.decode()
    assert "消防演练" in page
    assert "安全培训" not in page


def test_the_acknowledge_button_answers_htmx_with_the_box(world, client):
    # given
    notice = rd_notice(world)
    client.force_login(world.employee)
    assert 'id="ack-button"' in client.get(f"/notices/{notice.pk}/").content.decode()
    # when
    response = client.post(f"/notices/{notice.pk}/acknowledge/", HTTP_HX_REQUEST="true")
    # then
    assert response.status_code == 200
    html = response.content.decode()
    assert html.startswith('<div id="ack-box"')
    assert 'id="ack-done"' in html
    assert NoticeRecipient.objects.get(notice=notice, person=world.employee).acknowledged_at is not None
    # and a second time says so
    again = client.post(f"/notices/{notice.pk}/acknowledge/", HTTP_HX_REQUEST="true").content.decode()
    assert "alert-danger" in again


def test_acknowledging_without_htmx_redirects_with_a_message(world, client):
    notice = rd_notice(world)
    client.force_login(world.liaison)
    response = client.post(f"/notices/{notice.pk}/acknowledge/", follow=True)
    assert response.redirect_chain == [(f"/notices/{notice.pk}/", 302)]
    assert 'id="ack-done"' in response.content.decode()


def test_the_publish_form_publishes_to_chosen_departments_with_an_attachment(world, client):
    client.force_login(world.head)
    assert 'name="departments"' in client.get("/notices/new/").content.decode()
    pdf = SimpleUploadedFile("规范.pdf", b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n", content_type="application/pdf")
    response = client.post(
        "/notices/new/",
        {
            "title": "硬件部安全规范",
            "body": "第一条\n第二条",
            "audience": "departments",
            "departments": [world.rd_hw.pk],
            "requires_ack": "on",
            "ack_within": "4h",
            "mode": "now",
            "attachments": [pdf],
        },
    )
    notice = Notice.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/notices/{notice.pk}/"
    assert (notice.state, notice.requires_ack, notice.ack_within) == (Notice.State.PUBLISHED, True, "4h")
    assert list(notice.recipients.values_list("person__username", flat=True)) == ["employee"]
    page = client.get(f"/notices/{notice.pk}/").content.decode()
    assert "规范.pdf" in page
    assert "第一条\n第二条" in page


def test_the_publish_form_schedules_and_shows_errors(world, client):
    client.force_login(world.coordinator)
    with clock.freeze(MONDAY_9):
        bad = client.post("/notices/new/", {"title": "", "audience": "departments", "mode": "now", "ack_within": "2x"})
        assert bad.status_code == 200
        assert Notice.objects.count() == 0
        ok = client.post(
            "/notices/new/",
            {
                "title": "周会改期",
                "audience": "all",
                "mode": "schedule",
                "publish_at": "2026-03-03T09:00",
                "ack_within": "2d",
            },
        )
    assert ok.status_code == 302
    notice = Notice.objects.get()
    assert notice.state == Notice.State.SCHEDULED
    assert notice.publish_at == datetime(2026, 3, 3, 9, tzinfo=TZ)


def test_the_body_is_escaped_not_rendered(world, client):
    notice = publish(world.coordinator, body='<script>alert("x")</script>')
    client.force_login(world.employee)
    html = client.get(f"/notices/{notice.pk}/").content.decode()
    assert '<script>alert("x")</script>' not in html
    assert "&lt;script&gt;" in html


def test_the_report_shows_the_rate_per_department_and_who_is_missing(world, client):
    # given
    notice = publish(world.head, departments=[world.rd])
    services.notice_acknowledge(actor=world.employee, notice=notice)
    client.force_login(world.head)
    # when
    html = client.get(f"/notices/{notice.pk}/report/").content.decode()
    # then: RD 0 of 2, RD-HW 1 of 1; head and liaison pending
    assert 'data-department="RD-HW"' in html
    assert 'data-rate="100"' in html
    assert 'data-rate="0"' in html
    assert 'id="total-rate">33%' in html
    assert 'data-person="head"' in html
    assert 'data-person="liaison"' in html
    assert 'data-person="employee"' not in html


def test_a_lead_sees_only_the_rows_of_his_departments(world, client):
    notice = publish(world.coordinator)
    client.force_login(world.head)
    html = client.get(f"/notices/{notice.pk}/report/").content.decode()
    assert 'data-department="RD"' in html
    assert 'data-department="RD-HW"' in html
    assert 'data-department="GM"' not in html
    assert 'data-person="other"' not in html


def test_the_audience_filter_offers_the_departments_notices_were_addressed_to(world, client):
    # given: a notice to RD-HW, one to everyone
    publish(world.head, departments=[world.rd_hw])
    publish(world.coordinator)
    client.force_login(world.coordinator)
    # when
    html = client.get("/notices/").content.decode()
    # then: RD-HW only, not every department of the organization
    options = re.findall(r'<option value="(\d+)"', html)
    assert options == [str(world.rd_hw.pk)]


def _people(html: str) -> set[str]:
    return set(re.findall(r'data-person="([^"]+)"', html))


def test_the_report_pages_who_has_not_acknowledged(world, client, monkeypatch):
    # given: a notice to everyone; five of the six have not acknowledged; two people a page
    monkeypatch.setattr(views, "REPORT_PAGE_SIZE", 2)
    notice = publish(world.coordinator)
    services.notice_acknowledge(actor=world.employee, notice=notice)
    client.force_login(world.coordinator)
    # when
    pages = [client.get(f"/notices/{notice.pk}/report/?page={n}").content.decode() for n in (1, 2, 3)]
    # then: by department code (GM, RD, SALES), the count of all of them on every page
    assert [_people(html) for html in pages] == [{"coordinator", "admin"}, {"head", "liaison"}, {"other"}]
    assert all('id="pending-count">5<' in html for html in pages)
    assert "?page=2" in pages[0]
    assert 'id="total-recipients">6<' in pages[2]


def test_the_report_pages_the_departments_and_keeps_the_other_list_where_it_was(world, client, monkeypatch):
    monkeypatch.setattr(views, "REPORT_PAGE_SIZE", 2)
    notice = publish(world.coordinator)
    client.force_login(world.coordinator)
    first = client.get(f"/notices/{notice.pk}/report/?page=2").content.decode()
    second = client.get(f"/notices/{notice.pk}/report/?page=2&departments_page=2").content.decode()
    assert re.findall(r'data-department="([^"]*)"', first) == ["GM", "RD"]
    assert re.findall(r'data-department="([^"]*)"', second) == ["RD-HW", "SALES"]
    assert "?page=2&amp;departments_page=2" in first
    assert _people(second) == {"head", "liaison"}


def test_the_report_narrows_who_has_not_acknowledged_to_one_department(world, client):
    # given
    notice = publish(world.coordinator)
    client.force_login(world.coordinator)
    # when
    html = client.get(f"/notices/{notice.pk}/report/?department=RD").content.decode()
    # then: RD's two people; every department's row is still there, RD's marked
    assert _people(html) == {"head", "liaison"}
    assert 'id="pending-count">2<' in html
    assert '<tr data-department="RD" class="table-active">' in html
    assert 'data-department="SALES"' in html
    assert 'id="total-recipients">6<' in html


def test_an_unknown_department_in_the_report_says_so_and_lists_nobody(world, client):
    notice = publish(world.coordinator)
    client.force_login(world.coordinator)
    html = client.get(f"/notices/{notice.pk}/report/?department=NOPE").content.decode()
    assert re.search(r'id="pending-department">[^<]*NOPE', html)
    assert _people(html) == set()
    assert 'id="all-acked"' not in html
    assert 'id="pending-count">0<' in html


def test_a_lead_cannot_narrow_the_report_to_a_department_he_does_not_lead(world, client):
    # given: the head of RD, on a notice to everyone
    notice = publish(world.coordinator)
    client.force_login(world.head)
    # when
    own = client.get(f"/notices/{notice.pk}/report/?department=RD-HW").content.decode()
    other = client.get(f"/notices/{notice.pk}/report/?department=SALES").content.decode()
    # then
    assert _people(own) == {"employee"}
    assert _people(other) == set()
    assert 'data-department="SALES"' not in other
    assert re.search(r'id="pending-department">[^<]*SALES', other)


def test_the_dashboard_shows_the_figures(world, client):
    notice = publish(world.coordinator)
    services.notice_acknowledge(actor=world.employee, notice=notice)
    client.force_login(world.coordinator)
    html = client.get("/notices/dashboard/").content.decode()
    assert 'data-figure="required_acks">6<' in html
    assert 'data-figure="acks">1<' in html


def test_publish_pin_withdraw_from_the_page(world, client):
    draft = publish(world.coordinator, mode=services.SAVE_DRAFT)
    client.force_login(world.coordinator)
    client.post(f"/notices/{draft.pk}/publish/")
    client.post(f"/notices/{draft.pk}/pin/", {"pinned": "1"})
    draft.refresh_from_db()
    assert (draft.state, draft.is_pinned) == (Notice.State.PUBLISHED, True)
    client.post(f"/notices/{draft.pk}/withdraw/")
    draft.refresh_from_db()
    assert (draft.state, draft.is_pinned) == (Notice.State.WITHDRAWN, False)
    page = client.get(f"/notices/{draft.pk}/").content.decode()
    assert 'id="withdrawn-note"' in page


def test_the_navigation_has_notices(world, client):
    client.force_login(world.employee)
    assert 'href="/notices/"' in client.get("/").content.decode()


def test_a_draft_is_edited_then_published_from_the_edit_page(world, client, django_capture_on_commit_callbacks):
    # given
    draft = publish(world.coordinator, title="草稿", mode=services.SAVE_DRAFT, requires_ack=False)
    client.force_login(world.coordinator)
    page = client.get(f"/notices/{draft.pk}/edit/").content.decode()
    assert 'value="草稿"' in page
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/notices/{draft.pk}/edit/",
            {
                "title": "年度协作计划",
                "audience": "departments",
                "departments": [world.sales.pk],
                "requires_ack": "on",
                "ack_within": "1d",
                "mode": "now",
            },
        )
    # then
    assert response.status_code == 302
    draft.refresh_from_db()
    assert (draft.title, draft.state, draft.requires_ack) == ("年度协作计划", Notice.State.PUBLISHED, True)
    assert list(draft.recipients.values_list("person__username", flat=True)) == ["other"]
    # and a published notice is not edited any more
    again = client.post(f"/notices/{draft.pk}/edit/", {"title": "改", "audience": "all", "mode": "draft"})
    assert again.status_code == 302
    draft.refresh_from_db()
    assert draft.title == "年度协作计划"
