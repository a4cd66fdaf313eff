from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from xietong.packages.importer import ImportFailed
from xietong.packages.services import upload_import


class Command(BaseCommand):
    help = "Import an organization package (YAML/JSON, or an .xlsx departments/people template). All or nothing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="package file, or - for standard input")
        parser.add_argument("--dry-run", action="store_true", help="check and show the changes, write nothing")
        parser.add_argument(
            "--progress", action="store_true", help="show each phase on standard error (the default on a terminal)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["file"]
        try:
            raw = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
        except OSError as exc:
            raise CommandError(_("cannot read {file}: {error}").format(file=name, error=exc.strerror)) from exc
        started, last = time.monotonic(), [""]

        def progress(phase: str, done: int, total: int) -> None:
            if phase != last[0]:
                last[0] = phase
                self.stderr.write(f"[{time.monotonic() - started:7.1f}s] {phase}")
                self.stderr.flush()

        show = options["progress"] or self.stderr.isatty()
        try:
            result = upload_import(
                raw=raw, filename=name, actor=None, dry_run=options["dry_run"], progress=progress if show else None
            )
        except ImportFailed as exc:
            for problem in exc.problems:
                self.stderr.write(f"{name}: {problem}")
            raise CommandError(
                ngettext(
                    "{n} problem found; nothing was imported.",
                    "{n} problems found; nothing was imported.",
                    len(exc.problems),
                ).format(n=len(exc.problems)),
                returncode=1,
            ) from exc
        for section, counts in result.counts().items():
            self.stdout.write(
                _("{section}: {created} created, {updated} updated").format(
                    section=section, created=counts.get("create", 0), updated=counts.get("update", 0)
                )
            )
        if result.is_empty:
            self.stdout.write(_("Nothing to change: the database already matches the file."))
        verb = _("Checked (dry run, nothing written)") if options["dry_run"] else _("Imported")
        self.stdout.write(self.style.SUCCESS(f"{verb}: {name}"))
