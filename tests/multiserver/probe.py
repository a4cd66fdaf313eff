"""The multi-server test's hands inside the database: run as a script with the servers' environment.

    python tests/multiserver/probe.py seed    # the organization, cases, disputes and notices; prints JSON
    python tests/multiserver/probe.py count   # what the time-driven work did, as JSON

Seeding goes through the services (and the test factories for the organization and the process), so
the rows are as real use leaves them; the due instants are then moved with plain UPDATEs, which is
what time passing would do (the test moves the "soon" ones the same way once the servers run).
"""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from datetime import timedelta
from typing import Any

import django

# How many of each: enough that two workers and two web servers race on them, small enough for CI.
STEPS = {"warn_now": 20, "overdue_now": 20, "warn_soon": 10, "overdue_soon": 10}
DISPUTES = {"far": 15, "soon": 10}
NOTICES = {"remind": 8, "late": 6, "scheduled": 6}
PASSWORD = "multi-server-pw-1"  # a throw-away test database


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xietong.config.settings")
    django.setup()
    from django.conf import settings

    # the factories' passwords are replaced at the end of seeding: no Argon2 for each of them
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def seed() -> dict[str, Any]:
    from django.contrib.auth.hashers import Argon2PasswordHasher
    from django.db.models import Q
    from rest_framework.authtoken.models import Token

    from xietong.common import clock
    from xietong.disputes import services as disputes
    from xietong.disputes.models import Dispute
    from xietong.disputes.tests.factories import make_ladder
    from xietong.notices import services as notices
    from xietong.notices.models import Notice
    from xietong.org.models import Person
    from xietong.org.tests.factories import DepartmentFactory, OrganizationFactory, PersonFactory
    from xietong.processes import services as processes
    from xietong.processes.models import StepRun
    from xietong.processes.tests.factories import ProcessVersionFactory, StepFactory

    OrganizationFactory()
    gm = DepartmentFactory(code="GM", name="总经办")
    parties = [
        DepartmentFactory(code=code, name=name, parent=gm) for code, name in (("RD", "研发部"), ("QA", "质量部"))
    ]
    coordinator = PersonFactory(username="coordinator", name="李霞", department=gm, is_coordinator=True)
    PersonFactory(username="boss", name="周总", department=gm, level=Person.Level.EXECUTIVE)
    for department in parties:
        department.head = PersonFactory(username=f"head-{department.code}", name="部门负责人", department=department)
        department.liaison = PersonFactory(username=f"liaison-{department.code}", name="联络人", department=department)
        department.save(update_fields=["head", "liaison"])
        for n in range(3):
            PersonFactory(username=f"staff-{department.code}-{n}", name=f"员工{n}", department=department)
    # The one who signs in gets a real Argon2 hash (the others none that works): a weaker hash would be
    # upgraded at each sign-in, and a new hash ends the sessions signed in before it.
    hasher = Argon2PasswordHasher()
    Person.objects.update(password="!")
    Person.objects.filter(pk=coordinator.pk).update(password=hasher.encode(PASSWORD, hasher.salt()))
    token = Token.objects.create(user=coordinator)

    # Cases: the first step of each is running; its 75% instant and due instant are moved below.
    step = StepFactory(version=ProcessVersionFactory(), responsible=parties[0], time_limit="1d")
    now = clock.now()
    runs: dict[str, list[int]] = {}
    for group, count in STEPS.items():
        for n in range(count):
            case = processes.case_open(
                actor=coordinator, process=step.version.process, title=f"{group} {n}", ref=f"{group}-{n}"
            )
            runs.setdefault(group, []).append(case.step_runs.get().pk)
    far = now + timedelta(days=30)
    StepRun.objects.filter(pk__in=runs["warn_now"]).update(warn_at=now - timedelta(minutes=5), due_at=far)
    StepRun.objects.filter(pk__in=runs["overdue_now"]).update(
        warn_at=now - timedelta(hours=2), due_at=now - timedelta(minutes=5)
    )
    StepRun.objects.filter(pk__in=runs["warn_soon"]).update(warn_at=far, due_at=far)  # `due` brings them near
    # the warning was sent already: only the overdue notice is left to send when the step falls due
    StepRun.objects.filter(pk__in=runs["overdue_soon"]).update(
        warn_at=now - timedelta(hours=1), warned_at=now, due_at=far
    )

    # Disputes on a three-level ladder, one working hour a level.
    make_ladder(*[("heads_of_parties", None, "1h")] * 3, code="STD")
    disputes_by_group: dict[str, list[int]] = {}
    for group, count in DISPUTES.items():
        for n in range(count):
            dispute = disputes.dispute_raise(
                actor=coordinator, title=f"{group} {n}", description="交期争议", parties=parties
            )
            disputes_by_group.setdefault(group, []).append(dispute.pk)
    # long past due at level 1: two automatic escalations, then overdue at the last level
    month_ago = now - timedelta(days=30)
    Dispute.objects.filter(pk__in=disputes_by_group["far"]).update(
        opened_at=month_ago, level_entered_at=month_ago, due_at=month_ago + timedelta(hours=1)
    )
    Dispute.objects.filter(pk__in=disputes_by_group["soon"]).update(due_at=far)

    # Notices to both parties that must be acknowledged.
    notices_by_group: dict[str, list[int]] = {}
    for group, count in NOTICES.items():
        for n in range(count):
            notice = notices.notice_create(
                actor=coordinator,
                title=f"{group} {n}",
                body="请确认。",
                departments=parties,
                requires_ack=group != "scheduled",
                mode="schedule" if group == "scheduled" else "now",
                publish_at=now + timedelta(days=1) if group == "scheduled" else None,
            )
            notices_by_group.setdefault(group, []).append(notice.pk)
    Notice.objects.filter(pk__in=notices_by_group["remind"]).update(
        remind_at=now - timedelta(minutes=1), due_at=now + timedelta(days=1)
    )
    Notice.objects.filter(pk__in=notices_by_group["late"]).update(
        remind_at=now - timedelta(hours=2), reminded_at=now - timedelta(hours=1), due_at=now - timedelta(minutes=1)
    )
    return {
        "token": token.key,
        "username": coordinator.username,
        "password": PASSWORD,
        "runs": runs,
        "disputes": disputes_by_group,
        "notices": notices_by_group,
        "audience": Person.objects.filter(department__in=parties, is_active=True).count(),
        "leadership": Person.objects.filter(Q(level=Person.Level.EXECUTIVE) | Q(is_coordinator=True)).count(),
    }


