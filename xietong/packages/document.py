"""Reading and writing the YAML text of an organization package (spec/package-format.md).

This module knows nothing about departments or processes. It turns the bytes of a package
file into a plain tree of ``dict`` / ``list`` / ``str`` / ``None`` with the line number of
every value, reads typed fields out of that tree for the section validators, and writes a
tree back as YAML that reads back to the same values.

Values are read by the spec, not by YAML's own typing: every scalar is the ``str`` exactly
as written (``1``, ``false``, ``NO``, ``12:30`` and ``2026-03-02T09:00`` all stay text), and
only an unquoted ``null`` / ``Null`` / ``NULL`` / ``~`` or an empty value is ``None`` (the key
is absent). The typed readers of :class:`Reader` then parse that text by the spec's rules.

Paths name a value the way the importer reports it: ``organization.schedule.days``,
``processes[1].steps[3].responsible`` (list indices from 0), and ``departments[0]["名 称"]``
for a key that is not a simple identifier.

Nothing here imports Django at import time; messages go through :func:`_`, which translates
only when Django settings are configured.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import functools
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

__all__ = [
    "Document",
    "DocumentError",
    "Problem",
    "Reader",
    "child_path",
    "dump_document",
    "item_path",
    "load_document",
]


def _(message: str) -> str:
    """Translate ``message`` when Django is configured; otherwise return it unchanged."""
    try:
        from django.conf import settings
    except ImportError:  # pragma: no cover - Django is a dependency of the project
        return message
    if not settings.configured:
        return message
    try:
        from django.utils.translation import gettext

        return gettext(message)
    except Exception:  # translation machinery not ready (apps not loaded): keep the English text
        return message


# --------------------------------------------------------------------------------------
# Problems and the document
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One error in a package file: where it is and what is wrong."""

    path: str  # "" for the whole document, else e.g. "departments[2].parent"
    message: str
    line: int | None  # 1-based line in the file, or None

    def __str__(self) -> str:
        if self.path:
            if self.line is not None:
                return f"{self.path} (line {self.line}): {self.message}"
            return f"{self.path}: {self.message}"
        if self.line is not None:
            return f"line {self.line}: {self.message}"
        return self.message


class DocumentError(Exception):
    """A package file that cannot be read; ``problems`` lists every error found."""

    problems: list[Problem]

    def __init__(self, problems: str | Problem | Iterable[Problem], *, name: str = "") -> None:
        if isinstance(problems, str):
            collected = [Problem("", problems, None)]
        elif isinstance(problems, Problem):
            collected = [problems]
        else:
            collected = list(problems)
        self.problems = collected
        self.name = name
        super().__init__("\n".join(str(p) for p in collected))


_KEY_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")
_IDENT_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_INDEX_RE = re.compile(r"\[([0-9]+)\]")
_JSON = json.JSONDecoder()


def child_path(path: str, key: str) -> str:
    """The path of ``key`` inside the mapping at ``path``.

    ``child_path("organization", "schedule") == "organization.schedule"``;
    a key that is not identifier-like is quoted: ``child_path("a", "b c") == 'a["b c"]'``.
    """
    if _KEY_RE.match(key):
        return f"{path}.{key}" if path else key
    return f"{path}[{json.dumps(key, ensure_ascii=False)}]"


def item_path(path: str, index: int) -> str:
    """The path of item ``index`` (from 0) of the list at ``path``."""
    return f"{path}[{index}]"


def _path_ends(path: str) -> list[int] | None:
    """End offsets of each component of ``path``, or None if it is not a path we write."""
    ends: list[int] = []
    i, n = 0, len(path)
    while i < n:
        if path.startswith('["', i):
            try:
                _key, end = _JSON.raw_decode(path, i + 1)
            except ValueError:
                return None
            if not path.startswith("]", end):
                return None
            i = end + 1
        elif path.startswith("[", i):
            match = _INDEX_RE.match(path, i)
            if match is None:
                return None
            i = match.end()
        else:
            if path.startswith(".", i):
                if i == 0:
                    return None
                i += 1
            match = _IDENT_RE.match(path, i)
            if match is None:
                return None
            i = match.end()
        ends.append(i)
    return ends


