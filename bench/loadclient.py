"""HTTP load for bench/run.py: wrk when it is installed, else a small Python client.

Both return the same dict: requests, seconds, requests per second, latency percentiles in ms, and
the count of answers other than 200 (a redirect to the sign-in page is a failure, not a success).
"""

from __future__ import annotations

import http.client
import json
import shutil
import statistics
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

LUA = Path(__file__).resolve().parent / "wrk_json.lua"


def wrk_path() -> str | None:
    return shutil.which("wrk")


def client_name(prefer_python: bool = False) -> str:
    if prefer_python or wrk_path() is None:
        return "python (http.client keep-alive; wrk not found)" if not prefer_python else "python (http.client)"
    version = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    first = (version.stdout or version.stderr).splitlines()[:1]
    return first[0].split(" Copyright")[0] if first else "wrk"


def _result(requests: int, seconds: float, latencies_ms: list[float], not_200: int, first: int) -> dict[str, Any]:
    ordered = sorted(latencies_ms)

    def pct(p: float) -> float:
        if not ordered:
            return 0.0
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]

    return {
        "requests": requests,
        "seconds": round(seconds, 3),
        "rps": round(requests / seconds, 1) if seconds > 0 else 0.0,
        "median_ms": round(pct(50), 2),
        "p95_ms": round(pct(95), 2),
        "p99_ms": round(pct(99), 2),
        "mean_ms": round(statistics.fmean(ordered), 2) if ordered else 0.0,
        "not_200": not_200,
        "first_not_200": first,
        "errors": 0,
    }


def run_wrk(
    host: str, port: int, path: str, cookie: str, *, connections: int, threads: int, seconds: int
) -> dict[str, Any]:
    argv = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "60s",
        "-s",
        str(LUA),
        "-H",
        f"Cookie: {cookie}",
        f"http://{host}:{port}{path}",
    ]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("WRK-JSON ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stdout}\n{done.stderr}")
    raw = json.loads(line.removeprefix("WRK-JSON "))
    seconds_run = raw["duration_us"] / 1e6
    latency = raw["latency_us"]
    return {
        "requests": raw["requests"],
        "seconds": round(seconds_run, 3),
        "rps": round(raw["requests"] / seconds_run, 1) if seconds_run > 0 else 0.0,
        "median_ms": round(latency["p50"] / 1000, 2),
        "p95_ms": round(latency["p95"] / 1000, 2),
        "p99_ms": round(latency["p99"] / 1000, 2),
        "mean_ms": round(latency["mean"] / 1000, 2),
        "not_200": raw["not_200"],
        "first_not_200": raw["first_not_200"],
        "errors": sum(raw["errors"].values()),
    }


def run_python(host: str, port: int, path: str, cookie: str, *, connections: int, seconds: int) -> dict[str, Any]:
    """``connections`` keep-alive connections, one thread each, for ``seconds``."""
    deadline = time.perf_counter() + seconds
    latencies: list[list[float]] = [[] for _ in range(connections)]
    bad = [0] * connections
    first = [0] * connections

    def work(index: int) -> None:
        conn = http.client.HTTPConnection(host, port, timeout=60)
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            conn.request("GET", path, headers={"Cookie": cookie})
            response = conn.getresponse()
            response.read()
            latencies[index].append((time.perf_counter() - started) * 1000)
            if response.status != 200:
                bad[index] += 1
                first[index] = first[index] or response.status
        conn.close()

    started = time.perf_counter()
    workers = [threading.Thread(target=work, args=(i,)) for i in range(connections)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    merged = [ms for per in latencies for ms in per]
    return _result(len(merged), elapsed, merged, sum(bad), next((f for f in first if f), 0))


def measure(
    host: str,
    port: int,
    path: str,
    cookie: str,
    *,
    connections: int,
    seconds: int,
    use_python: bool,
) -> dict[str, Any]:
    if use_python:
        return run_python(host, port, path, cookie, connections=connections, seconds=seconds)
    return run_wrk(host, port, path, cookie, connections=connections, threads=min(2, connections), seconds=seconds)
