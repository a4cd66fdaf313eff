"""Tests of xietong.packages.document: reading, typed readers and writing of package YAML.

These tests need no database and no Django settings; they run with ``-p no:django`` too.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from xietong.packages import document as document_module
from xietong.packages.document import (
    Document,
    DocumentError,
    Problem,
    Reader,
    _,
    child_path,
    dump_document,
    item_path,
    load_document,
)

DEMO_PACKAGE = Path("/work/shared/examples/demo-package.yaml")
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _english_messages() -> Iterator[None]:
    """Assert on the English messages even when the suite runs with Django configured."""
    try:
        from django.conf import settings
    except ImportError:  # pragma: no cover
        yield
        return
    if not settings.configured:
        yield
        return
    from django.utils import translation

    with translation.override("en"):
        yield


def load(text: str) -> Document:
    return load_document(text.encode("utf-8"))


def problems_of(raw: bytes | str) -> list[Problem]:
    if isinstance(raw, str):
        raw = raw.encode("utf-8")
    with pytest.raises(DocumentError) as info:
        load_document(raw)
    return info.value.problems


def reader_for(text: str = "a: b\n") -> Reader:
    return Reader(load(text))


def normalised(value: Any) -> Any:
    """Data as load_document gives it back: ints and bools as their text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dict):
        return {normalised(k): normalised(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalised(v) for v in value]
    return value


# ---------------------------------------------------------------------------------------
# Problem and DocumentError
# ---------------------------------------------------------------------------------------


def test_problem_str_shows_path_line_and_message() -> None:
    # given problems with and without a path and a line
    # then each renders as the importer prints it
    assert str(Problem("departments[2].parent", "bad", 14)) == "departments[2].parent (line 14): bad"
    assert str(Problem("departments[2].parent", "bad", None)) == "departments[2].parent: bad"
    assert str(Problem("", "the file is empty", None)) == "the file is empty"
    assert str(Problem("", "invalid YAML", 3)) == "line 3: invalid YAML"


def test_document_error_accepts_a_message_or_problems() -> None:
    # given a DocumentError built from a plain message, and one from problems
    error = DocumentError("the file is empty")
    many = DocumentError([Problem("a", "x", 1), Problem("b", "y", None)])
    # then both carry Problem objects and print them one per line
    assert error.problems == [Problem("", "the file is empty", None)]
    assert str(error) == "the file is empty"
    assert str(many) == "a (line 1): x\nb: y"


def test_translation_helper_is_identity_without_django_translation() -> None:
    # given a message no catalogue translates
    # then _() returns it unchanged
    assert _("a message that nobody translates") == "a message that nobody translates"


# ---------------------------------------------------------------------------------------
# Scalars are text
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    [
        "1",
        "0",
        "-7",
        "+1",
        "007",
        "0777",
        "0o17",
        "0x1F",
        "0b101",
        "1_000",
        "1.50",
        "1e3",
        "1.0e+3",
        ".5",
        ".inf",
        "-.inf",
        ".NaN",
        "false",
        "False",
        "TRUE",
        "yes",
        "No",
        "NO",
        "on",
        "OFF",
        "y",
        "n",
        "12:30",
        "190:20:30",
        "2026-03-02",
        "2026-03-02T09:00:00",
        "2026-03-02T09:00",
        "2026-03-02 09:00:00 +8",
        "2001-12-14t21:59:43.10-05:00",
        "=",
        "<<",
        "nULL",
        "none",
        "4h",
        "1.5d",
        "2026-Q1",
        "总经办",
    ],
)
def test_plain_scalar_is_read_as_the_text_written(written: str) -> None:
    # given a plain (unquoted) value that YAML 1.1 would type as a number, bool, timestamp...
    doc = load(f"value: {written}\nlisted: [{written}]\n")
    # then it is the string exactly as written, in block and in flow context
    assert doc.data == {"value": written, "listed": [written]}
    assert type(doc.data["value"]) is str


@pytest.mark.parametrize("written", ["", "~", "null", "Null", "NULL"])
def test_plain_null_or_empty_value_is_none(written: str) -> None:
    # given a plain null word or nothing as the value
    doc = load(f"value: {written}\nlisted:\n  - {written}\n")
    # then the value is None (the key is absent by the spec)
    assert doc.data == {"value": None, "listed": [None]}


@pytest.mark.parametrize(
    ("written", "expected"),
    [('"null"', "null"), ("'~'", "~"), ('""', ""), ("''", ""), ("'NULL'", "NULL"), ("!!str null", "null")],
)
def test_quoted_or_str_tagged_null_word_stays_text(written: str, expected: str) -> None:
    # given a null word in quotes (or tagged !!str)
    doc = load(f"value: {written}\n")
    # then it is text, not None
    assert doc.data == {"value": expected}


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("!!int 5", "5"),
        ("!!float 1", "1"),
        ("!!bool yes", "yes"),
        ("!!str 12:30", "12:30"),
        ("!!timestamp 2026-03-02", "2026-03-02"),
        ("! 12", "12"),
        ("!!binary aGk=", "aGk="),
    ],
)
def test_standard_tag_on_scalar_keeps_the_text(written: str, expected: str) -> None:
    # given a scalar with one of YAML's own tags
    doc = load(f"value: {written}\n")
    # then the tag is ignored and the text kept
    assert doc.data == {"value": expected}


def test_quoted_scalars_keep_escapes_and_spaces() -> None:
    # given double- and single-quoted values with escapes and edge spaces
    doc = load("a: \"  tab\\there \"\nb: 'it''s'\nc: \"\\u603b\"\n")
    # then the decoded text is kept exactly
    assert doc.data == {"a": "  tab\there ", "b": "it's", "c": "总"}


def test_block_scalars_keep_their_lines() -> None:
    # given literal and folded block scalars
    doc = load("body: |\n  line one\n  line two\nnote: >\n  folded\n  text\n")
    # then the text is YAML's reading of the block
    assert doc.data == {"body": "line one\nline two\n", "note": "folded text\n"}


def test_keys_are_text_as_written() -> None:
    # given keys that YAML 1.1 would type
    doc = load("1: a\ntrue: b\nnull: c\n2026-03-02: d\n'x y': e\n")
    # then every key is its text
    assert list(doc.data) == ["1", "true", "null", "2026-03-02", "x y"]


def test_mapping_keeps_key_order() -> None:
    # given keys out of alphabetical order
    doc = load("zeta: 1\nalpha: 2\nmid: 3\n")
    # then the dict keeps the file's order
    assert list(doc.data) == ["zeta", "alpha", "mid"]


def test_aliases_are_expanded_into_separate_values() -> None:
    # given an anchored mapping used twice through an alias
    doc = load("a: &base {k: v, n: 1}\nb: *base\n")
    # then both keys hold equal but separate dicts
    assert doc.data == {"a": {"k": "v", "n": "1"}, "b": {"k": "v", "n": "1"}}
    assert doc.data["a"] is not doc.data["b"]
    assert doc.lines["b.k"] == 1  # the alias's values keep the anchor's lines


def test_recursive_alias_is_an_error() -> None:
    # given a list that contains itself
    problems = problems_of("a: &x [1, *x]\n")
    # then the problem names the alias inside it
    assert [(p.path, p.line) for p in problems] == [("a[1]", 1)]
    assert "recursive" in problems[0].message


