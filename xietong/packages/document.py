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

import contextlib
import copy
import datetime as _dt
import difflib
import functools
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, cast

import yaml
from yaml.nodes import ScalarNode

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
                return _("{path} (line {line}): {message}").format(path=self.path, line=self.line, message=self.message)
            return f"{self.path}: {self.message}"
        if self.line is not None:
            return _("line {line}: {message}").format(line=self.line, message=self.message)
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


class Document:
    """A package file read into plain values, with the line of every value."""

    def __init__(self, data: Any, lines: dict[str, int] | None = None, name: str = "", source: str | None = None):
        self.data = data  # nested dict (insertion-ordered) / list / str / None
        self.name = name
        self._lines = lines if lines is not None else {}  # path -> 1-based line
        # A JSON file read by the fast path: its lines are found only when they are asked for.
        self._source = source

    def __repr__(self) -> str:
        return f"Document(name={self.name!r})"

    @property
    def lines(self) -> dict[str, int]:
        if self._source is not None:
            source, self._source = self._source, None
            # JSON that YAML reads differently keeps no lines; the paths still say where.
            with contextlib.suppress(DocumentError):
                self._lines = _parse_yaml(source, self.name).lines
        return self._lines

    def line(self, path: str) -> int | None:
        """The line of ``path``, else of its nearest ancestor that has one, else None."""
        lines = self.lines
        found = lines.get(path)
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
_NULL_TAG = _YAML_TAG + "null"
_MERGE_TAG = _YAML_TAG + "merge"
_SCALAR_TAGS = frozenset(
    _YAML_TAG + t for t in ("str", "int", "float", "bool", "null", "timestamp", "binary", "value", "merge")
)
_MAPPING_TAGS = frozenset(_YAML_TAG + t for t in ("map", "set"))
_SEQUENCE_TAGS = frozenset(_YAML_TAG + t for t in ("seq", "omap", "pairs"))
_NULL_WORDS = frozenset({"", "~", "null", "Null", "NULL"})
# The characters YAML does not allow in a file (PyYAML's Reader.NON_PRINTABLE).
_NON_PRINTABLE = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# libyaml's parser when PyYAML has it (the same YAML 1.1 reading, several times faster).
# Only its events are used: the tree is built here, without recursion.
_EVENT_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_LEADING_TABS = re.compile(r"^\t+", re.MULTILINE)
# How many values aliases (*name) may add by repeating what their anchors hold: a guard
# against "billion laughs" files, far above what a hand-written package uses.
_ALIAS_EXPANSION_LIMIT = 100_000


def _line_of(event: yaml.Event) -> int | None:
    mark = event.start_mark
    return None if mark is None else mark.line + 1


def _short_tag(tag: str) -> str:
    if tag.startswith(_YAML_TAG):
        return "!!" + tag[len(_YAML_TAG) :]
    return tag


def _explicit_tag(event: yaml.Event) -> str | None:
    """The tag written on a node, or None ("!" alone only asks for the default reading)."""
    tag: str | None = getattr(event, "tag", None)
    return None if tag in (None, "!") else tag


class _Anchored:
    """What an anchor (&name) holds, for the aliases (*name) that repeat it."""

    __slots__ = ("key_text", "lines", "size", "value")

    def __init__(self, value: Any, lines: list[tuple[str, int]], size: int, key_text: str | None) -> None:
        self.value = value
        self.lines = lines  # (path below the anchored value, line)
        self.size = size  # values in it, counting itself
        self.key_text = key_text  # a scalar's text as written, else None


class _Item:
    """A value just read, on its way into its parent."""

    __slots__ = ("line", "plain", "reported", "tag", "text", "value")

    def __init__(
        self,
        value: Any,
        line: int | None,
        *,
        text: str | None = None,
        plain: bool = False,
        tag: str | None = None,
        reported: bool = False,
    ) -> None:
        self.value = value
        self.line = line
        self.text = text  # a scalar's text as written; None for a list or mapping
        self.plain = plain
        self.tag = tag
        self.reported = reported  # a problem was already reported for it


