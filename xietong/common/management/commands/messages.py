"""`xietong messages`: refresh the zh_Hans and en catalogues from the code, then compile them."""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser, DjangoHelpFormatter

LOCALES = ["zh_Hans", "en"]

# The one definition of how catalogues are extracted; xietong/common/tests/test_catalogues.py
# runs this same command on a copy of the package and compares the result with the committed files.
MAKEMESSAGES_OPTIONS: dict[str, Any] = {
    "locale": LOCALES,
    # File names without line numbers: translators still see where a string is used, and the
    # catalogue does not change every time code above a string moves.
    "add_location": "file",
    "no_obsolete": True,
    # Directory names (Django drops the "/*"): tests/ at any depth, vendored front-end assets.
    "ignore_patterns": ["tests/*", "static/*"],
}


class _HelpFormatter(DjangoHelpFormatter, argparse.RawDescriptionHelpFormatter):
    pass


_POT_DATE = re.compile(r'^"POT-Creation-Date: [^"]*"\n', re.MULTILINE)


class Command(BaseCommand):
    help = """\
Refresh the translation catalogues from the code, then compile them.

  xietong messages               # from any directory, in a source checkout
  xietong messages --no-compile  # only the .po files

What it does: makemessages for zh_Hans and en in the xietong package directory (strings
in gettext/gettext_lazy/ngettext/_() calls in *.py and {% translate %}/{% blocktranslate %}
in templates; tests/ and static/ are skipped; file names without line numbers; entries the
code no longer uses are dropped), then compilemessages (.po -> .mo). If nothing but the
date changed, the .po files are left as they were.

Then: translate every new or fuzzy entry in xietong/locale/zh_Hans/LC_MESSAGES/django.po
(the English catalogue stays empty, so the English msgid is shown, except plural entries,
which need msgstr[0] and msgstr[1]); run `xietong messages` again to compile; and run
`pytest xietong/common/tests/test_catalogues.py`, which fails on any string missing,
untranslated, fuzzy, not compiled or with changed placeholders.

Needs GNU gettext (xgettext, msgmerge, msgattrib, msgfmt).
"""

    requires_system_checks: list[str] = []  # as makemessages: a catalogue refresh must not wait on unrelated checks

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        # keep the line breaks of the help text above
        return super().create_parser(prog_name, subcommand, formatter_class=_HelpFormatter, **kwargs)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--no-compile",
            action="store_true",
            help="only refresh the .po files; do not compile the .mo files",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        locale_dir = Path(settings.LOCALE_PATHS[0])
        package_dir = locale_dir.parent
        if not os.access(package_dir, os.W_OK):
            raise CommandError(f"{package_dir} is not writable; run this command in a source checkout.")
        for locale in LOCALES:
            (locale_dir / locale / "LC_MESSAGES").mkdir(parents=True, exist_ok=True)
        verbosity = options["verbosity"]
        before = {locale: _read(_po_path(locale_dir, locale)) for locale in LOCALES}
        # makemessages and compilemessages look for files and locale directories under the
        # current directory: run them in the package so nothing else (.venv, docs) is touched.
        with _working_directory(package_dir):
            call_command("makemessages", verbosity=verbosity, **MAKEMESSAGES_OPTIONS)
            for locale in LOCALES:
                _keep_date_when_unchanged(_po_path(locale_dir, locale), before[locale])
            if not options["no_compile"]:
                call_command(
                    "compilemessages",
                    verbosity=verbosity,
                    locale=LOCALES,
                    ignore_patterns=MAKEMESSAGES_OPTIONS["ignore_patterns"],
                )
        if verbosity >= 1:
            for locale in LOCALES:
                self.stdout.write(f"{locale}: {_statistics(_po_path(locale_dir, locale))}")
            self.stdout.write(self.style.SUCCESS("Catalogues refreshed."))


def _po_path(locale_dir: Path, locale: str) -> Path:
    return locale_dir / locale / "LC_MESSAGES" / "django.po"


def _read(path: Path) -> str | None:
    return path.read_text(encoding="utf-8") if path.exists() else None


def _keep_date_when_unchanged(path: Path, before: str | None) -> None:
    """msgmerge stamps a new POT-Creation-Date on every run; keep the old file when that is all that changed."""
    after = _read(path)
    if before is None or after is None or after == before:
        return
    if _POT_DATE.sub("", after) == _POT_DATE.sub("", before):
        path.write_text(before, encoding="utf-8")


def _statistics(path: Path) -> str:
    """msgfmt's count of translated, fuzzy and untranslated entries."""
    result = subprocess.run(
        ["msgfmt", "--statistics", "--output-file=/dev/null", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    return (result.stderr or result.stdout).strip()


@contextlib.contextmanager
def _working_directory(path: Path) -> Iterator[None]:
    previous = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(previous)
