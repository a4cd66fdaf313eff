"""records.notices: read, check, apply and export (package-format.md)."""

from datetime import date, datetime

import pytest

from xietong.common import clock
from xietong.notices import services
from xietong.notices.figures import notice_figures
from xietong.notices.models import Notice, NoticeRecipient
from xietong.notices.tests.factories import TZ
from xietong.packages.document import load_document
from xietong.packages.exporter import package_export, package_export_data
from xietong.packages.importer import package_import
from xietong.packages.tests.helpers import import_problems, package

pytestmark = pytest.mark.django_db

HEAD = """
version: 1
organization:
  name: 测试公司
  timezone: Asia/Shanghai
  schedule: {working_hours: ["09:00-12:00", "13:00-18:00"], days: weekdays}
departments:
  - {code: GM, name: 总经办}
  - {code: RD, name: 研发部, parent: GM, head: chen, liaison: liu}
  - {code: HW, name: 硬件组, parent: RD}
  - {code: SALES, name: 销售部, parent: GM, head: zhao}
people:
  - {username: wang, name: 王军, department: GM, roles: [coordinator]}
  - {username: chen, name: 陈浩, department: RD, level: manager}
  - {username: liu, name: 刘洋, department: RD}
  - {username: hu, name: 胡工, department: HW}
  - {username: zhao, name: 赵敏, department: SALES, level: manager}
records:
  notices:
"""


def _file(notices: str) -> bytes:
    return package(HEAD + notices)


RD_NOTICE = """
    - ref: N-RD
      title: 研发安全规范
      body: "第一条\\n第二条"
      author: chen
      published_at: "2026-03-02T09:00"
      audience: [RD]
      requires_ack: true
      ack_within: 4h
      acks:
        - {user: hu, at: "2026-03-02T10:00"}
        - {user: liu, at: "2026-03-03T09:00"}
"""


def test_recipients_are_derived_from_the_audience_subtree_and_acks_kept():
    # when
    package_import(raw=_file(RD_NOTICE))
    # then: RD and its sub-department HW, the author included
    notice = Notice.objects.get(ref="N-RD")
    rows = {r.person.username: r for r in NoticeRecipient.objects.filter(notice=notice).select_related("person")}
    assert sorted(rows) == ["chen", "hu", "liu"]
    assert rows["hu"].acknowledged_at == datetime(2026, 3, 2, 10, tzinfo=TZ)
    assert rows["chen"].acknowledged_at is None
    assert notice.due_at == datetime(2026, 3, 2, 14, tzinfo=TZ)  # 4 working hours, lunch excluded
    assert list(notice.audience_departments.values_list("code", flat=True)) == ["RD"]
    # and the figures: 3 asked, 2 acks, 1 on time
    assert notice_figures(datetime(2026, 4, 1, tzinfo=TZ)) == {
        "required_acks": 3,
        "acks": 2,
        "ack_rate": 2 / 3,
        "acks_on_time": 1,
    }


def test_given_recipients_are_taken_as_they_are():
    package_import(
        raw=_file(
            """
    - {ref: N-1, title: 通知, published_at: "2026-03-02T09:00", audience: [SALES], recipients: [zhao, hu]}
"""
        )
    )
    assert sorted(NoticeRecipient.objects.values_list("person__username", flat=True)) == ["hu", "zhao"]


def test_reimport_is_idempotent_and_updates_in_place():
    package_import(raw=_file(RD_NOTICE))
    first = list(NoticeRecipient.objects.order_by("pk").values_list("pk", "acknowledged_at"))
    again = package_import(raw=_file(RD_NOTICE))
    assert [c for c in again.changes if c.section == "records.notices"] == []
    assert list(NoticeRecipient.objects.order_by("pk").values_list("pk", "acknowledged_at")) == first
    changed = package_import(raw=_file(RD_NOTICE.replace("title: 研发安全规范", "title: 研发安全规范（修订）")))
    assert [c.action for c in changed.changes if c.section == "records.notices"] == ["update"]
    assert Notice.objects.get().title == "研发安全规范（修订）"
    assert Notice.objects.count() == 1


