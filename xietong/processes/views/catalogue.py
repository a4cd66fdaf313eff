"""The process catalogue, process pages (swimlane, versions, figures) and the process editor."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