class _Open:
    """A list or mapping being read."""

    __slots__ = (
        "anchor",
        "discard",
        "expecting_key",
        "first_lines",
        "index",
        "key",
        "key_path",
        "line",
        "log_start",
        "path",
        "record",
        "size_start",
        "value",
    )

    def __init__(
        self,
        value: dict[str, Any] | list[Any],
        path: str,
        *,
        record: bool,
        line: int | None,
        anchor: str | None,
        log_start: int,
        size_start: int,
    ) -> None:
        self.value = value
        self.path = path
        self.record = record  # whether lines are kept (not inside a duplicate key's value)
        self.line = line
        self.anchor = anchor
        self.log_start = log_start
        self.size_start = size_start
        self.index = 0  # next list index
        self.expecting_key = True  # a mapping alternates key, value
        self.key = ""
        self.key_path = path
        self.discard = False  # the current key is bad: read its value and drop it
        self.first_lines: dict[str, int | None] = {}


class _Builder:
    """Builds plain values from the YAML event stream, with lines and problems.

    Iterative (no recursion, so any nesting depth is fine); aliases are expanded by copying
    what their anchor holds.
    """

    def __init__(self) -> None:
        self.lines: dict[str, int] = {}
        self.problems: list[Problem] = []
        self._stack: list[_Open] = []
        self._anchors: dict[str, _Anchored] = {}
        self._open_anchors: set[str] = set()
        self._log: list[tuple[str, int]] = []  # lines recorded while an anchor is open
        self._logging = 0
        self._size = 0
        self._expansion_left = _ALIAS_EXPANSION_LIMIT
        self._expansion_reported = False
        self._root: _Item | None = None

    def problem(self, path: str, message: str, line: int | None) -> None:
        self.problems.append(Problem(path, message, line))

    def _record(self, path: str, line: int) -> None:
        self.lines[path] = line
        if self._logging:
            self._log.append((path, line))

    def build(self, first: yaml.Event, events: Iterator[yaml.Event]) -> Any:
        """Read one node starting with ``first``, consuming its events; return its value."""
        event = first
        while True:
            if isinstance(event, yaml.ScalarEvent):
                self._scalar(event)
            elif isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
                self._open(event)
            elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
                self._close()
            elif isinstance(event, yaml.AliasEvent):
                self._alias(event)
            else:  # pragma: no cover - the parser sends nothing else inside a document
                raise TypeError(f"unexpected YAML event {event!r}")
            if self._root is not None:
                return self._root.value
            event = next(events)

    def _place(self, line: int | None) -> tuple[str, bool, bool]:
        """Path of the value starting now, whether to record lines, whether it is a key."""
        if not self._stack:
            return "", True, False
        top = self._stack[-1]
        if isinstance(top.value, list):
            path = item_path(top.path, top.index)
            if top.record and line is not None:
                self._record(path, line)
            return path, top.record, False
        if top.expecting_key:
            return top.path, False, True
        return top.key_path, top.record and not top.discard, False

    def _check_tag(self, tag: str | None, allowed: frozenset[str], path: str, line: int | None) -> None:
        if tag is not None and tag not in allowed:
            self.problem(
                path,
                _("unsupported YAML tag “{tag}”; remove the tag and write the value without it").format(
                    tag=_short_tag(tag)
                ),
                line,
            )

    def _scalar(self, event: yaml.ScalarEvent) -> None:
        line = _line_of(event)
        path, _record, is_key = self._place(line)
        tag = _explicit_tag(event)
        if not is_key:
            self._check_tag(tag, _SCALAR_TAGS, path, line)
        text: str = event.value
        plain = not event.style
        value = None if (plain and tag is None and text in _NULL_WORDS) or tag == _NULL_TAG else text
        self._size += 1
        if event.anchor is not None:
            self._anchors[event.anchor] = _Anchored(value, [], 1, text)
        self._deliver(_Item(value, line, text=text, plain=plain, tag=tag), path)

    def _open(self, event: yaml.MappingStartEvent | yaml.SequenceStartEvent) -> None:
        line = _line_of(event)
        path, record, _is_key = self._place(line)
        is_mapping = isinstance(event, yaml.MappingStartEvent)
        self._check_tag(_explicit_tag(event), _MAPPING_TAGS if is_mapping else _SEQUENCE_TAGS, path, line)
        anchor: str | None = event.anchor
        if anchor is not None:
            self._open_anchors.add(anchor)
            self._logging += 1
        value: dict[str, Any] | list[Any] = {} if is_mapping else []
        self._stack.append(
            _Open(
                value,
                path,
                record=record,
                line=line,
                anchor=anchor,
                log_start=len(self._log),
                size_start=self._size,
            )
        )
        self._size += 1

    def _close(self) -> None:
        done = self._stack.pop()
        if done.anchor is not None:
            prefix = len(done.path)
            inside = [(path[prefix:], line) for path, line in self._log[done.log_start :]]
            self._anchors[done.anchor] = _Anchored(done.value, inside, self._size - done.size_start, None)
            self._open_anchors.discard(done.anchor)
            self._logging -= 1
            if not self._logging:
                self._log.clear()
        self._deliver(_Item(done.value, done.line), done.path)

    def _alias(self, event: yaml.AliasEvent) -> None:
        line = _line_of(event)
        path, record, _is_key = self._place(line)
        name = event.anchor or ""
        anchored = self._anchors.get(name)
        if name in self._open_anchors:
            self.problem(
                path,
                _("the alias “*{name}” refers to a value that contains it; recursive values are not allowed").format(
                    name=name
                ),
                line,
            )
        elif anchored is None:
            self.problem(
                path,
                _("unknown alias “*{name}”; an alias must refer to an anchor “&{name}” written before it").format(
                    name=name
                ),
                line,
            )
        else:
            self._expansion_left -= anchored.size
            if self._expansion_left >= 0:
                self._size += anchored.size
                if record:
                    for suffix, inner_line in anchored.lines:
                        self._record(path + suffix, inner_line)
                value = anchored.value
                if isinstance(value, dict | list):
                    value = copy.deepcopy(value)
                self._deliver(_Item(value, line, text=anchored.key_text), path)
                return
            if not self._expansion_reported:
                self._expansion_reported = True
                self.problem(
                    path,
                    _("aliases (*name) in this file repeat too much data; write the values out instead"),
                    line,
                )
        self._deliver(_Item(None, line, reported=True), path)

    def _deliver(self, item: _Item, path: str) -> None:
        """Put a finished value into its parent (or make it the root)."""
        if not self._stack:
            self._root = item
            return
        top = self._stack[-1]
        if isinstance(top.value, list):
            top.value.append(item.value)
            top.index += 1
            return
        if not top.expecting_key:
            top.expecting_key = True
            if not top.discard:
                top.value[top.key] = item.value
            return
        # The item is a key.
        top.expecting_key = False
        top.discard = True
        if item.text is None:
            top.key_path = top.path
            if not item.reported:
                kind = _("a list") if isinstance(item.value, list) else _("a mapping")
                self.problem(top.path, _("a key must be text, but this key is {kind}").format(kind=kind), item.line)
            return
        key = item.text
        key_path = child_path(top.path, key)
        top.key_path = key_path
        if (item.plain and item.tag is None and key == "<<") or item.tag == _MERGE_TAG:
            self.problem(key_path, _("merge keys are not supported (“<<”); write the keys out in full"), item.line)
            return
        self._check_tag(item.tag, _SCALAR_TAGS, key_path, item.line)
        if key in top.first_lines:
            first = top.first_lines[key]
            if first is None:
                message = _("duplicate key “{key}”").format(key=key)
            else:
                message = _("duplicate key “{key}” (first defined on line {line})").format(key=key, line=first)
            self.problem(key_path, message, item.line)
            return  # its value is still read (for the problems inside it), then dropped
        top.first_lines[key] = item.line
        top.key = key
        top.discard = False
        if top.record and item.line is not None:
            self._record(key_path, item.line)


