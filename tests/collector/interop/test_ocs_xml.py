"""OCS <REQUEST> documents → InventoryReport / DiscoveryReport dicts (pure conversion, no database)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from collector.errors import BadRequest
from collector.interop.ocs_netdiscovery import discovery_report
from collector.interop.ocs_xml import identify_agent, inventory_report, read_request
from collector.interop.safe_xml import parse_xml
from common.schema import DiscoveryReport, InventoryReport

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "interop"
NOW = datetime(2026, 12, 6, 12, 0, tzinfo=timezone.utc)
REPORT_ID = "0b7c4a52-5d1e-4f7a-9a43-2f1b6f0e9c11"


def _request(xml: bytes | str):
    return read_request(parse_xml(xml.encode() if isinstance(xml, str) else xml))


def _inventory(content: str, device: str = "pc-2026-01-01-00-00-00") -> dict:
    xml = f"<REQUEST><CONTENT>{content}</CONTENT><DEVICEID>{device}</DEVICEID><QUERY>INVENTORY</QUERY></REQUEST>"
    report = inventory_report(_request(xml), "agent-1", "ocsinventory-agent 2.10.0", NOW, report_id=REPORT_ID)
    InventoryReport.model_validate(report)  # every converted report fits the wire contract
    return report


def test_the_windows_fixture_converts_field_by_field():
    request = _request((FIXTURES / "ocs_windows.xml").read_bytes())
    assert (request.query, request.device_id) == ("INVENTORY", "FIN-LT-0421-2024-03-20-10-15-42")
    report = inventory_report(request, "agent-1", "ocsinventory-agent-windows 2.10.1.0", NOW, report_id=REPORT_ID)
    InventoryReport.model_validate(report)
    assert report["collected_at"] == "2026-12-06T12:00:00Z"
    assert report["host"] == {
        "hostname": "FIN-LT-0421", "domain": "corp.example.org",
        "smbios_uuid": "5A1C0E2B-7D44-11EE-9F3B-3C528212AB01", "serial": "PF3XK2QZ",
        "vendor": "LENOVO", "model": "21CBCTO1WW", "chassis_type": "Notebook", "asset_tag": "LT-00421",
        "bios_vendor": "LENOVO", "bios_version": "N3MET18W (1.17 )", "bios_date": "03/14/2024",
    }
    assert report["os"] == {"name": "Microsoft Windows 11 Enterprise", "version": "10.0.22631", "arch": "x86 64 bit"}
    assert report["cpu"] == {"model": "12th Gen Intel(R) Core(TM) i7-1260P", "sockets": 1, "cores": 12, "threads": 16}
    # MEMORY and CAPACITY are MiB; the empty slot (CAPACITY 0) is not a module.
    assert report["memory"]["total_bytes"] == 32510 * 1024 * 1024
    assert [(m["slot"], m["size_bytes"], m["type"], m["speed_mhz"], m["manufacturer"])
            for m in report["memory"]["modules"]] == [
        ("ChannelA-DIMM0", 16 * 1024**3, "LPDDR5", 4800, "Samsung"),
        ("ChannelB-DIMM0", 16 * 1024**3, "LPDDR5", 4800, "Samsung")]
    # The Windows agent's DISKSIZE is MiB (WMI's Size / 1,048,576: a 1 TB disk's 1,000,204,886,016
    # bytes are 953869); the CD-ROM is not a disk.
    assert report["disks"] == [{"name": "\\\\.\\PHYSICALDRIVE0", "model": "Samsung SSD 980 PRO 1TB",
                                "serial": "S5GXNF0W123456A", "size_bytes": 953_869 * 1024 * 1024}]
    # One NIC per interface: the IPv6 entry of the Ethernet adapter merged into it; sorted by name.
    assert report["nics"] == [
        {"name": "Hyper-V Virtual Ethernet Adapter", "mac": "00:15:5d:01:02:03", "ipv4": ["198.19.240.1"], "ipv6": [],
         "speed_mbps": 10000, "virtual": True},
        {"name": "Intel(R) Ethernet Connection (16) I219-LM", "mac": "3c:52:82:1a:2b:3c", "ipv4": ["198.18.10.23"],
         "ipv6": ["fe80::1c2d:3e4f:5a6b:7c8d"], "speed_mbps": 1000, "virtual": False},
        {"name": "Intel(R) Wi-Fi 6E AX211 160MHz", "mac": "3c:52:82:1a:2b:3d", "ipv4": [], "ipv6": [],
         "speed_mbps": 866, "virtual": False, "kind": "wireless"},
    ]
    assert report["software"] == [
        {"name": "7-Zip 24.08 (x64)", "version": "24.08", "publisher": "Igor Pavlov", "arch": "x64", "source": "registry"},
        {"name": "Adobe Acrobat (64-bit)", "version": "24.003.20180", "publisher": "Adobe", "arch": "x64",
         "source": "registry", "install_date": "2024-10-08T00:00:00+00:00"},
        {"name": "Microsoft Office Professional Plus 2016", "version": "16.0.4266.1001",
         "publisher": "Microsoft Corporation", "arch": "x86", "source": "registry",
         "install_date": "2024-03-21T00:00:00+00:00"},
        {"name": "Mozilla Firefox (x64 en-US)", "version": "133.0", "publisher": "Mozilla", "arch": "x64",
         "source": "registry", "install_date": "2024-11-26T00:00:00+00:00"},
    ]
    assert report["monitors"] == [{"vendor": "Dell Inc.", "model": "DELL U2723QE", "serial": "7H3KX83"}]
    assert report["batteries"] == [{"name": "5B10W51867", "manufacturer": "SMP", "serial": "1234",
                                    "technology": "Lithium Polymer"}]
    # ACCOUNTINFO, VIDEOS, VIRTUALMACHINES, DRIVES and the volatile HARDWARE values have no place.
    flat = repr(report)
    for absent in ("FINANCE-LAPTOPS", "Iris", "build-agent", "402113", "jdoe", "XXXXX"):
        assert absent not in flat


def test_conversion_is_deterministic_whatever_the_agents_order():
    entries = ["<SOFTWARES><NAME>b</NAME><FROM>deb</FROM></SOFTWARES>", "<SOFTWARES><NAME>a</NAME><FROM>deb</FROM></SOFTWARES>",
               "<STORAGES><NAME>sdb</NAME><DISKSIZE>2000</DISKSIZE></STORAGES>",
               "<STORAGES><NAME>sda</NAME><DISKSIZE>1000</DISKSIZE></STORAGES>"]
    hardware = "<HARDWARE><NAME>pc</NAME><MEMORY>1024</MEMORY></HARDWARE>"
    first = _inventory(hardware + "".join(entries))
    second = _inventory(hardware + "".join(reversed(entries)))
    assert first == second
    assert [s["name"] for s in first["software"]] == ["a", "b"]
    assert [d["name"] for d in first["disks"]] == ["sda", "sdb"]


def test_debian_agents_quirks_are_undone():
    report = _inventory(
        "<HARDWARE><NAME>vm</NAME><WORKGROUP>WORKGROUP</WORKGROUP></HARDWARE>"
        # ocsinventory-agent: ${binary:Package} (name:arch), the Homepage as PUBLISHER, a 0-based month.
        "<SOFTWARES><NAME>libc6:amd64</NAME><ARCHITECTURE>amd64</ARCHITECTURE><FROM>deb</FROM><VERSION>2.36-9</VERSION>"
        "<PUBLISHER>https://www.gnu.org/software/libc/libc.html</PUBLISHER><INSTALLDATE>2025/00/20 00:00:00</INSTALLDATE>"
        "</SOFTWARES>"
        # The same package listed twice is one package.
        "<SOFTWARES><NAME>libc6:amd64</NAME><ARCHITECTURE>amd64</ARCHITECTURE><FROM>deb</FROM><VERSION>2.36-9</VERSION>"
        "</SOFTWARES>"
        "<STORAGES><NAME>vda</NAME><DISKSIZE>274877.906944</DISKSIZE><TYPE>disk</TYPE></STORAGES>"
        "<STORAGES><NAME>zram0</NAME><TYPE>disk</TYPE></STORAGES><STORAGES></STORAGES>"
        "<NETWORKS><DESCRIPTION>lo</DESCRIPTION><MACADDR>00:00:00:00:00:00</MACADDR><TYPE>loopback</TYPE></NETWORKS>"
        "<NETWORKS><DESCRIPTION>eth0</DESCRIPTION><MACADDR>02:fc:00:00:00:01</MACADDR><SPEED>-1 Mbps</SPEED>"
        "<IPADDRESS>198.18.0.2</IPADDRESS></NETWORKS>"
        "<NETWORKS><DESCRIPTION>eth0</DESCRIPTION><MACADDR>02:fc:00:00:00:01</MACADDR><IPADDRESS>fe80::1</IPADDRESS>"
        "</NETWORKS>")
    assert report["host"] == {"hostname": "vm"}  # the default workgroup is not a domain
    assert report["software"] == [{"name": "libc6", "version": "2.36-9", "arch": "amd64", "source": "dpkg"}]
    assert report["disks"] == [{"name": "vda", "size_bytes": 274_877_906_944}]
    assert report["nics"] == [{"name": "eth0", "mac": "02:fc:00:00:00:01", "ipv4": ["198.18.0.2"], "ipv6": ["fe80::1"]}]


def test_fusioninventory_sections_are_read_where_ocs_has_none():
    report = _inventory(
        "<HARDWARE><NAME>vm</NAME><OSNAME>Debian GNU/Linux 12 (bookworm)</OSNAME><MEMORY>2048</MEMORY></HARDWARE>"
        "<OPERATINGSYSTEM><NAME>Debian GNU/Linux</NAME><VERSION>12.11</VERSION><KERNEL_VERSION>6.1.0-31-amd64</KERNEL_VERSION>"
        "<ARCH>x86_64</ARCH><FQDN>vm.lab.example.org</FQDN><DNS_DOMAIN>lab.example.org</DNS_DOMAIN>"
        "<BOOT_TIME>2026-12-06 20:09:15</BOOT_TIME></OPERATINGSYSTEM>"
        "<CPUS><NAME>AMD EPYC</NAME><CORE>4</CORE><THREAD>8</THREAD></CPUS>"
        "<CPUS><NAME>AMD EPYC</NAME><CORE>4</CORE><THREAD>8</THREAD></CPUS>"
        "<SOFTWARES><NAME>zstd</NAME><ARCH>amd64</ARCH><FROM>deb</FROM><PUBLISHER>Debian</PUBLISHER></SOFTWARES>")
    assert report["host"] == {"hostname": "vm", "fqdn": "vm.lab.example.org", "domain": "lab.example.org"}
    assert report["os"] == {"name": "Debian GNU/Linux", "version": "12.11", "kernel": "6.1.0-31-amd64", "arch": "x86_64"}
    assert report["cpu"] == {"model": "AMD EPYC", "sockets": 2, "cores": 8, "threads": 16}
    assert report["memory"] == {"total_bytes": 2048 * 1024 * 1024, "modules": []}
    assert report["software"] == [{"name": "zstd", "publisher": "Debian", "arch": "amd64", "source": "dpkg"}]
    assert "boot_time" not in report["os"]  # volatile across reboots of an otherwise unchanged machine


@pytest.mark.parametrize("user_agent, expected", [
    ("OCS-NG_unified_unix_agent_v2.10.0", ("ocs", "ocsinventory-agent 2.10.0")),
    ("OCS-NG_windows_client_v2.10.1.0", ("ocs", "ocsinventory-agent-windows 2.10.1.0")),
    ("FusionInventory-Agent_v2.6", ("fusioninventory", "fusioninventory-agent 2.6")),
    ("GLPI-Agent_v1.7", ("glpi", "glpi-agent 1.7")),
    ("curl/8.0", ("ocs", None)),
    (None, ("ocs", None)),
    ("OCS-NG_unified_unix_agent_v<script>", ("ocs", None)),
])
def test_user_agents_name_protocol_and_version(user_agent, expected):
    assert identify_agent(user_agent) == expected


@pytest.mark.parametrize("xml, field", [
    ("<INVENTORY/>", "REQUEST"),
    ("<REQUEST><QUERY>INVENTORY</QUERY></REQUEST>", "DEVICEID"),
    ("<REQUEST><DEVICEID>d</DEVICEID><QUERY>DROP TABLE</QUERY></REQUEST>", "QUERY"),
    ("<REQUEST><DEVICEID><X>d</X></DEVICEID><QUERY>PROLOG</QUERY></REQUEST>", "DEVICEID"),
    ("<REQUEST><DEVICEID>d</DEVICEID><QUERY>INVENTORY</QUERY><CONTENT/><CONTENT/></REQUEST>", "CONTENT"),
])
def test_bad_envelopes_name_the_field(xml, field):
    with pytest.raises(BadRequest) as refused:
        _request(xml)
    assert field in [f.field for f in refused.value.fields]


def test_an_inventory_without_content_or_host_name_is_refused():
    with pytest.raises(BadRequest) as no_content:
        inventory_report(_request("<REQUEST><DEVICEID>d</DEVICEID><QUERY>INVENTORY</QUERY></REQUEST>"), "a", None, NOW)
    assert no_content.value.fields[0].field == "CONTENT"
    with pytest.raises(BadRequest) as no_name:
        _inventory("<BIOS><SSN>X1</SSN></BIOS>")
    assert [f.field for f in no_name.value.fields] == ["CONTENT.HARDWARE.NAME"]


def test_every_bad_field_is_named_at_once():
    with pytest.raises(BadRequest) as refused:
        _inventory("<HARDWARE><NAME>pc</NAME><MEMORY>lots</MEMORY></HARDWARE><HARDWARE/>"
                   "<CPUS><CORES>4.5</CORES></CPUS><STORAGES><NAME>sda</NAME><DISKSIZE>1e9</DISKSIZE></STORAGES>"
                   "<SOFTWARES><NAME><B>nested</B></NAME></SOFTWARES><MEMORIES><CAPACITY>-1</CAPACITY></MEMORIES>")
    assert sorted(f.field for f in refused.value.fields) == [
        "CONTENT.CPUS.0.CORES", "CONTENT.HARDWARE", "CONTENT.HARDWARE.MEMORY", "CONTENT.MEMORIES.0.CAPACITY",
        "CONTENT.SOFTWARES.0.NAME", "CONTENT.STORAGES.0.DISKSIZE"]


def test_long_values_are_cut_to_the_schema_bound_and_very_long_ones_refused():
    report = _inventory(f"<HARDWARE><NAME>pc</NAME></HARDWARE><SOFTWARES><NAME>{'n' * 300}</NAME></SOFTWARES>")
    assert report["software"][0]["name"] == "n" * 255
    with pytest.raises(BadRequest) as refused:
        _inventory(f"<HARDWARE><NAME>{'n' * 10_000}</NAME></HARDWARE>")
    assert refused.value.fields[0].field == "CONTENT.HARDWARE.NAME"


def test_a_package_with_a_repeated_or_very_long_value_is_named_by_its_position():
    with pytest.raises(BadRequest) as refused:
        _inventory("<HARDWARE><NAME>pc</NAME></HARDWARE>"
                   "<SOFTWARES><NAME>ok</NAME><FROM>deb</FROM></SOFTWARES>"
                   "<SOFTWARES><NAME>a</NAME><VERSION>1</VERSION><VERSION>2</VERSION></SOFTWARES>"
                   f"<SOFTWARES><NAME>b</NAME><PUBLISHER>{'p' * 2000}</PUBLISHER></SOFTWARES>"
                   "<SOFTWARES><NAME>c</NAME><NAME></NAME></SOFTWARES>")
    assert sorted(f.field for f in refused.value.fields) == [
        "CONTENT.SOFTWARES.1.VERSION", "CONTENT.SOFTWARES.2.PUBLISHER", "CONTENT.SOFTWARES.3.NAME"]


def test_empty_package_values_count_as_absent():
    report = _inventory("<HARDWARE><NAME>pc</NAME></HARDWARE>"
                        "<SOFTWARES><NAME> zsh </NAME><VERSION></VERSION><PUBLISHER/><ARCH> </ARCH><FROM></FROM>"
                        "<BITSWIDTH>64</BITSWIDTH></SOFTWARES><SOFTWARES><NAME/><VERSION>1</VERSION></SOFTWARES>")
    assert report["software"] == [{"name": "zsh", "arch": "x64", "source": "ocs"}]


def test_the_switch_fixture_converts_to_a_discovery_report():
    request = _request((FIXTURES / "fusion_netinventory_switch.xml").read_bytes())
    report = discovery_report(request, "agent-1", NOW, report_id=REPORT_ID)
    DiscoveryReport.model_validate(report)
    assert report["scan_id"] == "fusioninventory:snmpquery:1733470000"
    (device,) = report["devices"]
    assert device == {
        "ip": "198.18.1.2", "mac": "70:10:5c:aa:01:00", "sys_name": "sw-a3-01",
        "sys_descr": "Cisco IOS Software, C2960X Software (C2960X-UNIVERSALK9-M), Version 15.2(7)E8",
        "serial": "FOC2233X0YZ", "model": "WS-C2960X-48FPD-L", "vendor": "Cisco", "firmware": "15.2(7)E8",
        "device_type": "switch", "classified_by": "fusioninventory:networking", "found_by": ["snmp"],
        "seen_at": "2026-12-06T12:00:00Z",
        "interfaces": [
            {"index": 10101, "name": "Gi1/0/1", "mac": "70:10:5c:aa:01:01", "speed_mbps": 1000, "learned_macs": []},
            {"index": 10102, "name": "Gi1/0/2", "mac": "70:10:5c:aa:01:02", "speed_mbps": 100,
             "learned_macs": ["3c:52:82:1a:2b:3c", "00:15:5d:01:02:03"]},
        ],
        "neighbours": [{"local_port": "Gi1/0/1", "remote_name": "core-01", "remote_port": "GigabitEthernet1/0/48",
                        "remote_mac": "70:10:5c:bb:02:30", "remote_ip": "198.18.1.1",
                        "remote_platform": "cisco WS-C3850-24T"}],
    }


def test_a_netdiscovery_device_and_a_progress_message():
    found = _request("<REQUEST><CONTENT><DEVICE><IP>198.18.5.20</IP><MAC>00:11:22:33:44:55</MAC>"
                     "<NETBIOSNAME>PRN-2F</NETBIOSNAME><TYPE>PRINTER</TYPE></DEVICE><PROCESSNUMBER>7</PROCESSNUMBER>"
                     "</CONTENT><DEVICEID>s</DEVICEID><QUERY>NETDISCOVERY</QUERY></REQUEST>")
    report = discovery_report(found, "agent-1", NOW, report_id=REPORT_ID)
    DiscoveryReport.model_validate(report)
    assert report["devices"] == [{"ip": "198.18.5.20", "mac": "00:11:22:33:44:55", "device_type": "printer",
                                  "classified_by": "fusioninventory:printer", "found_by": ["arp"],
                                  "seen_at": "2026-12-06T12:00:00Z"}]
    progress = _request("<REQUEST><CONTENT><AGENT><START>1</START></AGENT><PROCESSNUMBER>7</PROCESSNUMBER></CONTENT>"
                        "<DEVICEID>s</DEVICEID><QUERY>NETDISCOVERY</QUERY></REQUEST>")
    assert discovery_report(progress, "agent-1", NOW) is None


def test_bad_network_task_fields_are_named():
    with pytest.raises(BadRequest) as refused:
        discovery_report(_request(
            "<REQUEST><CONTENT><DEVICE><INFO><NAME><X/></NAME></INFO><PORTS><PORT><IFNUMBER>one</IFNUMBER>"
            "<CONNECTIONS><CONNECTION><MAC><Y/></MAC></CONNECTION></CONNECTIONS></PORT></PORTS></DEVICE></CONTENT>"
            "<DEVICEID>s</DEVICEID><QUERY>SNMPQUERY</QUERY></REQUEST>"), "a", NOW)
    assert sorted(f.field for f in refused.value.fields) == [
        "CONTENT.DEVICE.0.INFO.NAME", "CONTENT.DEVICE.0.PORTS.PORT.0.CONNECTIONS.CONNECTION.0.MAC.0",
        "CONTENT.DEVICE.0.PORTS.PORT.0.IFNUMBER"]


def test_the_fusioninventory_linux_fixture_converts_field_by_field():
    request = _request((FIXTURES / "fusion_linux.xml").read_bytes())
    report = inventory_report(request, "agent-1", "fusioninventory-agent 2.6", NOW, report_id=REPORT_ID)
    InventoryReport.model_validate(report)
    assert report["host"] == {
        "hostname": "db-prod-03", "fqdn": "db-prod-03.dc1.example.org", "domain": "dc1.example.org",
        "smbios_uuid": "4C4C4544-0058-4B10-8032-B7C04F514833", "serial": "7XK2QH3", "vendor": "Dell Inc.",
        "model": "PowerEdge R650", "chassis_type": "Rack Mount Chassis", "bios_vendor": "Dell Inc.",
        "bios_version": "2.19.1", "bios_date": "05/12/2023"}
    # OPERATINGSYSTEM wins over HARDWARE's OS fields (Fusion puts the kernel in OSVERSION).
    assert report["os"] == {"name": "Debian GNU/Linux", "version": "12.8", "kernel": "6.1.0-28-amd64", "arch": "x86_64"}
    # Two CPUS entries, CORE per socket and THREAD = logical CPUs per socket (siblings).
    assert report["cpu"] == {"model": "Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz", "sockets": 2, "cores": 32, "threads": 64}
    assert report["memory"]["total_bytes"] == 257641 * 1024 * 1024
    assert [(m["slot"], m["size_bytes"], m["part_number"], m["serial"]) for m in report["memory"]["modules"]] == [
        ("A1", 128 * 1024**3, "HMABAGR7C4R4N-XS", "3A1B2C3D"), ("B1", 128 * 1024**3, "HMABAGR7C4R4N-XS", "3A1B2C3E")]
    assert report["disks"] == [
        {"name": "nvme0n1", "model": "Dell Ent NVMe CM6 RI 3.84TB", "serial": "Y0R0A03ZT1ZE",
         "size_bytes": 3_840_755_000_000, "type": "nvme"},
        {"name": "sda", "model": "MZ7L3960HCJR0D3", "serial": "S6KNNE0T812345", "size_bytes": 960_197_000_000}]
    assert report["nics"] == [
        {"name": "docker0", "mac": "02:42:c6:13:11:01", "ipv4": ["198.19.17.1"], "ipv6": [], "virtual": True},
        {"name": "eno1", "mac": "b0:26:28:aa:10:01", "ipv4": ["198.18.20.15"], "ipv6": ["fe80::b226:28ff:feaa:1001"],
         "speed_mbps": 25000, "virtual": False}]
    assert [(s["name"], s["version"], s["publisher"], s["arch"], s["source"]) for s in report["software"]] == [
        ("openssh-server", "1:9.2p1-2+deb12u3", "Debian", "amd64", "dpkg"),
        ("postgresql-15", "15.10-0+deb12u1", "Debian", "amd64", "dpkg"),
        ("tzdata", "2024b-0+deb12u1", "Debian", "all", "dpkg")]
    flat = repr(report)
    for absent in ("postgres -D", "2026-12-06 09:14", "801234", "2026-11-30", "root", "a8c01e0f"):
        assert absent not in flat  # processes, access log, free space, boot time, last user, host id


def test_software_values_padded_past_the_length_check_are_kept_and_repeats_named():
    padded = " " * 1100 + "7-Zip"
    report = _inventory(f"<HARDWARE><NAME>pc</NAME></HARDWARE><SOFTWARES><NAME>{padded}</NAME></SOFTWARES>")
    assert report["software"] == [{"name": "7-Zip", "source": "ocs"}]
    with pytest.raises(BadRequest) as refused:
        _inventory("<HARDWARE><NAME>pc</NAME></HARDWARE><SOFTWARES><NAME>a</NAME><NAME>b</NAME><NAME>c</NAME></SOFTWARES>")
    assert [f.field for f in refused.value.fields] == ["CONTENT.SOFTWARES.0.NAME"]


@pytest.mark.parametrize("agent_version, unit", [
    ("ocsinventory-agent-windows 2.10.1.0", 1024 * 1024),  # SysInfo: Win32_DiskDrive.Size / ONE_MEGABYTE (1,048,576)
    ("ocsinventory-agent 2.10.0", 1000 * 1000), ("fusioninventory-agent 2.6", 1000 * 1000), (None, 1000 * 1000)])
def test_disksize_is_read_in_the_unit_of_the_agent_that_wrote_it(agent_version, unit):
    xml = ("<REQUEST><DEVICEID>d</DEVICEID><QUERY>INVENTORY</QUERY><CONTENT><HARDWARE><NAME>pc</NAME></HARDWARE>"
           "<STORAGES><NAME>disk0</NAME><DISKSIZE>953869</DISKSIZE><TYPE>disk</TYPE></STORAGES></CONTENT></REQUEST>")
    report = inventory_report(_request(xml), "agent-1", agent_version, NOW, report_id=REPORT_ID)
    assert report["disks"] == [{"name": "disk0", "size_bytes": 953_869 * unit}]
