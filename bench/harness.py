"""What the benchmarks share: a fresh database, the production server command, percentiles.

Only loopback is ever used. A PostgreSQL run works in a schema of its own in the server at
``STOCKTAKE_BENCH_PG_URL`` (default the local one, database ``test``), dropped afterwards.
"""

from __future__ import annotations

import http.client
import os
import queue
import threading
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("STOCKTAKE_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")

__all__ = ["PG_URL", "ROOT", "Collector", "free_port", "percentile", "post_all", "prepare_database", "wait_facts_drained"]


def prepare_database(kind: str, workdir: Path) -> tuple[str, Callable[[], None]]:
    """A fresh, migrated database: a SQLite file, or a PostgreSQL schema dropped by the returned callable."""
    from collector.db import Database
    from collector.migrate import upgrade

    if kind == "sqlite":
        url, drop = f"sqlite:///{workdir / 'bench.db'}", (lambda: None)
    else:
        import psycopg

        schema = f"stocktake_bench_{uuid.uuid4().hex[:8]}"
        admin = psycopg.connect(PG_URL.replace("+psycopg", ""), autocommit=True)
        admin.execute(f'CREATE SCHEMA "{schema}"')

        def drop() -> None:
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
            admin.close()

        url = f"{PG_URL}?options=-csearch_path%3D{schema}"
    db = Database(url)
    upgrade(db.engine)
    db.dispose()
    return url, drop


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Collector:
    """gunicorn as the README runs it (gthread, the project's gunicorn config), on loopback."""

    def __init__(self, url: str, workdir: Path, workers: int = 3, threads: int = 3, port: int | None = None,
                 extra_env: dict | None = None, reuse_port: bool = False, name: str = "collector") -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "STOCKTAKE_DATABASE_URL": url, "STOCKTAKE_DATA_DIR": str(workdir),
               "STOCKTAKE_LOG_LEVEL": "WARNING", **(extra_env or {})}
        env.pop("STOCKTAKE_CONFIG", None)
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        self.log = open(workdir / f"{name}.log", "wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "python:collector.gunicorn_conf", "-k", "gthread",
             "-w", str(workers), "--threads", str(threads), "-b", f"127.0.0.1:{self.port}", "--backlog", "2048",
             "--no-control-socket", *(["--reuse-port"] if reuse_port else []), "collector.app:create_app()"],
            env=env, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT,
        )
        self._wait_ready()

    def _wait_ready(self, timeout_s: float = 60) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"bench: gunicorn exited with {self.process.returncode}; see {self.log.name}")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                connection.request("GET", "/api/v1/health")
                if connection.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.1)
        raise SystemExit(f"bench: gunicorn did not become ready; see {self.log.name}")

    def rss_bytes(self) -> int:
        """Resident memory of the master and its workers."""
        import psutil

        try:
            master = psutil.Process(self.process.pid)
            return sum(p.memory_info().rss for p in [master, *master.children(recursive=True)])
        except psutil.NoSuchProcess:
            return 0

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def wait_facts_drained(port: int, timeout_s: float = 300.0) -> float:
    """Seconds until the server's batched reconciliation has caught up (``stocktake_facts_pending_subjects``
    is 0 in every worker: collector/facts_batching.py). A phase that stores new facts adds this to
    its wall time, so that its figure includes the reconciliation the reports caused."""
    import re

    started = time.monotonic()
    deadline = started + timeout_s
    pending = None
    while time.monotonic() < deadline:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            connection.request("GET", "/metrics")
            text = connection.getresponse().read().decode()
        finally:
            connection.close()
        found = re.search(r"^stocktake_facts_pending_subjects(?:\{[^}]*\})? (\S+)$", text, re.M)
        pending = float(found.group(1)) if found else 0.0
        if pending == 0:
            return time.monotonic() - started
        time.sleep(0.02)
    raise SystemExit(f"bench: {pending} subjects still waiting for reconciliation after {timeout_s} s")


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def post_all(port: int, requests: list[tuple], clients: int,
             accept: Callable[[tuple, int, bytes], bool]) -> tuple[float, list[float]]:
    """POST every request (path, headers, body, and anything ``accept`` needs) once from ``clients``
    keep-alive connections to loopback.

    Returns the wall time and each request's latency; exits naming the first answer ``accept``
    (request, status, body) refused, so that a benchmark never reports the speed of failures.
    """
    work: queue.Queue = queue.Queue()
    for item in requests:
        work.put(item)
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        mine = []
        while True:
            try:
                item = work.get_nowait()
            except queue.Empty:
                break
            path, headers, body = item[:3]
            started = time.perf_counter()
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            payload = response.read()
            mine.append(time.perf_counter() - started)
            if not accept(item, response.status, payload):
                with lock:
                    failures.append(f"{path.split('/')[1]} {response.status} {payload[:200]!r}")
        connection.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    if failures:
        raise SystemExit(f"bench: {len(failures)} requests failed, e.g. {failures[0]}")
    return wall, latencies
