from __future__ import annotations

import os
import signal
import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


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
            "xietong.config.wsgi:application",
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
