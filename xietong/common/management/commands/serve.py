"""``xietong serve``: gunicorn (with the application loaded once, before the workers fork), the
background worker and the tick scheduler."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

# gunicorn calls this factory once, in its master process (--preload): see preloaded_application.
APPLICATION = "xietong.common.management.commands.serve:preloaded_application()"
WARM_TEMPLATES = ("base.html", "home.html")


def preloaded_application() -> WSGIHandler:
    """The WSGI application with what a first request would load already loaded: every app's URLs
    and views (about 2 s), the base templates, the message catalogues. gunicorn builds it once in its
    master and forks the workers from it, so no worker keeps its first visitor waiting, and the
    workers share these pages of memory.

    Nothing opened here may be shared by the forked workers: the database connections and the cache
    clients are closed before the fork (each worker opens its own on its first use, as Django does
    anyway). The background worker and the tick scheduler are separate processes, started apart."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xietong.config.settings")
    from django.core.cache import close_caches
    from django.core.wsgi import get_wsgi_application
    from django.db import connections
    from django.template.loader import get_template
    from django.urls import reverse
    from django.utils import translation

    application = get_wsgi_application()
    reverse("home")  # imports every URLconf and view, and builds the reverse map
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            for name in WARM_TEMPLATES:
                get_template(name)
    connections.close_all()
    close_caches()
    return application


class Command(BaseCommand):
    help = "Run xietong as in production: gunicorn, static files served by whitenoise."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default=os.environ.get("XIETONG_BIND", "127.0.0.1:8000"))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("XIETONG_WORKERS", "2")))
        parser.add_argument("--no-migrate", action="store_true", help="do not apply pending migrations first")
        parser.add_argument(
            "--no-worker", action="store_true", help="do not start the background worker and the tick scheduler"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["no_migrate"]:
            call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        argv = [
            sys.executable,
            "-m",
            "gunicorn",
            APPLICATION,
            "--preload",
            "--bind",
            options["bind"],
            "--workers",
            str(options["workers"]),
            "--access-logfile",
            "-",
            "--timeout",
            "60",
        ]
        self.stdout.write(self.style.SUCCESS(f"xietong: http://{options['bind']}/"))
        sys.stdout.flush()
        if options["no_worker"]:
            os.execvp(argv[0], argv)
        xietong = [sys.executable, "-m", "xietong.cli"]
        if settings.TASKS["default"]["BACKEND"] == "django_tasks_rq.RQBackend":
            worker = ["rqworker", "--job-class", "django_tasks_rq.backend.Job"]
        else:
            worker = ["db_worker", "--no-startup-delay"]
        helpers = [
            subprocess.Popen([*xietong, *worker]),
            subprocess.Popen([*xietong, "tick", "--every", str(settings.XIETONG_TICK_SECONDS)]),
        ]
        server = subprocess.Popen(argv)
        # Stopped by a supervisor (SIGTERM): stop gunicorn gracefully, then the helpers (below).
        signal.signal(signal.SIGTERM, lambda _signum, _frame: server.send_signal(signal.SIGTERM))
        try:
            server.wait()
        except KeyboardInterrupt:
            server.send_signal(signal.SIGINT)
            server.wait()
        finally:
            for helper in helpers:
                helper.terminate()
            for helper in helpers:
                helper.wait(timeout=10)
