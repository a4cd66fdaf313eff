from __future__ import annotations

import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from xietong.common.tasks import tick_task
from xietong.common.ticks import run_ticks


class Command(BaseCommand):
    help = (
        "Run the time-driven work that is due (SLA warnings, escalations, reminders) once, for cron; "
        "with --every N, enqueue it for the background workers every N seconds (the scheduler)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--every", type=int, metavar="SECONDS", help="keep enqueuing the tick task for the workers")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["every"]:
            self.stdout.write(json.dumps(run_ticks(), sort_keys=True))
            return
        while True:
            tick_task.enqueue()
            time.sleep(options["every"])
