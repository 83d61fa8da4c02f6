"""Per-VLAN forwarding tables, for switches that keep one bridge instance per VLAN (Cisco Catalyst).

Catalyst IOS answers BRIDGE-MIB for one VLAN at a time and implements no Q-BRIDGE FDB: the
default community shows VLAN 1 alone. Each VLAN's instance is reached with the community
``<community>@<vlan>`` over SNMPv2c, and with the context ``vlan-<vlan>`` over SNMPv3
(Cisco, "Using SNMP to Find a Port Number from a MAC Address"). The VLANs come from
CISCO-VTP-MIB vtpVlanState; only operational ones are read, FDDI/Token Ring defaults
(1002-1005) never. Bounded by a VLAN count and by the device's deadline: VLANs not reached
in time are skipped, what was read is kept. Bridge port numbers are per instance, so each
VLAN's port map is parsed with its own forwarding table.
"""

from __future__ import annotations

import asyncio

from agent.discovery.mibs import bridge
from agent.discovery.mibs.rows import Row, column, index_arcs
from agent.discovery.snmp import SnmpCredential

__all__ = ["CISCO", "VTP_VLAN_STATE", "learned_per_vlan", "parse_vlans", "vlan_credential", "vlan_fdb_rows"]

CISCO = 9
VTP_VLAN_STATE = "1.3.6.1.4.1.9.9.46.1.3.1.1.2"  # vtpVlanState, indexed (managementDomainIndex, vtpVlanIndex)
OPERATIONAL = 1
RESERVED = range(1002, 1006)


def parse_vlans(rows: list[Row], max_vlans: int) -> list[int]:
    """The operational VLAN ids, lowest first, at most ``max_vlans``."""
    vlans = set()
    for index, state in column(rows, VTP_VLAN_STATE).items():
        arcs = index_arcs(index)
        if len(arcs) == 2 and state == OPERATIONAL and 1 <= arcs[1] <= 4094 and arcs[1] not in RESERVED:
            vlans.add(arcs[1])
    return sorted(vlans)[:max_vlans]


def vlan_credential(credential: SnmpCredential, vlan: int) -> SnmpCredential:
    """The credential that reaches one VLAN's bridge instance."""
    if credential.version == "2c":
        return credential._replace(community=f"{credential.community}@{vlan}")
    return credential._replace(context=f"vlan-{vlan}")


async def vlan_fdb_rows(walk, open_vlan_walker, max_vlans: int, stop_at: float) -> tuple[list[list[Row]], str | None]:
    """Each VLAN's port map and forwarding table (one row list per VLAN), and what stopped the reading.

    ``walk(root)`` walks the device with its own credential; ``open_vlan_walker(vlan)`` returns
    ``walk(root, limit=None)`` for one VLAN's instance. No VLAN is started after ``stop_at``
    (event-loop time); the first VLAN that fails ends the reading (a switch that refuses
    ``community@vlan`` refuses it for every VLAN: one timeout, not one per VLAN)."""
    vlans = parse_vlans(await walk(VTP_VLAN_STATE), max_vlans)
    loop, found = asyncio.get_running_loop(), []
    for number, vlan in enumerate(vlans):
        if loop.time() >= stop_at:
            return found, f"{len(vlans) - number} of {len(vlans)} VLANs not read within the deadline"
        try:
            found += await _one_vlan(await open_vlan_walker(vlan))
        except Exception as exc:  # noqa: BLE001 - the VLANs read so far are kept
            return found, f"VLAN {vlan}: {exc}"
    return found, None


async def _one_vlan(walk_vlan) -> list[list[Row]]:
    """One VLAN instance's port map and learnt entries ([] when it has none)."""
    ports = await walk_vlan(bridge.DOT1D_BASE_PORT_IF_INDEX)
    entries = await walk_vlan(bridge.DOT1D_TP_FDB_PORT) if ports else []
    if not entries:
        return []
    return [ports + entries + await walk_vlan(bridge.DOT1D_TP_FDB_STATUS, len(entries))]


def learned_per_vlan(instances: list[list[Row]]) -> dict[int, list[str]]:
    """``{ifIndex: sorted learnt MACs}`` over every VLAN's instance."""
    merged: dict[int, set[str]] = {}
    for rows in instances:
        for index, macs in bridge.parse_learned_macs(rows).items():
            merged.setdefault(index, set()).update(macs)
    return {index: sorted(macs)[:bridge.MAX_LEARNED_MACS] for index, macs in sorted(merged.items())}
