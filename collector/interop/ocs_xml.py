"""The OCS Inventory protocol's ``<REQUEST>`` documents, as ocsinventory-agent and
fusioninventory-agent send them, converted into Stocktake's InventoryReport (schema 1).

A request names its ``QUERY`` (PROLOG, INVENTORY, and FusionInventory's NETDISCOVERY and
SNMPQUERY) and the agent's ``DEVICEID`` (``<hostname>-<YYYY-MM-DD-hh-mm-ss>`` of its first
run, kept in the agent's state directory). An INVENTORY's ``CONTENT`` holds one element
per section entry: ``HARDWARE``, ``BIOS`` and ``OPERATINGSYSTEM`` once, ``CPUS``,
``STORAGES``, ``NETWORKS``, ``SOFTWARES``... once per CPU, disk, address, package.

Units, as the agents write them (checked against the Debian packages' output):
``HARDWARE/MEMORY`` and ``MEMORIES/CAPACITY`` are MiB; ``STORAGES/DISKSIZE`` is decimal
MB (10^6 bytes, "274877.906944" from ocsinventory-agent, "274877" from Fusion), except
from the OCS Windows agent, whose SysInfo divides WMI's Win32_DiskDrive.Size by its
ONE_MEGABYTE, 1,048,576: MiB there; NETWORKS ``SPEED`` is "1000 Mbps", "1 Gb/s" or a bare
number of Mbit/s.

Only what Stocktake's schema has a place for is carried (docs/migrating-from-ocs-glpi.md
lists what is not). Volatile values (free disk space, uptime, last logged-in user,
processes, the access log) are left out so that an unchanged machine sends an identical
report; entries are sorted, so the agents' own ordering does not matter either.
"""

from __future__ import annotations

import functools
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any
from xml.etree.ElementTree import Element

from collector.errors import BadRequest, FieldError
from collector.interop.safe_xml import as_int, child_text, element_text
from common.identity import classify_mac
from common.schema import INT32_MAX, INT64_MAX

__all__ = [
    "OcsRequest",
    "identify_agent",
    "inventory_report",
    "read_request",
]

QUERIES = ("PROLOG", "INVENTORY", "NETDISCOVERY", "SNMPQUERY")
MIB = 1024 * 1024
MB = 1000 * 1000
_NAME, _SHORT = 255, 64  # common/schema.py's Name and ShortText bounds
# User-Agent → (protocol, agent name). OCS: "OCS-NG_unified_unix_agent_v2.10.0",
# "OCS-NG_windows_client_v2.9.0.0"; Fusion: "FusionInventory-Agent_v2.6"; GLPI: "GLPI-Agent_v1.4".
WINDOWS_AGENT = "ocsinventory-agent-windows"
_USER_AGENTS = (
    (re.compile(r"OCS-NG_unified_unix_agent_v([\w.\-]{1,32})"), "ocs", "ocsinventory-agent"),
    (re.compile(r"OCS-NG_windows_client_v([\w.\-]{1,32})"), "ocs", WINDOWS_AGENT),
    (re.compile(r"FusionInventory-Agent_v([\w.\-]{1,32})"), "fusioninventory", "fusioninventory-agent"),
    (re.compile(r"GLPI-Agent_v([\w.\-]{1,32})"), "glpi", "glpi-agent"),
)
# Block devices that are not hardware, as the native agent skips them (agent/probes/hardware.py).
_VIRTUAL_DISKS = ("loop", "ram", "zram", "dm-", "md", "nbd", "sr")
_NOT_DISKS = re.compile(r"cd|dvd|rom|floppy|tape|removable", re.IGNORECASE)
_SPEED = re.compile(r"(\d+(?:\.\d+)?)\s*([kmgt]?)(?:b(?:it)?(?:ps|/s)?)?", re.IGNORECASE)
_SPEED_FACTORS = {"": 1, "k": Decimal("0.001"), "m": 1, "g": 1000, "t": 1_000_000}
# The OCS Windows agent's BITSWIDTH, named as the native agent names Windows architectures.
_BITS_ARCH = {"64": "x64", "32": "x86"}
_ABSENT = Element("absent")  # _Reader's marker for a child that is not there
_DATE_FORMATS = ("%Y/%m/%d %H:%M:%S", "%Y/%m/%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d", "%d/%m/%Y")


