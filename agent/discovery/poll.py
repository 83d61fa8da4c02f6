"""The full SNMP poll of a device: every MIB table Stocktake reads, walked concurrently within bounds.

After the system sweep has found which credential a device answers, the poll reads its
interfaces, entity (chassis serial/model), HOST-RESOURCES, Printer-MIB, UPS-MIB, ARP cache,
forwarding tables and LLDP neighbours. It asks only for what it keeps, because agents
(printers, UPS cards) compute every successor a GETBULK asks for, past a table's end too:
one GETNEXT first asks whether each table has a row (if that request fails, each table is
probed on its own); a table's other columns are asked for exactly as many rows as its first
holds; the chassis's ENTITY-MIB row is read by GET. Walks are bounded in rows (``max_oids``
per column), in time (one deadline for the whole device) and in concurrency (walks in flight
per device, devices in flight per scan). A table that fails or misses the deadline is
named in ``errors``; the other tables are kept.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import NamedTuple

from agent.discovery import vlan_fdb
from agent.discovery.classify import enterprise_number, probes_for
from agent.discovery.mibs import (arp, bridge, cdp, entity, host_resources, interfaces, lldp, lldp_v2, printer, ups,
                                  vendor_identity)
from agent.discovery.mibs.rows import Row
from agent.discovery.snmp import SnmpCredential, open_walker

__all__ = ["DevicePoll", "PollLimits", "PollTarget", "TABLES", "Table", "poll_device", "poll_devices"]


class PollLimits(NamedTuple):
    timeout_s: float = 1.0  # per request
    retries: int = 1
    # GETBULK size. SNMPv3 walks are bound by pysnmp's decoding (~160 us of CPU per OID): 50 gives
    # ~6,000 OIDs/s on loopback, 25 ~20% less, 100 no more while responses grow past 6 KB.
    max_repetitions: int = 50
    max_oids: int = 50_000  # rows per walked column
    deadline_s: float = 60.0  # all tables of one device
    walks_in_flight: int = 4  # per device: small agents (printers, UPS cards) drop bursts
    max_vlans: int = 64  # per-VLAN bridge instances read on a Cisco switch (vlan_fdb)


class Table(NamedTuple):
    name: str
    roots: tuple[str, ...]  # the first is the probe: no rows there, no walks of the rest
    # The roots are columns of one table (or of tables that AUGMENT it): once the first is walked,
    # the others are asked for exactly as many rows, so no request runs past a column's end.
    columns: bool = False


TABLES: tuple[Table, ...] = (
    Table("interfaces", interfaces.ROOTS, columns=True),
    Table("addresses", interfaces.ADDRESS_ROOTS),
    Table("entity", entity.ROOTS, columns=True),  # see _entity_rows
    Table("host_devices", host_resources.DEVICE_ROOTS, columns=True),
    Table("storage", host_resources.STORAGE_ROOTS, columns=True),
    Table("software", host_resources.SOFTWARE_ROOTS),
    Table("printer", printer.ROOTS),
    Table("ups", ups.ROOTS),
    Table("lldp", lldp.ROOTS),
    Table("lldp_v2", lldp_v2.ROOTS),
    Table("cdp", cdp.ROOTS, columns=True),
)
# Which MIB object each standard table's parser fills a field from (the "why" cites it).
STANDARD_SOURCES = {
    "ups": {"manufacturer": "UPS-MIB::upsIdentManufacturer", "model": "UPS-MIB::upsIdentModel",
            "firmware": "UPS-MIB::upsIdentUPSSoftwareVersion"},
    "entity": {"serial": "ENTITY-MIB::entPhysicalSerialNum", "model": "ENTITY-MIB::entPhysicalModelName",
               "manufacturer": "ENTITY-MIB::entPhysicalMfgName",
               "firmware": "ENTITY-MIB::entPhysicalSoftwareRev/entPhysicalFirmwareRev"},
    "printer": {"serial": "Printer-MIB::prtGeneralSerialNumber (or the maker's printer MIB)"},
}
# Read in steps, each deciding the next (see _arp_rows and _bridge_rows).
ARP_TABLES = (Table("arp", arp.PHYSICAL_ROOTS, columns=True), Table("arp", arp.MEDIA_ROOTS, columns=True))
BRIDGE_TABLES = (Table("bridge", bridge.PORT_MAP_ROOTS), Table("bridge", bridge.Q_FDB_ROOTS, columns=True),
                 Table("bridge", bridge.FDB_ROOTS, columns=True))


class PollTarget(NamedTuple):
    host: str
    port: int
    credential: SnmpCredential  # the one that answered the system group
    sys_object_id: str | None = None  # picks makers' private printer serial OIDs
    sys_descr: str | None = None  # with the sysObjectID, picks the vendor-MIB probes (agent.discovery.ruleset)


@dataclass
class DevicePoll:
    """What the full poll learnt about one device (plain data; ``device_fields`` gives the report's part)."""

    interfaces: list[dict] = field(default_factory=list)
    addresses: dict[str, int] = field(default_factory=dict)  # IPv4 -> ifIndex
    serial: str | None = None
    model: str | None = None
    manufacturer: str | None = None
    firmware: str | None = None
    printer: bool = False
    page_count: int | None = None
    ups: bool = False
    bridge: bool = False
    probes: frozenset[str] = frozenset()  # ids of the vendor-MIB probes the device answered
    host_devices: list[dict] = field(default_factory=list)
    storage: list[dict] = field(default_factory=list)
    software: list[str] = field(default_factory=list)
    neighbours: list[dict] = field(default_factory=list)
    arp: list[dict] = field(default_factory=list)  # {"ip", "mac"} from the device's ARP cache
    errors: list[str] = field(default_factory=list)
    # Where serial, model, firmware and manufacturer came from ("ENTITY-MIB::entPhysicalSerialNum"...).
    sources: dict[str, str] = field(default_factory=dict)

    def device_fields(self) -> dict:
        """The DiscoveredDevice fields this poll fills (empty ones left out)."""
        fields = {"serial": self.serial, "model": self.model, "firmware": self.firmware, "page_count": self.page_count,
                  "interfaces": self.interfaces, "neighbours": self.neighbours, "host_devices": self.host_devices,
                  "storage": self.storage, "software": self.software}
        return {key: value for key, value in fields.items() if value not in (None, [])}

    def own_macs(self) -> set[str]:
        return {interface["mac"] for interface in self.interfaces if interface.get("mac")}

    def mac_of(self, ip: str) -> str | None:
        """The MAC of the interface that carries ``ip`` (ipAddrTable -> ifTable)."""
        index = self.addresses.get(ip)
        return next((i.get("mac") for i in self.interfaces if i.get("index") == index), None) if index else None


async def poll_device(engine, target: PollTarget, limits: PollLimits = PollLimits()) -> DevicePoll:
    """Walk every table of one device (``engine``: a pysnmp SnmpEngine, needed for SNMPv3 only)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limits.deadline_s
    walker = await open_walker(engine, target.host, target.port, target.credential, limits.timeout_s,
                               limits.retries, limits.max_repetitions, limits.max_oids)
    gate = asyncio.Semaphore(limits.walks_in_flight)

    async def walk_root(root: str, limit: int | None = None) -> list[Row]:
        async with gate:
            return await walker.walk(root, limit)

    async def walk_all(roots: tuple[str, ...], limit: int | None = None) -> list[Row]:
        results = await asyncio.gather(*(walk_root(root, limit) for root in roots), return_exceptions=True)
        rows = []
        for result in results:
            if isinstance(result, BaseException):
                raise result
            rows += result
        return rows

    maker = enterprise_number(target.sys_object_id)
    vendor_serial = printer.vendor_roots(maker)
    tables = [Table(t.name, t.roots + vendor_serial) if t.name == "printer" else t for t in TABLES]
    # Vendor-MIB probes ride in the same first GETNEXT as the tables' probes: no extra request.
    vendor_probes = probes_for(target.sys_object_id, target.sys_descr)
    roots = list(dict.fromkeys([*(table.roots[0] for table in (*tables, *ARP_TABLES, *BRIDGE_TABLES)),
                                *(probe.oid for probe in vendor_probes)]))
    try:
        present = await asyncio.wait_for(_probe(walker, roots), limits.deadline_s)
    except asyncio.TimeoutError:
        present = None

    async def has_rows(root: str) -> bool:
        # An agent answering a GETBULK for a table it lacks still computes max-repetitions
        # successors, and slow agents (printers) feel it: ask first.
        return root in present if present is not None else bool(await walk_root(root, 1))

    async def walk_table(table: Table) -> list[Row]:
        if not await has_rows(table.roots[0]):
            return []
        if table.name == "entity" and present and present[table.roots[0]][1] == entity.CHASSIS:
            # The first entity is a chassis, so it is the lowest-indexed one: nothing else to look through.
            first = present[table.roots[0]]
            rows = [first] + await walker.get(entity.detail_oids(first[0][len(table.roots[0]) + 1:]))
            return rows + await _entity_serials(rows, walk_all)
        if not table.columns:
            return await walk_all(table.roots)
        first = await walk_root(table.roots[0])
        if not first:
            return []
        if table.name == "entity":
            rows = first + await _entity_rows(first, walk_all, walker.get)
            return rows + await _entity_serials(rows, walk_all)
        if table.name == "interfaces":
            return first + await _interface_rows(len(first), walk_all)
        return first + await walk_all(table.roots[1:], len(first))

    async def answered_probes() -> list[Row]:
        answered = [probe for probe in vendor_probes if await has_rows(probe.oid)]
        return [(probe.id, True) for probe in answered]

    walks = {table.name: walk_table(table) for table in tables}
    walks["arp"], walks["bridge"] = _arp_rows(walk_table), asyncio.ensure_future(_bridge_rows(walk_table))
    walks["vendor_probes"] = answered_probes()
    if maker in vendor_identity.IDENTITY_OBJECTS:
        walks["vendor"] = vendor_identity.read_vendor_identity(walker, maker)
    if maker == vlan_fdb.CISCO:
        # No VLAN is started in the last quarter of the deadline: what was read must be kept.
        walks["vlan_bridge"] = _vlan_rows(walks["bridge"], lambda: vlan_fdb.vlan_fdb_rows(
            walk_root, _vlan_walker(engine, target, limits, gate), limits.max_vlans, deadline - limits.deadline_s / 4))
    walked, errors = await _within_deadline(walks, max(0.0, deadline - loop.time()), limits.deadline_s)
    poll = _parse(walked, errors, maker)
    poll.probes = frozenset(probe_id for probe_id, _ in walked.get("vendor_probes", []))
    return poll


async def _probe(walker, roots: list[str]) -> dict[str, Row] | None:
    """``{root: its first row}`` for the roots under which the device has rows, asked in one
    GETNEXT (most devices lack most tables: one request instead of one per table). None when
    that request fails; each table is then probed on its own, so an agent that chokes on a
    many-OID request costs nothing."""
    try:
        answers = await walker.next(roots)
    except Exception:  # noqa: BLE001 - the per-table probes will say what is wrong
        return None
    return {root: (oid, value) for root, (oid, value) in zip(roots, answers)
            if oid.startswith(root + ".") and value is not None}


async def _arp_rows(walk_table) -> list[Row]:
    """The device's ARP cache: ipNetToPhysicalTable, and the older ipNetToMediaTable only when the
    first holds no IPv4 neighbour (agents that fill both list every IPv4 entry twice)."""
    physical = await walk_table(ARP_TABLES[0])
    return physical if arp.has_ipv4(physical) else physical + await walk_table(ARP_TABLES[1])


async def _bridge_rows(walk_table) -> list[Row]:
    """The port map, then the forwarding table: Q-BRIDGE's, or BRIDGE-MIB's when that is empty."""
    ports = await walk_table(BRIDGE_TABLES[0])
    if not ports:
        return []
    return ports + (await walk_table(BRIDGE_TABLES[1]) or await walk_table(BRIDGE_TABLES[2]))


async def _entity_rows(classes: list[Row], walk_all, get) -> list[Row]:
    """The rest of entPhysicalTable that identifies the box: serial, model, maker and revisions of
    the chassis alone. A chassis switch lists hundreds of entities; reading five columns of each
    to keep one row would cost it thousands of OIDs. Containment is read only when no entity
    says it is a chassis, and the other columns walked only when containment does not tell."""
    rows, index = [], entity.chassis_index(classes)
    if index is None:
        rows = await walk_all(entity.CHOICE_ROOTS[1:], len(classes))
        index = entity.chassis_index(classes + rows)
    if index is None:
        return rows + await walk_all(entity.DETAIL_ROOTS, len(classes))
    return rows + await get(entity.detail_oids(index))


async def _vlan_rows(bridge_walk: asyncio.Future, read_vlans):
    """The per-VLAN instances (``read_vlans()``) only when Q-BRIDGE's forwarding table, which covers
    every VLAN, was empty: a switch that fills it has nothing more to tell per VLAN."""
    try:
        rows = await asyncio.shield(bridge_walk)
    except Exception:  # noqa: BLE001 - the bridge walk names its own error
        rows = []
    if any(oid.startswith(bridge.DOT1Q_TP_FDB_PORT + ".") for oid, _value in rows):
        return [], None
    return await read_vlans()


def _vlan_walker(engine, target: PollTarget, limits: PollLimits, gate: asyncio.Semaphore):
    """``open(vlan) -> walk(root, limit=None)`` on one VLAN's bridge instance, within the device's walk gate."""
    async def open_vlan(vlan: int):
        walker = await open_walker(engine, target.host, target.port, vlan_fdb.vlan_credential(target.credential, vlan),
                                   limits.timeout_s, limits.retries, limits.max_repetitions, limits.max_oids)

        async def walk_vlan(root: str, limit: int | None = None) -> list[Row]:
            async with gate:
                return await walker.walk(root, limit)
        return walk_vlan
    return open_vlan


async def _entity_serials(rows: list[Row], walk_all) -> list[Row]:
    """Every entity's class and serial, only when the chassis has no usable serial (a stack or a
    modular box whose chassis row is blank but whose first module carries one)."""
    return [] if "serial" in entity.parse_entity(rows) else await walk_all(entity.SERIAL_ROOTS)


async def _interface_rows(count: int, walk_all) -> list[Row]:
    """MAC, name and speed of the ``count`` interfaces ifDescr listed; ifSpeed (which saturates
    at 4.3 Gb/s) only when ifHighSpeed does not cover them all."""
    rows = await walk_all((interfaces.IF_PHYS_ADDRESS, interfaces.IF_NAME, interfaces.IF_HIGH_SPEED), count)
    high_speed = interfaces.IF_HIGH_SPEED + "."
    if sum(1 for oid, _value in rows if oid.startswith(high_speed)) < count:
        rows += await walk_all((interfaces.IF_SPEED,), count)
    return rows


async def _within_deadline(walks: dict, remaining_s: float, deadline_s: float) -> tuple[dict[str, list[Row]], list[str]]:
    """Run the table walks together; the unfinished are cancelled when ``remaining_s`` of the
    device's ``deadline_s`` have passed, and named."""
    tasks = {name: asyncio.ensure_future(coroutine) for name, coroutine in walks.items()}
    _done, pending = await asyncio.wait(tasks.values(), timeout=remaining_s)
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.wait(pending)
    walked, errors = {}, []
    for name, task in tasks.items():
        if task in pending:
            errors.append(f"{name}: not finished within the {deadline_s:g} s deadline")
        elif task.exception() is not None:
            errors.append(f"{name}: {task.exception()}")
        else:
            walked[name] = task.result()
    return walked, errors


