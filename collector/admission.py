"""Shedding agent traffic when the server is behind: a quick 503 with Retry-After, not a slow 2xx.

Agents report on their own schedule and retry what fails (agent/delivery.py), so when the
collector cannot keep up it is better for everyone that an agent request which has already
waited too long for a worker thread is refused at once, costing microseconds, than that it is
served late while the queue behind it grows (CoDel's idea, Nichols and Jacobson 2012: act on
the time a request spent queued, not on how many are queued). People's requests (web UI,
API tokens) are never shed.

The queue wait is measured by gunicorn's gthread worker (hooks in ``collector/gunicorn_conf.py``
stamp each connection when it is queued and note the wait when a thread picks it up); under any
other server the wait is unknown (0) and nothing is shed. ``Retry-After`` is drawn at random from
a window so refused agents come back spread out rather than together.
"""

from __future__ import annotations

import random
import threading

from flask import Flask, request

from collector import metrics

__all__ = ["AGENT_ENDPOINTS", "init_app", "note_queue_wait", "queue_wait"]

# Foreign agents (OCS, FusionInventory, GLPI) are agent traffic too: shed like the native reports. Their
# agents act on the status and Retry-After alone (they retry at their next run), so the body stays the API's.
AGENT_ENDPOINTS = frozenset({"api.post_inventory", "api.post_discovery", "api.checkin", "ocs.post_ocsinventory",
                             "glpi.post_glpi"})
_local = threading.local()
_random = random.Random()


def note_queue_wait(seconds: float) -> None:
    """Called by the server hook in the thread that is about to serve the request."""
    _local.wait = seconds


def queue_wait() -> float:
    return getattr(_local, "wait", 0.0)


def init_app(app: Flask, max_queue_wait_ms: int, retry_after_s: tuple[int, int]) -> None:
    low, high = retry_after_s

    def admit():
        wait = queue_wait()
        _local.wait = 0.0  # one measurement per request; keep-alive requests are stamped again
        if request.endpoint not in AGENT_ENDPOINTS or max_queue_wait_ms <= 0 or wait * 1000 < max_queue_wait_ms:
            return None
        from collector.api.errors import error_response

        metrics.count_shed(request.endpoint)
        retry_after = _random.randint(low, high)
        return error_response(503, f"collector busy (request queued {wait:.1f} s); retry after {retry_after} s",
                              headers={"Retry-After": str(retry_after)})

    app.before_request(admit)