def test_unknown_alias_is_an_error() -> None:
    # given an alias to an anchor that was never written
    problems = problems_of("a: 1\nb: [x, *nowhere]\n")
    # then the problem names the alias at its path
    assert problems == [
        Problem("b[1]", "unknown alias “*nowhere”; an alias must refer to an anchor “&nowhere” written before it", 2)
    ]


def test_anchor_may_be_redefined_and_alias_takes_the_latest() -> None:
    # given the same anchor name used twice
    doc = load("a: &x 1\nb: *x\nc: &x 2\nd: *x\n")
    # then each alias repeats the anchor written last before it
    assert doc.data == {"a": "1", "b": "1", "c": "2", "d": "2"}


def test_alias_can_be_a_key_and_a_list_item_with_its_own_line() -> None:
    # given an anchored scalar used as a key, and an anchored mapping repeated in a list
    doc = load("names:\n  - &k code\n  - &row {code: GM}\nrows:\n  - *row\n  - *row\n*k : RD\n")
    # then the alias key is the anchor's text, and each list item has the alias's line
    assert doc.data == {"names": ["code", {"code": "GM"}], "rows": [{"code": "GM"}, {"code": "GM"}], "code": "RD"}
    assert doc.lines["rows[1]"] == 6
    assert doc.lines["rows[1].code"] == 3
    assert doc.lines["code"] == 7


def test_alias_to_null_anchor_is_none() -> None:
    doc = load("a: &n ~\nb: *n\n")
    assert doc.data == {"a": None, "b": None}


def test_alias_bomb_is_stopped() -> None:
    # given a "billion laughs" document: nine levels of tenfold aliases
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for level in range(1, 10):
        name, previous = chr(ord("a") + level), chr(ord("a") + level - 1)
        lines.append(f"{name}: &{name} [{', '.join([f'*{previous}'] * 10)}]")
    # when it is read
    problems = problems_of("\n".join(lines) + "\n")
    # then one problem says the aliases expand too much, instead of a billion values
    assert len(problems) == 1
    assert "aliases" in problems[0].message
    assert problems[0].path.startswith("e")


# ---------------------------------------------------------------------------------------
# JSON
# ---------------------------------------------------------------------------------------


def test_json_file_is_read_with_numbers_and_bools_as_text() -> None:
    # given a JSON package
    raw = b'{"version": 1, "organization": {"name": "X", "active": true, "ratio": 1.50, "none": null}}'
    # when it is read
    doc = load_document(raw)
    # then numbers and booleans are their text, null is None
    assert doc.data == {
        "version": "1",
        "organization": {"name": "X", "active": "true", "ratio": "1.50", "none": None},
    }


def test_json_duplicate_key_is_reported() -> None:
    # given a JSON object with a duplicated key on its second line
    raw = b'{"version": 1,\n "organization": {"name": "A",\n   "name": "B"}}'
    # then the duplicate is an error at its path with both lines
    problems = problems_of(raw)
    assert problems == [
        Problem("organization.name", "duplicate key “name” (first defined on line 2)", 3),
    ]


def test_json_indented_with_tabs_is_read() -> None:
    # given JSON as json.dumps(..., indent="\t") writes it
    raw = b'{\n\t"version": 1,\n\t"departments": [\n\t\t{\n\t\t\t"code": "GM"\n\t\t}\n\t]\n}'
    doc = load_document(raw)
    # then it reads as with spaces, with its lines
    assert doc.data == {"version": "1", "departments": [{"code": "GM"}]}
    assert doc.lines["departments[0].code"] == 5


def test_multiline_json_records_lines() -> None:
    # given a pretty-printed JSON file
    raw = b'{\n  "departments": [\n    {"code": "GM"},\n    {"code": "RD"}\n  ]\n}\n'
    doc = load_document(raw)
    # then lines are known as for YAML
    assert doc.lines["departments"] == 2
    assert doc.lines["departments[1]"] == 4
    assert doc.lines["departments[1].code"] == 4


# ---------------------------------------------------------------------------------------
# Duplicate keys, merge keys, tags, non-text keys
# ---------------------------------------------------------------------------------------


def test_duplicate_keys_are_all_reported_with_first_line() -> None:
    # given duplicates at the top, nested in a mapping, and in a list item
    text = (
        "version: 1\n"  # 1
        "organization:\n"  # 2
        "  name: A\n"  # 3
        "  schedule:\n"  # 4
        "    days: cn\n"  # 5
        "    days: all\n"  # 6
        "departments:\n"  # 7
        "  - {code: GM, name: x, code: RD}\n"  # 8
        "version: 2\n"  # 9
    )
    # when it is read
    problems = problems_of(text)
    # then every duplicate is reported, in file order, at its own path and line
    assert problems == [
        Problem("organization.schedule.days", "duplicate key “days” (first defined on line 5)", 6),
        Problem("departments[0].code", "duplicate key “code” (first defined on line 8)", 8),
        Problem("version", "duplicate key “version” (first defined on line 1)", 9),
    ]


def test_duplicates_inside_a_duplicated_value_are_reported_too() -> None:
    # given a duplicated key whose value itself has a duplicate
    problems = problems_of("a: {x: 1}\na: {y: 1, y: 2}\n")
    # then both are reported
    assert [(p.path, p.line) for p in problems] == [("a", 2), ("a.y", 2)]


def test_duplicate_key_compares_text_not_yaml_type() -> None:
    # given "1" written plain and quoted, and 1 and 01 (different text)
    problems = problems_of("1: a\n'1': b\n01: c\n")
    # then only the same text is a duplicate
    assert [(p.path, p.line) for p in problems] == [('["1"]', 2)]


def test_merge_key_is_an_error() -> None:
    # given a mapping using the YAML merge key
    problems = problems_of("base: &b {x: 1}\nitem:\n  <<: *b\n  y: 2\n")
    # then the merge key is reported at its path and line
    assert len(problems) == 1
    assert problems[0].path == 'item["<<"]'
    assert problems[0].line == 3
    assert "merge keys are not supported" in problems[0].message


def test_quoted_merge_key_is_an_ordinary_key() -> None:
    # given "<<" in quotes
    doc = load("'<<': x\n")
    # then it is a plain key (section validators will reject it as unknown)
    assert doc.data == {"<<": "x"}


@pytest.mark.parametrize(
    ("text", "path", "tag"),
    [
        ("a: !python/object x\n", "a", "!python/object"),
        ("a: !!python/object/apply:os.system [ls]\n", "a", "!!python/object/apply:os.system"),
        ("a:\n  b: !custom {k: v}\n", "a.b", "!custom"),
        ("a: [1, !x 2]\n", "a[1]", "!x"),
        ("!weird k: v\n", "k", "!weird"),
    ],
)
def test_unknown_tag_is_an_error_at_its_path(text: str, path: str, tag: str) -> None:
    # given a value with a tag that is not one of YAML's standard ones
    problems = problems_of(text)
    # then the problem names the tag at that path
    assert [p.path for p in problems] == [path]
    assert f"“{tag}”" in problems[0].message