def _parse(walked: dict[str, list[Row]], errors: list[str], maker: int | None = None) -> DevicePoll:
    """Turn the walked rows into a DevicePoll; a parser that chokes costs only its table."""
    poll = DevicePoll(errors=errors)

    def parsed(names: str, parser, *args, default):
        rows = [row for name in names.split() for row in walked.get(name, [])]
        try:
            return parser(rows, *args)
        except Exception as exc:  # noqa: BLE001 - a malformed table must not cost the others
            poll.errors.append(f"{names}: unreadable ({type(exc).__name__}: {exc})")
            return default

    poll.interfaces = parsed("interfaces", interfaces.parse_interfaces, default=[])
    poll.addresses = parsed("addresses", interfaces.parse_addresses, default={})
    # ENTITY-MIB names the chassis; a UPS card's upsIdent fills what it leaves out.
    for table_name, parser in (("ups", ups.parse_ups), ("entity", entity.parse_entity), ("printer", printer.parse_printer)):
        for key, value in parsed(table_name, parser, default={}).items():
            setattr(poll, key, value)
            if key in STANDARD_SOURCES[table_name]:
                poll.sources[key] = STANDARD_SOURCES[table_name][key]
    # The maker's own MIB fills what the standard ones left blank.
    for key, found in parsed("vendor", vendor_identity.parse_vendor_identity, maker, default={}).items():
        if getattr(poll, key) is None:
            setattr(poll, key, found.value)
            poll.sources[key] = found.source
    poll.host_devices = parsed("host_devices", host_resources.parse_host_devices, default=[])
    poll.storage = parsed("storage", host_resources.parse_storage, default=[])
    poll.software = parsed("software", host_resources.parse_software, default=[])
    if poll.printer and poll.model is None:  # printers without ENTITY-MIB name their model in hrDeviceDescr
        poll.model = next((d.get("descr") for d in poll.host_devices if d.get("type") == "printer"), None)
    own = poll.own_macs()
    neighbours = parsed("arp", arp.parse_arp, default=[])
    poll.arp = [entry for entry in neighbours if entry["mac"] not in own]  # the router's own addresses
    poll.bridge = bool(walked.get("bridge"))
    _add_learned_macs(poll.interfaces, parsed("bridge", bridge.parse_learned_macs, default={}))
    names = {i["index"]: i["name"] for i in poll.interfaces if i.get("name")}
    _add_vlan_macs(poll, walked.get("vlan_bridge"))
    poll.neighbours = _merge_neighbours(parsed("lldp", lldp.parse_neighbours, names, default=[]),
                                        parsed("lldp_v2", lldp_v2.parse_v2_neighbours, names, default=[]),
                                        parsed("cdp", cdp.parse_cdp_neighbours, names, default=[]))
    return poll


