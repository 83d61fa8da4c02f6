from pathlib import Path

from agent.probes.hardware import HardwareProbe, parse_cpuinfo, parse_lsblk

FIXTURES = Path(__file__).parents[2] / "fixtures" / "linux"

TWO_SOCKETS = "".join(
    f"processor\t: {n}\nmodel name\t: Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz\nphysical id\t: {n // 4}\ncore id\t\t: {n % 2}\n\n"
    for n in range(8)
)


def test_cpuinfo_single_socket_vm():
    cpu = parse_cpuinfo((FIXTURES / "cpuinfo-xeon-2vcpu.txt").read_text())
    assert cpu == {"model": "Intel(R) Xeon(R) Processor", "threads": 2, "sockets": 1, "cores": 2}


def test_cpuinfo_counts_sockets_cores_and_threads():
    cpu = parse_cpuinfo(TWO_SOCKETS)
    assert cpu == {"model": "Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz", "threads": 8, "sockets": 2, "cores": 4}


def test_lsblk_keeps_real_disks_and_types_them():
    disks = parse_lsblk((FIXTURES / "lsblk-laptop.json").read_text())
    assert disks == [
        {"name": "sda", "model": "SanDisk Ultra Fit", "serial": "4C530001230807118543", "size_bytes": 30765219840, "type": "usb"},
        {"name": "nvme0n1", "model": "SAMSUNG MZVL2512HCJQ-00BL7", "serial": "S64KNX0T123456",
         "size_bytes": 512110190592, "type": "nvme"},
    ]


def test_smbios_fields_filter_junk_and_tolerate_root_only_files(tmp_path):
    dmi = tmp_path / "dmi"
    dmi.mkdir()
    (dmi / "sys_vendor").write_text("Dell Inc.\n")
    (dmi / "product_name").write_text("Latitude 7440\n")
    (dmi / "product_serial").write_text("To Be Filled By O.E.M.\n")
    (dmi / "product_uuid").write_text("4C4C4544-0042-3510-8052-B4C04F564433\n")
    (dmi / "chassis_type").write_text("10\n")
    probe = HardwareProbe(dmi_root=dmi)
    host = probe._smbios()
    assert host == {"vendor": "Dell Inc.", "model": "Latitude 7440",
                    "smbios_uuid": "4c4c4544-0042-3510-8052-b4c04f564433", "chassis_type": "Notebook"}


def _sysfs(tmp_path, raw_entries):
    from tests.agent.probes.test_smbios import _entry

    proc = tmp_path / "proc"
    proc.mkdir()
    (proc / "meminfo").write_text("MemTotal:       16303404 kB\nMemFree:         1000000 kB\n")
    (proc / "cpuinfo").write_text(TWO_SOCKETS)
    entries = tmp_path / "entries"
    entries.mkdir()
    for name, raw in raw_entries.items():
        _entry(entries, name, raw)
    return HardwareProbe(dmi_root=tmp_path / "no-dmi", proc_root=proc, smbios_entries=entries)


def test_memory_modules_join_the_memory_total(tmp_path):
    from tests.agent.probes.test_smbios import GIB, SAMSUNG, memory_device

    fragment = _sysfs(tmp_path, {"17-0": memory_device(size=16 * 1024, strings=SAMSUNG)}).collect()
    assert fragment["memory"]["total_bytes"] == 16303404 * 1024
    assert [m["size_bytes"] for m in fragment["memory"]["modules"]] == [16 * GIB]
    assert fragment["memory"]["modules"][0]["type"] == "DDR4"


def test_a_corrupt_smbios_entry_costs_the_modules_not_the_probe(tmp_path):
    fragment = _sysfs(tmp_path, {"17-0": b"\x11\x5c\x00"}).collect()
    assert fragment["cpu"]["sockets"] == 2 and fragment["memory"]["total_bytes"] > 0
    assert "modules" not in fragment["memory"]
    assert fragment["probe_errors"][-1]["probe"] == "hardware.memory_modules"
