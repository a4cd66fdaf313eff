"""Helpers for the package tests: package texts, and a snapshot of every row an import may touch."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent
from typing import Any

import pytest

from xietong.audit.models import AuditEntry
from xietong.org.models import Committee, Department, Organization, Person
from xietong.packages.importer import ImportFailed, package_import

DATA = Path(__file__).parent / "data"
# A copy of shared/examples/demo-package.yaml, the spec's example.
EXAMPLE = DATA / "demo-package.yaml"


def package(text: str) -> bytes:
    """A package file from an indented triple-quoted string; its first line is line 1."""
    return dedent(text).lstrip("\n").encode()


def example_core() -> bytes:
    """The spec's example with only the sections implemented so far (it stops before ``processes``)."""
    text = EXAMPLE.read_text(encoding="utf-8")
    return text[: text.index("\nprocesses:") + 1].encode()


def db_snapshot() -> dict[str, list[dict[str, Any]]]:
    """Every row of the organization's tables and of the audit trail, to compare before and after."""
    return {
        "organization": list(Organization.objects.order_by("pk").values()),
        "departments": list(Department.objects.order_by("pk").values()),
        "people": list(Person.objects.order_by("pk").values()),
        "committees": list(Committee.objects.order_by("pk").values()),
        "members": list(Committee.members.through.objects.order_by("pk").values()),
        "audit": list(AuditEntry.objects.order_by("pk").values()),
    }


def import_problems(raw: bytes, **kwargs: Any) -> list[str]:
    """Import ``raw``, which must fail; return its problems as the CLI prints them."""
    with pytest.raises(ImportFailed) as failed:
        package_import(raw=raw, **kwargs)
    return [str(problem) for problem in failed.value.problems]


def empty_database() -> None:
    """Delete the organization, so that a package can be imported into an empty database."""
    AuditEntry.objects.all().delete()
    Committee.objects.all().delete()
    Department.objects.update(parent=None, head=None, liaison=None, deputy_liaison=None)
    Person.objects.all().delete()
    Department.objects.all().delete()
    Organization.objects.all().delete()