def _add_vlan_macs(poll: DevicePoll, result: tuple[list[list[Row]], str | None] | None) -> None:
    """Merge the per-VLAN forwarding tables (vlan_fdb) into the interfaces' learnt MACs."""
    if not result:
        return
    instances, error = result
    if error:
        poll.errors.append(f"vlan_bridge: {error}")
    if instances:
        poll.bridge = True
        learned = vlan_fdb.learned_per_vlan(instances)
        by_index = {i["index"]: i.get("learned_macs", []) for i in poll.interfaces if "index" in i}
        _add_learned_macs(poll.interfaces, {index: sorted(set(macs) | set(by_index.get(index, [])))
                                            for index, macs in learned.items()})


def _merge_neighbours(*sources: list[dict]) -> list[dict]:
    """One record per (local port, neighbour): LLDP-MIB first, then LLDP-V2-MIB, then CDP; a
    neighbour heard twice keeps the first record, completed with the fields only a later one has
    (CDP's platform). A neighbour is known by name, else MAC, else address."""
    merged: dict[tuple, dict] = {}
    for neighbours in sources:
        for neighbour in neighbours:
            who = neighbour.get("remote_name") or neighbour.get("remote_mac") or neighbour.get("remote_ip")
            key = (neighbour.get("local_port"), who) if who else (len(merged),)
            merged[key] = {**neighbour, **merged[key]} if key in merged else dict(neighbour)
    return list(merged.values())[:lldp.MAX_NEIGHBOURS]


