"""deploy/: the compose file, the nginx configuration and the example environment agree with each
other and with xietong (no container engine is needed; docs/deployment.md says what ran where)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
DOCS = DEPLOY.parent / "docs"


def _compose() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())


def _example_environment() -> dict[str, str]:
    lines = (DEPLOY / "env.example").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def test_the_compose_file_runs_two_web_servers_workers_one_scheduler_and_migrates_first() -> None:
    # given
    services = _compose()["services"]
    # then: the web servers serve without a worker of their own, after the one-shot migration
    for name in ("web1", "web2"):
        assert services[name]["command"][:4] == ["xietong", "serve", "--no-worker", "--no-migrate"]
        assert services[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    assert services["migrate"]["command"] == ["xietong", "migrate", "--noinput"]
    assert services["worker"]["command"] == ["xietong", "rqworker", "--job-class", "django_tasks_rq.backend.Job"]
    assert services["worker"]["deploy"]["replicas"] == 2
    assert services["scheduler"]["command"][:3] == ["xietong", "tick", "--every"]
    # every xietong container talks to the same database, Redis queue and cache, with the RQ backend
    xietong = [name for name, service in services.items() if service.get("image") == "xietong:latest"]
    assert sorted(xietong) == ["migrate", "scheduler", "web1", "web2", "worker"]
    for name in xietong:
        environment = services[name]["environment"]
        assert environment["TASKS_BACKEND"] == "django_tasks_rq.RQBackend"
        assert environment["DATABASE_URL"].endswith("@db:5432/xietong")
        assert environment["REDIS_URL"] == "redis://redis:6379/0"
        assert environment["CACHE_URL"] == "rediscache://redis:6379/1"
        assert services[name]["volumes"] == ["files:/data"]  # uploads and pending imports, shared


def test_nginx_sends_requests_to_both_web_servers_and_takes_the_largest_upload() -> None:
    # given
    conf = (DEPLOY / "nginx.conf").read_text()
    services = _compose()["services"]
    # then
    upstream = re.search(r"upstream xietong \{(.*?)\}", conf, flags=re.DOTALL)
    assert upstream is not None
    assert re.findall(r"server (\w+):8000", upstream.group(1)) == ["web1", "web2"]
    assert all(name in services for name in ("web1", "web2"))
    limit = re.search(r"client_max_body_size (\d+)m;", conf)
    assert limit is not None
    largest = max(
        int(_example_environment()[name]) for name in ("XIETONG_IMPORT_MAX_BYTES", "XIETONG_ATTACHMENT_MAX_BYTES")
    )
    assert int(limit.group(1)) * 1024 * 1024 >= largest
    for header in ("Host $host", "X-Forwarded-For $proxy_add_x_forwarded_for", "X-Forwarded-Proto $scheme"):
        assert f"proxy_set_header {header};" in conf


def test_every_variable_of_the_example_environment_is_documented() -> None:
    # given: the documentation (docs/configuration.md's table, and docs/notifications.md for e-mail)
    docs = "\n".join(path.read_text() for path in DOCS.glob("*.md"))
    # then
    missing = [name for name in _example_environment() if f"`{name}`" not in docs]
    assert missing == []


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed (apt-get install nginx-light)")
def test_nginx_accepts_the_configuration(tmp_path: Path) -> None:
    # given: the site inside a minimal main configuration, the upstream names replaced by addresses
    # (nginx -t resolves them, and web1/web2 exist only inside the compose network)
    site = (
        (DEPLOY / "nginx.conf")
        .read_text()
        .replace("web1:8000", "127.0.0.1:8001")
        .replace("web2:8000", "127.0.0.1:8002")
    )
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{ client_body_temp_path {tmp_path}/body; proxy_temp_path {tmp_path}/proxy;\n"
        f"include {tmp_path}/site.conf; }}\n"
    )
    # when
    checked = subprocess.run(
        ["nginx", "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")], capture_output=True, text=True
    )
    # then
    assert checked.returncode == 0, checked.stderr
    assert "test is successful" in checked.stderr