def _syntax_problem(exc: yaml.MarkedYAMLError) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    line = None if mark is None else mark.line + 1
    what = exc.problem or exc.context or "unreadable text"
    if mark is not None:
        message = _("invalid YAML at column {column}: {problem}").format(column=mark.column + 1, problem=what)
    else:
        message = _("invalid YAML: {problem}").format(problem=what)
    if exc.problem and exc.context:
        context_mark = exc.context_mark
        if context_mark is not None and context_mark.line + 1 != line:
            message += " " + _("({context} that starts on line {line})").format(
                context=exc.context, line=context_mark.line + 1
            )
        else:
            message += f" ({exc.context})"
    return Problem("", message, line)


def _character_problem(text: str, position: int) -> Problem:
    return Problem(
        "",
        _("the file contains the character U+{code:04X}, which YAML does not allow").format(code=ord(text[position])),
        text.count("\n", 0, position) + 1,
    )


def _empty_problem() -> Problem:
    return Problem("", _("the file is empty"), None)


def load_document(raw: bytes, *, name: str = "") -> Document:
    """Read a package file (YAML or JSON) into a :class:`Document`.

    Raises :class:`DocumentError` listing every problem found: bytes that are not UTF-8,
    an empty file, a YAML syntax error, more than one document, a top level that is not a
    mapping, duplicate keys, merge keys, unsupported tags, unknown or recursive aliases.
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
    start = text.lstrip()
    if start.startswith("#") and all(not ln.strip() or ln.lstrip().startswith("#") for ln in text.splitlines()):
        raise DocumentError([_empty_problem()], name=name)
    if not start:
        raise DocumentError([_empty_problem()], name=name)
    if start.startswith(("{", "[")):
        # JSON (or flow YAML): tabs that indent its lines are plain whitespace there, but
        # PyYAML's pure-Python scanner refuses them; libyaml does not. Same meaning, same lines.
        text = _LEADING_TABS.sub(lambda m: " " * len(m.group()), text)
    bad = _NON_PRINTABLE.search(text)
    if bad is not None:
        raise DocumentError([_character_problem(text, bad.start())], name=name)
    if start.startswith("{"):
        data = _parse_json(text)
        if data is not None:
            return Document(data=data, name=name, source=text)
    return _parse_yaml(text, name)


class _NotPlainJson(Exception):
    """The fast JSON path declines: the YAML reader reads the file and reports its problems."""


def _json_text(value: Any) -> Any:
    """JSON's true/false as the text written (a scalar is the text as written; numbers already are)."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if type(value) is list and any(v is True or v is False or type(v) is list for v in value):
        return [_json_text(v) for v in value]
    return value