def test_all_conversion_problems_are_collected() -> None:
    # given a file with a duplicate, a merge key and an unknown tag
    text = "a: 1\na: 2\nb:\n  <<: {x: 1}\nc: !bad x\n"
    # then all three are reported at once
    assert [(p.path, p.line) for p in problems_of(text)] == [("a", 2), ('b["<<"]', 4), ("c", 5)]


def test_non_text_key_is_an_error() -> None:
    # given a mapping with a list as a key
    problems = problems_of("top:\n  ? [a, b]\n  : 1\n")
    # then it is reported at the mapping, on the key's line
    assert [(p.path, p.line) for p in problems] == [("top", 2)]
    assert "key must be text" in problems[0].message


def test_standard_collection_tags_are_accepted() -> None:
    # given !!set, !!omap and !!map
    doc = load("a: !!set {x, y}\nb: !!omap [k: 1]\nc: !!map {d: e}\n")
    # then they read as a mapping with null values, a list of one-key mappings, a mapping
    assert doc.data == {"a": {"x": None, "y": None}, "b": [{"k": "1"}], "c": {"d": "e"}}


# ---------------------------------------------------------------------------------------
# Whole-file errors
# ---------------------------------------------------------------------------------------


def test_non_utf8_bytes_report_the_offset() -> None:
    # given Latin-1 text: "é" is the byte 0xE9 at offset 14, on line 2
    raw = "a: 1\nname: Jos\xe9\n".encode("latin-1")
    problems = problems_of(raw)
    # then one problem says the file is not UTF-8 and where
    assert len(problems) == 1
    assert problems[0].path == ""
    assert problems[0].line == 2
    assert "not UTF-8" in problems[0].message
    assert "byte offset 14" in problems[0].message
    assert "0xE9" in problems[0].message


def test_utf8_bom_is_allowed() -> None:
    # given a UTF-8 file that starts with a byte order mark
    doc = load_document(b"\xef\xbb\xbfname: \xe6\x80\xbb\n")
    # then it reads normally
    assert doc.data == {"name": "总"}


@pytest.mark.parametrize(
    "raw", [b"", b"   \n\n\t\n", b"# only a comment\n  # and another\n", b"---\n", b"--- # c\n", b"\xef\xbb\xbf"]
)
def test_empty_or_comment_only_file_is_empty(raw: bytes) -> None:
    # given a file with nothing in it but whitespace or comments
    # then the one problem is that the file is empty
    assert problems_of(raw) == [Problem("", "the file is empty", None)]


def test_syntax_error_reports_its_line() -> None:
    # given a mapping value where YAML does not allow one, on line 3
    problems = problems_of("version: 1\norganization:\n  name: a: b\n")
    # then the problem has that line and YAML's reason
    assert len(problems) == 1
    assert problems[0].path == ""
    assert problems[0].line == 3
    assert problems[0].message.startswith("invalid YAML")
    assert "mapping values are not allowed" in problems[0].message


def test_unclosed_flow_list_reports_where_it_starts() -> None:
    # given a flow list never closed
    problems = problems_of("a: 1\nb: [x, y\nc: 2\n")
    # then the message says what was expected and where the list began
    assert len(problems) == 1
    assert "flow sequence that starts on line 2" in problems[0].message


def test_bad_indentation_is_a_syntax_error() -> None:
    # given a key indented deeper than its siblings without a parent
    problems = problems_of("a: 1\n  b: 2\n")
    assert [p.line for p in problems] == [2]


def test_forbidden_control_character_is_reported() -> None:
    # given a BEL character on line 2
    problems = problems_of(b"a: 1\nb: x\x07y\n")
    # then the problem names the character and its line
    assert len(problems) == 1
    assert problems[0].line == 2
    assert "U+0007" in problems[0].message


@pytest.mark.parametrize(
    ("text", "kind", "line"),
    [("- a\n- b\n", "a list", 1), ("just text\n", "a single value", 1), ("\n\n42\n", "a single value", 3)],
)
def test_top_level_must_be_a_mapping(text: str, kind: str, line: int) -> None:
    # given a file whose top level is not a mapping
    problems = problems_of(text)
    # then that is the one problem
    assert len(problems) == 1
    assert problems[0].path == ""
    assert problems[0].line == line
    assert problems[0].message.endswith(f"but it contains {kind}")


def test_multiple_documents_are_an_error() -> None:
    # given two YAML documents, the second starting on line 3
    problems = problems_of("version: 1\n---\nversion: 2\n")
    # then the file is rejected, pointing at the second document
    assert len(problems) == 1
    assert problems[0].line == 2
    assert "more than one YAML document" in problems[0].message


def test_explicit_document_markers_around_one_document_are_fine() -> None:
    # given one document between --- and ...
    doc = load("---\nversion: 1\n...\n")
    assert doc.data == {"version": "1"}


def test_deep_nesting_is_read_without_recursion() -> None:
    # given values nested 300 levels deep (Python's recursion limit is 1000)
    doc = load("a: " + "[" * 300 + "x" + "]" * 300 + "\n")
    # then they are read, with the line of the innermost value
    value = doc.data["a"]
    for _level in range(299):
        value = value[0]
    assert value == ["x"]
    assert doc.lines["a" + "[0]" * 300] == 1


def test_absurd_nesting_is_a_problem_not_a_crash() -> None:
    # given nesting far deeper than any package
    text = "a: " + "[" * 5000 + "]" * 5000 + "\n"
    if document_module._EVENT_LOADER is yaml.SafeLoader:
        # then without libyaml it is simply read (the tree is built without recursion)
        assert isinstance(load(text).data["a"], list)
        return
    # then libyaml's parser stops at 1000 levels: one problem, no crash
    problems = problems_of(text)
    assert len(problems) == 1
    assert "nesting" in problems[0].message


# ---------------------------------------------------------------------------------------
# Paths and lines
# ---------------------------------------------------------------------------------------


def test_child_and_item_paths() -> None:
    # given keys that are identifiers and keys that are not
    # then identifiers join with dots, others are quoted in brackets
    assert child_path("", "organization") == "organization"
    assert child_path("organization", "schedule") == "organization.schedule"
    assert child_path("a", "x-tool") == "a.x-tool"
    assert child_path("a", "_k9") == "a._k9"
    assert child_path("", "the key") == '["the key"]'
    assert child_path("projects[0].departments", "CS-HOT") == "projects[0].departments.CS-HOT"
    assert child_path("a", "9lives") == 'a["9lives"]'
    assert child_path("a", "名称") == 'a["名称"]'
    assert child_path("a", 'say "hi"') == 'a["say \\"hi\\""]'
    assert item_path("departments", 3) == "departments[3]"