@dataclass(frozen=True)
class OcsRequest:
    """A ``<REQUEST>`` envelope: what is asked, by which device, and its content (if any)."""

    query: str
    device_id: str
    content: Element | None


def read_request(root: Element) -> OcsRequest:
    if root.tag != "REQUEST":
        raise BadRequest(f"expected a <REQUEST> document, got <{root.tag[:64]}>", [FieldError("REQUEST", "missing")])
    query = (child_text(root, "QUERY", "QUERY", max_length=32) or "").upper()
    device_id = child_text(root, "DEVICEID", "DEVICEID", max_length=_NAME)
    fields = []
    if query not in QUERIES:
        fields.append(FieldError("QUERY", f"must be one of {', '.join(QUERIES)}"))
    if device_id is None:
        fields.append(FieldError("DEVICEID", "required"))
    contents = root.findall("CONTENT")
    if len(contents) > 1:
        fields.append(FieldError("CONTENT", "appears more than once"))
    if fields:
        raise BadRequest("invalid OCS request", fields)
    return OcsRequest(query=query, device_id=device_id, content=contents[0] if contents else None)


def identify_agent(user_agent: str | None) -> tuple[str, str | None]:
    """The protocol name and a readable agent version ("ocsinventory-agent 2.10.0")."""
    for pattern, protocol, name in _USER_AGENTS:
        match = pattern.search(user_agent or "")
        if match:
            return protocol, f"{name} {match.group(1)}"
    return "ocs", None


def inventory_report(request: OcsRequest, agent_id: str, agent_version: str | None, collected_at: datetime,
                     report_id: str | None = None) -> dict[str, Any]:
    """The InventoryReport dict for an INVENTORY request; BadRequest names every bad field."""
    if request.content is None:
        raise BadRequest("INVENTORY request without CONTENT", [FieldError("CONTENT", "required")])
    reader = _Reader(request.content)
    report: dict[str, Any] = {
        "schema_version": 1,
        "report_id": report_id or str(uuid.uuid4()),
        "agent_id": agent_id,
        "agent_version": agent_version,
        "collected_at": collected_at.astimezone(timezone.utc).isoformat().replace("+00:00", "Z"),
        "host": _host(reader),
        "os": _os(reader),
        "cpu": _cpu(reader),
        "memory": _memory(reader),
        "disks": _disks(reader, _disk_size_unit(agent_version)),
        "nics": _nics(reader),
        "software": _software(reader, windows=_is_windows(reader)),
        "monitors": _monitors(reader),
        "batteries": _batteries(reader),
    }
    reader.raise_errors()
    return {key: value for key, value in report.items() if value is not None}


