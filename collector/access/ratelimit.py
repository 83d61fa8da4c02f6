"""A per-client failure limiter for enrollment, so a secret cannot be guessed online.

It counts failures only: a fleet of agents enrolling from behind one NAT with the right
secret is never slowed down. State is per process; with several workers each enforces
the limit on its own share, which still bounds guessing to workers × limit per window.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque

__all__ = ["FailureLimiter"]


class FailureLimiter:
    def __init__(self, allowed: int, window_s: float, max_clients: int = 10_000, clock=time.monotonic) -> None:
        self.allowed = allowed
        self.window_s = window_s
        self.max_clients = max_clients
        self._clock = clock
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def retry_after(self, client: str) -> int:
        """Seconds the client must wait, or 0 when it may try now."""
        with self._lock:
            now = self._clock()
            failures = self._prune(client, now)
            if failures is None or len(failures) < self.allowed:
                return 0
            return max(1, int(failures[0] + self.window_s - now) + 1)

    def record_failure(self, client: str) -> None:
        with self._lock:
            now = self._clock()
            failures = self._prune(client, now)
            if failures is None:
                failures = self._failures[client] = deque(maxlen=self.allowed)
            failures.append(now)
            self._failures.move_to_end(client)
            while len(self._failures) > self.max_clients:
                self._failures.popitem(last=False)

    def _prune(self, client: str, now: float) -> deque[float] | None:
        failures = self._failures.get(client)
        if failures is None:
            return None
        while failures and failures[0] <= now - self.window_s:
            failures.popleft()
        if not failures:
            del self._failures[client]
            return None
        return failures
