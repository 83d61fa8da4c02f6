"""GLPI agent JSON -> InventoryReport / DiscoveryReport, field by field, on our recorded fixtures."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from collector.errors import InvalidInput
from collector.interop.glpi_json import MiB, agent_version, glpi_inventory_report, parse_glpi_message
from collector.interop.glpi_network import glpi_discovery_report
from common.schema import DiscoveryReport, InventoryReport
from tests.collector.interop.glpi_cases import fixture, full_message, wrong_type_cases

NOW = datetime(2026, 3, 2, 8, 20, 0, tzinfo=timezone.utc)


def _report(name: str) -> dict:
    message = parse_glpi_message(fixture(name))
    report = glpi_inventory_report(message, "agent-1", agent_version("GLPI-Agent_v1.11", None), NOW)
    InventoryReport.model_validate(report)  # what the native ingest path will check again
    return report


def test_windows_inventory_field_by_field():
    report = _report("glpi_windows.json")
    assert report["schema_version"] == 1 and report["agent_id"] == "agent-1"
    assert report["agent_version"] == "glpi-agent 1.11"
    assert report["collected_at"] == "2026-03-02T08:20:00Z"
    assert report["host"] == {
        "hostname": "WS-ACCT-014", "fqdn": "WS-ACCT-014.corp.example.test", "domain": "corp.example.test",
        "smbios_uuid": "4C4C4544-0051-3510-8057-B4C04F4A3732", "serial": "5Q7W3J2", "vendor": "Dell Inc.",
        "model": "OptiPlex 7010", "chassis_type": "Desktop", "asset_tag": "INV-2291", "bios_vendor": "Dell Inc.",
        "bios_version": "1.21.0", "bios_date": "2025-06-11"}
    assert report["os"] == {"name": "Windows", "version": "23H2", "kernel": "10.0.22631", "arch": "64-bit",
                            "install_date": "2024-09-18T10:42:11Z"}
    assert report["cpu"] == {"model": "13th Gen Intel(R) Core(TM) i5-13500", "sockets": 1, "cores": 14, "threads": 20}
    assert report["memory"]["total_bytes"] == 16184 * MiB
    assert report["memory"]["modules"][0] == {"slot": "DIMM1", "size_bytes": 8192 * MiB, "type": "DDR5",
                                              "speed_mhz": 4800, "manufacturer": "SK Hynix", "serial": "A1B2C3D4",
                                              "part_number": "HMCG66AGBUA081N"}
    assert len(report["memory"]["modules"]) == 2
    # The card reader with no medium (disksize 0) is not a disk.
    assert report["disks"] == [{"name": "\\\\.\\PHYSICALDRIVE0", "model": "PM9A1 NVMe Samsung 512GB",
                                "serial": "S69ENX0T712345", "size_bytes": 512_110_000_000, "type": "nvme"}]
    # Two GLPI entries (IPv4, IPv6) of one adapter make one NIC.
    assert report["nics"] == [
        {"name": "Intel(R) Ethernet Connection (17) I219-LM", "mac": "a4:bb:6d:1e:22:31", "ipv4": ["198.18.10.57"],
         "ipv6": ["fe80::6c1b:2f11:9a42:d0e1"], "speed_mbps": 1000, "virtual": False, "kind": "physical"},
        {"name": "Intel(R) Wi-Fi 6E AX211 160MHz", "mac": "3c:21:9c:7a:41:08", "virtual": False, "kind": "wireless"},
        {"name": "WAN Miniport (IP)", "virtual": True}]
    assert [item["name"] for item in report["software"]] == [
        "Microsoft Edge", "7-Zip 23.01 (x64)", "LibreOffice 24.2.1.2", "Sage 100cloud Comptabilite"]
    assert report["software"][0] == {"name": "Microsoft Edge", "version": "122.0.2365.66",
                                     "publisher": "Microsoft Corporation", "arch": "x86_64", "source": "registry",
                                     "install_date": "2026-02-27T00:00:00Z"}
    assert report["software"][3] == {"name": "Sage 100cloud Comptabilite", "version": "9.00", "publisher": "Sage",
                                     "arch": "i386", "source": "registry"}
    assert report["monitors"] == [{"vendor": "Dell Inc.", "model": "DELL P2422H", "serial": "7RX2GQ3",
                                   "manufactured_year": 2023}]
    assert report["users"] == {"logged_in": ["CORP\\m.lefevre"], "primary": "m.lefevre"}
    assert "batteries" not in report
    # Volatile and uncarried sections leave no trace.
    text = str(report)
    for absent in ("07:51:20", "301224", "explorer.exe", "WinDev2403Eval", "3V66T", "Defender"):
        assert absent not in text


def test_macos_inventory_field_by_field():
    report = _report("glpi_macos.json")
    assert report["host"] == {"hostname": "MBP-DESIGN-07", "fqdn": "MBP-DESIGN-07.local",
                              "smbios_uuid": "6E0B1C7A-52D4-5A8F-9C21-3B7D0E4F8A19", "serial": "H9K2L4XQ7M",
                              "vendor": "Apple Inc", "model": "Mac15,6", "chassis_type": "Laptop",
                              "bios_vendor": "Apple Inc", "bios_version": "11881.41.5", "bios_date": "2025-10-04"}
    assert report["os"] == {"name": "macOS", "version": "14.3.1", "kernel": "23.3.0", "arch": "arm64",
                            "install_date": "2025-12-01T09:12:44Z"}
    # Apple silicon: 12 cores, one thread each.
    assert report["cpu"] == {"model": "Apple M3 Pro", "sockets": 1, "cores": 12, "threads": 12}
    assert report["memory"] == {"total_bytes": 32768 * MiB, "modules": []}
    assert report["disks"] == [{"name": "disk0", "model": "APPLE SSD AP1024Z", "serial": "0ba0195a4c2e1f22",
                                "size_bytes": 1_000_555_000_000}]
    # lo0 (loopback) is left out; en0's two addresses merge.
    assert report["nics"] == [
        {"name": "en0", "mac": "f8:4d:89:6a:10:c2", "ipv4": ["198.19.4.23"], "ipv6": ["fe80::1c44:8bff:fe3a:6d10"],
         "virtual": False, "kind": "wireless"},
        {"name": "bridge0", "mac": "36:b1:0c:55:e7:80", "virtual": True, "kind": "bridge"}]
    # No "from" on macOS: the agent's application list is the pkg source.
    assert [(item["name"], item["source"]) for item in report["software"]] == [
        ("Google Chrome", "pkg"), ("Figma", "pkg"), ("Microsoft Word", "pkg")]
    assert report["software"][2]["install_date"] == "2026-01-16T11:20:00Z"
    assert report["monitors"] == [{"vendor": "Apple Inc", "model": "Color LCD", "manufactured_year": 2023}]
    assert report["batteries"] == [{"name": "bq40z651", "manufacturer": "SMP", "serial": "F5D3152A1EC1Q7PAX",
                                    "technology": "Li-ion", "design_capacity_wh": 72.4, "full_capacity_wh": 68.12}]
    assert report["users"] == {"logged_in": ["awong"], "primary": "awong"}


def test_linux_inventory_field_by_field():
    report = _report("glpi_linux.json")
    assert report["host"] == {"hostname": "build-07", "fqdn": "build-07.lab.example.test",
                              "domain": "lab.example.test", "smbios_uuid": "d1c5e7a2-3b4f-4c6d-8e9f-0a1b2c3d4e5f",
                              "serial": "S412345X3C09876", "vendor": "Supermicro", "model": "SYS-510T-MR",
                              "chassis_type": "Rack Mount Chassis",
                              "bios_vendor": "American Megatrends International, LLC.", "bios_version": "2.1a",
                              "bios_date": "2024-04-22"}  # the blank asset tag is left out
    assert report["os"] == {"name": "Debian GNU/Linux", "version": "12", "kernel": "6.1.0-18-amd64",
                            "arch": "x86_64", "install_date": "2024-05-02T13:37:55Z"}
    assert report["cpu"] == {"model": "Intel(R) Xeon(R) E-2388G CPU @ 3.20GHz", "sockets": 1, "cores": 8,
                             "threads": 16}
    assert report["memory"]["total_bytes"] == 64152 * MiB
    # The empty slot (no capacity) is not a module.
    assert [module["slot"] for module in report["memory"]["modules"]] == ["DIMMA1", "DIMMB1"]
    assert report["memory"]["modules"][1]["speed_mhz"] == 3200
    assert report["disks"] == [
        {"name": "nvme0n1", "model": "MZQL2960HCJR-00A07", "serial": "S64FNE0R812345", "size_bytes": 960_197_000_000,
         "type": "nvme"},
        {"name": "sda", "model": "ST4000NM002A-2HZ", "serial": "WJG1ABCD", "size_bytes": 4_000_787_000_000}]
    assert report["nics"] == [
        {"name": "eno1", "mac": "3c:ec:ef:10:20:31", "ipv4": ["198.18.20.17", "198.18.20.18"],
         "ipv6": ["fe80::3eec:efff:fe10:2031"], "speed_mbps": 10000, "virtual": False, "kind": "physical"},
        {"name": "eno2", "mac": "3c:ec:ef:10:20:32", "virtual": False, "kind": "physical"},
        {"name": "docker0", "mac": "02:42:5e:7d:11:09", "ipv4": ["198.19.250.1"], "virtual": True, "kind": "bridge"}]
    assert [(item["name"], item["source"]) for item in report["software"]] == [
        ("openssh-server", "dpkg"), ("postgresql-15", "dpkg"), ("docker-ce", "dpkg"), ("code", "snap"),
        ("org.gimp.GIMP", "flatpak")]
    assert report["software"][0] == {"name": "openssh-server", "version": "1:9.2p1-2+deb12u2", "arch": "amd64",
                                     "publisher": "Debian OpenSSH Maintainers <debian-ssh@lists.debian.org>",
                                     "source": "dpkg", "install_date": "2024-05-02T00:00:00Z"}
    assert report["users"] == {"logged_in": ["ci", "root"]}
    assert "monitors" not in report and "batteries" not in report
    assert "ssh-ed25519" not in str(report) and "LANG" not in str(report)


def test_switch_becomes_one_discovered_device():
    message = parse_glpi_message(fixture("glpi_network_switch.json"))
    report = glpi_discovery_report(message, "agent-1", NOW)
    DiscoveryReport.model_validate(report)
    assert report["scan_id"] == "glpi-job-41"
    assert report["started_at"] == report["finished_at"] == "2026-03-02T08:20:00Z"
    (device,) = report["devices"]
    assert {key: device[key] for key in ("ip", "mac", "sys_name", "serial", "model", "vendor", "device_type",
                                         "firmware", "found_by")} == {
        "ip": "198.18.1.2", "mac": "70:1f:53:aa:10:80", "sys_name": "sw-core-02", "serial": "FOC2104X1AB",
        "model": "WS-C2960X-48FPD-L", "vendor": "Cisco", "device_type": "switch", "firmware": "15.2(7)E9",
        "found_by": ["snmp"]}
    assert device["sys_descr"].startswith("Cisco IOS Software, C2960X")
    assert device["interfaces"] == [
        {"index": 10101, "name": "Gi1/0/1", "mac": "70:1f:53:aa:10:81", "speed_mbps": 1000,
         "learned_macs": ["a4:bb:6d:1e:22:31"]},
        {"index": 10102, "name": "Gi1/0/2", "mac": "70:1f:53:aa:10:82", "speed_mbps": 1000,
         "learned_macs": ["3c:ec:ef:10:20:31", "3c:ec:ef:10:20:32"]},
        {"index": 10149, "name": "Gi1/0/49", "mac": "70:1f:53:aa:10:b1", "speed_mbps": 10000},
        {"index": 10150, "name": "Gi1/0/50"}]
    assert device["neighbours"] == [{"local_port": "Gi1/0/49", "remote_name": "sw-dist-01",
                                     "remote_port": "TenGigabitEthernet1/1/3", "remote_mac": "00:1b:54:c2:33:01",
                                     "remote_ip": "198.18.1.1", "remote_platform": "cisco WS-C3850-24XS"}]
    assert "83 days" not in str(report)  # uptime is volatile


@pytest.mark.parametrize("name", ["glpi_windows.json", "glpi_macos.json", "glpi_linux.json"])
def test_conversion_is_deterministic(name):
    first, second = _report(name), _report(name)
    assert first.pop("report_id") != second.pop("report_id")
    assert first == second


def test_agent_version_from_user_agent_or_versionclient():
    assert agent_version("GLPI-Agent_v1.7.3", None) == "glpi-agent 1.7.3"
    assert agent_version(None, "GLPI-Agent_v1.11-git3a2c") == "glpi-agent 1.11-git3a2c"
    assert agent_version("FusionInventory-Agent_v2.6", "x") == "fusioninventory-agent 2.6"
    assert agent_version(None, None) is None


def test_every_field_of_the_models_refuses_a_wrong_type_and_names_it():
    cases = list(wrong_type_cases())
    assert len(cases) > 150  # every field of every model we read
    parse_glpi_message(full_message())  # the untouched message is valid
    for path, message in cases:
        with pytest.raises(InvalidInput) as caught:
            parse_glpi_message(message)
        names = [error.field for error in caught.value.fields]
        assert any(name == path or name.startswith(path + ".") for name in names), (path, names)


@pytest.mark.parametrize("value, message", [
    ("2026-02-30", "day is out of range"), ("2026-13-01", "month must be in"), ("01/02/2026", "pattern")])
def test_impossible_dates_are_refused(value, message):
    document = fixture("glpi_linux.json")
    document["content"]["softwares"][1]["install_date"] = value
    with pytest.raises(InvalidInput) as caught:
        parse_glpi_message(document)
    assert caught.value.fields[0].field == "content.softwares.1.install_date"
    assert message in caught.value.fields[0].message


def test_a_computer_without_a_name_is_refused_naming_the_field():
    document = fixture("glpi_linux.json")
    del document["content"]["hardware"]["name"]
    with pytest.raises(InvalidInput) as caught:
        glpi_inventory_report(parse_glpi_message(document), "agent-1", None, NOW)
    assert [error.field for error in caught.value.fields] == ["content.hardware.name"]


def test_over_long_strings_and_lists_are_refused():
    document = fixture("glpi_linux.json")
    document["content"]["softwares"][3]["name"] = "x" * 256
    document["content"]["cpus"] = document["content"]["cpus"] * 257
    with pytest.raises(InvalidInput) as caught:
        parse_glpi_message(document)
    assert {error.field for error in caught.value.fields} == {"content.softwares.3.name", "content.cpus"}


def test_a_partial_message_replaces_its_sections_and_keeps_the_rest():
    from collector.interop.glpi_partial import merge_partial

    previous = _report("glpi_linux.json")
    message = fixture("glpi_linux.json")
    message["partial"] = True
    message["content"] = {key: message["content"][key] for key in ("versionclient", "hardware", "bios", "networks")}
    message["content"]["hardware"]["memory"] = 128304  # upgraded: the total comes with HARDWARE
    message["content"]["networks"] = message["content"]["networks"][:2]
    partial = parse_glpi_message(message)
    merged = merge_partial(previous, glpi_inventory_report(partial, "agent-1", "glpi-agent 1.11", NOW),
                           set(partial.content.model_fields_set))
    InventoryReport.model_validate(merged)
    assert [nic["name"] for nic in merged["nics"]] == ["eno1"]  # NETWORKS came: replaced
    assert merged["software"] == previous["software"] and merged["cpu"] == previous["cpu"]  # kept
    assert merged["os"] == previous["os"]
    assert merged["host"] == previous["host"]  # fqdn and domain (from OPERATINGSYSTEM) kept
    assert merged["memory"] == {"total_bytes": 128304 * MiB, "modules": previous["memory"]["modules"]}
    assert merged["users"] == previous["users"]
    assert merged["report_id"] != previous["report_id"]
    assert list(merged) == list(previous)  # same key order: same bytes when nothing changed