def _ancestors(path: str) -> list[str]:
    """The ancestors of ``path``, nearest first, ending with the document ("")."""
    ends = _path_ends(path)
    if ends is not None:
        return [path[:end] for end in reversed(ends[:-1])] + [""]
    # Not a path in our syntax: cut at the last separator, as well as we can.
    result: list[str] = []
    current = path
    while current:
        cut = max(current.rfind("."), current.rfind("["))
        current = current[: max(cut, 0)]
        result.append(current)
    return result or [""]


@dataclass
class Document:
    """A package file read into plain values, with the line of every value."""

    data: Any  # nested dict (insertion-ordered) / list / str / None
    lines: dict[str, int] = field(default_factory=dict)  # path -> 1-based line
    name: str = ""

    def line(self, path: str) -> int | None:
        """The line of ``path``, else of its nearest ancestor that has one, else None."""
        found = self.lines.get(path)
        if found is not None:
            return found
        if not path:
            return None
        for ancestor in _ancestors(path):
            found = self.lines.get(ancestor)
            if found is not None:
                return found
        return None


# --------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------

_YAML_TAG = "tag:yaml.org,2002:"
_STR_TAG = _YAML_TAG + "str"
_MERGE_TAG = _YAML_TAG + "merge"
_SCALAR_TAGS = frozenset(
    _YAML_TAG + t for t in ("str", "int", "float", "bool", "null", "timestamp", "binary", "value", "merge")
)
_MAPPING_TAGS = frozenset(_YAML_TAG + t for t in ("map", "set"))
_SEQUENCE_TAGS = frozenset(_YAML_TAG + t for t in ("seq", "omap", "pairs"))
_NULL_WORDS = frozenset({"", "~", "null", "Null", "NULL"})

# How many values aliases (*name) may add by repeating what they point to: a guard against
# "billion laughs" files, far above what a hand-written package uses.
_ALIAS_EXPANSION_LIMIT = 100_000


def _line_of(node: Node) -> int | None:
    mark = node.start_mark
    return None if mark is None else mark.line + 1


def _short_tag(tag: str) -> str:
    if tag.startswith(_YAML_TAG):
        return "!!" + tag[len(_YAML_TAG) :]
    return tag


def _is_plain(node: ScalarNode) -> bool:
    return not node.style  # None (pure-Python parser) or "" mean plain


