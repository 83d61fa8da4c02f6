"""gunicorn settings the collector needs whatever the command line says (``-c python:collector.gunicorn_conf``).

- Metrics: every worker writes its counters to one directory (prometheus-client's multiprocess
  mode) so ``/metrics`` sums the whole server. The directory is made fresh at start (counters
  from a previous run must not add up) and removed at exit; a dead worker's live gauges are
  dropped when it exits.
- No control socket: gunicorn's default one is per user (``~/.gunicorn/gunicorn.ctl``), so a
  second instance started by the same user would take the first one's over.
- Garbage collection tuned per worker once the app is loaded (``tune_garbage_collection``).
- gthread workers: each request's queueing delay measured for load shedding (``measure_queue_wait``)
  and new connections taken only by a worker with a free thread (``accept_only_with_a_free_thread``).
- A worker that exits runs the reconciliation batches it holds first (``worker_exit``).
"""

from __future__ import annotations

import os
import shutil
import socket
import struct
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
    """Tune garbage collection; on gthread workers, measure how long each request waited (for
    load shedding) and take a new connection only while a thread is free to serve it."""
    tune_garbage_collection()
    if not (hasattr(worker, "enqueue_req") and hasattr(worker, "handle")):
        return  # other worker classes have no queue: nothing is wrapped
    kernel_clock = bool(worker.sockets) and all(reports_tcp_info(listener) for listener in worker.sockets)
    measure_queue_wait(worker, kernel_clock)
    if kernel_clock and hasattr(worker, "finish_request") and hasattr(worker, "set_accept_enabled"):
        accept_only_with_a_free_thread(worker)


def measure_queue_wait(worker, kernel_clock: bool) -> None:
    """Note, in the thread about to serve a request, how long it has waited: ``collector/admission.py``
    compares that with ``shed_queue_wait_ms``.

    gthread's main thread queues each readable connection to its thread pool, and the time
    between that and a thread picking it up is queueing delay. Where the kernel reports it
    (``kernel_clock``: TCP on Linux), the time since the connection's last byte arrived is
    counted too, which includes the wait in the listen backlog before any worker accepted it
    (see ``accept_only_with_a_free_thread``). A new connection that has sent nothing yet counts
    from when it was made.
    """
    import time

    from collector.admission import note_queue_wait

    enqueue, handle = worker.enqueue_req, worker.handle

    def stamped_enqueue(conn):
        conn.stocktake_queued_at = time.monotonic()
        return enqueue(conn)

    def measured_handle(conn):
        queued_at = getattr(conn, "stocktake_queued_at", None)
        waited = time.monotonic() - queued_at if queued_at is not None else 0.0
        if kernel_clock:
            waited = max(waited, seconds_since_last_byte(conn.sock))
        note_queue_wait(waited)
        return handle(conn)

    worker.enqueue_req = stamped_enqueue
    worker.handle = measured_handle


def accept_only_with_a_free_thread(worker) -> None:
    """Let a gthread worker accept a new connection only while one of its threads is idle.

    gthread accepts every connection it can (up to ``worker_connections``, 1,000) whatever its
    threads are doing, and whichever worker wakes first takes a burst. Persistent connections
    then stay where they landed: 8 keep-alive clients (or a proxy's upstream pool) were served
    by one worker, one GIL, while the other workers idled, and first-time OCS ingest measured
    33 or 47 reports/s from one run to the next depending on that draw (bench/interop.py). With
    this gate a busy worker leaves new connections in the listen backlog for a worker that can
    serve them now; keep-alive connections it already holds are still its own. Connections that
    no worker can take yet wait in the backlog, and that wait still counts for load shedding
    because the kernel's clock measures it (``measure_queue_wait``), so this is only installed
    where that clock exists.

    Every hook runs in the worker's main thread (gthread's accept and completion callbacks), so
    the count needs no lock.
    """
    threads = worker.cfg.threads
    enqueue, finish, set_accepting = worker.enqueue_req, worker.finish_request, worker.set_accept_enabled
    busy = 0  # connections handed to the thread pool and not finished

    def counted_enqueue(conn):
        nonlocal busy
        result = enqueue(conn)
        busy += 1
        if busy >= threads:
            set_accepting(False)
        return result

    def counted_finish(conn, future):
        nonlocal busy
        busy -= 1
        return finish(conn, future)

    def accept_if_a_thread_is_free(enabled: bool) -> None:
        set_accepting(enabled and busy < threads)

    worker.enqueue_req = counted_enqueue
    worker.finish_request = counted_finish
    worker.set_accept_enabled = accept_if_a_thread_is_free


# struct tcp_info (linux/tcp.h): eight one-byte fields, then 32-bit counters; the twelfth counter,
# at byte 52, is tcpi_last_data_recv, milliseconds since the last byte of data arrived.
_TCP_INFO_BYTES = 104
_LAST_DATA_RECV_AT = 52


def seconds_since_last_byte(sock) -> float:
    """Seconds since the last byte of data arrived on this TCP connection (0 if unknown)."""
    info = _tcp_info(sock)
    return 0.0 if info is None else struct.unpack_from("=I", info, _LAST_DATA_RECV_AT)[0] / 1000


def reports_tcp_info(listener) -> bool:
    """Whether the kernel answers TCP_INFO on this listening socket (TCP on Linux; not a Unix socket)."""
    return _tcp_info(listener) is not None


def _tcp_info(sock) -> bytes | None:
    """The kernel's ``struct tcp_info`` for ``sock``, or None where there is none (not TCP, not Linux)."""
    try:
        info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, _TCP_INFO_BYTES)
    except (OSError, AttributeError):  # AttributeError: no socket.TCP_INFO on this platform
        return None
    return info if len(info) >= _LAST_DATA_RECV_AT + 4 else None