class _Reader:
    """Typed access to CONTENT's sections, collecting every bad field before failing.

    Each element's children are indexed once (an inventory reads ~100,000 values: one pass
    per element instead of a search per value); only the values read are checked, so an
    unmapped field holding elements (Fusion's OPERATINGSYSTEM/TIMEZONE) is no error.
    """

    def __init__(self, content: Element) -> None:
        self.content = content
        self.errors: list[FieldError] = []
        self._singles: dict[str, Element | None] = {}
        self._indexes: dict[int, dict[str, Element | None]] = {}

    def single(self, section: str) -> Element | None:
        """A section sent once per inventory (HARDWARE, BIOS, OPERATINGSYSTEM)."""
        if section not in self._singles:
            found = self.content.findall(section)
            if len(found) > 1:
                self.errors.append(FieldError(f"CONTENT.{section}", "appears more than once"))
            self._singles[section] = found[0] if found else None
        return self._singles[section]

    def entries(self, section: str) -> list[tuple[str, Element]]:
        return [(f"CONTENT.{section}.{index}", entry) for index, entry in enumerate(self.content.findall(section))]

    def _child(self, parent: Element, tag: str, field: str) -> Element | None:
        """``parent``'s only child ``tag``; a repeated one is an error (None)."""
        index = self._indexes.get(id(parent))
        if index is None:
            index = {}
            for child in parent:  # a repeated tag maps to None, an absent one is missing
                index[child.tag] = None if child.tag in index else child
            self._indexes[id(parent)] = index
        child = index.get(tag, _ABSENT)
        if child is None:
            self.errors.append(FieldError(field, "appears more than once"))
        return child if child is not _ABSENT else None

    def text(self, parent: Element | None, tag: str, path: str, limit: int = _NAME) -> str | None:
        """Text cut to the schema's bound ``limit``; longer than 1,024 characters is refused."""
        if parent is None:
            return None
        field = f"{path}.{tag}"
        child = self._child(parent, tag, field)
        if child is None:
            return None
        try:
            value = element_text(child, field)
        except BadRequest as exc:
            self.errors.extend(exc.fields)
            return None
        return value[:limit] if value else None

    def record(self, parent: Element, path: str, tags: frozenset[str]) -> dict[str, str]:
        """The non-empty texts of ``parent``'s children named in ``tags``, in one pass, with
        ``text``'s checks (repeats, nested elements, over 1,024 characters); not cut."""
        values: dict[str, str] = {}
        seen: set[str] = set()
        for child in parent:
            tag = child.tag
            if tag not in tags:
                continue
            if tag in seen:
                self.errors.append(FieldError(f"{path}.{tag}", "appears more than once"))
                values.pop(tag, None)
                continue
            seen.add(tag)
            text = child.text
            if len(child) or (text and len(text) > 1024):
                try:
                    text = element_text(child, f"{path}.{tag}")  # the full checks, naming the problem
                except BadRequest as exc:
                    self.errors.extend(exc.fields)
                    continue
            text = text.strip() if text else ""
            if text:
                values[tag] = text
        return values

    def integer(self, parent: Element | None, tag: str, path: str, maximum: int = INT32_MAX) -> int | None:
        text = self.text(parent, tag, path, limit=_SHORT)
        try:
            return as_int(text, f"{path}.{tag}", maximum=maximum)
        except BadRequest as exc:
            self.errors.extend(exc.fields)
            return None

    def size(self, parent: Element, tag: str, path: str, unit: int) -> int | None:
        """A size in ``unit`` bytes, possibly with a fraction ("274877.906944"), in bytes."""
        text = self.text(parent, tag, path, limit=32)
        if text is None:
            return None
        try:
            value = int(Decimal(text) * unit) if re.fullmatch(r"[0-9]{1,15}(\.[0-9]{1,9})?", text) else None
        except InvalidOperation:
            value = None
        if value is None or value > INT64_MAX:
            self.errors.append(FieldError(f"{path}.{tag}", f"must be a non-negative number, got {text[:32]!r}"))
            return None
        return value

    def raise_errors(self) -> None:
        if self.errors:
            errors = list(dict.fromkeys(self.errors))  # a value read twice (fallbacks) is named once
            raise BadRequest(f"OCS inventory has {len(errors)} invalid field(s)", errors[:50])


def _compact(record: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in record.items() if value is not None}


def _host(reader: _Reader) -> dict[str, Any]:
    hardware, bios, system = reader.single("HARDWARE"), reader.single("BIOS"), reader.single("OPERATINGSYSTEM")
    path_h, path_b, path_o = "CONTENT.HARDWARE", "CONTENT.BIOS", "CONTENT.OPERATINGSYSTEM"
    hostname = reader.text(hardware, "NAME", path_h)
    if hostname is None and not any(e.field == f"{path_h}.NAME" for e in reader.errors):
        reader.errors.append(FieldError(f"{path_h}.NAME", "required (the host name)"))
    fqdn = reader.text(system, "FQDN", path_o)
    # WORKGROUP holds the Windows domain, or the workgroup's name (by default "WORKGROUP").
    domain = reader.text(system, "DNS_DOMAIN", path_o) or reader.text(hardware, "WORKGROUP", path_h)
    return _compact({
        "hostname": hostname or "",
        "fqdn": fqdn if fqdn and "." in fqdn else None,
        "domain": None if domain and domain.upper() == "WORKGROUP" else domain,
        "smbios_uuid": reader.text(hardware, "UUID", path_h, limit=_SHORT),
        "serial": reader.text(bios, "SSN", path_b),
        "vendor": reader.text(bios, "SMANUFACTURER", path_b),
        "model": reader.text(bios, "SMODEL", path_b),
        "chassis_type": reader.text(bios, "TYPE", path_b) or reader.text(hardware, "CHASSIS_TYPE", path_h),
        "asset_tag": reader.text(bios, "ASSETTAG", path_b),
        "bios_vendor": reader.text(bios, "BMANUFACTURER", path_b),
        "bios_version": reader.text(bios, "BVERSION", path_b),
        "bios_date": reader.text(bios, "BDATE", path_b),
    })


