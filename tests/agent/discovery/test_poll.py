"""The full SNMP poll against real-device recordings (snmpsim) and a real net-snmp agent, all on loopback.

Expected values are read from the recordings by hand and written here: snmpsim-data's
network/switch/hpe-procurve-516733-b21, network/switch/cisco-c3560 and
cloud/arista-dcs-7150s-52-cl, and tests/fixtures/snmp/sharp-mx-3570n.snmprec (written by hand).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agent.discovery.poll import PollLimits, PollTarget, poll_devices
from agent.discovery.scan import snmp_scan_report
from agent.discovery.snmp import SnmpCredential
from common.schema import DiscoveryReport
from tests.snmpsim import POLL_SUBTREES, free_udp_port, recording, snmpsim_factory  # noqa: F401 - the fixture

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "snmp"
ROOT = Path(__file__).resolve().parents[3]
SUBTREES = POLL_SUBTREES
FAST = PollLimits(timeout_s=2.0, retries=1, deadline_s=60.0)


@pytest.fixture(scope="module")
def sim(snmpsim_factory):  # noqa: F811 - pytest fixture injection
    """One snmpsim serving five recorded devices (community = device) on two loopback addresses."""
    port = free_udp_port()
    recordings = {"procurve": recording("network/switch/hpe-procurve-516733-b21"),
                  "c3560": recording("network/switch/cisco-c3560"),
                  "arista": recording("cloud/arista-dcs-7150s-52-cl"),
                  "ups": recording("UPS/huawei-gse200m"),
                  "sharp": FIXTURES / "sharp-mx-3570n.snmprec"}
    return snmpsim_factory(recordings, [("127.0.0.1", port), ("127.0.9.9", port)], SUBTREES)


def _poll(host: str, port: int, credential: SnmpCredential, sys_object_id: str | None = None, limits=FAST):
    return asyncio.run(poll_devices([PollTarget(host, port, credential, sys_object_id)], limits))[f"{host}:{port}"]


def _community(name: str) -> SnmpCredential:
    return SnmpCredential(name, "2c", community=name)


def test_a_switch_chassis_learnt_macs_and_neighbours(sim):
    host, port = sim.endpoints[1]
    poll = _poll(host, port, _community("procurve"))
    assert poll.errors == []
    assert (poll.serial, poll.model, poll.manufacturer, poll.firmware) == (
        "3C421900TX", "516733-B21", "Hewlett-Packard", "Z.14.31")
    assert poll.bridge and not poll.printer
    learnt = {i["name"]: i["learned_macs"] for i in poll.interfaces if i.get("learned_macs")}
    assert learnt["3"] == ["00:50:56:88:01:77", "00:50:56:88:09:f3", "00:50:56:88:1b:90"]
    assert learnt["8"] == ["00:50:56:93:42:9e"]
    assert learnt["4"] == ["10:60:4b:b4:5f:48"]
    assert len(learnt["17"]) == 200 and "00:00:0c:07:ac:32" in learnt["17"]  # the uplink to the Nexus
    assert sum(map(len, learnt.values())) == 260
    assert "ac:16:2d:92:7d:21" not in {mac for macs in learnt.values() for mac in macs}  # its own MAC (self)
    assert poll.neighbours == [
        {"local_port": "8", "remote_port": "e8:39:35:1a:ca:99", "remote_mac": "e8:39:35:1a:ca:99"},
        {"local_port": "15", "remote_port": "e8:39:35:1a:3c:65", "remote_mac": "e8:39:35:1a:3c:65"},
        {"local_port": "16", "remote_port": "e8:39:35:1a:ca:91", "remote_mac": "e8:39:35:1a:ca:91"},
        {"local_port": "17", "remote_name": "NWPU-CA-5548-01", "remote_port": "Eth1/19",
         "remote_mac": "8c:60:4f:19:16:3a", "remote_ip": "10.40.1.19"},
        {"local_port": "17", "remote_name": "NWPU-CA-5548-01(SSI183706KP)", "remote_port": "Ethernet1/19",
         "remote_ip": "222.24.192.252"},
    ]


def test_lldp_neighbours_on_named_ports_and_a_port_channels_macs(sim):
    host, port = sim.endpoints[0]
    poll = _poll(host, port, _community("arista"))
    assert poll.errors == []
    assert (poll.serial, poll.model, poll.manufacturer, poll.firmware) == ("JPE15151458", "DCS-7150S-52-CL",
                                                                           "Arista Networks", "4.20.5F")
    assert poll.neighbours == [
        {"local_port": "Ethernet47", "remote_name": "ZJ-BP-Bak-Arista", "remote_port": "Ethernet23",
         "remote_mac": "44:4c:a8:31:3e:df", "remote_ip": "172.16.229.22"},
        {"local_port": "Ethernet48", "remote_name": "ZJ-BP-Bak-Arista", "remote_port": "Ethernet24",
         "remote_mac": "44:4c:a8:31:3e:df", "remote_ip": "172.16.229.22"},
    ]
    channel = next(i for i in poll.interfaces if i["index"] == 1000001)
    assert channel["name"] == "Port-Channel1" and len(channel["learned_macs"]) == 9
    assert "44:4c:a8:31:3e:df" in channel["learned_macs"]  # the LLDP neighbour, seen across the channel
    assert next(i for i in poll.interfaces if i["index"] == 19)["learned_macs"] == ["00:0f:53:50:f8:f0"]


def test_a_routers_arp_cache_adds_devices_to_a_valid_report(sim):
    host, port = sim.endpoints[1]
    report = snmp_scan_report("agent-1", [(host, port)], [_community("c3560")], limits=FAST)
    parsed = DiscoveryReport.model_validate(report)
    switch = parsed.devices[0]
    assert (switch.ip, switch.device_type, switch.vendor, switch.serial, switch.model, switch.firmware) == (
        host, "switch", "Cisco", "FOC1408Z61U", "WS-C3560G-48TS-E", "12.2(55)SE3")
    assert [m.value for m in switch.found_by] == ["snmp"] and switch.error is None
    learnt = {(d.ip, d.mac) for d in parsed.devices[1:]}
    assert all([m.value for m in d.found_by] == ["router_arp"] for d in parsed.devices[1:])
    assert learnt == {
        ("10.1.100.1", "00:0f:e2:6a:1e:44"), ("10.1.100.138", "00:0f:e2:5b:fa:86"),
        ("10.1.100.149", "58:bc:27:b7:96:41"), ("10.1.100.181", "00:18:73:f8:97:41"),
        ("10.1.100.182", "08:17:35:d6:d1:c1"), ("10.1.100.243", "0c:da:41:36:4a:fc"),
        ("10.110.148.144", "b8:57:d8:90:94:a5"), ("10.110.148.150", "00:e0:69:01:c8:88"),
        ("10.110.148.157", "50:e5:49:93:12:b5"), ("10.110.148.168", "d8:cf:9c:ac:b5:91"),
        ("10.110.148.205", "00:22:19:6f:58:65"), ("10.110.148.206", "bc:30:5b:cb:4f:54"),
        ("10.110.148.212", "c8:3a:35:fe:0b:18"),
        # MACs the router knows only an IPv6 neighbour address for
        ("fe80::eda:41ff:fe2f:2ed", "0c:da:41:2f:02:ed"), ("fe80::3a91:d5ff:fe30:759a", "38:91:d5:30:75:9a"),
        ("fe80::82f6:2eff:fe48:3d91", "80:f6:2e:48:3d:91"), ("fe80::82f6:2eff:fe97:51f7", "80:f6:2e:97:51:f7"),
        ("fe80::82f6:2eff:fef4:5e82", "80:f6:2e:f4:5e:82"), ("fe80::82f6:2eff:fef4:6a10", "80:f6:2e:f4:6a:10"),
        ("fe80::82f6:2eff:fef4:6fba", "80:f6:2e:f4:6f:ba"), ("fe80::82f6:2eff:fef4:7f22", "80:f6:2e:f4:7f:22"),
        ("fe80::82f6:2eff:fef4:88e0", "80:f6:2e:f4:88:e0"), ("fe80::82f6:2eff:fef4:a99d", "80:f6:2e:f4:a9:9d"),
        ("fe80::82f6:2eff:fef4:aff5", "80:f6:2e:f4:af:f5"), ("fe80::82f6:2eff:fefa:d577", "80:f6:2e:fa:d5:77"),
        ("2001:da8:215:1148:e59e:f669:a29:83c8", "44:37:e6:38:c6:f2"),
    }
    assert "e8:04:62:78:f2:41" not in {mac for _, mac in learnt}  # the switch's own VLAN 2 address


def test_a_switchs_forwarding_table_adds_devices(sim):
    host, port = sim.endpoints[0]
    parsed = DiscoveryReport.model_validate(snmp_scan_report("agent-1", [(host, port)], [_community("procurve")],
                                                             limits=FAST))
    switch, learnt = parsed.devices[0], parsed.devices[1:]
    assert (switch.device_type, switch.vendor, switch.serial) == ("switch", "HP", "3C421900TX")
    assert all([m.value for m in d.found_by] == ["switch_fdb"] and d.ip is None for d in learnt)
    # 260 learnt MACs, but one, ac:16:2d:92:7d:20 (learnt back on the uplink), is the switch's own ifIndex 4178.
    assert len(learnt) == 259 and "ac:16:2d:92:7d:20" not in {d.mac for d in learnt}
    assert {d.mac for d in learnt} >= {"00:50:56:93:42:9e", "10:60:4b:b4:5f:48", "00:00:0c:07:ac:32"}
    assert next(d for d in learnt if d.mac == "00:50:56:93:42:9e").oui_vendor == "VMware, Inc."


def test_a_printer_by_printer_mib_with_serial_page_count_and_model(sim):
    host, port = sim.endpoints[1]
    parsed = DiscoveryReport.model_validate(snmp_scan_report("agent-1", [(host, port)], [_community("sharp")],
                                                             limits=FAST))
    [printer] = parsed.devices
    assert (printer.device_type, printer.vendor, printer.model, printer.serial, printer.page_count) == (
        "printer", "Sharp", "SHARP MX-3570N", "3502147X00", 48213)
    assert printer.storage[0].model_dump() == {"descr": "Printer memory", "type": "ram", "size_bytes": 8388608}
    assert printer.host_devices[0].model_dump() == {"type": "printer", "descr": "SHARP MX-3570N"}
    assert printer.interfaces[0].mac == "68:79:ed:35:70:01" and printer.error is None


def test_a_ups_card_running_net_snmp_is_a_ups(sim):
    host, port = sim.endpoints[0]
    [ups] = DiscoveryReport.model_validate(snmp_scan_report("agent-1", [(host, port)], [_community("ups")],
                                                            limits=FAST)).devices
    assert ups.sys_object_id == "1.3.6.1.4.1.8072.3.2.10" and ups.sys_descr.startswith("Linux GSE200M")
    assert (ups.device_type, ups.vendor, ups.model, ups.firmware) == ("ups", "HUAWEI", "UPS5000", "V100R001C10B003SP00")


def test_snmpsim_serves_many_loopback_addresses(snmpsim_factory):  # noqa: F811 - pytest fixture injection
    from agent.discovery.snmp_v2c import decode_value, walk_v2c

    port = free_udp_port()
    endpoints = [(f"127.0.{20 + i // 100}.{1 + i % 100}", port) for i in range(128)]
    snmpsim_factory({"sharp": FIXTURES / "sharp-mx-3570n.snmprec"}, endpoints, ("1.3.6.1.2.1.1.",))
    gate = asyncio.Semaphore(16)

    async def descr(host, port):
        async with gate:
            rows = await walk_v2c(host, port, "sharp", "1.3.6.1.2.1.1.1", 5, 2.0, 2)
        return decode_value(*rows[0][1:]) if rows else None

    async def every():
        return await asyncio.gather(*(descr(host, port) for host, port in endpoints))

    assert asyncio.run(every()) == [b"SHARP MX-3570N"] * len(endpoints)


def test_a_silent_target_is_left_out(sim):
    host, port = sim.endpoints[0]
    silent = free_udp_port()
    limits = PollLimits(timeout_s=0.3, retries=0)
    report = snmp_scan_report("agent-1", [(host, port), ("127.0.0.1", silent)], [_community("sharp")], limits=limits)
    assert [d["ip"] for d in report["devices"]] == [host]


# net-snmp snmpd: HOST-RESOURCES of this very machine, over v2c and v3 authPriv.
V2C = SnmpCredential("office", "2c", community="stocktake-ro")
V3 = SnmpCredential("lab-v3", "3", user="stkv3", auth_protocol="SHA", auth_key="authpass-123", priv_protocol="AES",
                    priv_key="privpass-456")
SNMPD_CONF = """\
agentAddress udp:127.0.0.1:{port}
rocommunity stocktake-ro 127.0.0.1
createUser stkv3 SHA "authpass-123" AES "privpass-456"
rouser stkv3 priv
sysName poll-host
"""


@pytest.fixture(scope="module")
def snmpd(tmp_path_factory):
    binary = shutil.which("snmpd") or "/usr/sbin/snmpd"
    if not os.path.exists(binary):
        pytest.skip("net-snmp snmpd is not installed (make test installs it)")
    directory, port = tmp_path_factory.mktemp("snmpd-poll"), free_udp_port()
    (directory / "snmpd.conf").write_text(SNMPD_CONF.format(port=port))
    process = subprocess.Popen([binary, "-f", "-Lo", "-C", "-c", str(directory / "snmpd.conf")],
                               env={**os.environ, "SNMP_PERSISTENT_DIR": str(directory / "persist")},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not _poll("127.0.0.1", port, V2C, limits=PollLimits(0.2, 0)).interfaces:
        time.sleep(0.1)
    yield port
    process.terminate()
    process.wait(timeout=10)


def _installed_packages() -> set[str]:
    """What net-snmp's hrSWInstalledName lists on Debian: name_version_arch of each installed package."""
    if shutil.which("dpkg-query") is None:
        pytest.skip("not a Debian system")
    listing = subprocess.run(["dpkg-query", "-W", "-f", "${db:Status-Abbrev}|${Package}_${Version}_${Architecture}\n"],
                             capture_output=True, text=True, check=True).stdout
    return {line.split("|", 1)[1] for line in listing.splitlines() if line.startswith("ii")}


