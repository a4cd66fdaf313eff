"""The worked example of metrics.md, notices part: examples/demo-package.yaml reported as of
2026-04-01 gives exactly the "notices" object of examples/demo-package.report-2026-04-01.json."""

import json
from pathlib import Path

import pytest
from django.core.management import call_command

from xietong.notices.models import Notice, NoticeRecipient
from xietong.packages.document import dump_document, load_document
from xietong.packages.importer import package_import

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parents[2] / "packages" / "tests" / "data"
LEFT_OUT = ("escalation_ladders", "meeting_series", "projects")
RECORDS_LEFT_OUT = ("disputes", "surveys")


def _example() -> bytes:
    data = load_document((DATA / "demo-package.yaml").read_bytes()).data
    for key in LEFT_OUT:
        data.pop(key, None)
    for key in RECORDS_LEFT_OUT:
        data["records"].pop(key, None)
    return dump_document(data).encode()


def test_the_report_reproduces_the_notice_figures_of_the_worked_example(capsys):
    # given
    package_import(raw=_example())
    expected = json.loads((DATA / "demo-package.report-2026-04-01.json").read_text())
    # when
    call_command("report", "--as-of", "2026-04-01T00:00:00+08:00", "--json")
    report = json.loads(capsys.readouterr().out)
    # then: to the last digit
    assert report["notices"] == expected["notices"]


def test_the_example_derives_every_person_as_a_recipient_and_keeps_the_due_instant():
    # when
    package_import(raw=_example())
    # then: audience "all" without recipients: the file's 13 people, the author lixia included
    notice = Notice.objects.get(ref="N-001")
    assert NoticeRecipient.objects.filter(notice=notice).count() == 13
    assert NoticeRecipient.objects.filter(notice=notice, person__username="lixia").exists()
    assert notice.state == Notice.State.PUBLISHED
    # 2026-03-02 09:00 (a Monday) + 2 working days of 8 hours = Tuesday 18:00
    assert notice.due_at.isoformat() == "2026-03-03T10:00:00+00:00"
    acked = NoticeRecipient.objects.filter(notice=notice, acknowledged_at__isnull=False)
    assert sorted(acked.values_list("person__username", flat=True)) == ["chenhao", "zhoujie"]


def test_importing_the_example_twice_changes_nothing_the_second_time():
    # given
    package_import(raw=_example())
    # when
    result = package_import(raw=_example())
    # then
    assert [c for c in result.changes if c.section == "records.notices"] == []
