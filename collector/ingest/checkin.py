"""Agent check-in: record what the agent says about itself, answer with its settings and tasks."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from collector.config import CollectorConfig
from collector.models import Agent
from common.schema import CheckinRequest

__all__ = ["agent_settings", "record_checkin"]


def record_checkin(session: Session, agent_id: str, checkin: CheckinRequest, now: datetime) -> None:
    values = {"last_checkin_at": now, "last_seen_at": now, "spool_depth": checkin.spool_depth,
              "spool_rejected": checkin.spool_rejected, "last_success_at": checkin.last_success_at}
    if checkin.agent_version:
        values["agent_version"] = checkin.agent_version
    session.execute(update(Agent).where(Agent.id == agent_id).values(**values))


def agent_settings(config: CollectorConfig) -> dict:
    """The schedule every agent follows (per-agent overrides come with scan profiles)."""
    return {
        "inventory_interval_s": config.agent_inventory_interval_s,
        "splay_s": config.agent_splay_s,
        "checkin_interval_s": config.agent_checkin_interval_s,
    }
