"""Small helpers shared by the apps' views."""

from __future__ import annotations

from typing import Any

from django import forms

from xietong.common.exceptions import ApplicationError


def add_service_errors(form: forms.BaseForm, exc: ApplicationError) -> None:
    """Show a service's refusal on the form: field errors on their fields, the rest on top."""
    placed = False
    for field, messages in exc.field_errors.items():
        for message in messages:
            if field in form.fields:
                form.add_error(field, message)
                placed = True
            else:
                form.add_error(None, f"{field}: {message}" if field != "__all__" else message)
                placed = True
    if not placed:
        form.add_error(None, exc.message)


def changed_values(form: forms.ModelForm, fields: list[str] | tuple[str, ...]) -> dict[str, Any]:
    return {f: form.cleaned_data[f] for f in fields if f in form.cleaned_data}