def _json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = {key: _json_text(value) for key, value in pairs}
    if len(obj) != len(pairs):
        raise _NotPlainJson  # a duplicate key: reported with its lines by the YAML reader
    return obj


def _json_constant(name: str) -> Any:
    raise _NotPlainJson  # NaN, Infinity: not JSON


def _parse_json(text: str) -> dict[str, Any] | None:
    """A JSON file read by the C JSON parser into the same tree the YAML reader builds (every scalar
    the text as written, null as None), about ten times faster; None when the YAML reader must read it."""
    try:
        data = json.loads(
            text, object_pairs_hook=_json_object, parse_int=str, parse_float=str, parse_constant=_json_constant
        )
    except (ValueError, RecursionError, _NotPlainJson):
        return None
    return data if type(data) is dict and data else None


def _parse_yaml(text: str, name: str) -> Document:
    events: Iterator[yaml.Event] = yaml.parse(text, Loader=_EVENT_LOADER)
    builder = _Builder()
    try:
        event = next(events)  # the stream starts
        event = next(events)
        if isinstance(event, yaml.StreamEndEvent):
            raise DocumentError([_empty_problem()], name=name)
        event = next(events)  # the first event of the top-level value
        root_line = _line_of(event)
        if isinstance(event, yaml.ScalarEvent) and not event.style and not event.value and event.tag is None:
            raise DocumentError([_empty_problem()], name=name)
        if not isinstance(event, yaml.MappingStartEvent):
            kind = _("a list") if isinstance(event, yaml.SequenceStartEvent) else _("a single value")
            message = _(
                "the file must contain a mapping of top-level keys (such as “version:” and “organization:”), "
                "but it contains {kind}"
            ).format(kind=kind)
            raise DocumentError([Problem("", message, root_line)], name=name)
        if root_line is not None:
            builder.lines[""] = root_line
        data = builder.build(event, events)
        next(events)  # the document ends
        event = next(events)
        if not isinstance(event, yaml.StreamEndEvent):
            message = _(
                "the file contains more than one YAML document (“---” starts another); a package is a single document"
            )
            raise DocumentError([Problem("", message, _line_of(event))], name=name)
    except yaml.MarkedYAMLError as exc:
        raise DocumentError([_syntax_problem(exc)], name=name) from None
    except yaml.YAMLError as exc:  # pragma: no cover - characters are checked above
        raise DocumentError([Problem("", _("invalid YAML: {error}").format(error=exc), None)], name=name) from None
    except RecursionError:  # pragma: no cover - the builder does not recurse; a deep alias copy might
        raise DocumentError([Problem("", _("the file nests values too deeply to be read"), None)], name=name) from None
    finally:
        close = getattr(events, "close", None)
        if close is not None:
            close()
    if builder.problems:
        raise DocumentError(builder.problems, name=name)
    return Document(data=data, lines=builder.lines, name=name)


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
            return _("unknown key “{key}”; the keys allowed here are: {keys}").format(key=key, keys=", ".join(known))
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

    def text(self, path: str, value: Any, *, max_length: int | None = None, required: bool = False) -> str | None:
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
        control = next((ch for ch in text if (ch < " " and ch not in "\t\n\r") or ch == "\x7f"), None)
        if control is not None:
            self.error(
                path,
                _("the text contains the control character U+{code:04X}, which cannot be stored").format(
                    code=ord(control)
                ),
            )
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

    def integer(self, path: str, value: Any, *, minimum: int | None = None, maximum: int | None = None) -> int | None:
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
                _("{value} is too small; it must be at least {minimum}").format(value=_show(text), minimum=minimum),
            )
            return None
        if maximum is not None and number > maximum:
            self.error(
                path,
                _("{value} is too large; it must be at most {maximum}").format(value=_show(text), maximum=maximum),
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
                _("{value} is not a date; write it as YYYY-MM-DD (for example 2026-03-01)").format(value=_show(text)),
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
        if offset is None:  # the common case, in C: a local time away from any clock change
            try:
                local = _dt.datetime.fromisoformat(text).replace(tzinfo=tz)
            except ValueError:
                self.error(path, _("{value} is not a real date and time").format(value=_show(text)))
                return None
            if local.utcoffset() == local.replace(fold=1).utcoffset():
                return local
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
# How PyYAML's safe loader types a plain scalar (its implicit resolvers, YAML 1.1).
_resolve = cast(Callable[[type, str, tuple[bool, bool]], str], yaml.resolver.Resolver().resolve)
# Characters that json.dumps leaves as they are but YAML needs escaped in double quotes:
# everything outside YAML's printable set, and NEL, LS, PS (line breaks) and the BOM.
_YAML_ESCAPE = re.compile("[^\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]")
_FLOW_WIDTH = 140  # a list of mappings is written one item a line when each fits in this
_SCALAR_LIST_WIDTH = 80  # a list of plain values is written [a, b] when it fits in this
_LONG_KEY = 500  # longer keys are written as explicit "? key" entries (YAML limits simple keys)


def _plain_char(ch: str, allowed: frozenset[str]) -> bool:
    if ord(ch) < 128:
        return ch in allowed
    return unicodedata.category(ch)[0] not in "ZC"  # no separators, controls, format characters


@functools.lru_cache(maxsize=1 << 17)
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
    if text.startswith("..."):  # "... " at the start of a line ends a YAML document
        return False
    # The characters above leave no room for YAML syntax; what remains is how PyYAML's
    # safe loader would type the plain text (the tests check the full read-back).
    return bool(_resolve(ScalarNode, text, (True, False)) == _STR_TAG)


def _quoted(text: str) -> str:
    """``text`` in YAML double quotes (JSON's escapes are YAML escapes too)."""
    quoted = json.dumps(text, ensure_ascii=False)
    return _YAML_ESCAPE.sub(
        lambda m: f"\\u{ord(m.group()):04x}" if ord(m.group()) < 0x10000 else f"\\U{ord(m.group()):08x}",
        quoted,
    )


def _literal_lines(text: str) -> tuple[str, list[str]] | None:
    """A multi-line ``text`` as a literal block: its indicator and lines, or None if it cannot be one.

    Only LF may break its lines (YAML also reads CR, NEL, LS and PS as line breaks and gives
    back LF); no control, format or unusual space characters; no line ending in a space or
    tab (editors strip those); the first non-empty line must not start with a space or tab
    (it sets the indentation).
    """
    if "\n" not in text:
        return None
    if not all(ch in "\n\t " or unicodedata.category(ch)[0] not in "ZC" for ch in text):
        return None
    body = text.rstrip("\n")
    if not body:
        return None
    lines = body.split("\n")
    if any(line.endswith((" ", "\t")) for line in lines):
        return None
    first = next(line for line in lines if line)
    if first.startswith((" ", "\t")):
        return None
    trailing = len(text) - len(body)
    if trailing == 0:
        return "|-", lines
    if trailing == 1:
        return "|", lines
    return "|+", lines + [""] * (trailing - 1)


def _scalar(value: Any) -> str:
    """A scalar written on one line: plain when safe, else double-quoted."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, _dt.date):  # and datetime: ISO 8601 text
        return _quoted(value.isoformat())
    text = value if isinstance(value, str) else str(value)
    return text if _plain_is_safe(text) else _quoted(text)


def _key(key: Any) -> str:
    return _scalar(key)


def _inline(value: Any) -> str:
    """A scalar or a flow collection written on one line."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_key(k)}: {_inline(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_inline(item) for item in value) + "]"
    return _scalar(value)


