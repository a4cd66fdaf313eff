from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import factory

from xietong.org.tests.factories import DepartmentFactory
from xietong.processes.models import Case, Process, ProcessVersion, Step, StepRun

TZ = ZoneInfo("Asia/Shanghai")


class ProcessFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Process

    code = factory.Sequence(lambda n: f"P{n:03d}")
    name = factory.Sequence(lambda n: f"流程{n}")


class ProcessVersionFactory(factory.django.DjangoModelFactory):
    """A published version (pass ``published_at=None`` for a draft)."""

    class Meta:
        model = ProcessVersion

    process = factory.SubFactory(ProcessFactory)
    number = 1
    published_at = datetime(2026, 1, 5, 9, 0, tzinfo=TZ)


class StepFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Step

    version = factory.SubFactory(ProcessVersionFactory)
    position = 0
    code = factory.Sequence(lambda n: f"S-{n}")
    name = factory.Sequence(lambda n: f"步骤{n}")
    responsible = factory.SubFactory(DepartmentFactory)
    time_limit = "1d"


class CaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Case

    version = factory.SubFactory(ProcessVersionFactory)
    process = factory.SelfAttribute("version.process")
    ref = factory.Sequence(lambda n: f"C-{n:04d}")
    title = factory.Sequence(lambda n: f"案件{n}")
    opened_at = datetime(2026, 3, 2, 9, 0, tzinfo=TZ)


class StepRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StepRun

    step = factory.SubFactory(StepFactory)
    case = factory.SubFactory(CaseFactory, version=factory.SelfAttribute("..step.version"))
    position = factory.SelfAttribute("step.position")
    responsible = factory.SelfAttribute("step.responsible")
    started_at = datetime(2026, 3, 2, 9, 0, tzinfo=TZ)
    due_at = datetime(2026, 3, 3, 9, 0, tzinfo=TZ)
