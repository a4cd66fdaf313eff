"""The worked example of metrics.md for disputes: the example package (without the sections whose apps
have not landed) reported as of 2026-04-01 gives exactly the "disputes" object of
examples/demo-package.report-2026-04-01.json."""

import json
from pathlib import Path

import pytest
from django.core.management import call_command

from xietong.disputes.models import Dispute, DisputeEvent, EscalationLadder
from xietong.packages.document import dump_document, load_document
from xietong.packages.importer import package_import

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("monday_morning")]

DATA = Path(__file__).resolve().parents[2] / "packages" / "tests" / "data"
NOT_YET = ("meeting_series", "projects")
RECORDS_NOT_YET = ("notices", "surveys")


def test_the_report_reproduces_the_disputes_of_the_worked_example(capsys):
    # given
    data = load_document((DATA / "demo-package.yaml").read_bytes()).data
    for key in NOT_YET:
        data.pop(key)
    for key in RECORDS_NOT_YET:
        data["records"].pop(key)
    package_import(raw=dump_document(data).encode())
    expected = json.loads((DATA / "demo-package.report-2026-04-01.json").read_text())
    # when
    call_command("report", "--as-of", "2026-04-01T00:00:00+08:00", "--json")
    report = json.loads(capsys.readouterr().out)
    # then: to the last digit
    assert report["disputes"] == expected["disputes"]
    assert report["processes"] == expected["processes"]
    ladder = EscalationLadder.objects.get()
    assert (ladder.code, ladder.is_default, ladder.levels.count()) == ("STD", True, 3)
    dispute = Dispute.objects.get(ref="D-001")
    assert (dispute.state, dispute.level, dispute.outcome) == ("resolved", 1, "分两批交付")
    assert list(dispute.events.values_list("kind", "level")) == [
        (DisputeEvent.Kind.RAISED, 1),
        (DisputeEvent.Kind.COMMENT, 1),
        (DisputeEvent.Kind.RESOLVE, 1),
    ]