class _Converter:
    """Turns a composed YAML node tree into plain values, collecting problems."""

    def __init__(self) -> None:
        self.lines: dict[str, int] = {}
        self.problems: list[Problem] = []
        self._seen: set[int] = set()
        self._active: set[int] = set()
        self._expansion_left = _ALIAS_EXPANSION_LIMIT
        self._expansion_reported = False

    def problem(self, path: str, message: str, line: int | None) -> None:
        self.problems.append(Problem(path, message, line))

    def convert(self, node: Node, path: str, *, record: bool = True, copy: bool = False) -> Any:
        ident = id(node)
        if ident in self._active:
            self.problem(
                path,
                _("this alias refers to a value that contains it; recursive structures are not allowed"),
                _line_of(node),
            )
            return None
        if ident in self._seen:
            copy = True  # the node is reached a second time: through an alias
        else:
            self._seen.add(ident)
        if copy:
            self._expansion_left -= 1
            if self._expansion_left < 0:
                if not self._expansion_reported:
                    self._expansion_reported = True
                    self.problem(
                        path,
                        _("aliases (*name) in this file repeat too much data; write the values out instead"),
                        _line_of(node),
                    )
                return None
        if isinstance(node, ScalarNode):
            return self._scalar(node, path)
        self._active.add(ident)
        try:
            if isinstance(node, SequenceNode):
                return self._sequence(node, path, record=record, copy=copy)
            if isinstance(node, MappingNode):
                return self._mapping(node, path, record=record, copy=copy)
        finally:
            self._active.discard(ident)
        raise TypeError(f"unexpected YAML node {node!r}")  # pragma: no cover - composer makes no others

    def _check_tag(self, node: Node, path: str, allowed: frozenset[str]) -> None:
        if node.tag not in allowed:
            self.problem(
                path,
                _("unsupported YAML tag “{tag}”; remove the tag and write the value without it").format(
                    tag=_short_tag(node.tag)
                ),
                _line_of(node),
            )

    def _scalar(self, node: ScalarNode, path: str) -> str | None:
        self._check_tag(node, path, _SCALAR_TAGS)
        value: str = node.value
        if _is_plain(node) and value in _NULL_WORDS and node.tag != _STR_TAG:
            return None
        return value

    def _sequence(self, node: SequenceNode, path: str, *, record: bool, copy: bool) -> list[Any]:
        self._check_tag(node, path, _SEQUENCE_TAGS)
        result: list[Any] = []
        for index, item in enumerate(node.value):
            child = item_path(path, index)
            line = _line_of(item)
            if record and line is not None:
                self.lines[child] = line
            result.append(self.convert(item, child, record=record, copy=copy))
        return result

    def _mapping(self, node: MappingNode, path: str, *, record: bool, copy: bool) -> dict[str, Any]:
        self._check_tag(node, path, _MAPPING_TAGS)
        result: dict[str, Any] = {}
        first_lines: dict[str, int | None] = {}
        for key_node, value_node in node.value:
            key_line = _line_of(key_node)
            if not isinstance(key_node, ScalarNode):
                kind = _("a list") if isinstance(key_node, SequenceNode) else _("a mapping")
                self.problem(
                    path,
                    _("a key must be text, but this key is {kind}").format(kind=kind),
                    key_line,
                )
                continue
            key: str = key_node.value
            key_path = child_path(path, key)
            if key_node.tag == _MERGE_TAG and _is_plain(key_node):
                self.problem(
                    key_path,
                    _("merge keys are not supported (“<<”); write the keys out in full"),
                    key_line,
                )
                continue
            self._check_tag(key_node, key_path, _SCALAR_TAGS)
            if key in first_lines:
                first = first_lines[key]
                if first is None:
                    message = _("duplicate key “{key}”").format(key=key)
                else:
                    message = _("duplicate key “{key}” (first defined on line {line})").format(
                        key=key, line=first
                    )
                self.problem(key_path, message, key_line)
                # Read the duplicate's value anyway, to report the problems inside it too.
                self.convert(value_node, key_path, record=False, copy=copy)
                continue
            first_lines[key] = key_line
            if record and key_line is not None:
                self.lines[key_path] = key_line
            result[key] = self.convert(value_node, key_path, record=record, copy=copy)
        return result


def _syntax_problem(exc: yaml.MarkedYAMLError) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    line = None if mark is None else mark.line + 1
    what = exc.problem or exc.context or "unreadable text"
    message = _("invalid YAML: {problem}").format(problem=what)
    if mark is not None:
        message = _("invalid YAML at column {column}: {problem}").format(
            column=mark.column + 1, problem=what
        )
    if exc.problem and exc.context:
        context_mark = exc.context_mark
        if context_mark is not None and context_mark.line + 1 != line:
            message += " " + _("({context} that starts on line {line})").format(
                context=exc.context, line=context_mark.line + 1
            )
        else:
            message += f" ({exc.context})"
    return Problem("", message, line)


def _reader_problem(exc: yaml.reader.ReaderError, text: str) -> Problem:
    position = exc.position if isinstance(exc.position, int) else None
    line = None if position is None else text.count("\n", 0, position) + 1
    character = exc.character
    if isinstance(character, str):
        character = ord(character)
    if isinstance(character, int):
        message = _("the file contains the character U+{code:04X}, which YAML does not allow").format(
            code=character
        )
    else:
        message = _("the file contains a character that YAML does not allow")
    return Problem("", message, line)


