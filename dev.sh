#!/usr/bin/env bash
# The README's two Quick-start commands, and what CI runs:
#   ./dev.sh demo   install xietong into .venv and run it with the demo company on SQLite
#   ./dev.sh test   install what the tests need, then lint, type-check and test on SQLite and PostgreSQL
set -euo pipefail
cd "$(dirname "$0")"
VENV=${XIETONG_VENV:-.venv}
PY="$VENV/bin/python"

install() {  # $1: pip extras, e.g. "[test]"
  [ -x "$PY" ] || python3 -m venv "$VENV"
  "$PY" -m pip install -q --disable-pip-version-check -c requirements/constraints.txt -e ".$1"
}

system_packages() {  # Debian's chromium for the browser tests, gettext for the catalogue check, wrk for the benchmark
  local missing=()
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  command -v msgfmt >/dev/null || missing+=(gettext)
  command -v wrk >/dev/null || missing+=(wrk)  # the benchmark's load client (tests/test_bench_smoke.py)
  command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)  # deploy/nginx.conf is checked and load goes through it (tests/multiserver)
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "dev.sh: please install: ${missing[*]} (apt-get install ${missing[*]})" >&2
    exit 1
  fi
}

redis() {  # start the machine's Redis if it is down (the RQ task backend is tested against it)
  if ! redis-cli -h 127.0.0.1 ping >/dev/null 2>&1; then
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
    for _ in $(seq 10); do redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && break; sleep 1; done
  fi
}

postgres() {  # start the machine's PostgreSQL if it is down
  if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
    for _ in $(seq 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  fi
}

case "${1:-}" in
  demo)
    install ""
    shift
    exec "$VENV/bin/xietong" demo "$@"
    ;;
  test)
    install "[test]"
    system_packages
    postgres
    redis
    shift
    export XIETONG_DATA_DIR; XIETONG_DATA_DIR=$(mktemp -d)
    trap 'rm -rf "$XIETONG_DATA_DIR"' EXIT
    # One command per line: under `set -e` a failure on the left of `&&` would not stop the script.
    echo "== ruff"
    "$VENV/bin/ruff" check .
    "$VENV/bin/ruff" format --check .
    echo "== mypy";  "$VENV/bin/mypy" xietong
    echo "== migrations"; DATABASE_URL="sqlite:///$XIETONG_DATA_DIR/check.sqlite3" "$VENV/bin/xietong" makemigrations --check --dry-run
    echo "== tests on SQLite"
    DATABASE_URL="sqlite:///$XIETONG_DATA_DIR/test.sqlite3" "$VENV/bin/pytest" -n 2 "$@"
    echo "== tests on PostgreSQL"
    DATABASE_URL="postgres://postgres@127.0.0.1:5432/xietong" "$VENV/bin/pytest" -n 2 "$@"
    ;;
  *)
    echo "usage: ./dev.sh demo | ./dev.sh test [pytest arguments]" >&2
    exit 2
    ;;
esac
