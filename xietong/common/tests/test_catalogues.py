"""The translation catalogues: complete, translated, compiled, and faithful to their placeholders.

A string marked for translation in the code but missing from the committed catalogue fails
``test_every_string_in_the_code_is_in_the_catalogue``. Fix it with ``xietong messages`` (refreshes
the .po files and compiles them), translate the new zh_Hans entries, and run ``xietong messages`` again.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import polib
import pytest
from django.conf import settings
from django.utils import translation

from xietong.common.management.commands.messages import LOCALES

LOCALE_DIR = Path(settings.LOCALE_PATHS[0])
PACKAGE_DIR = LOCALE_DIR.parent

Key = tuple[str, str, str]  # (msgctxt, msgid, msgid_plural)

_BRACE = re.compile(r"\{[^{}]*\}")  # {name}, {value!r}, {code:04X}
_PERCENT = re.compile(r"%(?:\([^)]+\))?[#0 +-]*\d*(?:\.\d+)?[sdifrxXeEgGc%]")  # %(name)s, %s, %%

# Runs xietong's own `messages` command on a copy of the package, after checking that the copy,
# not the installed (editable) package, is the one imported.
_EXTRACT = """
import django
import xietong
print(xietong.__file__)
django.setup()
from django.core.management import call_command
call_command("messages", no_compile=True, verbosity=0)
"""


def _po(locale: str) -> polib.POFile:
    return polib.pofile(str(LOCALE_DIR / locale / "LC_MESSAGES" / "django.po"))


def _key(entry: polib.POEntry | polib.MOEntry) -> Key:
    return (entry.msgctxt or "", entry.msgid, entry.msgid_plural or "")


def _translation(entry: polib.POEntry | polib.MOEntry) -> str | tuple[str, ...]:
    if entry.msgid_plural:
        return tuple(entry.msgstr_plural[i] for i in sorted(entry.msgstr_plural))
    return entry.msgstr


def _lines(items: list[Any]) -> str:
    return "".join(f"\n  {item!r}" for item in items)


def _placeholders(text: str, *, percent: bool) -> set[str]:
    tokens = set(_BRACE.findall(text))
    if percent:
        tokens |= set(_PERCENT.findall(text))
    return tokens


@pytest.fixture(scope="module")
def fresh_catalogues(tmp_path_factory: pytest.TempPathFactory) -> dict[str, set[Key]]:
    """The msgids the code marks today, extracted from a copy of the package with `xietong messages`."""
    root = tmp_path_factory.mktemp("catalogues")
    copy = root / "xietong"
    shutil.copytree(PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__", "static", "tests", "locale"))
    env = {
        **os.environ,
        "PYTHONPATH": str(root),
        "DJANGO_SETTINGS_MODULE": "xietong.config.settings",
        "XIETONG_DATA_DIR": str(root / "data"),
    }
    result = subprocess.run(
        [sys.executable, "-c", _EXTRACT], cwd=root, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip()).resolve() == (copy / "__init__.py").resolve()
    return {
        locale: {
            _key(e) for e in polib.pofile(str(copy / "locale" / locale / "LC_MESSAGES" / "django.po")) if not e.obsolete
        }
        for locale in LOCALES
    }


@pytest.mark.parametrize("locale", LOCALES)
def test_every_string_in_the_code_is_in_the_catalogue(locale: str, fresh_catalogues: dict[str, set[Key]]) -> None:
    # given
    committed = {_key(e) for e in _po(locale) if not e.obsolete}
    # when
    missing = sorted(fresh_catalogues[locale] - committed)
    # then
    assert missing == [], f"not in the {locale} catalogue; run `xietong messages` and translate:{_lines(missing)}"


@pytest.mark.parametrize("locale", LOCALES)
def test_catalogue_has_no_string_the_code_no_longer_uses(locale: str, fresh_catalogues: dict[str, set[Key]]) -> None:
    committed = {_key(e) for e in _po(locale)}
    stale = sorted(committed - fresh_catalogues[locale])
    assert stale == [], f"{locale} has strings the code no longer uses; run `xietong messages`:{_lines(stale)}"


def test_every_chinese_entry_is_translated() -> None:
    untranslated = [
        e.msgid
        for e in _po("zh_Hans")
        if not e.obsolete and (e.fuzzy or not (all(e.msgstr_plural.values()) if e.msgid_plural else e.msgstr.strip()))
    ]
    assert untranslated == [], f"untranslated or fuzzy in zh_Hans:{_lines(untranslated)}"


def test_english_plural_entries_have_both_forms_and_nothing_is_fuzzy() -> None:
    # English shows the msgid when msgstr is empty, but a plural entry needs its two forms.
    incomplete = [
        e.msgid
        for e in _po("en")
        if not e.obsolete and (e.fuzzy or (e.msgid_plural and not (e.msgstr_plural.get(0) and e.msgstr_plural.get(1))))
    ]
    assert incomplete == [], f"fuzzy, or a plural without both forms, in en:{_lines(incomplete)}"


@pytest.mark.parametrize(
    ("locale", "language", "plural_forms"),
    [("zh_Hans", "zh_Hans", "nplurals=1; plural=0;"), ("en", "en", "nplurals=2; plural=(n != 1);")],
)
def test_catalogue_header_declares_language_charset_and_plural_forms(
    locale: str, language: str, plural_forms: str
) -> None:
    po = _po(locale)
    header = (po.metadata["Language"], po.metadata["Content-Type"], po.metadata["Plural-Forms"])
    assert header == (language, "text/plain; charset=UTF-8", plural_forms)
    assert not po.metadata_is_fuzzy  # polib: the header's flags, an empty list when not fuzzy


@pytest.mark.parametrize("locale", LOCALES)
def test_compiled_catalogue_matches_its_source(locale: str) -> None:
    # given: msgfmt compiles the translated, non-fuzzy entries
    po = _po(locale)
    expected = {_key(e): _translation(e) for e in po.translated_entries()}
    # when
    mo = polib.mofile(str(LOCALE_DIR / locale / "LC_MESSAGES" / "django.mo"))
    compiled = {_key(e): _translation(e) for e in mo}
    # then
    assert compiled == expected, f"{locale}: django.mo is out of date; run `xietong messages`"
    assert mo.metadata["Plural-Forms"] == po.metadata["Plural-Forms"]


@pytest.mark.parametrize("locale", LOCALES)
def test_translations_keep_the_placeholders_of_their_source(locale: str) -> None:
    mismatched = []
    for e in _po(locale).translated_entries():
        percent = "python-format" in e.flags
        if e.msgid_plural:
            forms = sorted(e.msgstr_plural.items())
            # with several forms the first follows msgid; a single form (Chinese) stands for every n
            sources = [e.msgid if i == 0 and len(forms) > 1 else e.msgid_plural for i, _ in forms]
            pairs = list(zip(sources, [text for _, text in forms], strict=True))
        else:
            pairs = [(e.msgid, e.msgstr)]
        for source, text in pairs:
            if _placeholders(source, percent=percent) != _placeholders(text, percent=percent):
                mismatched.append((source, text))
    assert mismatched == [], f"placeholders differ in {locale}:{_lines(mismatched)}"


def test_the_running_app_translates_with_the_compiled_catalogues() -> None:
    with translation.override("zh-hans"):
        chinese = (
            translation.gettext("Departments"),
            translation.gettext("Sign out"),
            translation.ngettext("%(n)s person", "%(n)s people", 3) % {"n": 3},
        )
    with translation.override("en"):
        english = (
            translation.gettext("Departments"),
            translation.ngettext("%(n)s person", "%(n)s people", 1) % {"n": 1},
            translation.ngettext("%(n)s person", "%(n)s people", 3) % {"n": 3},
        )
    assert chinese == ("部门", "退出登录", "3 人")
    assert english == ("Departments", "1 person", "3 people")