def _os(reader: _Reader) -> dict[str, Any] | None:
    """FusionInventory's OPERATINGSYSTEM section when sent, else OCS's HARDWARE/OS* fields."""
    hardware, system = reader.single("HARDWARE"), reader.single("OPERATINGSYSTEM")
    path_h, path_o = "CONTENT.HARDWARE", "CONTENT.OPERATINGSYSTEM"
    name = reader.text(system, "NAME", path_o) or reader.text(hardware, "OSNAME", path_h)
    if name is None:
        return None
    return _compact({
        "name": name,
        "version": reader.text(system, "VERSION", path_o) or reader.text(hardware, "OSVERSION", path_h),
        "kernel": reader.text(system, "KERNEL_VERSION", path_o),
        "arch": (reader.text(system, "ARCH", path_o, limit=_SHORT) or reader.text(hardware, "ARCHNAME", path_h, limit=_SHORT)
                 or reader.text(hardware, "ARCH", path_h, limit=_SHORT)),
    })


def _cpu(reader: _Reader) -> dict[str, Any] | None:
    """One CPUS entry per socket: cores and logical CPUs summed over them."""
    entries = reader.entries("CPUS")
    model, cores, threads = None, 0, 0
    for path, cpu in entries:
        model = model or reader.text(cpu, "TYPE", path) or reader.text(cpu, "NAME", path)
        cores += reader.integer(cpu, "CORES", path) or reader.integer(cpu, "CORE", path) or 0
        threads += (reader.integer(cpu, "LOGICAL_CPUS", path) or reader.integer(cpu, "THREADS", path)
                    or reader.integer(cpu, "THREAD", path) or 0)
    if not entries:
        model = reader.text(reader.single("HARDWARE"), "PROCESSORT", "CONTENT.HARDWARE")
        if model is None:
            return None
    return _compact({"model": model, "sockets": len(entries) or None,
                     "cores": min(cores, INT32_MAX) or None, "threads": min(threads, INT32_MAX) or None})