def test_lines_of_nested_values() -> None:
    # given nested mappings and lists in block and flow style
    text = (
        "version: 1\n"  # 1
        "organization:\n"  # 2
        "  name: Acme\n"  # 3
        "  schedule:\n"  # 4
        "    working_hours:\n"  # 5
        "      - '09:00-12:00'\n"  # 6
        "      - '13:00-18:00'\n"  # 7
        "departments:\n"  # 8
        "  - {code: GM, name: x}\n"  # 9
        "  -\n"  # 10
        "    code: RD\n"  # 11
        "    name: y\n"  # 12
    )
    doc = load(text)
    # then every key, value and list item has its line (a mapping entry: the key's line)
    assert doc.lines[""] == 1
    assert doc.lines["version"] == 1
    assert doc.lines["organization"] == 2
    assert doc.lines["organization.name"] == 3
    assert doc.lines["organization.schedule"] == 4
    assert doc.lines["organization.schedule.working_hours"] == 5
    assert doc.lines["organization.schedule.working_hours[0]"] == 6
    assert doc.lines["organization.schedule.working_hours[1]"] == 7
    assert doc.lines["departments[0]"] == 9
    assert doc.lines["departments[0].name"] == 9
    assert doc.lines["departments[1]"] == 11
    assert doc.lines["departments[1].code"] == 11
    assert doc.lines["departments[1].name"] == 12


def test_lines_of_unusual_keys_use_bracket_paths() -> None:
    # given keys with spaces, Chinese and dots
    doc = load("a:\n  'b c': 1\n  名称: 2\n  x.y: 3\n")
    # then their paths quote the key
    assert doc.lines['a["b c"]'] == 2
    assert doc.lines['a["名称"]'] == 3
    assert doc.lines['a["x.y"]'] == 4


def test_line_falls_back_to_nearest_ancestor() -> None:
    # given a document and paths that it does not contain
    doc = load("a:\n  b:\n    - c: 1\n  'd e':\n    f: 2\n")
    # then line() gives the line of the nearest ancestor that exists
    assert doc.line("a.b[0].c") == 3
    assert doc.line("a.b[0].missing") == 3
    assert doc.line("a.b[7]") == 2
    assert doc.line("a.b[7].x.y") == 2
    assert doc.line('a["d e"].f') == 5
    assert doc.line('a["d e"].g') == 4
    assert doc.line('a["d.e"]') == 1
    assert doc.line("zzz") == 1  # the document itself
    assert doc.line("") == 1


def test_line_without_lines_is_none() -> None:
    # given a document built without lines
    doc = Document(data={}, lines={})
    # then no line is known
    assert doc.line("a.b") is None
    assert doc.line("") is None


def test_line_of_path_not_in_our_syntax_still_finds_an_ancestor() -> None:
    # given a malformed path under a known key
    doc = Document(data={}, lines={"a": 4})
    # then the known prefix is used
    assert doc.line("a.b c.d") == 4


# ---------------------------------------------------------------------------------------
# Reader: structure
# ---------------------------------------------------------------------------------------

PERSON = (
    "people:\n"  # 1
    "  - username: lixia\n"  # 2
    "    name: 李霞\n"  # 3
    "    departmnet: GM\n"  # 4
    "    x-note: kept for another tool\n"  # 5
    "    title:\n"  # 6
    "    foo: 1\n"  # 7
)


def test_mapping_reports_missing_and_unknown_keys_and_drops_extras() -> None:
    # given a person with a misspelt key, an x- key, an empty value and an unrelated key
    doc = load(PERSON)
    reader = Reader(doc)
    value = doc.data["people"][0]
    # when the object is read
    result = reader.mapping(
        "people[0]", value, required=["username", "name", "department"], optional=["title", "email"]
    )
    # then x- keys, unknown keys and None values are left out
    assert result == {"username": "lixia", "name": "李霞"}
    # and every problem is reported, with a suggestion for the typo
    assert reader.problems == [
        Problem("people[0]", "missing required key “department”", 2),
        Problem("people[0].departmnet", "unknown key “departmnet”; did you mean “department”?", 4),
        Problem(
            "people[0].foo",
            "unknown key “foo”; the keys allowed here are: username, name, department, title, email",
            7,
        ),
    ]


def test_mapping_suggests_closest_key() -> None:
    # given "parnet" where "parent" is allowed
    reader = reader_for("d:\n  parnet: GM\n")
    reader.mapping("d", {"parnet": "GM"}, required=[], optional=["parent", "head", "name"])
    # then the suggestion names "parent"
    assert reader.problems == [Problem("d.parnet", "unknown key “parnet”; did you mean “parent”?", 2)]


def test_mapping_required_key_with_empty_value() -> None:
    # given a required key present but empty
    doc = load("d:\n  code:\n  name: x\n")
    reader = Reader(doc)
    result = reader.mapping("d", doc.data["d"], required=["code", "name"], optional=[])
    # then the problem points at that key
    assert result == {"name": "x"}
    assert reader.problems == [Problem("d.code", "the required key “code” has no value", 2)]


def test_mapping_x_keys_are_dropped_silently() -> None:
    # given only known keys and x- keys
    reader = reader_for()
    result = reader.mapping("o", {"x-a": 1, "name": "n", "x-": "z"}, required=["name"], optional=[])
    assert result == {"name": "n"}
    assert reader.problems == []


@pytest.mark.parametrize(("value", "found"), [(["a"], "a list"), ("text", "“text”"), (None, "nothing")])
def test_mapping_of_a_non_mapping_is_none(value: Any, found: str) -> None:
    # given a value that is not a mapping
    reader = reader_for("o:\n  - a\n")
    # then the result is None and one problem says what was found
    assert reader.mapping("o", value, required=["a"], optional=[]) is None
    assert reader.problems == [Problem("o", f"expected a mapping (“key: value” pairs), found {found}", 1)]


def test_items_gives_paths_and_values() -> None:
    # given a list, nothing, and a non-list
    reader = reader_for("steps: x\n")
    # then a list gives indexed paths, None gives [], a scalar is an error
    assert reader.items("steps", ["a", {"b": "c"}]) == [("steps[0]", "a"), ("steps[1]", {"b": "c"})]
    assert reader.items("steps", None) == []
    assert reader.items("steps", "x") == []
    assert reader.problems == [Problem("steps", "expected a list, found “x”", 1)]


# ---------------------------------------------------------------------------------------
# Reader: scalars
# ---------------------------------------------------------------------------------------


def test_text_reads_scalars() -> None:
    reader = reader_for()
    assert reader.text("n", "华东精密") == "华东精密"
    assert reader.text("n", "  padded ") == "  padded "
    assert reader.text("n", None) is None
    assert reader.text("n", "abc", max_length=3) == "abc"
    assert reader.problems == []


def test_text_rejects_structures_long_and_missing_values() -> None:
    # given bad text values
    reader = reader_for()
    # then each returns None with its problem
    assert reader.text("a", {"k": "v"}) is None
    assert reader.text("b", ["x"]) is None
    assert reader.text("c", "abcd", max_length=3) is None
    assert reader.text("d", None, required=True) is None
    assert reader.text("e", "   ", required=True) is None
    assert [(p.path, p.message) for p in reader.problems] == [
        ("a", "expected text, found a mapping"),
        ("b", "expected text, found a list"),
        ("c", "“abcd” is too long (4 characters; at most 3)"),
        ("d", "a value is required here"),
        ("e", "a value is required here, but it is blank"),
    ]


@pytest.mark.parametrize("good", ["GM", "CS-HOT", "a", "0", "PULSE-2026Q1", "x.y_z-1", "A" * 32, "NO", "12"])
def test_code_accepts_valid_codes(good: str) -> None:
    reader = reader_for()
    assert reader.code("c", good) == good
    assert reader.problems == []


