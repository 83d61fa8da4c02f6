"""gunicorn settings applied in each worker: garbage collection tuned once the app is loaded, each
request's queueing delay measured, and new connections taken only by a worker with a free thread."""

from __future__ import annotations

import gzip
import json
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from collector.gunicorn_conf import reports_tcp_info, seconds_since_last_byte
from tests.factories import make_agent  # noqa: F401  (fixture)

ROOT = Path(__file__).resolve().parents[2]


def test_a_worker_freezes_the_loaded_app_and_collects_young_objects_less_often():
    script = (
        "import gc\n"
        "from collector.app import create_app\n"
        "from collector.config import CollectorConfig\n"
        "from collector.gunicorn_conf import GC_GEN0_THRESHOLD, tune_garbage_collection\n"
        "create_app(CollectorConfig(database_url='sqlite://', log_format='text'))\n"
        "before = gc.get_threshold()\n"
        "tune_garbage_collection()\n"
        "print(before[0], gc.get_threshold()[0], gc.get_threshold()[1:] == before[1:], gc.get_freeze_count() > 10000,"
        " GC_GEN0_THRESHOLD)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    default, tuned, older_unchanged, frozen, wanted = done.stdout.split()
    assert (int(default), int(tuned), older_unchanged, frozen) == (700, int(wanted), "True", "True")


def test_the_kernel_says_how_long_a_connection_has_waited_since_its_last_byte():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)
        assert reports_tcp_info(listener)
        with socket.create_connection(listener.getsockname(), timeout=5) as client:
            client.sendall(b"POST /api/v1/inventory HTTP/1.1\r\n\r\n")
            time.sleep(0.3)  # the request sits in the listen backlog, unaccepted
            accepted, _ = listener.accept()
            with accepted:
                assert 0.25 <= seconds_since_last_byte(accepted) < 5
                client.sendall(b"more")
                time.sleep(0.05)
                assert seconds_since_last_byte(accepted) < 0.25


def test_a_unix_socket_has_no_tcp_clock(tmp_path):
    with socket.socket(socket.AF_UNIX) as listener:
        listener.bind(str(tmp_path / "collector.sock"))
        listener.listen(1)
        assert not reports_tcp_info(listener)
        assert seconds_since_last_byte(listener) == 0.0


@pytest.mark.live
def test_persistent_connections_are_spread_over_the_workers(db_url, database, tmp_path, make_agent, reports):
    """Two workers of two threads, four keep-alive clients arriving at once: each worker serves
    two of them. gthread alone lets the first worker to wake take all four and serve them with
    one GIL while the other idles."""
    from tests.conftest import LiveServer

    access_log = tmp_path / "access.log"
    rounds, clients = 3, 4
    agents = [make_agent() for _ in range(clients)]
    bodies = [[gzip.compress(json.dumps(reports.report(agent.agent_id, software_count=1500,
                                                         host_seed=n * rounds + r)).encode()) for r in range(rounds)]
              for n, agent in enumerate(agents)]
    server = LiveServer(db_url, tmp_path, workers=2, threads=2, extra_env={
        "GUNICORN_CMD_ARGS": f"--access-logfile {access_log} --access-logformat '%(p)s %({{x-client}}i)s'"})
    try:
        _wait_until_both_workers_serve(server, access_log)
        barrier = threading.Barrier(clients, timeout=30)
        statuses: list[int] = []

        def client(n: int) -> None:
            with requests.Session() as http:
                barrier.wait()
                for body in bodies[n]:
                    statuses.append(http.post(server.url + "/api/v1/inventory", data=body, timeout=120, headers={
                        **agents[n].headers, "Content-Type": "application/json", "Content-Encoding": "gzip",
                        "X-Client": str(n)}).status_code)

        threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=180)
        assert statuses == [201] * (clients * rounds)
    finally:
        server.stop()
    served_by: dict[str, set[str]] = {}
    for line in access_log.read_text().splitlines():
        pid, client_id = line.split(" ", 1)
        if client_id != "-":
            served_by.setdefault(client_id, set()).add(pid)
    assert all(len(pids) == 1 for pids in served_by.values()), served_by  # a keep-alive connection stays put
    per_worker = Counter(next(iter(pids)) for pids in served_by.values())
    assert sorted(per_worker.values()) == [2, 2], served_by


def _wait_until_both_workers_serve(server, access_log: Path, timeout_s: float = 60) -> None:
    """Until requests have been answered by two worker processes (both have loaded the app)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda _: requests.get(server.url + "/api/v1/health/live", timeout=10), range(4)))
        if access_log.exists() and len({line.split(" ", 1)[0] for line in access_log.read_text().splitlines()}) >= 2:
            return
        time.sleep(0.1)
    raise AssertionError("the second worker never served a request")
