"""A GLPI agent's JSON computer inventory as Stocktake's own InventoryReport (schema version 1).

The GLPI agent (glpi-project/glpi-agent) posts one JSON message per inventory in GLPI's published
format (glpi-project/inventory_format); ``glpi_models`` validates the parts read here. What
maps where:

- host: hardware.name, operatingsystem.fqdn/dns_domain, hardware.uuid (SMBIOS UUID), bios.ssn,
  smanufacturer, smodel, assettag, bmanufacturer, bversion, bdate, hardware.chassis_type
- os: operatingsystem name/version/kernel/arch/install date; cpu: cpus (one entry per socket)
- memory: hardware.memory (MB) and memories (MB, "1600 MT/s"); disks: storages (MB)
- nics: networks (one entry per address; merged per interface), loopback left out
- software: softwares; monitors; batteries (mWh -> Wh); users: users + hardware.lastloggeduser

Not carried, because the native report has no place for them: drives (file systems), virtual
machines, antivirus, licence keys, local users and groups, printers, processes. Volatile values
are left out so that a second identical run is recognised as unchanged: boot time, free space,
last log-in time, processes, the agent's run time (etime).

The conversion is a pure function: the same message and the same ``now`` give the same dict,
except ``report_id`` (a fresh uuid4, excluded from the content hash like ``collected_at``).
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timezone

from pydantic import ValidationError

from collector.errors import FieldError, InvalidInput
from collector.ingest.parsing import load_json_object, validation_error
from collector.interop.glpi_models import (GlpiBattery, GlpiContent, GlpiCpu, GlpiMemory, GlpiMessage, GlpiMonitor,
                                           GlpiNetwork, GlpiStorage)
from common.schema import INVENTORY_SCHEMA_VERSION

__all__ = ["MiB", "agent_version", "glpi_inventory_report", "parse_glpi_message"]

MiB = 1024 * 1024
_INT32_MAX = 2**31 - 1
# GLPI agents compute disk sizes in decimal megabytes, as disk makers count (1 MB = 10^6 bytes);
# memory sizes are binary (MiB).
DISK_MB = 1000 * 1000
# "from" as GLPI agents write it -> SoftwareItem.source as Stocktake's agent writes it
# (collector/sam/rules.py SOURCES), so that SAM rules restricted to a source family apply.
_SOURCES = {"deb": "dpkg", "dpkg": "dpkg", "rpm": "rpm", "apk": "apk", "pacman": "pacman", "snap": "snap",
            "flatpak": "flatpak", "registry": "registry", "msi": "msi", "pkg": "pkg", "pkgs": "pkg",
            "application": "pkg", "applications": "pkg"}
# Interface type -> NIC.kind (agent/probes/network.py's vocabulary).
_NIC_KINDS = {"ethernet": "physical", "wifi": "wireless", "aggregate": "bond", "bridge": "bridge",
              "infiniband": "infiniband", "fibrechannel": "fibrechannel", "alias": "alias", "dialup": "dialup",
              "bluetooth": "bluetooth"}
_VERSIONED_AGENT = re.compile(r"^\s*([A-Za-z][A-Za-z0-9 .-]*?)[_/ -]+v?(\d[\w.+-]*)")
_NUMBER = re.compile(r"\d+")
_YEAR = re.compile(r"(19[89]|20\d)\d")  # 1980-2099; monitors older than 1990 are left undated


def parse_glpi_message(message: bytes | dict) -> GlpiMessage:
    """Validate a GLPI message (the JSON body, or decoded); InvalidInput names every bad field
    (``content.softwares.3.name``), BadRequest a body that is not a JSON object.

    The body is validated straight from its bytes (pydantic-core's parser: no Python dict of
    the 250 KB message is built first); its nesting depth is bounded by that parser.
    """
    nul = _nul_fields(message)
    if nul:
        raise InvalidInput("GLPI inventory failed validation", nul)
    try:
        if isinstance(message, dict):
            return GlpiMessage.model_validate(message)
        return GlpiMessage.model_validate_json(message)
    except ValidationError as exc:
        if isinstance(message, bytes) and exc.errors()[0]["type"] in ("json_invalid", "model_type", "model_attributes_type"):
            load_json_object(message)  # raises the precise BadRequest (malformed, not UTF-8, not an object)
        raise validation_error("GLPI inventory failed validation", exc) from None


def _nul_fields(message: bytes | dict) -> list[FieldError]:
    """Fields holding NUL. In JSON text NUL can only be written as the escape \\u0000."""
    if isinstance(message, bytes):
        if b"\\u0000" not in message:
            return []
        message = load_json_object(message)
    found: list[FieldError] = []
    stack: list[tuple[str, object]] = [("", message)]
    while stack and len(found) < 50:
        path, value = stack.pop()
        if isinstance(value, str) and "\x00" in value:
            found.append(FieldError(path or "(body)", "must not contain NUL characters"))
        elif isinstance(value, dict):
            stack.extend((f"{path}.{key}" if path else str(key), item) for key, item in value.items())
        elif isinstance(value, list):
            stack.extend((f"{path}.{index}" if path else str(index), item) for index, item in enumerate(value))
    return sorted(found, key=lambda error: error.field)


def agent_version(user_agent: str | None, versionclient: str | None) -> str | None:
    """"GLPI-Agent_v1.7.3" (User-Agent, else content.versionclient) -> "glpi-agent 1.7.3"."""
    for text in (user_agent, versionclient):
        match = _VERSIONED_AGENT.match(text or "")
        if match:
            return f"{match.group(1).strip().lower().replace(' ', '-')} {match.group(2)}"[:64]
    return (versionclient or user_agent or "")[:64] or None


def glpi_inventory_report(message: GlpiMessage, agent_id: str, version: str | None, now: datetime) -> dict:
    """The InventoryReport dict for a GLPI computer inventory."""
    content = message.content
    return _without_none({
        "schema_version": INVENTORY_SCHEMA_VERSION,
        "report_id": str(uuid.uuid4()),
        "agent_id": agent_id,
        "agent_version": version,
        "collected_at": now.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "host": _host(content),
        "os": _os(content),
        "cpu": _cpu(content.cpus),
        "memory": _memory(content),
        "disks": [disk for disk in map(_disk, content.storages) if disk],
        "nics": _nics(content.networks),
        "software": _software(content),
        "monitors": [monitor for monitor in map(_monitor, content.monitors) if monitor],
        "batteries": [_battery(index, item) for index, item in enumerate(content.batteries)],
        "users": _users(content),
    })


def _host(content: GlpiContent) -> dict:
    hardware, bios, system = content.hardware, content.bios, content.operatingsystem
    if hardware is None or not hardware.name:
        raise InvalidInput("GLPI inventory failed validation",
                           [FieldError("content.hardware.name", "the computer's name is required")])
    return _without_none({
        "hostname": hardware.name,
        "fqdn": system and system.fqdn,
        "domain": (system and system.dns_domain) or hardware.workgroup,
        "smbios_uuid": _short(hardware.uuid),
        "serial": bios and bios.ssn,
        "vendor": bios and bios.smanufacturer,
        "model": bios and bios.smodel,
        "chassis_type": hardware.chassis_type,
        "asset_tag": bios and bios.assettag,
        "bios_vendor": bios and bios.bmanufacturer,
        "bios_version": bios and bios.bversion,
        "bios_date": bios and bios.bdate,
    })


def _os(content: GlpiContent) -> dict | None:
    system = content.operatingsystem
    if system is None or not (system.name or system.full_name):
        return None
    return _without_none({
        "name": system.name or system.full_name,
        "version": system.version,
        "build": system.service_pack,
        "kernel": system.kernel_version,
        "arch": _short(system.arch),
        "install_date": _utc(system.install_date),
        # boot_time is left out: agents compute it from the uptime, so it shifts by a second between runs.
    })


def _cpu(cpus: list[GlpiCpu]) -> dict | None:
    if not cpus:
        return None
    cores = sum(cpu.core or cpu.corecount or 0 for cpu in cpus)
    threads = sum(_threads(cpu) for cpu in cpus)
    return _without_none({
        "model": next((cpu.name for cpu in cpus if cpu.name), None),
        "sockets": len(cpus),
        "cores": cores if 0 < cores <= _INT32_MAX else None,
        "threads": threads if 0 < threads <= _INT32_MAX else None,
    })


def _threads(cpu: GlpiCpu) -> int:
    """The schema calls ``thread`` threads per core, but agents reading dmidecode ("Thread Count")
    or WMI (NumberOfLogicalProcessors) report threads per socket: a count below the cores is per core."""
    cores, threads = cpu.core or cpu.corecount or 0, cpu.thread or 0
    return threads * cores if 0 < threads < cores else threads


def _memory(content: GlpiContent) -> dict | None:
    modules = [_module(item) for item in content.memories if item.capacity]
    total_mb = content.hardware.memory if content.hardware and content.hardware.memory else None
    if total_mb is None:
        total_mb = sum(item.capacity or 0 for item in content.memories) or None
    if total_mb is None:
        return None
    return {"total_bytes": total_mb * MiB, "modules": modules}


def _module(item: GlpiMemory) -> dict:
    return _without_none({
        "slot": item.caption or item.description,
        "size_bytes": item.capacity * MiB,
        "type": _short(item.type),
        "speed_mhz": _first_number(item.speed),
        "manufacturer": item.manufacturer,
        "serial": item.serialnumber,
        "part_number": item.model,
    })


def _disk(item: GlpiStorage) -> dict | None:
    if not item.name or not item.disksize:
        return None  # card readers, empty optical drives: no medium, no size
    interface = (item.interface or "").upper()
    kind = "nvme" if item.name.startswith("nvme") or "NVME" in (item.model or "").upper() else None
    return _without_none({
        "name": item.name,
        "model": item.model,
        "serial": item.serial,
        "size_bytes": item.disksize * DISK_MB,
        "type": "usb" if interface == "USB" else kind,
    })


def _nics(networks: list[GlpiNetwork]) -> list[dict]:
    """GLPI lists an interface once per address; Stocktake lists it once with its addresses."""
    merged: dict[tuple[str, str | None], dict] = {}
    for item in networks:
        if (item.type or "").lower() == "loopback" or item.description == "lo":
            continue
        mac = item.mac if item.mac and item.mac.strip("0:-.") else None
        nic = merged.setdefault((item.description, mac), _nic(item, mac))
        for family, address in (("ipv4", item.ipaddress), ("ipv6", item.ipaddress6)):
            if address and address not in nic[family]:
                nic[family].append(address)
    return [_without_none(nic) for nic in merged.values()]


def _nic(item: GlpiNetwork, mac: str | None) -> dict:
    kind = _NIC_KINDS.get((item.type or "").lower())
    virtual = bool(item.virtualdev)
    if virtual and kind == "physical":
        kind = "virtual"
    return {"name": item.description, "mac": mac, "ipv4": [], "ipv6": [], "speed_mbps": _speed(item.speed),
            "virtual": virtual, "kind": kind}


def _speed(text: str | None) -> int | None:
    speed = _first_number(text)
    return speed if speed is not None and speed <= 2**31 - 1 else None


def _software(content: GlpiContent) -> list[dict]:
    """The package list, built with plain loops: it is most of a report (thousands of entries)."""
    default_source, sources, dates, software = _default_source(content), {}, {}, []
    for item in content.softwares:  # validated dicts (glpi_models.GlpiSoftware)
        entry = {"name": item["name"]}
        version, publisher, arch = item.get("version"), item.get("publisher"), item.get("arch")
        if version:
            entry["version"] = version
        if publisher:
            entry["publisher"] = publisher
        if arch:
            entry["arch"] = arch[:64]
        origin = item.get("from")
        if not origin:
            entry["source"] = "registry" if item.get("guid") else default_source
        else:
            if origin not in sources:
                sources[origin] = _SOURCES.get(origin.lower(), _short(f"glpi-{origin.lower()}"))
            entry["source"] = sources[origin]
        installed = item.get("install_date")
        if installed:
            if installed not in dates:
                dates[installed] = _utc(installed)
            entry["install_date"] = dates[installed]
        software.append(entry)
    return software


def _default_source(content: GlpiContent) -> str:
    """The source of packages without "from": the OS's installer database."""
    kernel = (content.operatingsystem and content.operatingsystem.kernel_name or "").lower()
    if kernel in ("mswin32", "win32", "windows"):
        return "registry"
    return "pkg" if kernel == "darwin" else "glpi"


