"""Cases: list, page, actions, opening one; my department's steps; hand-offs between departments."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
