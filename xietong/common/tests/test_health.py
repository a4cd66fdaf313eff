"""``/healthz``: 200 "ok" in plain text, no sign-in, no database, through the normal middleware."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse


def test_healthz_answers_ok_in_plain_text_without_the_database() -> None:
    # given: an anonymous visitor with a language cookie (so the language middleware asks nothing),
    # and no database access allowed (this test has no django_db mark: any query would fail it)
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    # when
    response = client.get(reverse("healthz"))
    # then
    assert response.status_code == 200
    assert response.content == b"ok"
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert "no-store" in response["Cache-Control"]


def test_healthz_goes_through_the_middleware_stack() -> None:
    # given
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    # when
    response = client.get("/healthz")
    # then: the headers that the security, clickjacking, CSP and language middleware add
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["Content-Language"] == "zh-hans"


@pytest.mark.django_db
def test_healthz_refuses_writing() -> None:
    # given
    client = Client()
    # when
    response = client.post("/healthz")
    # then
    assert response.status_code == 405
