"""Checking in: tell the collector how this agent is doing; its answer carries settings and tasks.

Used by the daemon (on its check-in schedule) and by ``run --once`` (for scan tasks). A
refused node key is renewed through enrollment once, as delivery does. Failures are
logged and answered with None: the caller keeps what it has.
"""

from __future__ import annotations

import logging

from agent import __version__
from agent.config import AgentConfig
from agent.cycle import collector_client, discovery_spool_for, enroll, read_status, spool_for
from agent.delivery import KeyKeeper
from agent.state import load_identity
from agent.transport import TransportError

__all__ = ["check_in"]

log = logging.getLogger(__name__)


def check_in(config: AgentConfig, client=None) -> dict | None:
    """The collector's answer, or None when not enrolled yet or the check-in failed (logged)."""
    if load_identity(config.state_dir) is None:
        return None  # not enrolled yet: the inventory cycle enrols first
    try:
        client = client or collector_client(config)
        keys = KeyKeeper(load_identity(config.state_dir), lambda prev: enroll(config, client, prev))
        body = _state(config)
        try:
            answer = client.checkin(keys.key(), body)
        except TransportError as exc:
            if exc.status != 401 or not keys.renew():
                raise
            answer = client.checkin(keys.key(), body)
    except (TransportError, OSError, ValueError) as exc:
        log.warning("check-in failed; keeping current settings", extra={"error": str(exc)})
        return None
    return answer if isinstance(answer, dict) else {}


def _state(config: AgentConfig) -> dict:
    spools = (spool_for(config), discovery_spool_for(config))
    body = {"agent_version": __version__, "spool_depth": sum(spool.depth for spool in spools),
            "last_success_at": read_status(config.state_dir).get("last_success_at")}
    rejected = sum(spool.rejected for spool in spools)
    if rejected:  # sent only when there are some: a collector older than the field still takes the rest
        body["spool_rejected"] = rejected
    return body