def _is_block(value: Any) -> bool:
    return isinstance(value, dict | list) and bool(value) and not isinstance(value, _FlowDict | _FlowList)


def _write_node(head: str, value: Any, indent: int, out: list[str]) -> None:
    """Write ``value`` after ``head`` ("key:" or "-" with its indentation); nested lines at ``indent``."""
    if _is_block(value):
        start = len(out)
        if isinstance(value, dict):
            _write_mapping(value, indent, out)
        else:
            _write_sequence(value, indent, out)
        if head.endswith("-"):  # a list item starts on the dash's line
            out[start] = f"{head} {out[start][indent:]}"
        else:
            out.insert(start, head)
        return
    if isinstance(value, str):
        literal = _literal_lines(value)
        if literal is not None:
            indicator, lines = literal
            pad = " " * indent
            out.append(f"{head} {indicator}")
            out.extend(pad + line if line else "" for line in lines)
            return
    out.append(f"{head} {_inline(value)}")


def _write_mapping(mapping: dict[Any, Any], indent: int, out: list[str]) -> None:
    pad = " " * indent
    for key, value in mapping.items():
        written = _key(key)
        if len(written) > _LONG_KEY:
            out.append(f"{pad}? {written}")
            _write_node(f"{pad}:", value, indent + 2, out)
        else:
            _write_node(f"{pad}{written}:", value, indent + 2, out)


