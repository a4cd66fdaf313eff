from __future__ import annotations

import time
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from xietong.packages.generator import Sizes, generate, render, summary
from xietong.packages.importer import ImportFailed, package_import


class Command(BaseCommand):
    help = (
        "Generate a realistic, deterministic organization package (Chinese company with a year of history) "
        "and write it to --output, or import it into the database."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        defaults = Sizes()
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--departments", type=int, default=defaults.departments)
        parser.add_argument("--people", type=int, default=defaults.people)
        parser.add_argument("--processes", type=int, default=defaults.processes)
        parser.add_argument("--cases", type=int, default=defaults.cases)
        parser.add_argument("--disputes", type=int, default=defaults.disputes)
        parser.add_argument("--notices", type=int, default=defaults.notices)
        parser.add_argument("--until", default="2026-11-27", help="the last day of the history (YYYY-MM-DD)")
        parser.add_argument("--output", help="write the package here (JSON when the name ends in .json, else YAML)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            until = date.fromisoformat(options["until"])
        except ValueError as exc:
            raise CommandError(
                _("--until: “{value}” is not a date such as 2026-11-27").format(value=options["until"])
            ) from exc
        sizes = Sizes(
            departments=options["departments"],
            people=options["people"],
            cases=options["cases"],
            disputes=options["disputes"],
            notices=options["notices"],
            processes=options["processes"],
        )
        problems = sizes.problems()
        if problems:
            raise CommandError("; ".join(problems))
        started = time.monotonic()

        def progress(message: str) -> None:
            self.stderr.write(f"[{time.monotonic() - started:7.1f}s] {message}")
            self.stderr.flush()

        package = generate(sizes=sizes, seed=options["seed"], until=until, progress=progress)
        output = options["output"]
        as_json = output is None or output.lower().endswith(".json")
        progress("writing " + ("JSON" if as_json else "YAML"))
        text = render(package, as_json=as_json)
        counts = ", ".join(f"{k} {v:,}" for k, v in summary(package).items())
        if output:
            Path(output).write_text(text, encoding="utf-8")
            progress(f"wrote {output}: {counts}")
            return
        progress(f"importing: {counts}")
        try:
            result = package_import(raw=text.encode("utf-8"))
        except ImportFailed as exc:
            for problem in exc.problems[:50]:
                self.stderr.write(str(problem))
            raise CommandError(
                _("the generated package has {n} problem(s); nothing was imported").format(n=len(exc.problems))
            ) from exc
        for section, section_counts in result.counts().items():
            self.stdout.write(
                _("{section}: {created} created, {updated} updated").format(
                    section=section, created=section_counts.get("create", 0), updated=section_counts.get("update", 0)
                )
            )
        progress("done")