@pytest.mark.parametrize("bad", ["GM/1", "-GM", "_GM", ".GM", "A" * 33, "研发", "has space", "", "GM\n"])
def test_code_rejects_invalid_codes(bad: str) -> None:
    reader = reader_for()
    assert reader.code("departments[0].code", bad) is None
    assert reader.problems == [
        Problem(
            "departments[0].code",
            f"“{bad}” is not a valid code (letters, digits, “_”, “.”, “-”; at most 32 characters, "
            "starting with a letter or digit)",
            1,
        )
    ]


def test_code_of_a_list_is_expected_text() -> None:
    reader = reader_for()
    assert reader.code("c", ["GM"]) is None
    assert reader.problems[0].message == "expected text, found a list"


@pytest.mark.parametrize("good", ["lixia", "wang.jun", "u_1", "007", "a-b", "a" * 64])
def test_username_accepts_valid_usernames(good: str) -> None:
    reader = reader_for()
    assert reader.username("u", good) == good
    assert reader.problems == []


@pytest.mark.parametrize("bad", ["LiXia", "wang jun", "_x", "a" * 65, "李霞", "x@y", ""])
def test_username_rejects_invalid_usernames(bad: str) -> None:
    reader = reader_for()
    assert reader.username("people[1].username", bad) is None
    assert len(reader.problems) == 1
    assert reader.problems[0].message.startswith(f"“{bad}” is not a valid username (lowercase letters")


@pytest.mark.parametrize(("written", "number"), [("1", 1), ("0", 0), ("-5", -5), ("007", 7), ("60", 60)])
def test_integer_accepts_whole_numbers(written: str, number: int) -> None:
    reader = reader_for()
    assert reader.integer("n", written) == number
    assert reader.problems == []


@pytest.mark.parametrize("bad", ["1.0", "1e3", "+1", " 1", "0x10", "one", "1_000", "１", ""])
def test_integer_rejects_other_text(bad: str) -> None:
    reader = reader_for()
    assert reader.integer("n", bad) is None
    assert reader.problems == [Problem("n", f"“{bad}” is not a whole number", 1)]


def test_integer_checks_the_range() -> None:
    # given scores and a range of 1 to 5
    reader = reader_for()
    assert reader.integer("s", "1", minimum=1, maximum=5) == 1
    assert reader.integer("s", "5", minimum=1, maximum=5) == 5
    assert reader.integer("s", "6", minimum=1, maximum=5) is None
    assert reader.integer("m", "0", minimum=1) is None
    assert reader.integer("x", "11", maximum=10) is None
    assert reader.integer("big", "9" * 40) is None
    assert [p.message for p in reader.problems] == [
        "“6” is out of range; it must be between 1 and 5",
        "“0” is too small; it must be at least 1",
        "“11” is too large; it must be at most 10",
        f"“{'9' * 40}” is too large",
    ]


@pytest.mark.parametrize(
    ("written", "value"),
    [("true", True), ("True", True), ("TRUE", True), ("false", False), ("False", False), ("FALSE", False)],
)
def test_boolean_accepts_true_and_false(written: str, value: bool) -> None:
    reader = reader_for()
    assert reader.boolean("b", written) is value
    assert reader.problems == []


@pytest.mark.parametrize("bad", ["yes", "no", "on", "off", "1", "0", "y", "n", "NO", "真"])
def test_boolean_rejects_yaml11_words_and_numbers(bad: str) -> None:
    reader = reader_for()
    assert reader.boolean("active", bad) is None
    assert reader.problems == [Problem("active", f"“{bad}” is not a boolean; write true or false", 1)]


def test_date_reads_iso_dates() -> None:
    reader = reader_for()
    assert reader.date("d", "2026-03-01") == dt.date(2026, 3, 1)
    assert reader.date("d", "2024-02-29") == dt.date(2024, 2, 29)
    assert reader.date("d", None) is None
    assert reader.problems == []


@pytest.mark.parametrize("bad", ["2026/03/01", "2026-3-1", "20260301", "2026-03-01T00:00", "01-03-2026", " 2026-03-01"])
def test_date_rejects_other_formats(bad: str) -> None:
    reader = reader_for()
    assert reader.date("start", bad) is None
    assert reader.problems == [
        Problem("start", f"“{bad}” is not a date; write it as YYYY-MM-DD (for example 2026-03-01)", 1)
    ]


@pytest.mark.parametrize("unreal", ["2026-02-30", "2025-02-29", "2026-13-01", "2026-00-10", "0000-01-01"])
def test_date_rejects_dates_that_do_not_exist(unreal: str) -> None:
    reader = reader_for()
    assert reader.date("end", unreal) is None
    assert reader.problems == [Problem("end", f"“{unreal}” is not a real date", 1)]


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("2026-03-02T09:00", dt.datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)),
        ("2026-03-02T09:00:30", dt.datetime(2026, 3, 2, 9, 0, 30, tzinfo=SHANGHAI)),
        ("2026-03-02T09:00:30.5", dt.datetime(2026, 3, 2, 9, 0, 30, 500000, tzinfo=SHANGHAI)),
        ("2026-03-02T09:00:30.123456", dt.datetime(2026, 3, 2, 9, 0, 30, 123456, tzinfo=SHANGHAI)),
        ("2026-03-02T01:00Z", dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)),
        ("2026-03-02T09:00+08:00", dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)),
        ("2026-03-01T20:00-05:30", dt.datetime(2026, 3, 2, 1, 30, tzinfo=dt.UTC)),
    ],
)
def test_datetime_reads_iso_datetimes_as_aware(written: str, expected: dt.datetime) -> None:
    # given a datetime with or without offset
    reader = reader_for()
    result = reader.datetime("at", written, tz=SHANGHAI)
    # then it is aware and the same instant; without offset, local in the organization's zone
    assert result is not None
    assert result.tzinfo is not None
    assert result == expected
    assert reader.problems == []


def test_datetime_without_offset_is_organization_local_time() -> None:
    # given the same text read in two zones
    reader = reader_for()
    shanghai = reader.datetime("at", "2026-03-02T09:00", tz=SHANGHAI)
    berlin = reader.datetime("at", "2026-03-02T09:00", tz=ZoneInfo("Europe/Berlin"))
    # then it is the wall-clock time of each zone, not UTC
    assert shanghai is not None
    assert berlin is not None
    assert shanghai.utcoffset() == dt.timedelta(hours=8)
    assert shanghai.tzinfo is SHANGHAI
    assert berlin - shanghai == dt.timedelta(hours=7)


@pytest.mark.parametrize(
    "bad",
    [
        "2026-03-02",
        "2026-03-02 09:00",
        "2026-03-02T9:00",
        "2026-03-02T09",
        "2026-03-02T09:00+0800",
        "2026-03-02T09:00:00.1234567",
        "2026-03-02t09:00",
        "2026-03-02T09:00z",
        "20260302T0900",
    ],
)
def test_datetime_rejects_other_formats(bad: str) -> None:
    reader = reader_for()
    assert reader.datetime("opened_at", bad, tz=SHANGHAI) is None
    assert len(reader.problems) == 1
    assert reader.problems[0].message.startswith(f"“{bad}” is not a datetime; write it as YYYY-MM-DDTHH:MM")