def _memory(reader: _Reader) -> dict[str, Any] | None:
    megabytes = reader.integer(reader.single("HARDWARE"), "MEMORY", "CONTENT.HARDWARE", maximum=INT64_MAX // MIB)
    modules = []
    for path, module in reader.entries("MEMORIES"):
        size = reader.size(module, "CAPACITY", path, MIB)
        if not size:
            continue  # an empty slot
        modules.append(_compact({
            "slot": reader.text(module, "CAPTION", path) or reader.text(module, "DESCRIPTION", path),
            "size_bytes": size,
            "type": reader.text(module, "TYPE", path, limit=_SHORT),
            "speed_mhz": _leading_number(reader.text(module, "SPEED", path, limit=_SHORT)),
            "manufacturer": reader.text(module, "MANUFACTURER", path),
            "serial": reader.text(module, "SERIALNUMBER", path),
            "part_number": reader.text(module, "MODEL", path),
        }))
    if megabytes is None:
        return None
    return {"total_bytes": megabytes * MIB, "modules": modules}


def _disk_size_unit(agent_version: str | None) -> int:
    """Bytes per DISKSIZE unit: MiB from the OCS Windows agent (identified by its User-Agent,
    ``identify_agent``), decimal MB from the Unix, FusionInventory and GLPI agents."""
    return MIB if (agent_version or "").startswith(WINDOWS_AGENT + " ") else MB


def _disks(reader: _Reader, unit: int) -> list[dict[str, Any]]:
    """Physical disks only, as the native agent lists them: no virtual block devices,
    optical drives or empty readers (no size)."""
    disks = {}
    for path, storage in reader.entries("STORAGES"):
        name = reader.text(storage, "NAME", path)
        size = reader.size(storage, "DISKSIZE", path, unit)
        kind = reader.text(storage, "TYPE", path, limit=_SHORT) or ""
        if not name or not size or name.startswith(_VIRTUAL_DISKS) or _NOT_DISKS.search(kind):
            continue
        interface = (reader.text(storage, "INTERFACE", path, limit=_SHORT) or "").lower()
        disks[name] = _compact({
            "name": name,
            "model": reader.text(storage, "MODEL", path),
            "serial": reader.text(storage, "SERIALNUMBER", path) or reader.text(storage, "SERIAL", path),
            "size_bytes": size,
            "type": "nvme" if "nvme" in interface or name.startswith("nvme") else ("usb" if interface == "usb" else None),
        })
    return [disks[name] for name in sorted(disks)]


def _nics(reader: _Reader) -> list[dict[str, Any]]:
    """NETWORKS has one entry per address: entries of one interface (name and MAC) merge."""
    nics: dict[tuple[str, str | None], dict[str, Any]] = {}
    for path, network in reader.entries("NETWORKS"):
        name = reader.text(network, "DESCRIPTION", path)
        info = classify_mac(reader.text(network, "MACADDR", path, limit=_SHORT))
        kind = (reader.text(network, "TYPE", path, limit=_SHORT) or "").lower()
        if not name or kind == "loopback" or name == "lo":
            continue
        mac = info.mac if info else None
        nic = nics.setdefault((name, mac), _compact({"name": name, "mac": mac, "ipv4": [], "ipv6": []}))
        for tag in ("IPADDRESS", "IPADDRESS6"):
            address = reader.text(network, tag, path, limit=_SHORT)
            if address and address not in nic["ipv4"] + nic["ipv6"]:
                nic["ipv6" if ":" in address else "ipv4"].append(address)
        speed = _speed_mbps(reader.text(network, "SPEED", path, limit=_SHORT))
        if speed:
            nic["speed_mbps"] = speed
        virtual = reader.text(network, "VIRTUALDEV", path, limit=_SHORT)
        if virtual in ("0", "1"):
            nic["virtual"] = virtual == "1"
        if "wifi" in kind or "wireless" in kind:
            nic["kind"] = "wireless"
    return [nics[key] for key in sorted(nics, key=lambda k: (k[0], k[1] or ""))]


def _is_windows(reader: _Reader) -> bool:
    name = reader.text(reader.single("HARDWARE"), "OSNAME", "CONTENT.HARDWARE") or ""
    return name.lower().startswith(("microsoft windows", "windows"))


_SOFTWARE_TAGS = frozenset({"NAME", "FROM", "ARCHITECTURE", "ARCH", "BITSWIDTH", "PUBLISHER", "VERSION", "INSTALLDATE"})


def _software(reader: _Reader, windows: bool) -> list[dict[str, Any]]:
    """SOFTWARES, sorted and without exact duplicates. The OCS Windows agent sends no FROM: its
    list is the registry's Uninstall keys, the native Windows agent's "registry" source.

    The hot loop (~1,500 entries of ~5 values): each entry is read in one pass over its
    children; an entry with anything ``_Reader.record`` would name (a repeated, nested or
    over-long value) is read again by it, which records the error."""
    packages = {}
    for index, software in enumerate(reader.content.iterfind("SOFTWARES")):
        values = _plain_values(software, _SOFTWARE_TAGS)
        if values is None:
            values = reader.record(software, f"CONTENT.SOFTWARES.{index}", _SOFTWARE_TAGS)
        name = values.get("NAME")
        if not name:
            continue
        name = name[:_NAME]
        source = _software_source(values.get("FROM"), windows)
        arch = (values.get("ARCHITECTURE") or values.get("ARCH") or _BITS_ARCH.get(values.get("BITSWIDTH"))
                or "")[:_SHORT] or None
        if arch and source == "dpkg" and name.endswith(f":{arch}"):
            name = name[: -len(arch) - 1]  # dpkg-query's ${binary:Package} of a Multi-Arch: same package
        publisher = (values.get("PUBLISHER") or "")[:_NAME] or None
        if publisher and publisher.lower().startswith(("http://", "https://")):
            publisher = None  # ocsinventory-agent's Debian backend sends the Homepage field here
        version = (values.get("VERSION") or "")[:_NAME] or None
        # Built in the schema's field order (the report's bytes, hence its content hash, depend on it).
        package = {"name": name}
        if version is not None:
            package["version"] = version
        if publisher is not None:
            package["publisher"] = publisher
        if arch is not None:
            package["arch"] = arch
        package["source"] = source
        installed = values.get("INSTALLDATE")
        if installed and source != "dpkg":
            installed = _install_date(installed, source)
            if installed is not None:
                package["install_date"] = installed
        packages[(name, arch or "", version or "", publisher or "")] = package
    return [packages[key] for key in sorted(packages)]


def _plain_values(parent: Element, tags: frozenset[str]) -> dict[str, str] | None:
    """``parent``'s children named in ``tags`` as stripped texts (empty ones left out), or None
    when one is repeated, holds elements or is longer than 1,024 characters."""
    values: dict[str, str] = {}
    for child in parent:
        tag = child.tag
        if tag in tags:
            text = child.text
            if tag in values or len(child) or (text and len(text) > 1024):
                return None
            values[tag] = text.strip() if text else ""
    return values


def _monitors(reader: _Reader) -> list[dict[str, Any]]:
    monitors = []
    for path, monitor in reader.entries("MONITORS"):
        record = _compact({
            "vendor": reader.text(monitor, "MANUFACTURER", path),
            "model": reader.text(monitor, "CAPTION", path) or reader.text(monitor, "NAME", path),
            "serial": reader.text(monitor, "SERIAL", path),
        })
        if record:
            monitors.append(record)
    return sorted(monitors, key=lambda m: (m.get("vendor") or "", m.get("model") or "", m.get("serial") or ""))


def _batteries(reader: _Reader) -> list[dict[str, Any]]:
    batteries = []
    for path, battery in reader.entries("BATTERIES"):
        name = reader.text(battery, "NAME", path)
        if name:
            batteries.append(_compact({
                "name": name,
                "manufacturer": reader.text(battery, "MANUFACTURER", path),
                "serial": reader.text(battery, "SERIAL", path),
                "technology": reader.text(battery, "CHEMISTRY", path, limit=_SHORT),
            }))
    return sorted(batteries, key=lambda b: (b["name"], b.get("serial") or ""))


@functools.lru_cache(maxsize=256)
def _software_source(origin: str | None, windows: bool) -> str:
    """FROM as the native agent names its sources: Debian packages are "dpkg" in both."""
    origin = (origin or "").lower()
    if not origin:
        return "registry" if windows else "ocs"
    return {"deb": "dpkg"}.get(origin, origin[:_SHORT])


def _install_date(text: str | None, source: str) -> str | None:
    """A date without a zone, taken as UTC; unreadable dates are left out, not refused.

    ocsinventory-agent 2.10's Debian backend writes localtime()'s 0-based month ("1970-00-01",
    a package unpacked in May shows April), so its dpkg dates are not carried at all.
    """
    if not text or source == "dpkg":
        return None
    for layout in _DATE_FORMATS:
        try:
            moment = datetime.strptime(text, layout)
        except ValueError:
            continue
        return moment.replace(tzinfo=timezone.utc).isoformat() if 1970 <= moment.year <= 2100 else None
    return None


def _speed_mbps(text: str | None) -> int | None:
    """"1000 Mbps", "1 Gb/s", "100" (Mbit/s) → Mbit/s; 0, -1 and "Unknown" → None."""
    match = _SPEED.fullmatch(text or "")
    if not match:
        return None
    value = int(Decimal(match.group(1)) * _SPEED_FACTORS[match.group(2).lower()])
    return value if 0 < value <= INT32_MAX else None


def _leading_number(text: str | None) -> int | None:
    match = re.match(r"\d{1,9}", text or "")
    return int(match.group()) if match and int(match.group()) > 0 else None
