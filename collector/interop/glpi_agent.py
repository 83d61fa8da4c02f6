"""The GLPI agent's native protocol: CONTACT and INVENTORY messages, answered the way GLPI does.

A GLPI agent (glpi-project/glpi-agent) whose ``server`` points here first sends a CONTACT
message: ``{"action": "contact", "deviceid": ..., "installed-tasks": [...], "enabled-tasks":
[...]}``. The answer tells it to go on, when to come back (``expiration``, in hours unless
suffixed s/m/h/d), which of its enabled tasks the server supports (``tasks``) and which to
drop (``disabled``); GLPI's server answers the same shape (src/Inventory/Request.php). The agent
then posts its inventory (``action`` "inventory", or none) and gets ``{"status": "ok"}``.
Errors are ``{"status": "error", "message": ...}``; the HTTP layer adds the 4xx code.

The device's identity is the ``GLPI-Agent-ID`` header (a UUID the agent keeps for life), not
the ``deviceid`` field (host name plus the date of first run), and each one is bound to the
site it first reported under (collector/interop/foreign_agents.py).

Network devices the agent inventoried over SNMP (``itemtype`` NetworkEquipment or Printer, or
``action`` netdiscovery/netinventory) are stored as discovered devices. A partial inventory
(``partial: true``: the agent postponing a full one because nothing changed, or sending the
categories an event asked for) replaces the sections it carries in the machine's last stored
report (collector/interop/glpi_partial.py); before any full inventory it is only acknowledged.
"""

from __future__ import annotations

import logging
import uuid
import zlib
from dataclasses import dataclass
from datetime import datetime

import orjson
from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy import select

from collector.config import CollectorConfig
from collector.db import Database
from collector.errors import BadRequest, FieldError, InvalidInput
from collector.ingest.parsing import load_json_object, validation_error
from collector.interop.foreign_agents import (ForeignDevice, SiteAuth, check_before_registering,
                                              foreign_agent_id, report_interval_hours, store_device_inventory,
                                              store_foreign_discovery, store_foreign_inventory,
                                              store_unchanged_by_wire)
from collector.interop.glpi_json import agent_version, glpi_inventory_report, parse_glpi_message
from collector.interop.glpi_network import NETWORK_ITEMTYPES, glpi_discovery_report
from collector.interop.glpi_partial import merge_partial
from collector.interop.wire_hash import glpi_wire_hash
from collector.models import Asset, Observation
from common.schema import DiscoveryReport, InventoryReport

__all__ = ["PROTOCOL", "SUPPORTED_TASKS", "GlpiRequest", "contact_answer", "handle_glpi_message", "parse_agent_id"]

log = logging.getLogger(__name__)

PROTOCOL = "glpi"
# Tasks a Stocktake collector serves. Network discovery and inventory jobs are planned by GLPI's
# glpiinventory plugin, which Stocktake does not emulate (its own scanner does that work); their
# results are still accepted when an agent posts them.
SUPPORTED_TASKS = ("inventory",)
_NETWORK_ACTIONS = frozenset({"netdiscovery", "netinventory"})
_MAX_TASKS = 64


@dataclass(frozen=True)
class GlpiRequest:
    """One decoded GLPI message with what the HTTP layer knows about its sender."""

    auth: SiteAuth
    agent_uuid: str | None  # the GLPI-Agent-ID header
    user_agent: str | None
    body: bytes  # the JSON, decompressed


class _Envelope(BaseModel):
    """What a message is, read without building the rest (an inventory is ~250 KB of JSON)."""

    model_config = ConfigDict(extra="ignore")

    action: str | None = None
    query: str | None = None  # FusionInventory-era JSON names the action "query"


def parse_agent_id(header: str | None) -> str | None:
    """The GLPI-Agent-ID header as a canonical UUID string (None when absent)."""
    if header is None:
        return None
    try:
        return str(uuid.UUID(header.strip()))
    except ValueError:
        raise InvalidInput("invalid GLPI-Agent-ID header", [FieldError("GLPI-Agent-ID", "must be a UUID")]) from None


def handle_glpi_message(db: Database, config: CollectorConfig, request: GlpiRequest, now: datetime) -> dict:
    """Answer one JSON message; raises a ServiceError (4xx) for anything refused, storing nothing.

    An inventory whose wire hash is its device's last stored one is recorded unchanged unparsed.
    """
    wire_hash, device = None, None
    if request.agent_uuid is not None and b'"content"' in request.body:  # not for CONTACT messages
        wire_hash = glpi_wire_hash(request.body, f"glpi|{request.user_agent}|{request.agent_uuid}")
        device = ForeignDevice(db, PROTOCOL, request.agent_uuid)  # its row read once for every step
        if store_unchanged_by_wire(db, request.auth, PROTOCOL, request.agent_uuid, wire_hash, now,
                                   device) is not None:
            return {"status": "ok", "expiration": report_interval_hours(config)}
    action = _action(request.body)
    if request.agent_uuid is None:
        raise BadRequest("the GLPI-Agent-ID header is required", [FieldError("GLPI-Agent-ID", "missing")])
    action = action.lower()
    if action == "contact":
        return _contact(db, config, request, now)
    if action in ("inventory", "netinventory", "netdiscovery"):
        return _inventory(db, config, request, now, wire_hash, device)
    raise InvalidInput(f"action {action[:40]!r} is not supported by this server",
                       [FieldError("action", "supported: contact, inventory, netdiscovery, netinventory")])