@pytest.mark.parametrize("unreal", ["2026-02-30T09:00", "2026-03-02T24:00", "2026-03-02T09:60", "2026-03-02T09:00:61"])
def test_datetime_rejects_times_that_do_not_exist(unreal: str) -> None:
    reader = reader_for()
    assert reader.datetime("at", unreal, tz=SHANGHAI) is None
    assert reader.problems == [Problem("at", f"“{unreal}” is not a real date and time", 1)]


def test_datetime_rejects_invalid_offset() -> None:
    reader = reader_for()
    assert reader.datetime("at", "2026-03-02T09:00+24:00", tz=SHANGHAI) is None
    assert reader.datetime("at", "2026-03-02T09:00+08:60", tz=SHANGHAI) is None
    assert [p.message for p in reader.problems] == [
        "“2026-03-02T09:00+24:00” has an invalid UTC offset",
        "“2026-03-02T09:00+08:60” has an invalid UTC offset",
    ]


def test_datetime_in_a_daylight_saving_gap_is_an_error() -> None:
    # given 02:30 on the night New York's clocks jump from 02:00 to 03:00
    reader = reader_for()
    new_york = ZoneInfo("America/New_York")
    # then that local time does not exist; with an offset it is fine
    assert reader.datetime("at", "2026-03-08T02:30", tz=new_york) is None
    assert reader.datetime("at", "2026-03-08T02:30-05:00", tz=new_york) is not None
    assert len(reader.problems) == 1
    assert "does not exist in the time zone America/New_York" in reader.problems[0].message


def test_datetime_ambiguous_local_time_takes_the_earlier_instant() -> None:
    # given 01:30 on the night New York's clocks go back from 02:00 to 01:00
    reader = reader_for()
    result = reader.datetime("at", "2026-11-01T01:30", tz=ZoneInfo("America/New_York"))
    # then the first 01:30 (daylight time, UTC-4) is meant
    assert result is not None
    assert result.utcoffset() == dt.timedelta(hours=-4)


def test_choice_accepts_listed_values_only() -> None:
    reader = reader_for()
    levels = ["staff", "manager", "executive"]
    assert reader.choice("level", "manager", levels) == "manager"
    assert reader.choice("level", "mananger", levels) is None
    assert reader.choice("level", "Staff", levels) is None
    assert reader.choice("level", "boss", levels) is None
    assert [p.message for p in reader.problems] == [
        "“mananger” is not one of: staff, manager, executive; did you mean “manager”?",
        "“Staff” is not one of: staff, manager, executive; did you mean “staff”?",
        "“boss” is not one of: staff, manager, executive",
    ]


def test_text_list_reads_lists_of_text() -> None:
    reader = reader_for()
    assert reader.text_list("roles", ["admin", "coordinator"]) == ["admin", "coordinator"]
    assert reader.text_list("roles", None) == []
    assert reader.text_list("roles", []) == []
    assert reader.problems == []


def test_text_list_reports_bad_entries_and_non_lists() -> None:
    # given a scalar where a list belongs, and a list with a mapping and an empty entry
    doc = load("R: chenhao\nC:\n  - a\n  - {b: c}\n  -\n")
    reader = Reader(doc)
    # then a scalar is not wrapped, bad entries are left out with their own problems
    assert reader.text_list("R", doc.data["R"]) == []
    assert reader.text_list("C", doc.data["C"]) == ["a"]
    assert reader.text_list("I", {"k": "v"}) == []
    assert reader.problems == [
        Problem("R", "expected a list, found “chenhao”; write it as [chenhao]", 1),
        Problem("C[1]", "expected text, found a mapping", 4),
        Problem("C[2]", "this list entry is empty", 5),
        Problem("I", "expected a list, found a mapping", 1),  # not in the file: the document's line
    ]


def test_readers_return_none_for_absent_values_without_problems() -> None:
    reader = reader_for()
    assert reader.code("a", None) is None
    assert reader.username("a", None) is None
    assert reader.integer("a", None) is None
    assert reader.boolean("a", None) is None
    assert reader.date("a", None) is None
    assert reader.datetime("a", None, tz=SHANGHAI) is None
    assert reader.choice("a", None, ["x"]) is None
    assert reader.problems == []


def test_reader_collects_every_problem_with_its_line() -> None:
    # given a department list with several bad values
    text = (
        "departments:\n"  # 1
        "  - code: GM/1\n"  # 2
        "    name: 总经办\n"  # 3
        "    active: yes\n"  # 4
        "  - code: RD\n"  # 5
        "    parnet: GM\n"  # 6
        "    head: Chen Hao\n"  # 7
    )
    doc = load(text)
    reader = Reader(doc)
    # when a section handler reads all of it
    for path, item in reader.items("departments", doc.data["departments"]):
        obj = reader.mapping(path, item, required=["code", "name"], optional=["parent", "head", "active"])
        if obj is None:
            continue
        reader.code(f"{path}.code", obj.get("code"))
        reader.username(f"{path}.head", obj.get("head"))
        reader.boolean(f"{path}.active", obj.get("active"))
    # then every problem is there, with paths and lines
    assert [(p.path, p.line) for p in reader.problems] == [
        ("departments[0].code", 2),
        ("departments[0].active", 4),
        ("departments[1]", 5),
        ("departments[1].parnet", 6),
        ("departments[1].head", 7),
    ]
    assert str(reader.problems[0]).startswith("departments[0].code (line 2): “GM/1” is not a valid code")


def test_reader_error_uses_the_document_line() -> None:
    doc = load("a:\n  b: 1\n")
    reader = Reader(doc)
    reader.error("a.b", "custom")
    reader.error("a.c", "custom")
    reader.error("", "whole file")
    assert reader.problems == [Problem("a.b", "custom", 2), Problem("a.c", "custom", 1), Problem("", "whole file", 1)]


# ---------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------