def _add_learned_macs(found: list[dict], learned: dict[int, list[str]]) -> None:
    """Put each port's learnt MACs on its interface (an ifIndex IF-MIB did not list gets its own entry)."""
    by_index = {interface["index"]: interface for interface in found if "index" in interface}
    for index, macs in learned.items():
        if index not in by_index and len(found) < interfaces.MAX_INTERFACES:
            by_index[index] = {"index": index}
            found.append(by_index[index])
        if index in by_index:
            by_index[index]["learned_macs"] = macs


async def poll_devices(targets: list[PollTarget], limits: PollLimits = PollLimits(),
                       concurrency: int = 16) -> dict[str, DevicePoll]:
    """Poll many devices, at most ``concurrency`` at once; ``{"host:port": DevicePoll}`` for every target."""
    engine = None
    if any(target.credential.version == "3" for target in targets):
        from pysnmp.hlapi.v3arch.asyncio import SnmpEngine

        engine = SnmpEngine()
    limit = asyncio.Semaphore(concurrency)

    async def one(target: PollTarget) -> DevicePoll:
        async with limit:
            try:
                return await poll_device(engine, target, limits)
            except Exception as exc:  # noqa: BLE001 - one device's failure must not end the scan
                return DevicePoll(errors=[f"poll: {type(exc).__name__}: {exc}"])

    try:
        polls = await asyncio.gather(*(one(target) for target in targets))
    finally:
        if engine is not None:
            engine.close_dispatcher()
    return {f"{target.host}:{target.port}": poll for target, poll in zip(targets, polls)}
