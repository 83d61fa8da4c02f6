"""Delivering spooled reports: oldest first, retried with backoff, re-enrolling at most once.

Outcomes per report:
- 2xx: delivered (or the collector already had it); the spool file is removed.
- 401: the node key was refused. A new key is obtained with the enrollment secret, and
  only then does the old one go; the report is retried once with it. A second 401, or an
  enrollment that fails, ends the attempt: no enrollment loops.
- 408, 425, 429, 502, 503, 504, any Retry-After, no connection: the collector is busy or
  away, which says nothing about the report. Retried with exponential backoff and full
  jitter (AWS architecture blog, "Exponential Backoff And Jitter"), honouring Retry-After,
  within the attempt's time budget; what is left stays spooled, and no report is blamed.
- other 5xx (500): the collector failed on this report. The failure is counted on disk
  against the report and delivery moves on to the next, so one bad report never wedges
  the spool (issue 16, defect 2); after ``max_failures`` it is moved aside (rejected/).
- other 4xx: the collector will never accept this report; it is moved aside (rejected/).
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass, field
from functools import partial
from typing import Callable

from agent.spool import Spool, SpoolCorrupt, SpoolEntry
from agent.state import AgentIdentity
from agent.transport import CollectorClient, TransportError

__all__ = ["Backoff", "DeliveryResult", "KeyKeeper", "deliver_spool"]

log = logging.getLogger(__name__)
# The collector is busy or away (or a proxy cannot reach it): never held against a report.
UNAVAILABLE = frozenset({408, 425, 429, 502, 503, 504})


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
    failed: int = 0  # reports the collector failed on this time, left spooled to try again
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
    max_failures: int = 5,
) -> DeliveryResult:
    """Send every spooled report, oldest first, within ``budget_s`` seconds.

    ``endpoint`` is what the spool holds: "inventory" reports or "discovery" (scanner) reports.
    A 500 is held against a report only once the collector has stored another one in the
    same attempt: after a first 500 the newest report is tried next, and if the collector
    fails on that too it is failing on everything (its database is down, say), so the
    attempt ends and no report is blamed; otherwise a collector outage answered with 500s
    would move the whole spool to rejected/ after ``max_failures`` attempts.
    """
    post = client.post_discovery if endpoint == "discovery" else client.post_inventory
    send = partial(_send_with_retries, post, keys, backoff or Backoff(), sleep, clock, clock() + budget_s, max_attempts)
    result = DeliveryResult()
    entries, suspect, last_failure = spool.pending(), None, None
    while entries:
        entry = entries.pop(0)
        error = _deliver_one(spool, entry, send, result)
        if error is None:
            if suspect is not None and result.delivered:
                _count_failure(spool, *suspect, max_failures, result)
                suspect = None
            continue
        if not _failed_on_report(error):
            result.error = str(error)
            break
        last_failure = error
        if result.delivered:
            _count_failure(spool, entry, error, max_failures, result)
        elif suspect is None and entries:
            suspect = (entry, error)
            entries.insert(0, entries.pop())  # the newest next: if it is stored, the fault was this report's
        else:
            result.error = f"{error} (on every report tried: not held against any)"
            break
    if result.error is None and result.failed:
        result.error = f"{result.failed} report(s) failed on the collector and stay spooled; last: {last_failure}"
    result.remaining = spool.depth
    return result


def _deliver_one(spool: Spool, entry: SpoolEntry, send, result: DeliveryResult) -> TransportError | None:
    """Send one report; the error when the report stays spooled, None when it was delivered or set aside."""
    try:
        body = spool.read(entry)
    except (OSError, SpoolCorrupt) as exc:  # damaged or unreadable on disk: never sendable
        _set_aside(spool, entry, f"unreadable spool file: {exc}", result)
        return None
    error = send(body)
    if error is None:
        spool.remove(entry)
        result.delivered += 1
    elif error.status is not None and 400 <= error.status < 500 and error.status not in UNAVAILABLE | {401}:
        _set_aside(spool, entry, str(error), result)
    else:
        return error
    return None


def _failed_on_report(error: TransportError) -> bool:
    """A 5xx that does not say "busy" or "away": the collector failed on this report."""
    return (error.status is not None and error.status >= 500 and error.status not in UNAVAILABLE
            and error.retry_after is None)


def _count_failure(spool: Spool, entry: SpoolEntry, error: TransportError, max_failures: int,
                   result: DeliveryResult) -> None:
    try:
        failures = spool.record_failure(entry)
    except OSError as exc:  # nothing can be written: counted for this attempt only
        failures = spool.failures(entry) + 1
        log.error("cannot record a failed delivery on disk", extra={"error": exc.strerror or str(exc)})
    if failures >= max_failures:
        _set_aside(spool, entry, f"the collector failed on this report {failures} times; last: {error}", result)
        return
    result.failed += 1
    log.warning("collector failed on a report; moving on to the next",
                extra={"report": entry.path.name, "failures": failures, "error": str(error)})


def _set_aside(spool: Spool, entry: SpoolEntry, reason: str, result: DeliveryResult) -> None:
    try:
        spool.reject(entry, reason)
    except OSError as exc:  # cannot move it: it stays, and the next report is tried anyway
        log.error("cannot move a report aside", extra={"report": entry.path.name, "error": exc.strerror or str(exc)})
        return
    result.rejected += 1


def _send_with_retries(post, keys, backoff, sleep, clock, deadline, max_attempts, body) -> TransportError | None:
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
                except TransportError as enroll_error:  # about the key, never the report: ends the attempt
                    return TransportError(f"enrolling again failed: {enroll_error}")
                return exc
            if exc.status is not None and exc.status not in UNAVAILABLE and exc.retry_after is None:
                return exc
            attempt += 1
            wait = backoff.delay(attempt, exc.retry_after)
            if attempt >= max_attempts or clock() + wait > deadline:
                return exc
            log.info("collector unavailable; retrying", extra={"error": str(exc), "retry_in_s": round(wait, 1)})
            sleep(wait)
