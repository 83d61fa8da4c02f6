"""The wire contract between agents and the collector, versioned by ``schema_version``.

Agents build plain dicts (the agent stays free of pydantic); the collector validates
every report against these models, and a contract test checks that each agent probe
emits only fields declared here. A breaking change adds a new version beside the old
one: fleets upgrade slowly and the collector must keep accepting what is deployed.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from enum import Enum
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

__all__ = [
    "Battery",
    "CPU",
    "CheckinRequest",
    "DeviceInterface",
    "DiscoveredDevice",
    "DiscoveryMethod",
    "DiscoveryReport",
    "EnrollRequest",
    "ExecutableUsage",
    "Disk",
    "HostDevice",
    "HostIdentity",
    "INT32_MAX",
    "INT64_MAX",
    "INVENTORY_SCHEMA_VERSION",
    "MAX_SOFTWARE_ITEMS",
    "DISCOVERY_SCHEMA_VERSION",
    "Int32",
    "Int64",
    "InventoryReport",
    "Memory",
    "MemoryModule",
    "Monitor",
    "NIC",
    "Neighbour",
    "OperatingSystem",
    "ProbeError",
    "SoftwareItem",
    "StorageArea",
    "Users",
]

INVENTORY_SCHEMA_VERSION = 1
MAX_SOFTWARE_ITEMS = 50_000
DISCOVERY_SCHEMA_VERSION = 1

# Strings are bounded so that a hostile or broken agent cannot make the collector store
# megabytes in one field; NUL is refused because PostgreSQL text cannot hold it and no
# legitimate inventory value contains it. Both checks run inside pydantic-core.
_NO_NUL = r"^[^\x00]*$"
Name = Annotated[str, StringConstraints(max_length=255, pattern=_NO_NUL)]
Text = Annotated[str, StringConstraints(max_length=1024, pattern=_NO_NUL)]
ShortText = Annotated[str, StringConstraints(max_length=64, pattern=_NO_NUL)]
MacText = Annotated[str, StringConstraints(max_length=32, pattern=r"^[0-9A-Fa-f:.\-]*$")]
IpText = Annotated[str, StringConstraints(max_length=64, pattern=r"^[0-9A-Fa-f:.%/a-zA-Z\-]*$")]
# Integers are bounded by the column they land in: PostgreSQL ``integer`` is int4, ``bigint``
# and SQLite's INTEGER are int8. A wider value would be a database error (500) instead of a
# 422 naming the field (issue 16); tests/collector/ingest/test_integer_bounds.py checks
# every integer field against its column. Values kept only inside JSON documents are Int64.
INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1
Int32 = Annotated[int, Field(ge=0, le=INT32_MAX)]
Int64 = Annotated[int, Field(ge=0, le=INT64_MAX)]


def _require_utc(value: datetime) -> datetime:
    """Timestamps must carry a zone; they are stored in UTC."""
    if value.tzinfo is None:
        raise ValueError("timestamp must include a UTC offset (e.g. 2026-01-01T00:00:00Z)")
    return value.astimezone(timezone.utc)


UtcDatetime = Annotated[datetime, AfterValidator(_require_utc)]


class _Record(BaseModel):
    """Wire records refuse unknown fields so that typos in agents surface at once."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class HostIdentity(_Record):
    """What the machine says about itself; junk values are filtered by ``common.identity``."""

    hostname: Name
    fqdn: Name | None = None
    domain: Name | None = None
    smbios_uuid: ShortText | None = None
    machine_id: ShortText | None = None
    serial: Name | None = None
    vendor: Name | None = None
    model: Name | None = None
    chassis_type: Name | None = None
    asset_tag: Name | None = None
    bios_vendor: Name | None = None
    bios_version: Name | None = None
    bios_date: Name | None = None


class OperatingSystem(_Record):
    name: Name
    version: Name | None = None
    build: Name | None = None
    kernel: Name | None = None
    arch: ShortText | None = None
    install_date: UtcDatetime | None = None
    boot_time: UtcDatetime | None = None
    timezone: ShortText | None = None


class CPU(_Record):
    model: Name | None = None
    sockets: Int32 | None = None
    cores: Int32 | None = None
    threads: Int32 | None = None


class MemoryModule(_Record):
    slot: Name | None = None
    size_bytes: Int64 | None = None
    type: ShortText | None = None
    speed_mhz: Int64 | None = None
    manufacturer: Name | None = None
    serial: Name | None = None
    part_number: Name | None = None


class Memory(_Record):
    total_bytes: Int64
    modules: Annotated[list[MemoryModule], Field(max_length=256)] = []


class Disk(_Record):
    name: Name
    model: Name | None = None
    serial: Name | None = None
    size_bytes: Int64 | None = None
    type: ShortText | None = None


class NIC(_Record):
    name: Name
    mac: MacText | None = None
    ipv4: Annotated[list[IpText], Field(max_length=256)] = []
    ipv6: Annotated[list[IpText], Field(max_length=256)] = []
    speed_mbps: Int32 | None = None
    virtual: bool = False
    kind: ShortText | None = None


class SoftwareItem(_Record):
    name: Name
    version: Name | None = None
    publisher: Name | None = None
    arch: ShortText | None = None
    source: ShortText
    install_date: UtcDatetime | None = None


class Monitor(_Record):
    """A display attached to the host, from its EDID."""

    vendor: Name | None = None
    model: Name | None = None
    serial: Name | None = None
    manufactured_year: Annotated[int, Field(ge=1990, le=2100)] | None = None
    connector: ShortText | None = None


class Battery(_Record):
    name: Name
    manufacturer: Name | None = None
    model: Name | None = None
    serial: Name | None = None
    technology: ShortText | None = None
    design_capacity_wh: Annotated[float, Field(ge=0, le=100_000)] | None = None
    full_capacity_wh: Annotated[float, Field(ge=0, le=100_000)] | None = None
    cycle_count: Int64 | None = None


