"""The GLPI agent's XML side: its first PROLOG, and XML-mode messages (OCS-style ``<REQUEST>``).

A GLPI agent that does not yet know its server speaks GLPI's protocol starts with the legacy
OCS PROLOG, sending its ``GLPI-Agent-ID`` header: GLPI answers that PROLOG with a JSON CONTACT
answer (status and expiration), and the agent switches to JSON for good
(GLPI::Agent::HTTP::Client::OCS accepts a JSON answer there; GLPI's Request::prolog).

Everything else in XML (an agent kept in XML mode, FusionInventory-style agents, their
NETDISCOVERY and SNMPQUERY results) goes through the OCS exchange (collector/interop/
ocs_exchange.py) under protocol "glpi", keyed by the GLPI-Agent-ID when the agent sends one,
so a device stays the same agent whether it talks XML or JSON.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import orjson

from collector.config import CollectorConfig
from collector.db import Database
from collector.interop.foreign_agents import SiteAuth, foreign_agent_id
from collector.interop.glpi_agent import PROTOCOL, contact_answer
from collector.interop.glpi_json import agent_version
from collector.interop.ocs_exchange import OcsAgent, exchange
from collector.interop.ocs_xml import read_request
from collector.interop.safe_xml import parse_xml

__all__ = ["handle_glpi_xml"]


def handle_glpi_xml(db: Database, config: CollectorConfig, auth: SiteAuth, agent_uuid: str | None,
                    user_agent: str | None, body: bytes, now: datetime) -> tuple[bytes, bool]:
    """The answer to one XML message, and whether it is XML (else the JSON CONTACT answer)."""
    request = read_request(parse_xml(body))
    version = agent_version(user_agent, None)
    if agent_uuid is not None:
        if request.query == "PROLOG":
            foreign_agent_id(db, auth, PROTOCOL, agent_uuid, None, version, now)
            return orjson.dumps(contact_answer(config, [])), False
        request = replace(request, device_id=agent_uuid)
    return exchange(db, config, OcsAgent(auth, PROTOCOL, version), request, now).encode("utf-8"), True
