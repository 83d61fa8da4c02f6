"""Which agent reported a fact: its protocol and version, as the asset page and API show it (issue 15).

An asset's facts come from observations, and each observation names the agent that sent it.
Since a machine may move between agents (Stocktake's, OCS Inventory, FusionInventory, GLPI;
collector/ingest/adoption.py), its history can hold several; each is shown as e.g.
"ocsinventory-agent 2.10.0 (OCS protocol)". The version is the agent's latest.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from collector.models import Agent, AgentProtocol

__all__ = ["ReportingAgent", "agent_label", "reporting_agents"]


@dataclass(frozen=True)
class ReportingAgent:
    agent_id: str
    protocol: str
    agent_version: str | None
    superseded: bool

    @property
    def label(self) -> str:
        return agent_label(self.protocol, self.agent_version)

    def as_dict(self) -> dict:
        return {"agent_id": self.agent_id, "protocol": self.protocol, "agent_version": self.agent_version,
                "label": self.label, "superseded": self.superseded}


def agent_label(protocol: str, agent_version: str | None) -> str:
    """``ocsinventory-agent 2.10.0 (OCS protocol)``; the protocol alone when the version is unknown."""
    try:
        kind = AgentProtocol(protocol).label
    except ValueError:
        kind = f"{protocol} protocol"
    if protocol == AgentProtocol.STOCKTAKE.value and agent_version and not agent_version.startswith("stocktake"):
        agent_version = f"stocktake-agent {agent_version}"  # the native agent reports a bare version
    return f"{agent_version} ({kind})" if agent_version else kind


def reporting_agents(session: Session, agent_ids: Iterable[str | None]) -> dict[str, ReportingAgent]:
    wanted = sorted({agent_id for agent_id in agent_ids if agent_id})
    if not wanted:
        return {}
    rows = session.execute(select(Agent.id, Agent.protocol, Agent.agent_version, Agent.superseded_by)
                           .where(Agent.id.in_(wanted))).all()
    return {row.id: ReportingAgent(row.id, row.protocol, row.agent_version, row.superseded_by is not None)
            for row in rows}
