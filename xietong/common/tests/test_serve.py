"""`xietong serve`: gunicorn loads the application once, before it forks the workers, and the
workers inherit no open connection from it."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest

from xietong.common.management.commands import serve

PROBE = """
from django.db import connection
from django.urls import get_resolver
from xietong.common.management.commands import serve
import django
django.setup()
connection.ensure_connection()  # as if something had asked the database before the fork
application = serve.preloaded_application()
print(type(application).__name__, get_resolver()._populated, connection.connection is None)
"""


def test_the_preloaded_application_has_its_urls_loaded_and_holds_no_connection(tmp_path):
    # given: a fresh interpreter, as gunicorn's master is
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "xietong.config.settings",
        "XIETONG_DATA_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    # when
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=120)
    # then: the URLs loaded, and no connection left for the forked workers to share
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["WSGIHandler", "True", "True"]


class Replaced(Exception):
    pass


def test_serve_starts_gunicorn_with_the_preloaded_application(monkeypatch):
    # given: no migration, no static files, no server started for real
    started: list[list[str]] = []
    monkeypatch.setattr(serve, "call_command", lambda *args, **kwargs: None)

    def execvp(_file: str, argv: list[str]) -> Any:
        started.append(argv)
        raise Replaced  # os.execvp does not return: the process becomes gunicorn

    monkeypatch.setattr(serve.os, "execvp", execvp)
    # when
    with pytest.raises(Replaced):
        serve.Command().run_from_argv(["xietong", "serve", "--no-worker", "--bind", "127.0.0.1:8123", "--workers", "3"])
    # then
    (argv,) = started
    assert argv[argv.index("-m") + 1 :][:2] == ["gunicorn", serve.APPLICATION]
    assert "--preload" in argv
    assert argv[argv.index("--workers") + 1] == "3"
    assert argv[argv.index("--bind") + 1] == "127.0.0.1:8123"


@pytest.mark.parametrize("name", serve.WARM_TEMPLATES)
def test_the_warmed_templates_exist(name):
    from django.template.loader import get_template

    assert get_template(name) is not None
