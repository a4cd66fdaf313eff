"""The Excel (.xlsx) template for departments and people.

A filled-in workbook becomes the same tree as a package file (sections ``departments`` and
``people``), so it goes through exactly the same validation; a problem's "line" is the row.
openpyxl reads through defusedxml when it is installed (it is a dependency), which guards
against XML bombs in uploaded files.
"""

from __future__ import annotations

import io
import zipfile
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils.exceptions import InvalidFileException

from xietong.packages.document import Document, DocumentError, Problem

SHEETS: dict[str, tuple[str, ...]] = {
    "departments": ("code", "name", "parent", "head", "liaison", "deputy_liaison", "active"),
    "people": ("username", "name", "department", "title", "level", "email", "roles", "active"),
}
LIST_COLUMNS = {("people", "roles")}
EXAMPLES: dict[str, list[tuple[Any, ...]]] = {
    "departments": [
        ("GM", "总经办", None, "wangjun", None, None, True),
        ("RD", "研发部", "GM", "chenhao", "liuyang", None, True),
    ],
    "people": [
        ("wangjun", "王军", "GM", "总经理", "executive", "wangjun@example.com", None, True),
        ("chenhao", "陈浩", "RD", "研发总监", "manager", None, None, True),
        ("liuyang", "刘洋", "RD", "项目经理", "staff", None, "coordinator", True),
    ],
}


def xlsx_template() -> bytes:
    """An empty-but-explained workbook: one sheet per section, a header row of package keys, examples."""
    wb = Workbook()
    wb.remove(wb.active)
    for sheet, columns in SHEETS.items():
        ws = wb.create_sheet(sheet)
        ws.append(list(columns))
        for cell in ws[1]:
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="DDEBF7")
        for row in EXAMPLES[sheet]:
            ws.append(list(row))
        for i, _col in enumerate(columns):
            ws.column_dimensions[chr(ord("A") + i)].width = 18
    notes = wb.create_sheet("README")
    for line in (
        _("Fill in the sheets “departments” and “people”; the first row holds the column keys, do not change it."),
        _("Replace the example rows. Codes and usernames identify rows: importing again updates them in place."),
        _("parent/head/liaison/deputy_liaison: a department code or a username; empty when there is none."),
        _("level: staff, manager or executive. roles: admin and/or coordinator, separated by commas."),
        _("active: TRUE or FALSE (empty means TRUE)."),
    ):
        notes.append([line])
    notes.column_dimensions["A"].width = 120
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _cell_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text or None


def xlsx_to_document(raw: bytes) -> Document:
    """Read a filled-in template into a package tree. Raises DocumentError for an unreadable file."""
    try:
        wb = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise DocumentError(Problem("", _("the file is not an Excel workbook (.xlsx)"), None)) from exc
    data: dict[str, Any] = {}
    lines: dict[str, int] = {}
    problems: list[Problem] = []
    for sheet, columns in SHEETS.items():
        if sheet not in wb.sheetnames:
            continue
        rows = wb[sheet].iter_rows(values_only=True)
        header = [(_cell_text(v) or "") for v in next(rows, ())]
        unknown = [h for h in header if h and h not in columns]
        if unknown:
            problems.append(
                Problem(
                    sheet,
                    _("unknown column(s) {columns} in the sheet “{sheet}”").format(
                        columns=", ".join(f"“{u}”" for u in unknown), sheet=sheet
                    ),
                    1,
                )
            )
            continue
        items: list[dict[str, Any]] = []
        for row_number, row in enumerate(rows, start=2):
            values = {key: _cell_text(v) for key, v in zip(header, row, strict=False) if key}
            if not any(values.values()):
                continue
            item: dict[str, Any] = {}
            for key, text in values.items():
                if text is None:
                    continue
                if (sheet, key) in LIST_COLUMNS:
                    item[key] = [p.strip() for p in text.replace("，", ",").split(",") if p.strip()]
                else:
                    item[key] = text
            path = f"{sheet}[{len(items)}]"
            lines[path] = row_number
            for key in item:
                lines[f"{path}.{key}"] = row_number
            items.append(item)
        data[sheet] = items
        lines[sheet] = 1
    if problems:
        raise DocumentError(problems)
    if not data:
        raise DocumentError(Problem("", _("the workbook has neither a “departments” nor a “people” sheet"), None))
    return Document(data=data, lines=lines)
