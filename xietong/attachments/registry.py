"""Which models may own attachments, and who may see an owner.

An app registers its owner models from its ``AppConfig.ready()``::

    register_owner(StepRun, lambda user, object_id: cases_visible_to(user).filter(step_runs=object_id).exists())

``access(user, object_id)`` answers whether ``user`` may see the owner whose primary key is
``object_id`` (a string, as stored on the attachment). An attachment whose owner's model is not
registered is nobody's to download (404).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import models

Access = Callable[[Any, str], bool]

_owners: dict[str, Access] = {}


def _key(model: type[models.Model]) -> str:
    return model._meta.concrete_model._meta.label_lower if model._meta.concrete_model else model._meta.label_lower


def register_owner(model: type[models.Model], access: Access) -> None:
    """Let ``model``'s objects own attachments, seen by whoever ``access`` lets see the owner."""
    _owners[_key(model)] = access


def owner_access(model: type[models.Model] | None) -> Access | None:
    """The access check registered for ``model``, or None when it is not an owner model."""
    return None if model is None else _owners.get(_key(model))


def is_owner_model(model: type[models.Model]) -> bool:
    return _key(model) in _owners