def load_document(raw: bytes, *, name: str = "") -> Document:
    """Read a package file (YAML or JSON) into a :class:`Document`.

    Raises :class:`DocumentError` listing every problem found: bytes that are not UTF-8,
    an empty file, a YAML syntax error, more than one document, a top level that is not a
    mapping, duplicate keys, merge keys, unsupported tags.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        message = _(
            "the file is not UTF-8 text (byte 0x{byte:02X} at byte offset {offset} is not valid UTF-8); "
            "save it with the UTF-8 encoding"
        ).format(byte=raw[exc.start], offset=exc.start)
        raise DocumentError([Problem("", message, line)], name=name) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    if all(not line.strip() or line.lstrip().startswith("#") for line in text.splitlines()):
        raise DocumentError([Problem("", _("the file is empty"), None)], name=name)

    root: Node | None = None
    try:
        loader = yaml.SafeLoader(text)
        try:
            if loader.check_node():
                root = loader.get_node()
                if loader.check_node():
                    peek_event = cast(Callable[[], yaml.Event], loader.peek_event)  # untyped in the stubs
                    second = peek_event().start_mark
                    raise DocumentError(
                        [
                            Problem(
                                "",
                                _(
                                    "the file contains more than one YAML document (“---” starts another); "
                                    "a package is a single document"
                                ),
                                None if second is None else second.line + 1,
                            )
                        ],
                        name=name,
                    )
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        raise DocumentError([_syntax_problem(exc)], name=name) from None
    except yaml.reader.ReaderError as exc:
        raise DocumentError([_reader_problem(exc, text)], name=name) from None
    except yaml.YAMLError as exc:  # pragma: no cover - every PyYAML error is one of the above
        raise DocumentError([Problem("", _("invalid YAML: {error}").format(error=exc), None)]) from None
    except RecursionError:
        raise DocumentError(
            [Problem("", _("the file nests values too deeply to be read"), None)], name=name
        ) from None

    if root is None or (isinstance(root, ScalarNode) and _is_plain(root) and root.value == ""):
        raise DocumentError([Problem("", _("the file is empty"), None)], name=name)
    if not isinstance(root, MappingNode):
        kind = _("a list") if isinstance(root, SequenceNode) else _("a single value")
        raise DocumentError(
            [
                Problem(
                    "",
                    _(
                        "the file must contain a mapping of top-level keys (such as “version:” and "
                        "“organization:”), but it contains {kind}"
                    ).format(kind=kind),
                    _line_of(root),
                )
            ],
            name=name,
        )

    converter = _Converter()
    root_line = _line_of(root)
    if root_line is not None:
        converter.lines[""] = root_line
    try:
        data = converter.convert(root, "")
    except RecursionError:
        raise DocumentError(
            [Problem("", _("the file nests values too deeply to be read"), None)], name=name
        ) from None
    if converter.problems:
        raise DocumentError(converter.problems, name=name)
    return Document(data=data, lines=converter.lines, name=name)


# --------------------------------------------------------------------------------------
# Typed readers
# --------------------------------------------------------------------------------------

_CODE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}\Z")
_USERNAME_RE = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}\Z")
_INTEGER_RE = re.compile(r"-?[0-9]+\Z")
_DATE_RE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})\Z")
_DATETIME_RE = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2})"
    r"(?::([0-9]{2})(?:\.([0-9]{1,6}))?)?"
    r"(Z|[+-][0-9]{2}:[0-9]{2})?\Z"
)
_MAX_INTEGER_DIGITS = 18
_SHOWN_LENGTH = 80


def _show(value: str) -> str:
    """A value as it appears in a message: in quotes, cut short when long."""
    if len(value) > _SHOWN_LENGTH:
        value = value[: _SHOWN_LENGTH - 1] + "…"
    return f"“{value}”"


def _describe(value: Any) -> str:
    """What was found, for messages: “text”, a mapping, a list, nothing."""
    if value is None:
        return _("nothing")
    if isinstance(value, dict):
        return _("a mapping")
    if isinstance(value, list | tuple):
        return _("a list")
    return _show(_as_text(value))


def _as_text(value: Any) -> str:
    """A scalar as text (the Document gives str; tolerate Python scalars from other sources)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


def _is_scalar(value: Any) -> bool:
    return isinstance(value, str | int | float)