def count() -> dict[str, Any]:
    """Per item, how often each piece of time-driven work was done (events and audit entries are
    written once per claim, so a doubled claim shows as 2)."""
    from django.contrib.contenttypes.models import ContentType

    from xietong.audit.models import AuditEntry
    from xietong.disputes.models import Dispute, DisputeEvent
    from xietong.notices.models import Notice, NoticeRecipient
    from xietong.notify.models import Notification
    from xietong.processes.models import CaseEvent

    def per(rows: Any) -> dict[str, int]:
        return {str(key): n for key, n in Counter(rows).items()}

    step_events = CaseEvent.objects.filter(kind__in=(CaseEvent.Kind.STEP_WARNED, CaseEvent.Kind.STEP_OVERDUE))
    dispute_events = DisputeEvent.objects.filter(
        kind__in=(DisputeEvent.Kind.AUTO_ESCALATE, DisputeEvent.Kind.OVERDUE, DisputeEvent.Kind.COMMENT)
    )
    dispute_type = ContentType.objects.get_for_model(Dispute)
    notice_type = ContentType.objects.get_for_model(Notice)
    return {
        "step_events": per(f"{run}:{kind}" for run, kind in step_events.values_list("step_run_id", "kind")),
        "dispute_events": per(f"{d}:{kind}" for d, kind in dispute_events.values_list("dispute_id", "kind")),
        "dispute_levels": {str(pk): level for pk, level in Dispute.objects.values_list("pk", "level")},
        "dispute_audit": per(
            f"{pk}:{action}"
            for pk, action in AuditEntry.objects.filter(content_type=dispute_type, action="auto_escalate").values_list(
                "object_id", "action"
            )
        ),
        "notices": {
            str(pk): {"state": state, "reminded": reminded is not None, "late": late is not None}
            for pk, state, reminded, late in Notice.objects.values_list(
                "pk", "state", "reminded_at", "late_notified_at"
            )
        },
        "notice_publish_audit": per(
            AuditEntry.objects.filter(content_type=notice_type, action="publish").values_list("object_id", flat=True)
        ),
        "notice_recipients": per(str(pk) for pk in NoticeRecipient.objects.values_list("notice_id", flat=True)),
        "notifications": per(Notification.objects.values_list("kind", flat=True)),
        "notifications_total": Notification.objects.count(),
        "notifications_distinct": Notification.objects.values("recipient", "dedupe_key").distinct().count(),
    }


if __name__ == "__main__":
    _setup()
    if sys.argv[1] == "seed":
        from django.db import transaction

        with transaction.atomic():
            answer = seed()
    else:
        answer = count()
    print(json.dumps(answer))  # noqa: T201  # the test reads it
