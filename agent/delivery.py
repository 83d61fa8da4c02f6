"""Delivering spooled reports: oldest first, retried with backoff, re-enrolling at most once.

Outcomes per report:
- 2xx: delivered (or the collector already had it); the spool file is removed.
- 401: the node key was refused. A new key is obtained with the enrollment secret, and
  only then does the old one go; the report is retried once with it. A second 401, or an
  enrollment that fails, ends the attempt: no enrollment loops.
- 408, 429, 5xx, no connection: the collector is busy or away. Retried with exponential
  backoff and full jitter (AWS architecture blog, "Exponential Backoff And Jitter"),
  honouring Retry-After, within the attempt's time budget; what is left stays spooled.
- other 4xx: the collector will never accept this report; it is moved aside (rejected/).
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass, field
from typing import Callable

from agent.spool import Spool, SpoolCorrupt
from agent.state import AgentIdentity
from agent.transport import CollectorClient, TransportError

__all__ = ["Backoff", "DeliveryResult", "KeyKeeper", "deliver_spool"]

log = logging.getLogger(__name__)
RETRYABLE = frozenset({408, 425, 429, 500, 502, 503, 504})


@dataclass
class Backoff:
    """Full-jitter exponential backoff: sleep a random time up to base * 2**attempt, capped."""

    base_s: float = 1.0
    cap_s: float = 300.0
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.cap_s)
        return self.rng.uniform(0, min(self.cap_s, self.base_s * 2**attempt))


class KeyKeeper:
    """Holds the node key; replaces it through enrollment at most once per delivery attempt."""

    def __init__(self, identity: AgentIdentity | None, enroll: Callable[[AgentIdentity | None], AgentIdentity]) -> None:
        self.identity = identity
        self._enroll = enroll
        self.reenrolled = False

    def key(self) -> str:
        if self.identity is None:
            self.identity = self._enroll(None)
        return self.identity.node_key

    def renew(self) -> bool:
        """Obtain a new key after a 401; False if this attempt already did (no loops)."""
        if self.reenrolled:
            return False
        self.reenrolled = True
        self.identity = self._enroll(self.identity)  # raises TransportError if refused
        return True


@dataclass
class DeliveryResult:
    delivered: int = 0
    rejected: int = 0
    remaining: int = 0
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.remaining == 0


def deliver_spool(
    spool: Spool,
    client: CollectorClient,
    keys: KeyKeeper,
    budget_s: float = 60.0,
    backoff: Backoff | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    max_attempts: int = 6,
    endpoint: str = "inventory",
) -> DeliveryResult:
    """Send every spooled report, oldest first, within ``budget_s`` seconds.

    ``endpoint`` is what the spool holds: "inventory" reports or "discovery" (scanner) reports.
    """
    post = client.post_discovery if endpoint == "discovery" else client.post_inventory
    backoff = backoff or Backoff()
    deadline = clock() + budget_s
    result = DeliveryResult()
    for entry in spool.pending():
        try:
            body = spool.read(entry)
        except (OSError, SpoolCorrupt) as exc:  # damaged or unreadable on disk: never sendable
            spool.reject(entry, f"unreadable spool file: {exc}")
            result.rejected += 1
            continue
        outcome = _send_with_retries(post, keys, body, backoff, sleep, clock, deadline, max_attempts)
        if outcome is None:
            spool.remove(entry)
            result.delivered += 1
        elif outcome.status is not None and 400 <= outcome.status < 500 and outcome.status not in RETRYABLE | {401}:
            spool.reject(entry, str(outcome))
            result.rejected += 1
        else:
            result.error = str(outcome)
            break
    result.remaining = spool.depth
    return result


def _send_with_retries(post, keys, body, backoff, sleep, clock, deadline, max_attempts) -> TransportError | None:
    attempt = 0
    while True:
        try:
            post(keys.key(), body, compressed=True)
            return None
        except TransportError as exc:
            if exc.status == 401:
                try:
                    if keys.renew():
                        log.warning("node key refused; enrolled again", extra={"agent_id": keys.identity.agent_id})
                        continue
                except TransportError as enroll_error:
                    return enroll_error
                return exc
            if exc.status is not None and exc.status not in RETRYABLE:
                return exc
            attempt += 1
            wait = backoff.delay(attempt, exc.retry_after)
            if attempt >= max_attempts or clock() + wait > deadline:
                return exc
            log.info("collector unavailable; retrying", extra={"error": str(exc), "retry_in_s": round(wait, 1)})
            sleep(wait)