def _monitor(item: GlpiMonitor) -> dict | None:
    monitor = _without_none({
        "vendor": item.manufacturer,
        "model": item.caption or item.name,
        "serial": item.serial or item.altserial,
        "manufactured_year": _year(item.description),
    })
    return monitor or None


def _battery(index: int, item: GlpiBattery) -> dict:
    return _without_none({
        "name": item.name or f"battery {index}",
        "manufacturer": item.manufacturer,
        "serial": item.serial,
        "technology": _short(item.chemistry),
        "design_capacity_wh": _wh(item.capacity),
        "full_capacity_wh": _wh(item.real_capacity),
    })


def _users(content: GlpiContent) -> dict | None:
    logged_in = sorted({_login(user.login, user.domain) for user in content.users if user.login})
    primary = content.hardware.lastloggeduser if content.hardware else None
    if not logged_in and not primary:
        return None
    return _without_none({"logged_in": logged_in, "primary": primary})


def _login(login: str, domain: str | None) -> str:
    return f"{domain}\\{login}"[:255] if domain else login


def _utc(text: str | None) -> str | None:
    """GLPI's local date or date-time as an ISO instant (a time without a zone is taken as UTC)."""
    if not text:
        return None
    value = datetime.fromisoformat(text.replace(" ", "T", 1))
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _wh(milliwatt_hours: int | None) -> float | None:
    return None if milliwatt_hours is None or milliwatt_hours > 100_000_000 else milliwatt_hours / 1000


def _year(text: str | None) -> int | None:
    match = _YEAR.search(text or "")
    year = int(match.group(0)) if match else None
    return year if year is not None and 1990 <= year <= 2100 else None


def _first_number(text: str | None) -> int | None:
    match = _NUMBER.search(text or "")
    return int(match.group(0)) if match and len(match.group(0)) <= 12 else None


def _short(text: str | None) -> str | None:
    """Values that land in 64-character fields (ShortText)."""
    return text[:64] if text else None


def _without_none(values: dict) -> dict:
    """Absent, empty and blank values are left out (agents write "" for an unknown asset tag)."""
    return {key: value for key, value in values.items() if value is not None and value != [] and value != ""}
