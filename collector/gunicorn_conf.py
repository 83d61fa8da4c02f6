"""gunicorn settings the collector needs whatever the command line says (``-c python:collector.gunicorn_conf``).

- Metrics: every worker writes its counters to one directory (prometheus-client's multiprocess
  mode) so ``/metrics`` sums the whole server. The directory is made fresh at start (counters
  from a previous run must not add up) and removed at exit; a dead worker's live gauges are
  dropped when it exits.
- No control socket: gunicorn's default one is per user (``~/.gunicorn/gunicorn.ctl``), so a
  second instance started by the same user would take the first one's over.
"""

from __future__ import annotations

import os
import shutil
import tempfile

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
control_socket_disable = True


def on_starting(server) -> None:
    if not os.environ.get(MULTIPROC_ENV):
        os.environ[MULTIPROC_ENV] = tempfile.mkdtemp(prefix="stocktake-metrics-")
        server._stocktake_metrics_dir = os.environ[MULTIPROC_ENV]
    else:
        # A directory given by the operator (shared with `stocktake-collector jobs`): start it empty.
        for entry in os.scandir(os.environ[MULTIPROC_ENV]):
            if entry.name.endswith(".db"):
                os.unlink(entry.path)


def child_exit(server, worker) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server) -> None:
    made = getattr(server, "_stocktake_metrics_dir", None)
    if made:
        shutil.rmtree(made, ignore_errors=True)


def post_worker_init(worker) -> None:
    """Measure how long each request waits for a thread (gthread workers), for load shedding.

    gthread's main thread queues each readable connection to its thread pool; the time between
    that and a thread picking it up is the server's queueing delay, which ``collector/admission.py``
    compares with ``shed_queue_wait_ms``. Other worker classes have no such queue: nothing is wrapped.
    """
    import time

    if not (hasattr(worker, "enqueue_req") and hasattr(worker, "handle")):
        return
    from collector.admission import note_queue_wait

    enqueue, handle = worker.enqueue_req, worker.handle

    def stamped_enqueue(conn):
        conn.stocktake_queued_at = time.monotonic()
        return enqueue(conn)

    def measured_handle(conn):
        queued_at = getattr(conn, "stocktake_queued_at", None)
        note_queue_wait(time.monotonic() - queued_at if queued_at is not None else 0.0)
        return handle(conn)

    worker.enqueue_req = stamped_enqueue
    worker.handle = measured_handle
