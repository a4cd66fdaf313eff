"""What the organization tells the apps above it (it imports none of them).

``org_changed`` is sent by the org services (xietong.org.services) inside the transaction that
created or changed people or departments, once the rows are written, with:

- ``kind``: ``"person"`` or ``"department"`` (``sender`` is the model);
- ``pks``: the ids of the objects changed, a tuple of ints;
- ``fields``: the names of the fields that changed (on creation, the fields that were given).

A receiver runs inside that transaction: what it writes commits or rolls back with the change, and
an exception aborts the change. Work that must wait for the commit goes through
``transaction.on_commit``. A password or a personal language preference is not organization data:
they send nothing. The package import writes in bulk and sends nothing either: apps catch up after
an import through ``xietong.packages.registry.register_after_import``. Writes that go around the
services (raw ``update()``, the shell) send nothing.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.dispatch import Signal

from xietong.org.models import Department, Person

org_changed = Signal()

_MODELS = {"person": Person, "department": Department}


def send_org_changed(*, kind: str, pks: Iterable[int], fields: Iterable[str]) -> None:
    """Tell the receivers of ``org_changed``; call it inside the writing transaction."""
    org_changed.send(sender=_MODELS[kind], kind=kind, pks=tuple(int(pk) for pk in pks), fields=tuple(fields))
