"""The production settings of docs/deployment.md: connection pooling or persistent connections on
PostgreSQL, and Redis as the shared cache. The settings module is run afresh with the environment
given (it reads the environment once, at import)."""

from __future__ import annotations

import runpy
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

import xietong.config.settings

SETTINGS = Path(xietong.config.settings.__file__)
POSTGRES = "postgres://xietong:secret@db.internal:5432/xietong"


def _settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, **environment: str) -> dict[str, Any]:
    for name in (
        "DATABASE_POOL",
        "DATABASE_POOL_MIN_SIZE",
        "DATABASE_POOL_MAX_SIZE",
        "DATABASE_POOL_TIMEOUT",
        "CONN_MAX_AGE",
        "CONN_HEALTH_CHECKS",
        "DISABLE_SERVER_SIDE_CURSORS",
        "CACHE_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XIETONG_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SECRET_KEY", "a-fixed-key-for-these-tests")
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(SETTINGS))


def test_postgresql_opens_one_connection_per_request_by_default(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # when
    database = _settings(monkeypatch, tmp_path, DATABASE_URL=POSTGRES)["DATABASES"]["default"]
    # then: each process keeps its connection, checked before it is reused
    assert (database["CONN_MAX_AGE"], database["CONN_HEALTH_CHECKS"]) == (60, True)
    assert database["DISABLE_SERVER_SIDE_CURSORS"] is False
    assert "pool" not in database.get("OPTIONS", {})


def test_persistent_connections_come_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # when
    database = _settings(monkeypatch, tmp_path, DATABASE_URL=POSTGRES, CONN_MAX_AGE="0", CONN_HEALTH_CHECKS="false")[
        "DATABASES"
    ]["default"]
    # then
    assert (database["CONN_MAX_AGE"], database["CONN_HEALTH_CHECKS"]) == (0, False)
    assert "pool" not in database.get("OPTIONS", {})


def test_database_pool_gives_each_process_a_psycopg_pool(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # when
    database = _settings(
        monkeypatch, tmp_path, DATABASE_URL=POSTGRES, DATABASE_POOL="true", DATABASE_POOL_MAX_SIZE="8"
    )["DATABASES"]["default"]
    # then
    assert database["OPTIONS"]["pool"] == {"min_size": 1, "max_size": 8, "timeout": 10.0}
    assert database["CONN_MAX_AGE"] == 0
    import psycopg_pool  # the pool's package is a dependency  # noqa: F401


def test_a_pool_with_persistent_connections_is_refused_clearly(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # when / then
    with pytest.raises(ImproperlyConfigured, match="DATABASE_POOL=true needs CONN_MAX_AGE=0"):
        _settings(monkeypatch, tmp_path, DATABASE_URL=POSTGRES, DATABASE_POOL="true", CONN_MAX_AGE="60")


def test_the_pool_settings_leave_sqlite_alone(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # when
    database = _settings(
        monkeypatch, tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'x.sqlite3'}", DATABASE_POOL="true"
    )["DATABASES"]["default"]
    # then
    assert "pool" not in database["OPTIONS"]
    assert database["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


def test_a_rediscache_url_gives_djangos_redis_cache_with_its_key_prefix(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # when
    caches = _settings(monkeypatch, tmp_path, CACHE_URL="rediscache://127.0.0.1:6379/1?key_prefix=xt&timeout=600")[
        "CACHES"
    ]
    # then: Django's built-in backend (no django-redis), and the prefix under the name Django reads
    assert caches["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert caches["default"]["LOCATION"] == "redis://127.0.0.1:6379/1"
    assert caches["default"]["KEY_PREFIX"] == "xt"
    assert caches["default"]["timeout"] == 600  # Django reads "timeout" in either case
    assert "key_prefix" not in caches["default"]


def test_server_side_cursors_can_be_turned_off_for_pgbouncer(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # when
    database = _settings(monkeypatch, tmp_path, DATABASE_URL=POSTGRES, DISABLE_SERVER_SIDE_CURSORS="true")["DATABASES"][
        "default"
    ]
    # then
    assert database["DISABLE_SERVER_SIDE_CURSORS"] is True