@pytest.mark.parametrize(
    ("notices", "expected"),
    [
        (
            '    - {ref: N-1, title: t, published_at: "2026-03-02T09:00", audience: [NOPE]}\n',
            "records.notices[0].audience[0]",
        ),
        (
            '    - {ref: N-1, title: t, published_at: "2026-03-02T09:00", audience: everyone}\n',
            "records.notices[0].audience",
        ),
        (
            '    - {ref: N-1, title: t, published_at: "2026-03-02T09:00", audience: all, recipients: [ghost]}\n',
            "records.notices[0].recipients[0]",
        ),
        (
            '    - {ref: N-1, title: t, published_at: "2026-03-02T09:00", audience: [SALES], requires_ack: true,'
            ' acks: [{user: hu, at: "2026-03-02T10:00"}]}\n',
            "records.notices[0].acks[0].user",
        ),
        (
            '    - {ref: N-1, title: t, published_at: "2026-03-02T09:00", audience: all, requires_ack: true,'
            ' acks: [{user: hu, at: "2026-03-02T10:00"}, {user: hu, at: "2026-03-02T11:00"}]}\n',
            "records.notices[0].acks[1].user",
        ),
        (
            '    - {ref: N-1, title: t, published_at: "2026-03-02T09:00", audience: all, requires_ack: true,'
            ' acks: [{user: hu, at: "2026-03-02T08:59"}]}\n',
            "records.notices[0].acks[0].at",
        ),
        (
            '    - {ref: N-1, title: t, published_at: "2026-03-02T09:00", audience: all,'
            ' acks: [{user: hu, at: "2026-03-02T10:00"}]}\n',
            "records.notices[0].acks",
        ),
        (
            '    - {ref: N-1, title: t, published_at: "2026-03-02T09:00", audience: all, ack_within: 2 days}\n',
            "records.notices[0].ack_within",
        ),
        (
            '    - {ref: N-1, title: t, published_at: "2026-03-02T09:00", audience: all, author: nobody}\n',
            "records.notices[0].author",
        ),
        (
            '    - {ref: N-1, title: t, published_at: "2026-03-02T09:00", audience: all, colour: red}\n',
            "records.notices[0].colour",
        ),
        (
            '    - {ref: N-1, title: t, published_at: "2026-03-02T09:00", audience: all}\n'
            '    - {ref: N-1, title: u, published_at: "2026-03-02T09:00", audience: all}\n',
            "records.notices[1].ref",
        ),
        ("    - {ref: N-1, title: t, audience: all}\n", "records.notices[0]"),
    ],
)
def test_errors_name_their_path_and_change_nothing(notices, expected):
    problems = import_problems(_file(notices))
    assert any(expected in p for p in problems), problems
    assert Notice.objects.count() == 0


def test_export_always_writes_recipients_and_round_trips_with_the_same_figures():
    # given: an imported notice, and one published in the application, acknowledged late
    package_import(raw=_file(RD_NOTICE))
    from xietong.org.models import Department, Person

    with clock.freeze(datetime(2026, 3, 9, 9, tzinfo=TZ)):
        notice = services.notice_create(
            actor=Person.objects.get(username="wang"),
            title="销售纪律",
            departments=[Department.objects.get(code="SALES")],
            requires_ack=True,
            ack_within="1d",
        )
    with clock.freeze(datetime(2026, 3, 12, 9, tzinfo=TZ)):
        services.notice_acknowledge(actor=Person.objects.get(username="zhao"), notice=notice)
    before = notice_figures(datetime(2026, 4, 1, tzinfo=TZ))
    # when
    data = package_export_data(today=date(2026, 4, 1))
    # then
    exported = data["records"]["notices"]
    assert [n["recipients"] for n in exported] == [["chen", "hu", "liu"], ["zhao"]]
    assert exported[0]["acks"] == [
        {"user": "hu", "at": "2026-03-02T10:00:00+08:00"},
        {"user": "liu", "at": "2026-03-03T09:00:00+08:00"},
    ]
    # and into an empty database
    text = package_export(today=date(2026, 4, 1))
    NoticeRecipient.objects.all().delete()
    Notice.objects.all().delete()
    package_import(raw=text.encode())
    assert notice_figures(datetime(2026, 4, 1, tzinfo=TZ)) == before
    assert load_document(text.encode()).data["records"]["notices"][1]["ack_within"] == "1d"
