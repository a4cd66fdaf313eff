import json

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


def test_report_echoes_as_of_in_organization_time(world, capsys):
    # when
    call_command("report", "--as-of", "2026-04-01T00:00", "--json")
    # then
    report = json.loads(capsys.readouterr().out)
    assert report["as_of"] == "2026-04-01T00:00:00+08:00"
    assert set(report) == {"as_of", "processes", "disputes", "notices", "satisfaction"}


def test_report_converts_an_offset_to_organization_time(world, capsys):
    call_command("report", "--as-of", "2026-03-31T16:00:00Z", "--json")
    assert json.loads(capsys.readouterr().out)["as_of"] == "2026-04-01T00:00:00+08:00"


def test_report_refuses_a_malformed_as_of(world):
    with pytest.raises(CommandError):
        call_command("report", "--as-of", "next tuesday", "--json")


def test_report_shows_its_sections_on_standard_error_with_progress(world, capsys):
    # when
    call_command("report", "--as-of", "2026-04-01T00:00", "--json", "--progress")
    # then: the JSON alone on standard output, one line per section on standard error
    captured = capsys.readouterr()
    assert set(json.loads(captured.out)) == {"as_of", "processes", "disputes", "notices", "satisfaction"}
    lines = [line.split("] ", 1)[1] for line in captured.err.splitlines()]
    assert lines == ["1/4 processes", "2/4 disputes", "3/4 notices", "4/4 satisfaction"]