class ExecutableUsage(_Record):
    """When an executable was last seen running (feeds installed-but-unused detection)."""

    path: Text
    last_seen_running: UtcDatetime
    package: Name | None = None


class Users(_Record):
    logged_in: Annotated[list[Name], Field(max_length=1024)] = []
    primary: Name | None = None


class ProbeError(_Record):
    probe: ShortText
    error: Text


class InventoryReport(_Record):
    """One agent's full inventory of its host at one moment (schema version 1)."""

    schema_version: Literal[1]
    report_id: uuid.UUID
    agent_id: ShortText
    agent_version: ShortText | None = None
    collected_at: UtcDatetime
    host: HostIdentity
    os: OperatingSystem | None = None
    cpu: CPU | None = None
    memory: Memory | None = None
    disks: Annotated[list[Disk], Field(max_length=1024)] = []
    nics: Annotated[list[NIC], Field(max_length=1024)] = []
    software: Annotated[list[SoftwareItem], Field(max_length=MAX_SOFTWARE_ITEMS)] = []
    monitors: Annotated[list[Monitor], Field(max_length=64)] = []
    batteries: Annotated[list[Battery], Field(max_length=16)] = []
    users: Users | None = None
    usage: Annotated[list[ExecutableUsage], Field(max_length=20_000)] = []
    probe_errors: Annotated[list[ProbeError], Field(max_length=256)] = []
    spool_dropped: Int32 = 0


class DiscoveryMethod(str, Enum):
    """How a scanner learnt about a device."""

    ARP = "arp"
    SNMP = "snmp"
    ROUTER_ARP = "router_arp"
    SWITCH_FDB = "switch_fdb"
    LLDP = "lldp"


class DeviceInterface(_Record):
    index: Int64 | None = None
    name: Name | None = None
    mac: MacText | None = None
    speed_mbps: Int64 | None = None
    # MACs learnt on this port from BRIDGE-MIB/Q-BRIDGE-MIB forwarding tables.
    learned_macs: Annotated[list[MacText], Field(max_length=65_536)] = []


class Neighbour(_Record):
    local_port: Name | None = None
    remote_name: Name | None = None
    remote_port: Name | None = None
    remote_mac: MacText | None = None
    remote_ip: IpText | None = None
    # The neighbour's platform or model as CDP announces it (cdpCachePlatform, e.g. "cisco WS-C2960X-48FPD-L").
    remote_platform: Name | None = None


class HostDevice(_Record):
    """One row of a host's HOST-RESOURCES-MIB hrDeviceTable (a processor, printer, disk...)."""

    type: ShortText | None = None
    descr: Name | None = None


class StorageArea(_Record):
    """One row of hrStorageTable: memory, swap or a file system, with its size."""

    descr: Name
    type: ShortText | None = None
    size_bytes: Int64 | None = None


class DiscoveredDevice(_Record):
    ip: IpText | None = None
    mac: MacText | None = None
    oui_vendor: Name | None = None
    sys_name: Name | None = None
    sys_descr: Text | None = None
    sys_object_id: Name | None = None
    serial: Name | None = None
    model: Name | None = None
    vendor: Name | None = None
    device_type: ShortText | None = None
    # Why: the id of the classification rule that set device_type (agent/discovery/rules/*.toml).
    classified_by: ShortText | None = None
    # The software the device runs (ENTITY-MIB software, else firmware, revision of the chassis).
    firmware: Name | None = None
    # A printer's lifetime page counter (Printer-MIB prtMarkerLifeCount).
    page_count: Int64 | None = None
    interfaces: Annotated[list[DeviceInterface], Field(max_length=4096)] = []
    neighbours: Annotated[list[Neighbour], Field(max_length=4096)] = []
    # What a host lists in HOST-RESOURCES-MIB; software holds hrSWInstalledName as reported
    # (often "name-version" in one string), not inventory-grade SoftwareItems.
    host_devices: Annotated[list[HostDevice], Field(max_length=1024)] = []
    storage: Annotated[list[StorageArea], Field(max_length=1024)] = []
    software: Annotated[list[Name], Field(max_length=10_000)] = []
    found_by: Annotated[list[DiscoveryMethod], Field(min_length=1, max_length=8)]
    seen_at: UtcDatetime
    error: Text | None = None


class DiscoveryReport(_Record):
    """What one scanner agent found in one scan (schema version 1)."""

    schema_version: Literal[1]
    report_id: uuid.UUID
    agent_id: ShortText
    scan_id: ShortText
    started_at: UtcDatetime
    finished_at: UtcDatetime
    devices: Annotated[list[DiscoveredDevice], Field(max_length=65_536)] = []


class EnrollRequest(_Record):
    """An agent asking for a node key; ``agent_id`` (and its current key) when re-enrolling."""

    enroll_secret: Annotated[str, StringConstraints(min_length=1, max_length=256, pattern=_NO_NUL)]
    hostname: Name
    agent_id: uuid.UUID | None = None
    # Proof of the identity claimed by agent_id while that agent is still active.
    node_key: Annotated[str, StringConstraints(max_length=256, pattern=_NO_NUL)] | None = None
    platform: ShortText | None = None
    agent_version: ShortText | None = None


class CheckinRequest(_Record):
    """An agent's periodic hello: its state, so admins can see silent or struggling agents."""

    agent_version: ShortText | None = None
    spool_depth: Int32 = 0
    # Reports the agent moved to rejected/ (refused, or failed on too often), awaiting a human.
    spool_rejected: Int32 = 0
    last_success_at: UtcDatetime | None = None
