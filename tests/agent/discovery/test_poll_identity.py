"""Model, serial and firmware from makers' MIBs, CDP / LLDP-V2 neighbours and Cisco per-VLAN
forwarding tables, polled from hand-written recordings (tests/fixtures/snmp/vendor/) served by
snmpsim on loopback. Values in the recordings follow each vendor's MIB; see its README."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from agent.discovery.poll import PollLimits, PollTarget, poll_devices
from agent.discovery.snmp import SnmpCredential
from tests.snmpsim import free_udp_port, recording, snmpsim_factory  # noqa: F401 - the fixture

VENDOR = Path(__file__).resolve().parents[2] / "fixtures" / "snmp" / "vendor"
FAST = PollLimits(timeout_s=1.0, retries=1, deadline_s=30.0)


@pytest.fixture(scope="module")
def sim(snmpsim_factory):  # noqa: F811 - pytest fixture injection
    """Every hand-written recording, the community being its file name (``c2960x@10`` is VLAN 10's instance)."""
    recordings = {path.name.removesuffix(".snmprec"): path for path in sorted(VENDOR.glob("*.snmprec"))}
    return snmpsim_factory(recordings, [("127.0.0.1", free_udp_port())])


def _sys_object_id(name: str) -> str:
    line = next(line for line in (VENDOR / f"{name}.snmprec").read_text().splitlines() if line.startswith("1.3.6.1.2.1.1.2.0|"))
    return line.split("|")[2]


def _poll(sim, name: str, limits=FAST):
    host, port = sim.endpoints[0]
    target = PollTarget(host, port, SnmpCredential(name, "2c", community=name), _sys_object_id(name))
    return asyncio.run(poll_devices([target], limits))[f"{host}:{port}"]


# (recording, serial, model, firmware, {field: the MIB object cited})
IDENTITIES = [
    ("apc-smart-ups", "AS1234567890", "Smart-UPS 1500", "UPS 09.3 (ID18)",
     {"serial": "PowerNet-MIB::upsAdvIdentSerialNumber", "model": "PowerNet-MIB::upsBasicIdentModel"}),
    ("apc-rack-pdu", "5A1234E56789", "AP8941", "v6.9.6", {"serial": "PowerNet-MIB::rPDU2IdentSerialNumber"}),
    ("eaton-epdu", "WA12345678", "EATON ePDU MA 0U (309 32A 1P)20XC13:4XC19", "04.00.0003",
     {"serial": "EATON-EPDU-MIB::serialNumber", "model": "EATON-EPDU-MIB::productName"}),
    ("eaton-9px", None, "Eaton 9PX 3000", "INV: 1.10", {"model": "XUPS-MIB::xupsIdentModel"}),
    ("vertiv-gxt5", "1812300123AF172", "Liebert GXT5", "7.6.0.0_183",
     {"serial": "LIEBERT-GP-AGENT-MIB::lgpAgentIdentSerialNumber"}),
    ("raritan-px3", "1GT1234567", "PX3-5190R", None, {"model": "PDU2-MIB::pduModel"}),
    ("servertech-pro2", "AEMT0012345", "C2S42TE-YCMFAM66", "8.0q", {"model": "Sentry4-MIB::st4UnitModel"}),
    ("juniper-ex2300", "JW3619AB1234", "Juniper EX2300-24P Switch", None, {"serial": "JUNIPER-MIB::jnxBoxSerialNo"}),
    ("fortigate-60f", "FGT60FTK2109ABCD", None, "v7.2.5,build1517,230606 (GA.F)",
     {"serial": "FORTINET-CORE-MIB::fnSysSerial", "firmware": "FORTINET-FORTIGATE-MIB::fgSysVersion"}),
    ("paloalto-pa3220", "013201012345", "PA-3220", "10.2.4", {"model": "PAN-COMMON-MIB::panChassisType"}),
    ("synology-ds920", "2040ABC123456", "DS920+", "DSM 7.2-64570", {"serial": "SYNOLOGY-SYSTEM-MIB::serialNumber"}),
    ("netapp-fas2750", "701234000123", "FAS2750", "NetApp Release 9.8P5", {"serial": "NETAPP-MIB::productSerialNum"}),
    ("dell-idrac9", "7XYZ123", "PowerEdge R740", "6.10.30.00", {"serial": "IDRAC-MIB-SMIv2::systemServiceTag"}),
    ("hpe-ilo5", "CZJ1234ABC", "ProLiant DL380 Gen10", "2.78", {"model": "CPQSINFO-MIB::cpqSiProductName"}),
    ("hp-laserjet-m404", "PHBBK12345", "HP LaserJet Pro M404dn", None,
     {"serial": "HP-LASERJET-COMMON-MIB::serial-number"}),
    ("cisco-c2960x", "FOC1932X0AB", "WS-C2960X-48FPD-L", "15.2(7)E4", {"serial": "ENTITY-MIB::entPhysicalSerialNum"}),
    ("cisco-blank-chassis", "FOC21345XYZ", "ISR4331/K9", "17.6.5", {"serial": "ENTITY-MIB::entPhysicalSerialNum"}),
]


@pytest.mark.parametrize(("name", "serial", "model", "firmware", "sources"), IDENTITIES, ids=[i[0] for i in IDENTITIES])
def test_model_serial_and_firmware_with_their_source(sim, name, serial, model, firmware, sources):
    poll = _poll(sim, name)
    assert poll.errors == []
    assert (poll.serial, poll.model, poll.firmware) == (serial, model, firmware)
    assert sources.items() <= poll.sources.items()


# Recordings of real devices (snmpsim-data): the values as recorded.
RECORDED = [
    ("UPS/apc-7902b", "1.3.6.1.4.1.318.1.3.4.8", ("5A1551F39430", "AP7902B", "6.7.2"),
     {"serial": "PowerNet-MIB::rPDU2IdentSerialNumber", "firmware": "PowerNet-MIB::rPDU2IdentFirmwareRev"}),
    ("network/wifi/ubiquiti-m5", "1.3.6.1.4.1.41112.1.4",
     (None, "NanoStation M5", "XW.ar934x.v5.6-beta4.22359.140521.1836"),
     {"model": "IEEE802dot11-MIB::dot11manufacturerProductName",
      "manufacturer": "IEEE802dot11-MIB::dot11manufacturerName"}),
]


@pytest.mark.parametrize(("name", "sys_object_id", "identity", "sources"), RECORDED, ids=[r[0] for r in RECORDED])
def test_recorded_devices_identity_from_their_makers_mib(snmpsim_factory, name, sys_object_id, identity, sources):  # noqa: F811
    sim = snmpsim_factory({"rec": recording(name)}, [("127.0.0.1", free_udp_port())])
    host, port = sim.endpoints[0]
    poll = asyncio.run(poll_devices([PollTarget(host, port, SnmpCredential("rec", "2c", community="rec"), sys_object_id)],
                                    FAST))[f"{host}:{port}"]
    assert poll.errors == []
    assert (poll.serial, poll.model, poll.firmware) == identity
    assert sources.items() <= poll.sources.items()


def test_placeholders_are_refused_and_the_rest_kept(sim):
    poll = _poll(sim, "synology-placeholders")
    assert (poll.serial, poll.model, poll.firmware) == (None, None, "DSM 7.1.1-42962")
    assert set(poll.sources) == {"firmware"}


def test_cdp_neighbours_with_platform_and_address(sim):
    poll = _poll(sim, "cisco-c2960x")
    assert poll.neighbours == [
        {"local_port": "Gi1/0/2", "remote_name": "SEP001122334455", "remote_port": "Port 1", "remote_ip": "10.0.2.15",
         "remote_platform": "Cisco IP Phone 8845"},
        {"local_port": "Gi1/0/49", "remote_name": "core-sw1.example.net", "remote_port": "TenGigabitEthernet1/1/1",
         "remote_ip": "192.168.0.1", "remote_platform": "cisco C9500-24Y4C"},
    ]


def test_lldp_v2_neighbours_on_their_ifindex(sim):
    poll = _poll(sim, "juniper-ex2300")
    assert poll.neighbours == [
        {"local_port": "ge-0/0/0", "remote_name": "mx204-core", "remote_port": "xe-0/1/0",
         "remote_mac": "00:00:5e:00:53:01", "remote_ip": "10.0.0.1"},
        {"local_port": "ge-0/0/1", "remote_name": "esxi-07", "remote_port": "a0:36:9f:12:34:56",
         "remote_mac": "a0:36:9f:12:34:56"},
    ]


def test_per_vlan_forwarding_tables_over_community_at_vlan(sim):
    """VLANs 1, 10 and 20 are read with c2960x@1, @10 and @20 (suspended VLAN 30 and the FDDI/Token
    Ring defaults never): each port's MACs from every VLAN, the switch's own (self, mgmt) left out."""
    poll = _poll(sim, "cisco-c2960x")
    learnt = {i["name"]: i.get("learned_macs") for i in poll.interfaces}
    assert poll.errors == [] and poll.bridge
    assert learnt == {"Vl1": None, "Gi1/0/1": ["3c:52:82:10:00:01", "3c:52:82:10:00:02"],
                      "Gi1/0/2": ["00:11:22:33:44:55"], "Gi1/0/49": ["00:1a:a1:11:22:33"]}


def test_a_switch_refusing_community_at_vlan_costs_one_timeout(sim):
    poll = _poll(sim, "cisco-refuses-vlans", PollLimits(timeout_s=0.3, retries=0, deadline_s=30.0))
    assert len(poll.errors) == 1 and poll.errors[0].startswith("vlan_bridge: VLAN 1: ")
    assert {i["name"]: i.get("learned_macs") for i in poll.interfaces}["Gi1/0/49"] == ["00:1a:a1:11:22:33"]


def test_no_per_vlan_reading_where_q_bridge_covers_every_vlan(sim):
    poll = _poll(sim, "cisco-qbridge", PollLimits(timeout_s=0.3, retries=0, deadline_s=30.0))
    assert poll.errors == []  # no nx-leaf1@1 recording: a VLAN read would have failed
    assert {i["name"]: i.get("learned_macs") for i in poll.interfaces}["Gi1/0/1"] == ["3c:52:82:10:00:01"]


def test_the_vlan_count_is_bounded(sim):
    poll = _poll(sim, "cisco-c2960x", FAST._replace(max_vlans=1))
    assert poll.errors == []
    assert "learned_macs" not in {i["name"]: i for i in poll.interfaces}["Gi1/0/1"]  # VLAN 10 never read
