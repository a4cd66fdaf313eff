from __future__ import annotations

import time
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.utils.translation import gettext as _

from xietong.packages.document import Document
from xietong.packages.generator import Sizes, bulk_writers, generate, render, summary
from xietong.packages.importer import ImportFailed, import_document


class Command(BaseCommand):
    help = (
        "Generate a realistic, deterministic organization (a Chinese company with a year of history): "
        "write it as a package to --output, or import it straight into the database."
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
        for writer in bulk_writers():
            parser.add_argument(f"--{writer.option}", type=int, default=0, help=writer.help)
        parser.add_argument("--until", default="2026-11-27", help="the last day of the history (YYYY-MM-DD)")
        parser.add_argument("--output", help="write the package here (JSON when the name ends in .json, else YAML)")
        parser.add_argument(
            "--no-package",
            action="store_true",
            help="write only what the options such as --pages ask for, for the organization already in the database",
        )

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
        extra = [(writer, options[writer.option]) for writer in bulk_writers()]
        for writer, count in extra:
            if count < 0:
                problems.append(_("--{option} must not be negative").format(option=writer.option))
            elif count and options["output"]:
                problems.append(
                    _("--{option} is written straight to the database and cannot go into a package (--output)").format(
                        option=writer.option
                    )
                )
        if options["no_package"] and options["output"]:
            problems.append(_("--no-package writes to the database: leave out --output"))
        if problems:
            raise CommandError("; ".join(problems))
        started = time.monotonic()

        def progress(message: str) -> None:
            self.stderr.write(f"[{time.monotonic() - started:7.1f}s] {message}")
            self.stderr.flush()

        if not options["no_package"]:
            package = generate(sizes=sizes, seed=options["seed"], until=until, progress=progress)
            counts = ", ".join(f"{k} {v:,}" for k, v in summary(package).items())
            output = options["output"]
            if output:
                as_json = output.lower().endswith(".json")
                progress("writing " + ("JSON" if as_json else "YAML"))
                Path(output).write_text(render(package, as_json=as_json), encoding="utf-8")
                progress(f"wrote {output}: {counts}")
                return
            progress(f"importing: {counts}")
            self._import(package, progress)
        for writer, count in extra:
            if count:
                try:
                    writer.write(count, options["seed"], until, progress)
                except ValueError as exc:
                    raise CommandError(str(exc)) from exc
        progress("indexing for search")
        call_command("reindex", verbosity=0)
        if connection.vendor == "postgresql":  # fresh statistics for the planner, as after a large import
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        progress("done")

    def _import(self, package: dict[str, Any], progress: Any) -> None:
        last = [""]

        def phase(label: str, done: int, total: int) -> None:
            if label != last[0]:
                last[0] = label
                progress(f"import: {label}")

        try:
            # The generated data is handed to the importer as the tree a file would give: the same
            # checks and writes as `xietong import`, without writing and reading the text.
            result = import_document(Document(data=package), progress=phase)
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