def _action(body: bytes) -> str:
    try:
        envelope = _Envelope.model_validate_json(body)
    except ValidationError as exc:
        if exc.errors()[0]["type"] in ("json_invalid", "model_type", "model_attributes_type"):
            load_json_object(body)  # the precise BadRequest: malformed, not UTF-8, not an object
        raise validation_error("invalid GLPI message", exc) from None
    return envelope.action or envelope.query or "inventory"


def _contact(db, config, request: GlpiRequest, now: datetime) -> dict:
    document = load_json_object(request.body)  # a few hundred bytes
    enabled = document.get("enabled-tasks", [])
    if not isinstance(enabled, list) or len(enabled) > _MAX_TASKS or not all(isinstance(t, str) for t in enabled):
        raise InvalidInput("invalid GLPI contact", [FieldError("enabled-tasks", "must be a list of task names")])
    name, version = document.get("name"), document.get("version")
    reported = f"{name}_v{version}" if isinstance(name, str) and isinstance(version, str) else None
    foreign_agent_id(db, request.auth, PROTOCOL, request.agent_uuid, None,
                     agent_version(request.user_agent, reported), now)
    return contact_answer(config, [task.lower()[:64] for task in enabled])


def contact_answer(config: CollectorConfig, enabled_tasks: list[str]) -> dict:
    """GLPI's CONTACT answer: status, expiration (hours), supported tasks, disabled ones."""
    answer: dict = {"status": "ok", "expiration": report_interval_hours(config)}
    tasks = {task: {"server": "glpi"} for task in enabled_tasks if task in SUPPORTED_TASKS}
    if tasks:
        answer["tasks"] = tasks
    disabled = [task for task in enabled_tasks if task not in SUPPORTED_TASKS]
    if disabled:
        answer["message"] = ";".join(f"{task} task not supported" for task in disabled)
        answer["disabled"] = disabled
    return answer


def _inventory(db, config, request: GlpiRequest, now: datetime, wire_hash: str | None,
               device: ForeignDevice | None) -> dict:
    message = parse_glpi_message(request.body)
    version = agent_version(request.user_agent, message.content.versionclient)
    ok = {"status": "ok", "expiration": report_interval_hours(config)}
    if message.itemtype in NETWORK_ITEMTYPES or message.action.lower() in _NETWORK_ACTIONS:
        if message.content.network_device is None:
            raise InvalidInput("GLPI network inventory failed validation",
                               [FieldError("content.network_device", f"required for {message.itemtype}")])
        report = glpi_discovery_report(message, "pending", now)
        check_before_registering(db, PROTOCOL, request.agent_uuid, DiscoveryReport, report)
        report["agent_id"] = foreign_agent_id(db, request.auth, PROTOCOL, request.agent_uuid, None, version, now)
        store_foreign_discovery(db, config, report["agent_id"], report, now)
        return ok
    report = glpi_inventory_report(message, "pending", version, now)  # agent id set below, in place
    device = ForeignDevice.reuse(device, db, PROTOCOL, request.agent_uuid)  # one read of its row for every step
    if message.partial:
        # Checked before the device is registered: a refused partial message leaves nothing behind.
        check_before_registering(db, PROTOCOL, request.agent_uuid, InventoryReport, report, device)
        report["agent_id"] = foreign_agent_id(db, request.auth, PROTOCOL, request.agent_uuid,
                                              report["host"]["hostname"], version, now, device)
        previous = _last_report(db, report["agent_id"])
        if previous is None:
            log.info("partial GLPI inventory before any full one: acknowledged, not stored",
                     extra={"agent_id": report["agent_id"]})
            return ok
        # A partial report's content also depends on the last one: never by wire hash.
        report = merge_partial(previous, report, set(message.content.model_fields_set))
        result = store_foreign_inventory(db, config, report["agent_id"], report, now, None, None, device)
    else:
        result = store_device_inventory(db, config, request.auth, device, report, version, now, wire_hash)
    log.info("GLPI inventory", extra={"agent_id": report["agent_id"], "outcome": getattr(result, "outcome", None)})
    return ok


def _last_report(db: Database, agent_id: str) -> dict | None:
    """The report last stored for this agent's asset (its observation's payload), if any."""
    with db.autocommit() as connection:
        payload = connection.execute(select(Observation.payload)
                                     .join(Asset, Asset.observation_id == Observation.id)
                                     .where(Asset.agent_id == agent_id)).scalar()
    if not payload:
        return None
    return orjson.loads(zlib.decompress(payload, wbits=47))  # 47: gzip or zlib, as stored