def _write_sequence(sequence: list[Any], indent: int, out: list[str]) -> None:
    pad = " " * indent
    for item in sequence:
        _write_node(f"{pad}-", item, indent + 2, out)


class _FlowList(list[Any]):
    """A list written in flow style: ``[a, b]``."""


class _FlowDict(dict[Any, Any]):
    """A mapping written in flow style: ``{code: GM, name: 总经办}``."""


def _width(value: Any) -> int:
    """Roughly how many columns a scalar takes when written (CJK characters count two)."""
    written = _scalar(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in written)


def _is_flat_scalar(value: Any) -> bool:
    if isinstance(value, str):
        return "\n" not in value
    return not isinstance(value, dict | list | tuple)


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
    """Copy ``value``, marking short lists and lists of short flat mappings for flow style."""
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
                # One line per item, like the example package; all items of a list alike.
                return [
                    _FlowDict((k, _FlowList(v) if isinstance(v, list | tuple) else v) for k, v in item.items())
                    for item in value
                ]
        return [_prepare(item) for item in value]
    if isinstance(value, dict):
        return {key: _prepare(item) for key, item in value.items()}
    return value


def dump_document(data: Any) -> str:
    """Write ``data`` (dict / list / str / int / bool / None) as a package YAML text.

    Block style with 2-space indentation (lists indented under their key), key order kept,
    Unicode written as is, no anchors, no line folding; short lists of plain values and
    lists of short flat mappings in flow style, one item a line, as in the example package;
    multi-line text as literal ``|`` blocks where that is exact. Every string that a YAML
    reader could take for anything but that string is double-quoted (numbers, booleans
    including yes/no/on/off/y/n, null, ~, dates, times such as 12:30, leading or trailing
    spaces, YAML indicators). ``load_document(dump_document(d).encode()).data == d`` with
    ints and bools as their text; dates and datetimes are written as quoted ISO 8601 text.
    """
    prepared = _prepare(data)
    out: list[str] = []
    if _is_block(prepared):
        if isinstance(prepared, dict):
            _write_mapping(prepared, 0, out)
        else:
            _write_sequence(prepared, 0, out)
    elif isinstance(prepared, str) and _literal_lines(prepared) is not None:
        indicator, lines = _literal_lines(prepared) or ("|", [])
        out.append(indicator)
        out.extend("  " + line if line else "" for line in lines)
    else:
        out.append(_inline(prepared))
    return "\n".join(out) + "\n"