def _memory_bytes() -> int:
    with open("/proc/meminfo") as handle:
        return next(int(line.split()[1]) * 1024 for line in handle if line.startswith("MemTotal:"))


@pytest.mark.parametrize("credential", [V2C, V3], ids=["v2c", "v3-authpriv"])
def test_host_resources_of_a_net_snmp_host(snmpd, credential):
    poll = _poll("127.0.0.1", snmpd, credential)
    assert poll.errors == []
    assert set(poll.software) == _installed_packages() and len(poll.software) == len(set(poll.software))
    storage = {area["descr"]: area for area in poll.storage}
    assert storage["Physical memory"] == {"descr": "Physical memory", "type": "ram", "size_bytes": _memory_bytes()}
    root = os.statvfs("/")
    assert storage["/"] == {"descr": "/", "type": "fixed_disk", "size_bytes": root.f_blocks * root.f_frsize}
    assert {"type": "processor"}.items() <= poll.host_devices[0].items()
    assert {i["name"] for i in poll.interfaces} == set(os.listdir("/sys/class/net"))
    assert not poll.printer and poll.serial is None


def test_v3_walks_read_exactly_what_v2c_walks_read(snmpd):
    """pysnmp (v3) and the BER fast path (v2c) must hand the parsers the same rows."""
    assert _poll("127.0.0.1", snmpd, V3).device_fields() == _poll("127.0.0.1", snmpd, V2C).device_fields()


