from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from xietong.common import clock
from xietong.packages.exporter import package_export


class Command(BaseCommand):
    help = "Export the organization as a package file (to FILE, or to standard output)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", help="where to write; standard output when absent")

    def handle(self, *args: Any, **options: Any) -> None:
        today = timezone.localdate(clock.now())  # the local date, not UTC's
        text = package_export(today=today)
        if options["file"]:
            Path(options["file"]).write_text(text, encoding="utf-8")
        else:
            self.stdout.write(text, ending="")
