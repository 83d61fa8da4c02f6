"""BRIDGE-MIB (RFC 4188) and Q-BRIDGE-MIB (RFC 4363) forwarding tables: which MACs a switch learnt on which port.

Both tables name a bridge port, which dot1dBasePortIfIndex maps to an ifIndex (bridge
port numbers are not interface indexes). Only entries with status learned(3) count: self(4)
is the switch's own MAC, mgmt(5) and other(1) are static configuration, not a device seen
on the wire. dot1dTpFdbTable covers a VLAN-unaware bridge (or one VLAN); dot1qTpFdbTable,
indexed by filtering database and MAC, covers every VLAN.
"""

from __future__ import annotations

from collections.abc import Iterable

from agent.discovery.mibs.rows import Row, column, index_arcs, unicast_mac

__all__ = ["FDB_ROOTS", "MAX_LEARNED_MACS", "PORT_MAP_ROOTS", "Q_FDB_ROOTS", "ROOTS", "parse_learned_macs"]

DOT1D_BASE_PORT_IF_INDEX = "1.3.6.1.2.1.17.1.4.1.2"
DOT1D_TP_FDB_PORT = "1.3.6.1.2.1.17.4.3.1.2"
DOT1D_TP_FDB_STATUS = "1.3.6.1.2.1.17.4.3.1.3"
DOT1Q_TP_FDB_PORT = "1.3.6.1.2.1.17.7.1.2.2.1.2"
DOT1Q_TP_FDB_STATUS = "1.3.6.1.2.1.17.7.1.2.2.1.3"
# The port map first: without it no entry can be placed, so the FDB walks are skipped. Then
# Q-BRIDGE's table, which covers every VLAN; BRIDGE-MIB's only when that one is empty (a
# VLAN-aware switch lists its default VLAN's entries in both: walking both reads them twice).
PORT_MAP_ROOTS = (DOT1D_BASE_PORT_IF_INDEX,)
Q_FDB_ROOTS = (DOT1Q_TP_FDB_PORT, DOT1Q_TP_FDB_STATUS)
FDB_ROOTS = (DOT1D_TP_FDB_PORT, DOT1D_TP_FDB_STATUS)
ROOTS = PORT_MAP_ROOTS + Q_FDB_ROOTS + FDB_ROOTS
LEARNED = 3
MAX_LEARNED_MACS = 65_536  # common.schema.DeviceInterface.learned_macs


def _learned(rows: list[Row], port_column: str, status_column: str, index_length: int) -> Iterable[tuple[int, str]]:
    """(bridge port, MAC) of the learnt entries; the MAC is the last six index arcs."""
    statuses = column(rows, status_column)
    for index, port in column(rows, port_column).items():
        arcs = index_arcs(index)
        mac = unicast_mac(arcs[-6:]) if len(arcs) == index_length else None
        if mac and isinstance(port, int) and port > 0 and statuses.get(index) == LEARNED:
            yield port, mac


def parse_learned_macs(rows: Iterable[Row]) -> dict[int, list[str]]:
    """``{ifIndex: sorted learnt MACs}`` from both forwarding tables."""
    rows = list(rows)
    if_index = {int(port): value for port, value in column(rows, DOT1D_BASE_PORT_IF_INDEX).items()
                if port.isdigit() and isinstance(value, int)}
    learned: dict[int, set[str]] = {}
    for port, mac in [*_learned(rows, DOT1D_TP_FDB_PORT, DOT1D_TP_FDB_STATUS, 6),
                      *_learned(rows, DOT1Q_TP_FDB_PORT, DOT1Q_TP_FDB_STATUS, 7)]:
        if port in if_index:
            learned.setdefault(if_index[port], set()).add(mac)
    return {index: sorted(macs)[:MAX_LEARNED_MACS] for index, macs in sorted(learned.items())}