def test_v3_auth_priv_full_report_of_a_net_snmp_host(snmpd):
    report = snmp_scan_report("agent-1", [("127.0.0.1", snmpd)], [V2C._replace(community="wrong"), V3],
                              limits=PollLimits(timeout_s=0.5, retries=0))
    [host] = DiscoveryReport.model_validate(report).devices
    # net-snmp is the agent software, not the maker: with nothing else to go on the maker is unknown.
    assert (host.sys_name, host.device_type, host.vendor) == ("poll-host", "server", None)
    assert host.error is None and [m.value for m in host.found_by] == ["snmp"]
    assert len(host.software) == len(_installed_packages()) and host.storage and host.interfaces
    assert host.mac is None  # 127.0.0.1 is on lo, which has no hardware address


def test_a_target_that_refuses_the_credentials_is_reported_with_the_reason(snmpd):
    stranger = V3._replace(name="stranger", user="nobody")
    [device] = DiscoveryReport.model_validate(snmp_scan_report("agent-1", [("127.0.0.1", snmpd)], [stranger])).devices
    assert "stranger: unknown user" in device.error and [m.value for m in device.found_by] == ["snmp"]
    assert device.device_type == "unknown" and not device.interfaces


# The poll's own bounds, with a scripted walker in place of the network.
ENTITY_ROWS = [("1.3.6.1.2.1.47.1.1.1.1.5.1", 3), ("1.3.6.1.2.1.47.1.1.1.1.11.1", b"SER1")]