# fmt: off
TRICKY_STRINGS = [
    "", " ", "  ", "\t", "null", "Null", "NULL", "~", "none", "None",
    "true", "True", "TRUE", "false", "FALSE", "yes", "Yes", "YES", "no", "No", "NO",
    "on", "On", "ON", "off", "Off", "OFF", "y", "Y", "n", "N", "yEs",
    "0", "1", "-1", "+1", "007", "0777", "0o17", "0O17", "0x1F", "0X1f", "0b1010", "1_000", "1,000",
    "1.5", "1.50", "-1.5", ".5", "5.", "1e3", "1E3", "1e+3", "1.0e-3", ".inf", "-.inf", "+.INF", ".nan", ".NaN",
    "inf", "nan", "Infinity",
    "12:30", "09:00", "24:00", "190:20:30", "1:2:3.5", "09:00-12:00",
    "2026-03-02", "2026-3-2", "2026-03-02T09:00", "2026-03-02T09:00:00", "2026-03-02 09:00:00",
    "2026-03-02T09:00:00+08:00", "2001-12-14t21:59:43.10-05:00", "2026-Q1",
    "=", "<<", "<", ">", "|", "-", "--", "---", "...", "- x", "-x", "?", "? x", ":", "x:", ":x", "a: b", "a:b",
    "#", "#x", "a #b", "a#b", "&x", "*x", "!x", "!!str", "%x", "@x", "`x", "'x'", '"x"', "'", '"', "''",
    "[a]", "]", "{a: b}", "}", ",", "a, b", "a,b", "[", "{",
    " lead", "trail ", " both ", "tab\there", "\ttab", "tab\t",
    "line\nbreak", "trailing newline\n", "\nleading newline", "two\n\nbreaks", "\n", "\n\n", "crlf\r\nx", "cr\rx",
    "lone \\ backslash", "back\\slash\\", "nel\x85x", "ls\u2028x", "ps\u2029x", "nbsp\xa0x", "\xa0", "bom\ufeffx",
    "\ufeff", "zw\u200bx", "bell\x07", "\x00nul", "del\x7f",
    "总经办", "跨部门协作满意度（一季度）", "三项核心协作流程自即日起执行。", "\u3000全角空格", "emoji 🎉", "é", "Ω",
    "person:wangjun", "dept:QA", "liaisons:all", "FREQ=WEEKLY;BYDAY=MO", "http://example.com/a?b=c#d",
    "wangjun", "CS-HOT", "4h", "1.5d", "x-key", "a b", "a  b", "Wang Jun", "O'Brien", 'say "hi"', "50%", "R&D",
    "a|b", "a>b", "a*b", "a!b", "C++", "1.2.3", "v1", "x" * 300, "很长" * 200, "a\\nb",
]
# fmt: on


@pytest.mark.parametrize("text", TRICKY_STRINGS)
def test_dump_then_load_gives_back_every_tricky_string(text: str) -> None:
    # given a tricky string as a value, a key, a list item, and inside short flow items
    data = {
        "value": text,
        text: "as a key",
        "list": [text, "plain"],
        "rows": [{"k": text, "n": "1"}, {"k": "x", "n": text}],
        "block": {"nested": {"deeper": text}},
    }
    # when it is written and read back
    dumped = dump_document(data)
    # then the data is identical
    assert load_document(dumped.encode("utf-8")).data == data, dumped


@pytest.mark.parametrize(
    "text",
    [
        "1",
        "-1",
        "1.50",
        "1e3",
        "0o17",
        "0x1F",
        ".inf",
        "yes",
        "no",
        "NO",
        "on",
        "off",
        "y",
        "n",
        "true",
        "False",
        "null",
        "~",
        "",
        "12:30",
        "2026-03-02",
        "2026-03-02T09:00:00",
        " lead",
        "trail ",
        "#x",
        "a: b",
        "- x",
        "@x",
        "`x",
        "!x",
        "&x",
        "*x",
        "%x",
        "|",
        ">",
        "'x'",
        "[a]",
        "{a}",
        "a #b",
        "?",
        "=",
        "<<",
        "person:wangjun",
    ],
)
def test_dump_double_quotes_values_yaml_could_misread(text: str) -> None:
    # given a string that some YAML reader would not read back as this text if unquoted
    dumped = dump_document({"v": text})
    # then it is written in double quotes
    assert dumped.startswith('v: "'), dumped


@pytest.mark.parametrize(
    "text",
    [
        "wangjun",
        "CS-HOT",
        "4h",
        "1.5d",
        "2026-Q1",
        "总经办",
        "FREQ=WEEKLY;BYDAY=MO",
        "Wang Jun",
        "1.2.3",
        "heads_of_parties",
        "8D报告",
        "跨部门协作满意度（一季度）",
        "zh-hans",
        "Asia/Shanghai",
    ],
)
def test_dump_writes_safe_values_plain(text: str) -> None:
    # given a string that no YAML reader takes for anything else
    # then it is written without quotes
    assert dump_document({"v": text}) == f"v: {text}\n"


@pytest.mark.parametrize("text", TRICKY_STRINGS)
def test_dump_is_read_the_same_by_pyyaml_itself(text: str) -> None:
    # given data with a tricky string, an int, a bool and None
    data = {"value": text, "rows": [{"k": text}], text: [1, True, None]}
    # when another tool reads the file with PyYAML's own typing
    dumped = dump_document(data)
    # then every string is still that string, and the other values keep their types
    assert yaml.safe_load(dumped) == data


def test_dump_writes_multiline_text_as_literal_blocks() -> None:
    # given multi-line texts with no, one and two final line breaks
    data = {"a": "x\ny", "b": "x\ny\n", "c": "x\n\ny\n\n", "d": "\nfirst line empty"}
    # then each is a literal block with the chomping indicator that keeps it exact
    assert dump_document(data) == (
        "a: |-\n  x\n  y\nb: |\n  x\n  y\nc: |+\n  x\n\n  y\n\nd: |-\n\n  first line empty\n"
    )
    assert load_document(dump_document(data).encode()).data == data


@pytest.mark.parametrize("text", ["  indented first\nline", "trailing space \nline", "\n\n", "cr\r\nlf", "nel\x85x\ny"])
def test_dump_writes_multiline_text_in_quotes_when_a_block_would_change_it(text: str) -> None:
    # given multi-line text that a literal block would not keep exactly (or that an editor would change)
    dumped = dump_document({"v": text})
    # then it is one double-quoted line with escapes
    assert dumped.startswith('v: "')
    assert dumped.count("\n") == 1
    assert load_document(dumped.encode()).data == {"v": text}


def test_dump_escapes_characters_yaml_does_not_allow_raw() -> None:
    # given control, line-separator and byte-order-mark characters
    dumped = dump_document({"v": "a\x07b\x7fc\x85d\u2028e\ufefff"})
    # then they are written as escapes, and read back
    assert dumped == 'v: "a\\u0007b\\u007fc\\u0085d\\u2028e\\ufefff"\n'
    assert load_document(dumped.encode()).data == {"v": "a\x07b\x7fc\x85d\u2028e\ufefff"}


def test_dump_writes_a_very_long_key_as_an_explicit_key() -> None:
    # given a key longer than YAML allows for a simple key
    key = "k" * 2000
    data = {key: {"a": "b"}, "short": [key]}
    # then it reads back the same
    dumped = dump_document(data)
    assert dumped.startswith("? ")
    assert load_document(dumped.encode()).data == data


def test_dump_round_trip_of_random_nested_data() -> None:
    # given random nests of mappings, lists, tricky strings, ints, bools and None
    rng = random.Random(7)
    alphabet = [*"ab0 :#-?,[]{}&*!|>'\"%@`~=.+_\\\t\n\n", "总", "\x85", "\u2028", "🎉", "\x00"]

    def text() -> str:
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 10)))

    def value(depth: int) -> Any:
        roll = rng.random()
        if depth > 3 or roll < 0.5:
            return rng.choice([text(), text(), None, rng.randint(-3, 3), True, False, ""])
        if roll < 0.75:
            return {text(): value(depth + 1) for _ in range(rng.randint(0, 4))}
        return [value(depth + 1) for _ in range(rng.randint(0, 4))]

    for _round in range(300):
        data = {text(): value(0) for _ in range(rng.randint(1, 5))}
        # when written and read back, by this module and by PyYAML
        dumped = dump_document(data)
        # then both give the data back
        assert load_document(dumped.encode("utf-8")).data == normalised(data), dumped
        assert yaml.safe_load(dumped) == data, dumped


