"""gunicorn settings the collector needs whatever the command line says (``-c python:collector.gunicorn_conf``).

- Metrics: every worker writes its counters to one directory (prometheus-client's multiprocess
  mode) so ``/metrics`` sums the whole server. The directory is made fresh at start (counters
  from a previous run must not add up) and removed at exit; a dead worker's live gauges are
  dropped when it exits.
- No control socket: gunicorn's default one is per user (``~/.gunicorn/gunicorn.ctl``), so a
  second instance started by the same user would take the first one's over.
- Garbage collection tuned per worker once the app is loaded (``tune_garbage_collection``).
- A worker that exits runs the reconciliation batches it holds first (``worker_exit``).
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


def worker_exit(server, worker) -> None:
    """Run the reconciliation batches this worker still holds before it exits (restart, SIGTERM);
    the interpreter's atexit would too, this does not depend on how gunicorn ends the process."""
    from collector.facts_batching import stop_all

    stop_all()


def child_exit(server, worker) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server) -> None:
    made = getattr(server, "_stocktake_metrics_dir", None)
    if made:
        shutil.rmtree(made, ignore_errors=True)


# The youngest generation is collected after this many net allocations (CPython's default: 700).
GC_GEN0_THRESHOLD = 50_000


def tune_garbage_collection() -> None:
    """Freeze what loading the app allocated and collect the young generation less often.

    A first inventory builds some 100,000 short-lived objects (an OCS report's 9,000 XML
    elements, 1,500 packages' dicts, pydantic's models); at CPython's default threshold that
    runs ~150 young collections per request, and the older generations they trigger walk
    every object the loaded app holds (SQLAlchemy's and pydantic's schemas, Flask's map).
    gc.freeze() moves those to a permanent generation no collection walks, and a threshold of
    50,000 lets a request's garbage die young by reference counting: first-time OCS ingest
    took ~30% less CPU in-process (bench/interop.py has the served figures). Cycles are still
    collected, a few times per request instead of a hundred.
    """
    import gc

    gc.freeze()
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(GC_GEN0_THRESHOLD, gen1, gen2)


def post_worker_init(worker) -> None:
    """Tune garbage collection, and measure how long each request waits for a thread (gthread
    workers), for load shedding.

    gthread's main thread queues each readable connection to its thread pool; the time between
    that and a thread picking it up is the server's queueing delay, which ``collector/admission.py``
    compares with ``shed_queue_wait_ms``. Other worker classes have no such queue: nothing is wrapped.
    """
    import time

    tune_garbage_collection()
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
