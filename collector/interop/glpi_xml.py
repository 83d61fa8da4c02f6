"""The GLPI agent's XML side: its first PROLOG, and XML-mode messages (OCS-style ``<REQUEST>``).

A GLPI agent that does not yet know its server speaks GLPI's protocol starts with the legacy
OCS PROLOG, sending its ``GLPI-Agent-ID`` header: GLPI answers that PROLOG with a JSON CONTACT
answer (status and expiration), and the agent switches to JSON for good
(GLPI::Agent::HTTP::Client::OCS accepts a JSON answer there; GLPI's Request::prolog). Without
the header, the sender is a FusionInventory-style agent and gets the OCS answer
``<REPLY><RESPONSE>SEND</RESPONSE><PROLOG_FREQ>hours</PROLOG_FREQ></REPLY>``.

XML inventories and SNMP results go to the OCS/FusionInventory converter (``ocs_xml``), under
protocol "glpi" so the device stays the same agent as its JSON messages.
"""

from __future__ import annotations

from datetime import datetime

import orjson

from collector.config import CollectorConfig
from collector.db import Database
from collector.errors import BadRequest, FieldError, InvalidInput
from collector.interop.foreign_agents import SiteAuth, foreign_agent_id
from collector.interop.glpi_agent import PROTOCOL, contact_answer, expiration_hours
from collector.interop.glpi_json import agent_version
from collector.interop.safe_xml import child_text, parse_xml

__all__ = ["handle_glpi_xml"]


def handle_glpi_xml(db: Database, config: CollectorConfig, auth: SiteAuth, agent_uuid: str | None,
                    user_agent: str | None, body: bytes, now: datetime) -> tuple[bytes, bool]:
    """The answer to one XML message and whether it is XML (else JSON)."""
    root = parse_xml(body)
    if root.tag != "REQUEST":
        raise BadRequest(f"expected a <REQUEST> document, got <{root.tag[:40]}>")
    query = (child_text(root, "QUERY", "REQUEST.QUERY", max_length=32) or "INVENTORY").upper()
    device_id = child_text(root, "DEVICEID", "REQUEST.DEVICEID", max_length=255)
    if query != "PROLOG":
        raise InvalidInput(f"XML {query[:32]} messages are not accepted here yet; set the agent to JSON",
                           [FieldError("REQUEST.QUERY", "supported in XML: PROLOG")])
    if agent_uuid is not None:
        foreign_agent_id(db, auth, PROTOCOL, agent_uuid, None, agent_version(user_agent, None), now)
        return orjson.dumps(contact_answer(config, [])), False
    if not device_id:
        raise InvalidInput("PROLOG without a device id", [FieldError("REQUEST.DEVICEID", "required")])
    foreign_agent_id(db, auth, PROTOCOL, device_id, None, agent_version(user_agent, None), now)
    reply = f"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<REPLY><RESPONSE>SEND</RESPONSE>" \
            f"<PROLOG_FREQ>{expiration_hours(config)}</PROLOG_FREQ></REPLY>"
    return reply.encode(), True
