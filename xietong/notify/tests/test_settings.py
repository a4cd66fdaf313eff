"""The e-mail and site settings come from the environment (read in a fresh interpreter each time)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

NAMES = (
    "EMAIL_BACKEND",
    "EMAIL_HOST",
    "EMAIL_PORT",
    "EMAIL_HOST_USER",
    "EMAIL_HOST_PASSWORD",
    "EMAIL_USE_TLS",
    "DEFAULT_FROM_EMAIL",
    "XIETONG_SITE_URL",
    "XIETONG_WEBHOOK_TIMEOUT",
)
SCRIPT = (
    "import json\n"
    "from xietong.config import settings as s\n"
    f"print(json.dumps({{n: getattr(s, n, None) for n in {NAMES!r}}}))\n"
)


def _settings(tmp_path: Any, **environment: str) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EMAIL_", "DEFAULT_FROM", "XIETONG_SITE"))}
    env |= {"XIETONG_DATA_DIR": str(tmp_path), "SECRET_KEY": "x"} | environment
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        (
            {},
            {
                "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
                "DEFAULT_FROM_EMAIL": "xietong <noreply@localhost>",
                "XIETONG_SITE_URL": "http://127.0.0.1:8000",
                "XIETONG_WEBHOOK_TIMEOUT": 5.0,
            },
        ),
        (
            {
                "EMAIL_URL": "smtp+tls://robot%40example.cn:pa%3Ass@smtp.example.cn:587",
                "DEFAULT_FROM_EMAIL": "协同 <robot@example.cn>",
            },
            {
                "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "EMAIL_HOST": "smtp.example.cn",
                "EMAIL_PORT": 587,
                "EMAIL_HOST_USER": "robot@example.cn",
                "EMAIL_HOST_PASSWORD": "pa:ss",
                "EMAIL_USE_TLS": True,
                "DEFAULT_FROM_EMAIL": "协同 <robot@example.cn>",
            },
        ),
        (
            {
                "EMAIL_HOST": "smtp.example.cn",
                "EMAIL_PORT": "465",
                "EMAIL_HOST_USER": "u",
                "EMAIL_HOST_PASSWORD": "p",
                "EMAIL_USE_TLS": "true",
            },
            {
                "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "EMAIL_HOST": "smtp.example.cn",
                "EMAIL_PORT": 465,
                "EMAIL_HOST_USER": "u",
                "EMAIL_HOST_PASSWORD": "p",
                "EMAIL_USE_TLS": True,
            },
        ),
        (
            {"XIETONG_SITE_URL": "https://xt.example.cn", "XIETONG_WEBHOOK_TIMEOUT": "2.5"},
            {"XIETONG_SITE_URL": "https://xt.example.cn", "XIETONG_WEBHOOK_TIMEOUT": 2.5},
        ),
    ],
)
def test_settings_from_the_environment(tmp_path, environment, expected):
    found = _settings(tmp_path, **environment)
    assert {name: found[name] for name in expected} == expected
