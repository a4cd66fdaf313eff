"""The Tasks API on Redis (django-tasks-rq): what scales the background work out, run for real."""

import os
import subprocess
import sys
from pathlib import Path

ENQUEUE = """
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from xietong.common.tasks import tick_task
print(tick_task.enqueue().id)
"""
RESULT = """
import sys
import django
django.setup()
from xietong.common.tasks import tick_task
print(tick_task.get_backend().get_result(sys.argv[1]).status)
"""


def _run(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


def test_a_task_enqueued_on_redis_is_run_by_an_rq_worker(tmp_path: Path) -> None:
    # given: the RQ backend on Redis database 15 (empty it first), an embedded database of its own
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "xietong.config.settings",
        "TASKS_BACKEND": "django_tasks_rq.RQBackend",
        "REDIS_URL": "redis://127.0.0.1:6379/15",
        "XIETONG_DATA_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    python, xietong = sys.executable, [sys.executable, "-m", "xietong.cli"]
    subprocess.run(["redis-cli", "-n", "15", "flushdb"], check=True, capture_output=True)
    task_id = _run([python, "-c", ENQUEUE], env).splitlines()[-1]
    assert _run([python, "-c", RESULT, task_id], env).endswith("READY")
    # when
    _run([*xietong, "rqworker", "--burst", "--job-class", "django_tasks_rq.backend.Job"], env)
    # then
    assert _run([python, "-c", RESULT, task_id], env).endswith("SUCCESSFUL")
