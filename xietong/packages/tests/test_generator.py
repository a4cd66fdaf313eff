"""`xietong generate`: a deterministic, realistic package that imports cleanly and gives sane figures."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, datetime
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError

from xietong.common.worktime import Schedule
from xietong.disputes.models import Dispute
from xietong.insights.report import build_report
from xietong.knowledge.models import Page, PageVersion, Space
from xietong.notices.models import Notice
from xietong.org.models import Department, Person
from xietong.packages.generator import SCHEDULE_SPEC, Sizes, generate, render
from xietong.processes.models import Case, StepRun
from xietong.search.models import Document
from xietong.search.selectors import search

SMALL = ["--departments", "30", "--people", "200", "--cases", "50", "--disputes", "5", "--notices", "3"]
SMALL_SIZES = Sizes(departments=30, people=200, cases=50, disputes=5, notices=3)
TZ = ZoneInfo("Asia/Shanghai")


def run_generate(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("generate", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_same_seed_and_sizes_give_byte_identical_files_and_another_seed_does_not(tmp_path):
    # when
    for name, seed in (("a.yaml", "1"), ("b.yaml", "1"), ("c.yaml", "2"), ("a.json", "1"), ("b.json", "1")):
        run_generate(*SMALL, "--seed", seed, "--output", str(tmp_path / name))
    # then
    assert (tmp_path / "a.yaml").read_bytes() == (tmp_path / "b.yaml").read_bytes()
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()
    assert (tmp_path / "a.yaml").read_bytes() != (tmp_path / "c.yaml").read_bytes()
    # the YAML and the JSON carry the same data (YAML's own typing: the dates are quoted text)
    assert yaml.safe_load((tmp_path / "a.yaml").read_bytes()) == json.loads((tmp_path / "a.json").read_bytes())


def test_the_package_is_realistic():
    # when
    package = generate(sizes=SMALL_SIZES, seed=1)
    # then: the requested sizes, a tree with heads and liaisons from their own departments
    people = package["people"]
    departments = package["departments"]
    assert len(departments) == 30
    assert len(people) == 200
    department_of = {p["username"]: p["department"] for p in people}
    assert len(department_of) == 200  # usernames are unique
    codes = {d["code"] for d in departments}
    assert all(d.get("parent") in codes for d in departments[1:])
    assert "parent" not in departments[0]
    assert all(department_of[d["head"]] == d["code"] == department_of[d["liaison"]] for d in departments)
    assert all(2 <= len(p["name"]) <= 3 and "\u4e00" <= p["name"][0] <= "\u9fff" for p in people)
    # people spread unevenly: the largest department is several times the median one
    sizes = sorted(Counter(department_of.values()).values())
    assert sizes[-1] >= 4 * sizes[len(sizes) // 2]
    assert len(package["committees"]) == 2
    assert [ladder["default"] for ladder in package["escalation_ladders"]] == [True]
    assert all(3 <= len(p["steps"]) <= 6 for p in package["processes"])
    assert all(len({s["responsible"] for s in p["steps"]}) >= 2 for p in package["processes"])
    # every instant of history is inside working hours on the cn calendar, and before the end
    schedule = Schedule.from_spec(SCHEDULE_SPEC, TZ)
    end = datetime(2026, 11, 27, 18, 0, tzinfo=TZ)
    cases = package["records"]["cases"]
    assert len(cases) == 50
    instants = [c["opened_at"] for c in cases]
    instants += [r[k] for c in cases for r in c["steps"] for k in ("started_at", "completed_at") if k in r]
    for text in instants:
        moment = datetime.fromisoformat(text).replace(tzinfo=TZ)
        assert moment <= end
        day = moment.date()
        assert schedule.is_working_day(day), text
        assert any(start <= moment <= stop for start, stop in schedule.periods_between(day, day)), text
    assert min(instants) >= "2025-11-27"


def test_some_steps_are_chronically_late():
    # given
    package = generate(sizes=Sizes(departments=20, people=100, cases=400, disputes=0, notices=0), seed=3)
    schedule = Schedule.from_spec(SCHEDULE_SPEC, TZ)
    limits = {s["code"]: s["time_limit"] for p in package["processes"] for s in p["steps"]}
    late, done = Counter[str](), Counter[str]()
    # when
    for case in package["records"]["cases"]:
        for run in case["steps"]:
            if "completed_at" in run:
                started = datetime.fromisoformat(run["started_at"]).replace(tzinfo=TZ)
                completed = datetime.fromisoformat(run["completed_at"]).replace(tzinfo=TZ)
                done[run["step"]] += 1
                late[run["step"]] += completed > schedule.due(started, limits[run["step"]])
    rates = sorted(late[code] / done[code] for code in done if done[code] >= 20)
    # then: a late step beside steps that are mostly on time
    assert rates[-1] >= 0.4
    assert rates[0] <= 0.3


@pytest.mark.django_db
def test_generate_without_output_imports_and_the_report_is_consistent():
    # when
    out, err = run_generate(*SMALL, "--seed", "7")
    # then
    assert "records.cases: 50 created" in out
    assert "cases" in err
    assert "importing" in err
    assert Department.objects.count() == 30
    assert Person.objects.count() == 200
    assert Case.objects.count() == 50
    package = generate(sizes=SMALL_SIZES, seed=7)
    expected_runs = sum(len(c["steps"]) for c in package["records"]["cases"])
    assert StepRun.objects.count() == expected_runs
    assert Dispute.objects.count() == 5
    assert Notice.objects.count() == 3

    report = build_report(datetime(2026, 11, 27, 18, 0, tzinfo=TZ), TZ)
    per_process = Counter(c["process"] for c in package["records"]["cases"])
    assert {code: f["cases_total"] for code, f in report["processes"].items()} == dict(per_process)
    assert all(f["cases_total"] > 0 for f in report["processes"].values())
    assert sum(f["steps_completed"] for f in report["processes"].values()) == sum(
        "completed_at" in r for c in package["records"]["cases"] for r in c["steps"]
    )
    for figures in report["processes"].values():
        assert figures["steps_on_time"] <= figures["steps_completed"]
        assert figures["cases_completed"] <= figures["cases_total"]
        assert figures["median_cycle_hours"] is None or figures["median_cycle_hours"] > 0
    disputes = report["disputes"]
    assert disputes["total"] == 5
    assert disputes["resolved"] + disputes["withdrawn"] <= 5
    notices = report["notices"]
    expected_acks = sum(len(n.get("acks", [])) for n in package["records"]["notices"])
    assert notices["acks"] == expected_acks > 0
    assert notices["acks_on_time"] <= notices["acks"] <= notices["required_acks"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--departments", "50", "--people", "60"], "--people must be at least twice --departments"),
        (["--departments", "1"], "--departments must be at least 2"),
        (["--cases", "-1"], "--cases must not be negative"),
        (["--processes", "9"], "--processes must be between 1 and 5"),
        (["--until", "2026-13-01"], "is not a date"),
        (["--pages", "-1"], "--pages must not be negative"),
        (["--pages", "5"], "--pages is written straight to the database and cannot go into a package"),
        (["--no-package"], "--no-package writes to the database: leave out --output"),
    ],
)
def test_bad_sizes_are_refused_with_a_clear_message(tmp_path, args, message):
    # when
    with pytest.raises(CommandError) as caught:
        run_generate(*args, "--output", str(tmp_path / "x.json"))
    # then
    assert message in str(caught.value)
    assert not (tmp_path / "x.json").exists()


def test_until_moves_the_history():
    # when
    package = generate(sizes=SMALL_SIZES, seed=1, until=date(2026, 6, 30))
    text = render(package, as_json=True)
    # then
    opened = [c["opened_at"] for c in package["records"]["cases"]]
    assert max(opened) < "2026-06-30"
    assert min(opened) >= "2025-06-30"
    # nothing happened after it (a running step may be due later)
    happened = [
        {k: v for k, v in run.items() if k != "due_at"} for c in package["records"]["cases"] for run in c["steps"]
    ]
    assert "2026-07" not in json.dumps([happened, package["records"]["disputes"], package["records"]["notices"]])
    assert "2026-07" in text  # only as the due instant of a step still running


def test_more_cases_open_in_the_weeks_before_national_day_than_in_summer():
    # given
    package = generate(sizes=Sizes(departments=10, people=40, cases=3000, disputes=0, notices=0), seed=5)
    schedule = Schedule.from_spec(SCHEDULE_SPEC, TZ)
    per_day = Counter(c["opened_at"][:10] for c in package["records"]["cases"])

    def rate(first: date, last: date) -> float:
        days = [date.fromordinal(n) for n in range(first.toordinal(), last.toordinal() + 1)]
        working = [d for d in days if schedule.is_working_day(d)]
        return sum(per_day[d.isoformat()] for d in working) / len(working)

    # when
    summer = rate(date(2026, 7, 1), date(2026, 8, 31))
    before_national_day = rate(date(2026, 9, 12), date(2026, 9, 30))
    # then
    assert before_national_day > 1.8 * summer
    assert not any(not schedule.is_working_day(date.fromisoformat(day)) for day in per_day)


@pytest.mark.django_db
def test_pages_are_written_straight_to_the_database_searchable_and_deterministic():
    # when: a company with knowledge pages, then pages for the organization already there
    _out, err = run_generate("--departments", "12", "--people", "60", "--cases", "5", "--pages", "40", "--seed", "3")
    first = list(Page.objects.order_by("pk").values_list("title", "body", "owner__username", "review_by"))
    run_generate("--no-package", "--pages", "40", "--seed", "3")
    # then: one version each, owners from the organization, spaces per first-level department
    assert "knowledge pages: 40/40" in err
    assert "indexing for search" in err
    assert Page.objects.count() == PageVersion.objects.count() == 80
    assert Space.objects.filter(department__isnull=True).count() == 2  # the company space, twice
    assert not Page.objects.exclude(owner__department__isnull=False).exists()
    assert all(p.version == 1 and p.created_at == p.updated_at for p in Page.objects.all())
    second = list(Page.objects.order_by("pk").values_list("title", "body", "owner__username", "review_by")[40:])
    assert second == first  # the same seed, the same pages
    # and search finds them (the command reindexes at its end)
    assert Document.objects.filter(kind="page").count() == 80
    coordinator = Person.objects.get(username=Person.objects.order_by("pk").values_list("username", flat=True)[0])
    coordinator.is_coordinator = True
    coordinator.save()
    word = first[0][0][:2]
    assert search(coordinator, word, kind="page").total > 0


@pytest.mark.django_db
def test_pages_without_people_are_refused():
    # when / then
    with pytest.raises(CommandError, match="there is nobody in the organization to own the pages"):
        run_generate("--no-package", "--pages", "5")
    assert not Page.objects.exists()