def _scripted(monkeypatch, behave):
    """Replace the SNMP walker: ``behave(root)`` returns rows, raises, or sleeps; calls are recorded.

    ``next`` (the one-request probe of every table) answers each root's first row from
    ``behave``; when ``behave`` raises or is slow for any root, the whole request fails, as one
    SNMP request would. ``get`` answers the rows ``behave`` gives for each OID's column."""
    from agent.discovery.snmp import SnmpError, Walker

    calls = {"roots": [], "in_flight": 0, "most": 0, "next": [], "get": []}

    async def open_walker(*_args):
        async def walk(root, limit=None):
            calls["roots"].append((root, limit))
            calls["in_flight"] += 1
            calls["most"] = max(calls["most"], calls["in_flight"])
            try:
                await asyncio.sleep(0.01)
                return (await behave(root))[:limit]
            finally:
                calls["in_flight"] -= 1

        async def next_(oids):
            calls["next"].append(list(oids))
            answers = []
            for root in oids:
                try:
                    rows = await asyncio.wait_for(behave(root), 0.1)
                except (SnmpError, asyncio.TimeoutError):
                    raise SnmpError("127.0.0.1: getnext: no response after 2 tries") from None
                answers.append(rows[0] if rows else (root, None))
            return answers

        async def get(oids):
            calls["get"].append(list(oids))
            rows = []
            for oid in oids:
                found = dict(await behave(oid.rsplit(".", 1)[0]))
                rows.append((oid, found.get(oid)))
            return rows

        return Walker(walk, get, next_)

    monkeypatch.setattr("agent.discovery.poll.open_walker", open_walker)
    return calls