class Reader:
    """Collects problems while reading a Document; section handlers use one Reader for the whole file.

    Every reader takes the path and the value found there and returns the parsed value, or
    ``None`` (an empty list for the list readers) after recording a :class:`Problem`. They
    never raise for bad data. ``None`` (an absent value) is returned as ``None`` without a
    problem, except by ``text(..., required=True)``; use :meth:`mapping` to require keys.
    """

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.problems: list[Problem] = []

    def error(self, path: str, message: str) -> None:
        """Record a problem at ``path`` with the line the document knows for it."""
        self.problems.append(Problem(path, message, self.doc.line(path)))

    # -- structure -----------------------------------------------------------------------

    def mapping(
        self, path: str, value: Any, *, required: Iterable[str], optional: Iterable[str] = ()
    ) -> dict[str, Any] | None:
        """Check an object: every required key present, no unknown key.

        Returns the mapping without ``x-`` keys, unknown keys and ``None`` values, or
        ``None`` (after recording a problem) when ``value`` is not a mapping.
        """
        required = list(required)
        known = [*required, *(k for k in optional if k not in required)]
        if not isinstance(value, dict):
            self.error(
                path,
                _("expected a mapping (“key: value” pairs), found {found}").format(found=_describe(value)),
            )
            return None
        for key in required:
            if key not in value:
                self.error(path, _("missing required key “{key}”").format(key=key))
            elif value[key] is None:
                self.error(
                    child_path(path, key),
                    _("the required key “{key}” has no value").format(key=key),
                )
        result: dict[str, Any] = {}
        for key, item in value.items():
            if key.startswith("x-"):
                continue
            if key not in known:
                self.error(child_path(path, key), self._unknown_key_message(key, known))
                continue
            if item is not None:
                result[key] = item
        return result

    @staticmethod
    def _unknown_key_message(key: str, known: list[str]) -> str:
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        if not close:
            close = [k for k in known if k.lower() == key.lower()]
        if close:
            return _("unknown key “{key}”; did you mean “{suggestion}”?").format(key=key, suggestion=close[0])
        if known:
            return _("unknown key “{key}”; the keys allowed here are: {keys}").format(
                key=key, keys=", ".join(known)
            )
        return _("unknown key “{key}”; no keys are allowed here").format(key=key)

    def items(self, path: str, value: Any) -> list[tuple[str, Any]]:
        """The items of a list with their paths; ``None`` is an empty list."""
        if value is None:
            return []
        if not isinstance(value, list):
            self.error(path, _("expected a list, found {found}").format(found=_describe(value)))
            return []
        return [(item_path(path, index), item) for index, item in enumerate(value)]

    # -- scalars -------------------------------------------------------------------------

    def text(
        self, path: str, value: Any, *, max_length: int | None = None, required: bool = False
    ) -> str | None:
        """Free text. ``required`` rejects a missing or blank value."""
        if value is None:
            if required:
                self.error(path, _("a value is required here"))
            return None
        if not _is_scalar(value):
            self.error(path, _("expected text, found {found}").format(found=_describe(value)))
            return None
        text = _as_text(value)
        if required and not text.strip():
            self.error(path, _("a value is required here, but it is blank"))
            return None
        if max_length is not None and len(text) > max_length:
            self.error(
                path,
                _("{value} is too long ({length} characters; at most {max_length})").format(
                    value=_show(text), length=len(text), max_length=max_length
                ),
            )
            return None
        return text

    def _scalar_text(self, path: str, value: Any) -> str | None:
        if value is None:
            return None
        if not _is_scalar(value):
            self.error(path, _("expected text, found {found}").format(found=_describe(value)))
            return None
        return _as_text(value)

    def code(self, path: str, value: Any) -> str | None:
        """A code: ``^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$``."""
        text = self._scalar_text(path, value)
        if text is None:
            return None
        if not _CODE_RE.match(text):
            self.error(
                path,
                _(
                    "{value} is not a valid code (letters, digits, “_”, “.”, “-”; at most 32 characters, "
                    "starting with a letter or digit)"
                ).format(value=_show(text)),
            )
            return None
        return text

    def username(self, path: str, value: Any) -> str | None:
        """A username: ``^[a-z0-9][a-z0-9_.-]{0,63}$``."""
        text = self._scalar_text(path, value)
        if text is None:
            return None
        if not _USERNAME_RE.match(text):
            self.error(
                path,
                _(
                    "{value} is not a valid username (lowercase letters, digits, “_”, “.”, “-”; "
                    "at most 64 characters, starting with a lowercase letter or digit)"
                ).format(value=_show(text)),
            )
            return None
        return text

    def integer(
        self, path: str, value: Any, *, minimum: int | None = None, maximum: int | None = None
    ) -> int | None:
        """A whole number written as ``-?[0-9]+``, optionally within ``minimum``..``maximum``."""
        text = self._scalar_text(path, value)
        if text is None:
            return None
        if not _INTEGER_RE.match(text):
            self.error(path, _("{value} is not a whole number").format(value=_show(text)))
            return None
        if len(text.lstrip("-")) > _MAX_INTEGER_DIGITS:
            self.error(path, _("{value} is too large").format(value=_show(text)))
            return None
        number = int(text)
        if minimum is not None and maximum is not None and not minimum <= number <= maximum:
            self.error(
                path,
                _("{value} is out of range; it must be between {minimum} and {maximum}").format(
                    value=_show(text), minimum=minimum, maximum=maximum
                ),
            )
            return None
        if minimum is not None and number < minimum:
            self.error(
                path,
                _("{value} is too small; it must be at least {minimum}").format(
                    value=_show(text), minimum=minimum
                ),
            )
            return None
        if maximum is not None and number > maximum:
            self.error(
                path,
                _("{value} is too large; it must be at most {maximum}").format(
                    value=_show(text), maximum=maximum
                ),
            )
            return None
        return number

    def boolean(self, path: str, value: Any) -> bool | None:
        """``true`` or ``false`` (any letter case); not yes/no/on/off/1/0."""
        text = self._scalar_text(path, value)
        if text is None:
            return None
        lowered = text.lower()
        if lowered == "true":
            return True
        if lowered == "false":
            return False
        self.error(path, _("{value} is not a boolean; write true or false").format(value=_show(text)))
        return None

    def date(self, path: str, value: Any) -> _dt.date | None:
        """A date written ``YYYY-MM-DD``."""
        text = self._scalar_text(path, value)
        if text is None:
            return None
        match = _DATE_RE.match(text)
        if match is None:
            self.error(
                path,
                _("{value} is not a date; write it as YYYY-MM-DD (for example 2026-03-01)").format(
                    value=_show(text)
                ),
            )
            return None
        year, month, day = (int(part) for part in match.groups())
        try:
            return _dt.date(year, month, day)
        except ValueError:
            self.error(path, _("{value} is not a real date").format(value=_show(text)))
            return None

    def datetime(self, path: str, value: Any, *, tz: _dt.tzinfo) -> _dt.datetime | None:
        """An ISO 8601 datetime ``YYYY-MM-DDTHH:MM[:SS[.ffffff]][Z|±HH:MM]``, returned aware.

        Without an offset it is local time in ``tz``; a local time that the clocks skip
        (a daylight-saving gap) is an error. An ambiguous local time takes the earlier
        instant.
        """
        text = self._scalar_text(path, value)
        if text is None:
            return None
        match = _DATETIME_RE.match(text)
        if match is None:
            self.error(
                path,
                _(
                    "{value} is not a datetime; write it as YYYY-MM-DDTHH:MM[:SS], optionally followed by "
                    "“Z” or an offset such as “+08:00” (for example 2026-03-02T09:00)"
                ).format(value=_show(text)),
            )
            return None
        year, month, day, hour, minute, second, fraction, offset = match.groups()
        try:
            naive = _dt.datetime(
                int(year),
                int(month),
                int(day),
                int(hour),
                int(minute),
                int(second or 0),
                int((fraction or "0").ljust(6, "0")),
                tzinfo=_dt.UTC,
            ).replace(tzinfo=None)
        except ValueError:
            self.error(path, _("{value} is not a real date and time").format(value=_show(text)))
            return None
        if offset is None:
            local = naive.replace(tzinfo=tz)
            back = local.astimezone(_dt.UTC).astimezone(tz).replace(tzinfo=None)
            if back != naive:
                self.error(
                    path,
                    _(
                        "{value} does not exist in the time zone {zone} (the clocks skip it); "
                        "give the time with an offset"
                    ).format(value=_show(text), zone=str(tz)),
                )
                return None
            return local
        if offset == "Z":
            return naive.replace(tzinfo=_dt.UTC)
        sign = -1 if offset[0] == "-" else 1
        hours, minutes = int(offset[1:3]), int(offset[4:6])
        if hours > 23 or minutes > 59:
            self.error(path, _("{value} has an invalid UTC offset").format(value=_show(text)))
            return None
        delta = sign * _dt.timedelta(hours=hours, minutes=minutes)
        return naive.replace(tzinfo=_dt.timezone(delta))

    def choice(self, path: str, value: Any, choices: Sequence[str]) -> str | None:
        """One of ``choices`` exactly."""
        text = self._scalar_text(path, value)
        if text is None:
            return None
        if text in choices:
            return text
        options = ", ".join(choices)
        close = difflib.get_close_matches(text, list(choices), n=1, cutoff=0.6)
        if not close:
            close = [c for c in choices if c.lower() == text.lower()]
        if close:
            message = _("{value} is not one of: {options}; did you mean “{suggestion}”?").format(
                value=_show(text), options=options, suggestion=close[0]
            )
        else:
            message = _("{value} is not one of: {options}").format(value=_show(text), options=options)
        self.error(path, message)
        return None

    def text_list(self, path: str, value: Any) -> list[str]:
        """A list of text entries; ``None`` is an empty list. Bad entries are reported and left out."""
        if value is None:
            return []
        if not isinstance(value, list):
            if _is_scalar(value):
                self.error(
                    path,
                    _("expected a list, found {found}; write it as [{text}]").format(
                        found=_describe(value), text=_as_text(value)
                    ),
                )
            else:
                self.error(path, _("expected a list, found {found}").format(found=_describe(value)))
            return []
        result: list[str] = []
        for child, item in self.items(path, value):
            if item is None:
                self.error(child, _("this list entry is empty"))
            elif not _is_scalar(item):
                self.error(child, _("expected text, found {found}").format(found=_describe(item)))
            else:
                result.append(_as_text(item))
        return result