def test_dump_writes_ints_bools_and_none_plain() -> None:
    # given Python ints, bools and None
    dumped = dump_document({"version": 1, "active": True, "closed": False, "parent": None, "score": -3})
    # then they are written plain, and read back as text / None
    assert dumped == "version: 1\nactive: true\nclosed: false\nparent: null\nscore: -3\n"
    assert load_document(dumped.encode()).data == {
        "version": "1",
        "active": "true",
        "closed": "false",
        "parent": None,
        "score": "-3",
    }


def test_dump_layout_is_block_two_space_unicode_in_order() -> None:
    # given nested data in a deliberate key order
    data = {
        "version": 1,
        "organization": {"name": "华东精密", "schedule": {"working_hours": ["09:00-12:00", "13:00-18:00"]}},
        "departments": [{"code": "GM", "name": "总经办"}, {"code": "RD", "name": "研发部", "parent": "GM"}],
        "notes": [{"text": "first\nsecond\n"}],
    }
    # when written
    dumped = dump_document(data)
    # then the layout is the example package's
    assert dumped == (
        "version: 1\n"
        "organization:\n"
        "  name: 华东精密\n"
        "  schedule:\n"
        '    working_hours: ["09:00-12:00", "13:00-18:00"]\n'
        "departments:\n"
        "  - {code: GM, name: 总经办}\n"
        "  - {code: RD, name: 研发部, parent: GM}\n"
        "notes:\n"
        "  - text: |\n"
        "      first\n"
        "      second\n"
    )


def test_dump_writes_long_items_in_block_style_for_the_whole_list() -> None:
    # given a list where one item is too long for one line
    data = {"items": [{"code": "A", "note": "short"}, {"code": "B", "note": "long " * 40}]}
    dumped = dump_document(data)
    # then every item of that list is in block style, and it reads back
    assert "{" not in dumped
    assert "  - code: A\n    note: short\n" in dumped
    assert load_document(dumped.encode()).data == data


def test_dump_writes_no_anchors_for_shared_values() -> None:
    # given the same list object used twice
    shared = ["a", "b"]
    dumped = dump_document({"p": shared, "q": shared})
    # then it is written out twice, without &anchors
    assert dumped == "p: [a, b]\nq: [a, b]\n"


def test_dump_round_trips_empty_collections_and_nesting() -> None:
    data: dict[str, Any] = {"a": {}, "b": [], "c": [[], {}], "d": [["x", ["y"]], {"e": [{"f": None}]}], "g": None}
    assert load_document(dump_document(data).encode()).data == data


def test_dump_writes_dates_as_quoted_iso_text() -> None:
    # given dates and datetimes from the database
    data = {"start": dt.date(2026, 3, 1), "at": dt.datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)}
    dumped = dump_document(data)
    # then they are ISO text in quotes
    assert dumped == 'start: "2026-03-01"\nat: "2026-03-02T09:00:00+08:00"\n'


def test_dump_round_trip_of_random_tricky_strings() -> None:
    # given many random strings built from YAML's special characters, digits and CJK text
    alphabet = [*"ab09 :#-?,[]{}&*!|>'\"%@`~=<.+_\\/\t\n\rTZyYnN", "总", "\u3000", "\x85", "\u2028", "\u2029"]
    alphabet += ["\ufeff", "🎉", "\x00", "\x7f", "\xa0", "\u200b", "\x1b"]
    rng = random.Random(20260302)
    strings = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12))) for _ in range(1500)]
    data = {"values": strings, "keys": {s: str(i) for i, s in enumerate(strings)}}
    # when written and read back
    dumped = dump_document(data)
    # then every string comes back identical
    assert load_document(dumped.encode("utf-8")).data == data


def test_dump_round_trip_of_mixed_python_values() -> None:
    data = {"n": [1, -2, 0], "b": [True, False], "s": ["1", "true"], "m": {"1": 2, "k": {"deep": [None, 3]}}}
    assert load_document(dump_document(data).encode()).data == normalised(data)


def test_demo_package_round_trips() -> None:
    # given the example package of the spec
    original = load_document(DEMO_PACKAGE.read_bytes(), name=DEMO_PACKAGE.name)
    # when it is written and read again
    dumped = dump_document(original.data)
    again = load_document(dumped.encode("utf-8"))
    # then the data is the same, and values YAML could misread are quoted
    assert again.data == original.data
    assert original.data["version"] == "1"
    assert original.data["projects"][0]["start"] == "2026-03-01"
    assert original.data["escalation_ladders"][0]["default"] == "true"
    assert 'start: "2026-03-01"' in dumped
    assert 'default: "true"' in dumped
    assert "name: 华东精密制造有限公司" in dumped
    assert dump_document(again.data) == dumped


def test_demo_package_lines_point_at_the_values() -> None:
    doc = load_document(DEMO_PACKAGE.read_bytes())
    source = DEMO_PACKAGE.read_text("utf-8").splitlines()
    # then each recorded line holds the value's text
    assert "CP-2" in source[doc.line("processes[0].steps[1].code") - 1]  # type: ignore[operator]
    assert "XT-COMM" in source[doc.line("committees[0]") - 1]  # type: ignore[operator]
    assert "score: 4" in source[doc.line("records.surveys[0].responses[5].score") - 1]  # type: ignore[operator]


def test_text_with_a_control_character_is_refused():
    # given: a double-quoted escape that yields NUL, which no database column can store
    doc = load_document(b'name: "a\\0b"\n')
    reader = Reader(doc)
    # when
    value = reader.text("name", doc.data["name"])
    # then
    assert value is None
    assert [str(p) for p in reader.problems] == [
        "name (line 1): the text contains the control character U+0000, which cannot be stored"
    ]


@pytest.mark.parametrize(
    "raw",
    [
        b'{"version": 1, "a": [true, false, null, [true, 1.50, -0, 1e5]], "b": {"c": "", "d": "\\u4e2d\\u6587"}}',
        '{"名 称": "研发中心", "n": 123456789012345678901234567890, "t": "2026-03-02T09:00"}'.encode(),
        b'{\n  "departments": [\n    {"code": "GM", "active": false},\n    {"code": "RD", "parent": "GM"}\n  ]\n}',
    ],
)
def test_json_fast_path_reads_what_the_yaml_reader_reads(raw: bytes) -> None:
    # given a JSON package (read by the C JSON parser, not the YAML reader)
    from xietong.packages.document import _parse_yaml

    doc = load_document(raw)
    slow = _parse_yaml(raw.decode(), "")
    # then every value is the same text as the YAML reader gives, and the lines are found on demand
    assert doc._source is not None
    assert doc.data == slow.data
    assert doc.lines == slow.lines


def test_json_with_a_duplicate_key_is_reported_with_its_line() -> None:
    # given JSON that the fast path declines (a duplicate key)
    raw = b'{\n  "version": 1,\n  "version": 2\n}'
    # then the YAML reader reports it, with the line
    with pytest.raises(DocumentError) as caught:
        load_document(raw)
    assert caught.value.problems[0].line == 3
    assert "duplicate key" in caught.value.problems[0].message