def test_a_failing_table_is_named_and_the_others_kept(monkeypatch):
    from agent.discovery.snmp import SnmpError

    async def behave(root):
        if root.startswith("1.3.6.1.2.1.2.2.1"):
            raise SnmpError(f"127.0.0.1: walk of {root}: no response after 2 tries")
        return [row for row in ENTITY_ROWS if row[0].startswith(root + ".")]

    calls = _scripted(monkeypatch, behave)
    poll = _poll("127.0.0.1", 161, _community("x"))
    assert poll.serial == "SER1" and poll.interfaces == []
    assert poll.errors == ["interfaces: 127.0.0.1: walk of 1.3.6.1.2.1.2.2.1.2: no response after 2 tries"]
    # The one-request probe failed (the interfaces table does not answer), so each table is
    # probed for one row on its own; an empty probe means no further walks of that table.
    assert len(calls["next"]) == 1
    assert ("1.3.6.1.2.1.25.2.3.1.2", 1) in calls["roots"] and ("1.3.6.1.2.1.25.2.3.1.3", None) not in calls["roots"]
    # entPhysicalClass names the chassis: only its own serial, model and the rest are asked for.
    assert [call for call in calls["roots"] if call[0].startswith("1.3.6.1.2.1.47")] == [
        ("1.3.6.1.2.1.47.1.1.1.1.5", 1), ("1.3.6.1.2.1.47.1.1.1.1.5", None)]
    assert calls["get"] == [[f"1.3.6.1.2.1.47.1.1.1.1.{c}.1" for c in (9, 10, 11, 12, 13)]]


