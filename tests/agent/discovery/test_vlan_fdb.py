"""Per-VLAN bridge instances: the VLAN list, the credential per VLAN, and SNMPv3 contexts served by snmpsim.

snmpsim picks a recording by SNMPv3 context name as it does by community (its file name), so
the VLAN instances are served as ``vlan-10`` and ``vlan-20`` here, with snmpsim's own v3 user."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from agent.discovery import vlan_fdb
from agent.discovery.snmp import SnmpCredential, open_walker
from tests.snmpsim import free_udp_port, snmpsim_factory  # noqa: F401 - the fixture

VENDOR = Path(__file__).resolve().parents[2] / "fixtures" / "snmp" / "vendor"
# snmpsim's default SNMPv3 user (snmpsim-command-responder --help).
SIMULATOR = SnmpCredential("v3", "3", user="simulator", auth_protocol="MD5", auth_key="auctoritas",
                           priv_protocol="DES", priv_key="privatus")
VTP = vlan_fdb.VTP_VLAN_STATE


def test_operational_vlans_only_and_bounded():
    rows = [(f"{VTP}.1.1", 1), (f"{VTP}.1.30", 2), (f"{VTP}.1.20", 1), (f"{VTP}.1.1002", 1), (f"{VTP}.1.10", 1),
            (f"{VTP}.2.4095", 1), (f"{VTP}.1", 1)]
    assert vlan_fdb.parse_vlans(rows, 64) == [1, 10, 20]
    assert vlan_fdb.parse_vlans(rows, 2) == [1, 10]


def test_a_vlan_is_reached_by_community_or_context():
    v2c = SnmpCredential("office", "2c", community="s3cret")
    assert vlan_fdb.vlan_credential(v2c, 10).community == "s3cret@10"
    assert vlan_fdb.vlan_credential(SIMULATOR, 10)[:-1] == SIMULATOR[:-1]
    assert vlan_fdb.vlan_credential(SIMULATOR, 10).context == "vlan-10"


@pytest.fixture(scope="module")
def sim_v3(snmpsim_factory):  # noqa: F811 - pytest fixture injection
    recordings = {"c2960x": VENDOR / "cisco-c2960x.snmprec", "vlan-1": VENDOR / "cisco-c2960x@1.snmprec",
                  "vlan-10": VENDOR / "cisco-c2960x@10.snmprec", "vlan-20": VENDOR / "cisco-c2960x@20.snmprec"}
    return snmpsim_factory(recordings, [("127.0.0.1", free_udp_port())])


def test_snmpv3_reads_one_context_per_vlan(sim_v3):
    from pysnmp.hlapi.v3arch.asyncio import SnmpEngine

    host, port = sim_v3.endpoints[0]

    async def read():
        engine = SnmpEngine()
        try:
            walker = await open_walker(engine, host, port, SIMULATOR._replace(context="c2960x"), 1.0, 1)

            async def open_vlan(vlan: int):
                return (await open_walker(engine, host, port, vlan_fdb.vlan_credential(SIMULATOR, vlan), 1.0, 1)).walk
            return await vlan_fdb.vlan_fdb_rows(walker.walk, open_vlan, 64, asyncio.get_running_loop().time() + 30)
        finally:
            engine.close_dispatcher()

    instances, error = asyncio.run(read())
    assert error is None and len(instances) == 3
    assert vlan_fdb.learned_per_vlan(instances) == {10101: ["3c:52:82:10:00:01", "3c:52:82:10:00:02"],
                                                    10102: ["00:11:22:33:44:55"], 10149: ["00:1a:a1:11:22:33"]}
