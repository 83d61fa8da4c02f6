"""One exchange of the OCS Inventory protocol: a parsed ``<REQUEST>`` in, a ``<REPLY>`` out.

The agents' conversation (ocsinventory-agent's Agent.pm, FusionInventory's OCS client):

1. PROLOG: "may I send?". The answer ``SEND`` with ``PROLOG_FREQ`` (hours between contacts in
   daemon mode: Stocktake's own agents' ``agent_inventory_interval_s``, rounded up, as the GLPI
   endpoint's ``expiration``) makes the agent collect and send its inventory; the device is
   registered now.
2. INVENTORY: the whole inventory; answered ``NO_ACCOUNT_UPDATE`` (the server keeps no
   ACCOUNTINFO to push back). Stored through the native ingest path: a second identical run is
   ``unchanged``.
3. NETDISCOVERY / SNMPQUERY (FusionInventory's network tasks): results as discovery reports.

A report is converted and validated in full before a new device is registered, so a refused
first inventory leaves nothing behind, not even an agent row.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from collector.config import CollectorConfig
from collector.db import Database
from collector.interop.foreign_agents import (ForeignDevice, SiteAuth, check_before_registering, foreign_agent_id,
                                              report_interval_hours, store_device_inventory, store_foreign_discovery)
from collector.interop.ocs_netdiscovery import discovery_report
from collector.interop.ocs_xml import OcsRequest, inventory_report
from common.schema import DiscoveryReport

__all__ = ["INVENTORY_REPLY", "OcsAgent", "exchange"]

log = logging.getLogger(__name__)

INVENTORY_REPLY = "<?xml version='1.0' encoding='UTF-8'?><REPLY><RESPONSE>NO_ACCOUNT_UPDATE</RESPONSE></REPLY>"


@dataclass(frozen=True)
class OcsAgent:
    """Who is talking: the site its secret named, and the protocol and version its User-Agent says."""

    auth: SiteAuth
    protocol: str
    version: str | None


def exchange(db: Database, config: CollectorConfig, agent: OcsAgent, request: OcsRequest, now: datetime,
             wire_hash: str | None = None, device: ForeignDevice | None = None) -> str:
    """Handle one request; the reply XML (uncompressed). ``wire_hash``: the body's, kept with a
    stored inventory (collector/interop/wire_hash.py); ``device``: its device as the wire check
    read it (used when it is this request's)."""
    if request.query == "PROLOG":
        foreign_agent_id(db, agent.auth, agent.protocol, request.device_id, None, agent.version, now)
        return (f"<?xml version='1.0' encoding='UTF-8'?><REPLY><RESPONSE>SEND</RESPONSE>"
                f"<PROLOG_FREQ>{report_interval_hours(config)}</PROLOG_FREQ></REPLY>")
    if request.query == "INVENTORY":
        _store_inventory(db, config, agent, request, now, wire_hash, device)
        return INVENTORY_REPLY
    _store_network_task(db, config, agent, request, now)
    return "<?xml version='1.0' encoding='UTF-8'?><REPLY></REPLY>"


def _store_inventory(db, config, agent: OcsAgent, request: OcsRequest, now: datetime, wire_hash: str | None,
                     device: ForeignDevice | None) -> None:
    document = inventory_report(request, "", agent.version, now)
    device = ForeignDevice.reuse(device, db, agent.protocol, request.device_id)  # one read of its row for every step
    result = store_device_inventory(db, config, agent.auth, device, document, agent.version, now, wire_hash)
    log.info("OCS inventory", extra={"agent_id": document["agent_id"], "protocol": agent.protocol,
                                     "outcome": result.outcome})


def _store_network_task(db, config, agent: OcsAgent, request: OcsRequest, now: datetime) -> None:
    document = discovery_report(request, "", now)
    if document is None:
        return  # a START/END/progress message: nothing to store
    device_id = _network_task_device(agent, request.device_id)
    check_before_registering(db, agent.protocol, device_id, DiscoveryReport, document)
    document["agent_id"] = foreign_agent_id(db, agent.auth, agent.protocol, device_id, None, agent.version, now)
    store_foreign_discovery(db, config, document["agent_id"], document, now)


def _network_task_device(agent: OcsAgent, device_id: str) -> str:
    """FusionInventory's standalone fusioninventory-netdiscovery/-netinventory send the DEVICEID
    "foo" (``$self->{deviceid} || 'foo'`` in their task modules): one such scanner per site, so
    that two sites' standalone scans are two agents rather than one site's device refused (403)."""
    if device_id == "foo":
        return f"foo@{agent.auth.site_name or 'trusted-network'}"[:255]
    return device_id