def test_one_getnext_tells_which_tables_exist_and_a_first_chassis_needs_no_walk(monkeypatch):
    async def behave(root):
        return [row for row in ENTITY_ROWS if row[0].startswith(root + ".")]

    calls = _scripted(monkeypatch, behave)
    poll = _poll("127.0.0.1", 161, _community("x"))
    assert (poll.serial, poll.errors) == ("SER1", [])
    assert len(calls["next"]) == 1 and "1.3.6.1.2.1.2.2.1.2" in calls["next"][0]
    assert calls["roots"] == []  # no table but ENTITY-MIB exists, and its first entity is the chassis
    assert calls["get"] == [[f"1.3.6.1.2.1.47.1.1.1.1.{c}.1" for c in (9, 10, 11, 12, 13)]]


def test_columns_after_the_first_are_asked_for_as_many_rows(monkeypatch):
    table = {"1.3.6.1.2.1.2.2.1.2": [(f"1.3.6.1.2.1.2.2.1.2.{i}", b"port") for i in range(1, 4)],
             "1.3.6.1.2.1.31.1.1.1.15": [(f"1.3.6.1.2.1.31.1.1.1.15.{i}", 1000) for i in range(1, 3)]}

    async def behave(root):
        return table.get(root, [])

    calls = _scripted(monkeypatch, behave)
    poll = _poll("127.0.0.1", 161, _community("x"))
    assert [i["speed_mbps"] for i in poll.interfaces if "speed_mbps" in i] == [1000, 1000]
    interface_walks = [call for call in calls["roots"] if call[0].startswith(("1.3.6.1.2.1.2.", "1.3.6.1.2.1.31."))]
    # ifDescr walked in full (3 rows), the rest asked for 3 rows; ifHighSpeed covers only two of
    # the three, so ifSpeed is read too.
    assert interface_walks[0] == ("1.3.6.1.2.1.2.2.1.2", None)
    assert sorted(interface_walks[1:]) == sorted([("1.3.6.1.2.1.2.2.1.6", 3), ("1.3.6.1.2.1.31.1.1.1.1", 3),
                                                  ("1.3.6.1.2.1.31.1.1.1.15", 3), ("1.3.6.1.2.1.2.2.1.5", 3)])


def test_the_deadline_cancels_slow_tables_and_keeps_the_rest(monkeypatch):
    async def behave(root):
        if root.startswith("1.0.8802"):
            await asyncio.sleep(30)
        return [row for row in ENTITY_ROWS if row[0].startswith(root + ".")]

    _scripted(monkeypatch, behave)
    started = time.monotonic()
    poll = _poll("127.0.0.1", 161, _community("x"), limits=PollLimits(deadline_s=0.5))
    assert time.monotonic() - started < 5
    assert poll.serial == "SER1" and poll.errors == ["lldp: not finished within the 0.5 s deadline"]


def test_walks_in_flight_per_device_are_bounded(monkeypatch):
    async def behave(root):
        await asyncio.sleep(0.02)
        return [(root + ".1", 1)]

    calls = _scripted(monkeypatch, behave)
    _poll("127.0.0.1", 161, _community("x"), limits=PollLimits(walks_in_flight=3))
    assert calls["most"] == 3 and len(calls["roots"]) > 30


