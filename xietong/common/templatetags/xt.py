"""Template helpers: Bootstrap/Tabler classes on form widgets."""

from __future__ import annotations

from typing import Any

from django import forms, template

register = template.Library()


@register.filter
def styled(bound_field: Any) -> Any:
    """Render a bound field's widget with the Tabler class that fits it (and is-invalid on errors)."""
    widget = bound_field.field.widget
    if isinstance(widget, forms.CheckboxInput):
        css = "form-check-input"
    elif isinstance(widget, forms.Select | forms.SelectMultiple):
        css = "form-select"
    else:
        css = "form-control"
    if bound_field.errors:
        css += " is-invalid"
    return bound_field.as_widget(attrs={"class": css})


@register.filter
def is_checkbox(bound_field: Any) -> bool:
    return isinstance(bound_field.field.widget, forms.CheckboxInput)


@register.simple_tag(takes_context=True)
def page_url(context: Any, number: int) -> str:
    """The current URL's query string with ``page`` set to ``number`` (filters are kept)."""
    query = context["request"].GET.copy()
    query["page"] = number
    return "?" + query.urlencode()
