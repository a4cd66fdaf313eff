"""Domain errors raised by services; views and the API turn them into user-facing messages."""

from __future__ import annotations

from typing import Any


class ApplicationError(Exception):
    """A request the domain refuses, with a message in the user's language.

    ``field_errors`` maps a field name to its messages, for forms and the API.
    """

    def __init__(self, message: Any, *, code: str = "invalid", field_errors: dict[str, list[Any]] | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.field_errors = field_errors or {}
