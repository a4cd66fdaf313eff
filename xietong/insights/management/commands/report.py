from __future__ import annotations

import json
import time
from typing import Any
from zoneinfo import ZoneInfo

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from xietong.common import clock
from xietong.common.clock import parse_as_of
from xietong.insights.report import build_report
from xietong.org.selectors import organization_get


class Command(BaseCommand):
    help = "Print the collaboration figures of metrics.md as of an instant."
    # A read-only command: Django's system checks would import every view and URL module first
    # (about a second of the command's start), and check nothing this command uses.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as-of", help="ISO 8601 datetime (organization-local without an offset); default now")
        parser.add_argument("--json", action="store_true", help="print one JSON object (metrics.md, The report)")
        parser.add_argument(
            "--progress", action="store_true", help="show each section on standard error (the default on a terminal)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        org = organization_get()
        tz = ZoneInfo(org.timezone if org else "Asia/Shanghai")
        if options["as_of"]:
            try:
                as_of = parse_as_of(options["as_of"], tz)
            except ValueError as exc:
                raise CommandError(
                    _("“{value}” is not a date or datetime such as 2026-06-30T18:00:00+08:00").format(
                        value=options["as_of"]
                    )
                ) from exc
        else:
            as_of = clock.now()
        started = time.monotonic()

        def progress(section: str, done: int, total: int) -> None:
            self.stderr.write(f"[{time.monotonic() - started:6.1f}s] {done + 1}/{total} {section}")
            self.stderr.flush()

        show = options["progress"] or self.stderr.isatty()
        report = build_report(as_of, tz, progress=progress if show else None)
        if options["json"]:
            self.stdout.write(json.dumps(report, ensure_ascii=False, sort_keys=True))
        else:
            self.stdout.write(json.dumps(report, ensure_ascii=False, sort_keys=True, indent=2))