def test_deep_arp_scan_polls_the_snmp_host_in_the_namespace_network(l2_network, tmp_path):
    """scan --once with credentials: the ARP responder that answers SNMP is polled in full (deep by default)."""
    if not os.path.exists("/usr/sbin/snmpd"):
        pytest.skip("net-snmp snmpd is not installed")
    server = l2_network.hosts[7]
    (tmp_path / "snmpd.conf").write_text(f"agentAddress udp:{server.ip}:161\nrocommunity lab-ro 198.18.0.0/24\n"
                                         "sysName rack-server\n")
    (tmp_path / "snmp.toml").write_text('[[credential]]\nname = "lab"\nversion = "2c"\ncommunity = "lab-ro"\n')
    agent = subprocess.Popen(["ip", "netns", "exec", server.namespace, "/usr/sbin/snmpd", "-f", "-Lo", "-C", "-c",
                              str(tmp_path / "snmpd.conf")], env={**os.environ, "SNMP_PERSISTENT_DIR": str(tmp_path)},
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(1.0)
        done = l2_network.run_in_scanner(
            [sys.executable, "-m", "agent.cli", "scan", "--range", "198.18.0.0/24", "--interface", "eth0", "--once",
             "--snmp-credentials", str(tmp_path / "snmp.toml")], cwd=ROOT,
            env={**os.environ, "STOCKTAKE_AGENT_CONFIG": os.devnull})
    finally:
        agent.terminate()
        agent.wait(timeout=10)
    assert done.returncode == 0, done.stderr
    report = DiscoveryReport.model_validate_json(done.stdout)
    host = next(d for d in report.devices if d.ip == server.ip)
    assert (host.sys_name, host.device_type, host.error) == ("rack-server", "server", None)
    assert server.mac in {i.mac for i in host.interfaces} and host.software and host.storage
    assert len(report.devices) == len(l2_network.hosts)  # a server's ARP cache adds no devices


def _scan_cli(*arguments: str, credentials: Path | None = None, network=None) -> subprocess.CompletedProcess:
    """``stocktake-agent scan --once``; inside ``network``'s scanner namespace when given (then
    even a validation bug could only reach that test bridge)."""
    extra = ["--snmp-credentials", str(credentials)] if credentials else []
    argv = [sys.executable, "-m", "agent.cli", "scan", "--once", *arguments, *extra]
    options = {"cwd": ROOT, "env": {**os.environ, "STOCKTAKE_AGENT_CONFIG": os.devnull}, "timeout": 120}
    if network is not None:
        return network.run_in_scanner(argv, **options)
    return subprocess.run(argv, capture_output=True, text=True, **options)


def test_scan_cli_polls_snmp_targets_without_an_arp_sweep(sim, tmp_path):
    """`stocktake-agent scan --snmp-target` for devices ARP cannot reach (other subnets; here
    simulated ones on loopback): each is polled in full and reported."""
    (tmp_path / "snmp.toml").write_text('[[credential]]\nname = "lab"\nversion = "2c"\ncommunity = "c3560"\n')
    (host, port), silent = sim.endpoints[0], free_udp_port()
    done = _scan_cli("--snmp-target", f"{host}:{port}", "--snmp-target", f"127.0.0.1:{silent}",
                     credentials=tmp_path / "snmp.toml")
    assert done.returncode == 0, done.stderr
    report = DiscoveryReport.model_validate_json(done.stdout)
    switch = next(d for d in report.devices if d.ip == host)
    assert (switch.device_type, switch.serial, switch.model) == ("switch", "FOC1408Z61U", "WS-C3560G-48TS-E")
    assert len(switch.interfaces) == 57 and switch.found_by == ["snmp"]
    assert not any(d.ip == "127.0.0.1" and d.sys_name for d in report.devices if d is not switch)  # silent: absent


@pytest.mark.parametrize(("arguments", "message"), [
    (("--snmp-target", "127.0.0.1"), "--snmp-target takes --snmp-credentials"),
    (("--snmp-target", "8.8.8.8"), "8.8.8.8 is public address space"),
    (("--snmp-target", "224.0.0.1"), "cannot be polled (multicast"),
    (("--snmp-target", "printer.example"), "not an SNMP target: 'printer.example'"),
    (("--snmp-target", "127.0.0.1:70000"), "port 70000 is out of range"),
    (("--snmp-target", "127.0.0.1", "--range", "198.18.0.0/24"), "neither --range nor --interface"),
    ((), "give --range and --interface"),
])
def test_scan_cli_refuses_bad_targets_before_sending_anything(l2_network, tmp_path, arguments, message):
    (tmp_path / "snmp.toml").write_text('[[credential]]\nname = "lab"\nversion = "2c"\ncommunity = "x"\n')
    needs_credentials = "takes --snmp-credentials" not in message
    done = _scan_cli(*arguments, credentials=tmp_path / "snmp.toml" if needs_credentials else None,
                     network=l2_network)
    assert done.returncode == 2 and message in done.stderr and done.stdout == ""