# --------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------

# Strings that some YAML reader could take for something other than text: YAML 1.1 and 1.2
# numbers, booleans (including the y/n that PyYAML leaves out), null, timestamps, with a
# margin around them. PyYAML's own reading is checked as well (see _plain_is_safe).
_MISREAD_RES = (
    re.compile(r"(?i:y|n|yes|no|true|false|on|off|null|~)\Z"),
    re.compile(r"[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)?\Z"),
    re.compile(r"[-+]?0[xX][0-9a-fA-F_]+\Z"),
    re.compile(r"[-+]?0[oO][0-7_]+\Z"),
    re.compile(r"[-+]?0[bB][01_]+\Z"),
    re.compile(r"(?i:[-+]?\.?(?:inf|infinity|nan))\Z"),
    re.compile(r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}"),  # any timestamp-like start
)
# ASCII characters allowed in an unquoted value; all others (":", "#", ",", quotes,
# brackets, "&", "*", "!", "|", ">", "%", "@" at the start, ...) make it quoted.
_PLAIN_FIRST = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_/(.")
_PLAIN_REST = _PLAIN_FIRST | frozenset("-+);=@~$^ ")
_FLOW_WIDTH = 140
# libyaml's safe loader when PyYAML has it (same YAML 1.1 reading, much faster), for the
# read-back check of strings written unquoted.
_CHECK_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SCALAR_LIST_WIDTH = 80


def _plain_char(ch: str, allowed: frozenset[str]) -> bool:
    if ord(ch) < 128:
        return ch in allowed
    return unicodedata.category(ch)[0] not in "ZC"  # no separators, controls, format characters


@functools.lru_cache(maxsize=65536)
def _plain_is_safe(text: str) -> bool:
    """Whether ``text`` may be written unquoted and still be read back as the same text."""
    if not text or text != text.strip(" "):
        return False
    if not _plain_char(text[0], _PLAIN_FIRST):
        return False
    if not all(_plain_char(ch, _PLAIN_REST) for ch in text[1:]):
        return False
    if any(pattern.match(text) for pattern in _MISREAD_RES):
        return False
    # Belt and braces: read it back, as PyYAML would, in every context we write it in (a
    # mapping value, a key, a flow list item, a flow mapping value).
    probe = f'"0": {text}\n{text}: v\n"1": [{text}, {{"2": {text}}}]\n'
    try:
        loaded = yaml.load(probe, Loader=_CHECK_LOADER)
    except yaml.YAMLError:
        return False
    return bool(loaded == {"0": text, text: "v", "1": [text, {"2": text}]})


def _block_is_safe(text: str) -> bool:
    """Whether a multi-line ``text`` may be written as a literal block (``|``).

    Only LF may break its lines: YAML also reads CR, NEL, LS and PS in a block as line
    breaks, and would give back LF. Strings with those, or with other control, format or
    unusual space characters, are written in double quotes with escapes.
    """
    return all(ch in "\n\t" or unicodedata.category(ch)[0] not in "ZC" or ch == " " for ch in text)


class _FlowList(list[Any]):
    """A list written in flow style: ``[a, b]``."""


class _FlowDict(dict[str, Any]):
    """A mapping written in flow style: ``{code: GM, name: 总经办}``."""


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        # Indent block lists under their key, as the example package does.
        super().increase_indent(flow, False)

    def choose_scalar_style(self) -> str:
        style = super().choose_scalar_style()
        return '"' if style == "'" else style  # quote with double quotes only

    def ignore_aliases(self, data: Any) -> bool:
        return True  # never write anchors: repeat the values


def _represent_str(dumper: _Dumper, value: str) -> ScalarNode:
    if "\n" in value and _block_is_safe(value):
        style: str | None = "|"  # the emitter falls back to double quotes when a block cannot hold it
    elif _plain_is_safe(value):
        style = None
    else:
        style = '"'
    return dumper.represent_scalar(_STR_TAG, value, style=style)


def _represent_flow_list(dumper: _Dumper, value: _FlowList) -> SequenceNode:
    return dumper.represent_sequence(_YAML_TAG + "seq", value, flow_style=True)


def _represent_flow_dict(dumper: _Dumper, value: _FlowDict) -> MappingNode:
    return dumper.represent_mapping(_YAML_TAG + "map", value, flow_style=True)


def _represent_date(dumper: _Dumper, value: _dt.date) -> ScalarNode:
    return dumper.represent_scalar(_STR_TAG, value.isoformat(), style='"')


def _represent_tuple(dumper: _Dumper, value: tuple[Any, ...]) -> SequenceNode:
    return dumper.represent_sequence(_YAML_TAG + "seq", list(value))


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(_FlowList, _represent_flow_list)
_Dumper.add_representer(_FlowDict, _represent_flow_dict)
_Dumper.add_representer(_dt.date, _represent_date)
_Dumper.add_representer(_dt.datetime, _represent_date)
_Dumper.add_representer(tuple, _represent_tuple)


def _width(value: Any) -> int:
    """Roughly how many columns a scalar takes when written (CJK characters count two)."""
    if value is None:
        return 4
    text = _as_text(value)
    columns = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return columns if isinstance(value, bool | int) or _plain_is_safe(text) else columns + 2


def _is_flat_scalar(value: Any) -> bool:
    if isinstance(value, str):
        return "\n" not in value
    return value is None or isinstance(value, bool | int)


def _scalar_list_width(value: list[Any]) -> int | None:
    """The width of a list of flat scalars written in flow style, or None if it is not one."""
    if not all(_is_flat_scalar(item) for item in value):
        return None
    return 2 + sum(_width(item) + 2 for item in value)


def _flow_dict_width(value: dict[Any, Any]) -> int | None:
    """The width of a flat mapping written in flow style, or None if it is not flat."""
    total = 2
    for key, item in value.items():
        total += _width(key) + 4
        if isinstance(item, list | tuple):
            width = _scalar_list_width(list(item))
            if width is None:
                return None
            total += width
        elif _is_flat_scalar(item):
            total += _width(item)
        else:
            return None
    return total


def _prepare(value: Any) -> Any:
    """Mark the short lists, and the lists of short flat mappings, to be written in flow style."""
    if isinstance(value, tuple):
        value = list(value)
    if isinstance(value, list):
        if not value:
            return []
        width = _scalar_list_width(value)
        if width is not None:
            return _FlowList(value) if width <= _SCALAR_LIST_WIDTH else list(value)
        if all(isinstance(item, dict) and item for item in value):
            widths = [_flow_dict_width(item) for item in value]
            if all(w is not None and w <= _FLOW_WIDTH for w in widths):
                # One line per item, like the example package; all items alike.
                return [_FlowDict((k, _prepare(v)) for k, v in item.items()) for item in value]
        return [_prepare(item) for item in value]
    if isinstance(value, dict):
        return {key: _prepare(item) for key, item in value.items()}
    return value


def dump_document(data: Any) -> str:
    """Write ``data`` (dict / list / str / int / bool / None) as a package YAML text.

    Block style with 2-space indentation, key order kept, Unicode written as is, short
    flat list items in flow style. Every string that a YAML reader could take for anything
    but that string is double-quoted, so ``load_document(dump_document(d).encode()).data``
    equals ``d`` with ints and bools as their text.
    """
    text = yaml.dump(
        _prepare(data),
        Dumper=_Dumper,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=False,
        indent=2,
        width=1 << 30,
    )
    return str(text)
