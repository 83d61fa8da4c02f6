"""HOST-RESOURCES-MIB devices, storage and software, on recorded rows."""

from agent.discovery.mibs.host_resources import MAX_SOFTWARE, parse_host_devices, parse_software, parse_storage
from tests.agent.discovery.mibs.snmprec import FIXTURES, rows

# os/linux/unknown-001 (snmpsim-data): a CentOS 6 host's RAM, swap and root file system, and packages.
LINUX_STORAGE = """
1.3.6.1.2.1.25.2.3.1.2.1|6|1.3.6.1.2.1.25.2.1.2
1.3.6.1.2.1.25.2.3.1.2.10|6|1.3.6.1.2.1.25.2.1.3
1.3.6.1.2.1.25.2.3.1.2.31|6|1.3.6.1.2.1.25.2.1.4
1.3.6.1.2.1.25.2.3.1.3.1|4x|506879736963616c206d656d6f7279
1.3.6.1.2.1.25.2.3.1.3.10|4x|53776170207370616365
1.3.6.1.2.1.25.2.3.1.3.31|4x|2f
1.3.6.1.2.1.25.2.3.1.4.1|2|1024
1.3.6.1.2.1.25.2.3.1.4.10|2|1024
1.3.6.1.2.1.25.2.3.1.4.31|2|4096
1.3.6.1.2.1.25.2.3.1.5.1|2|16334056
1.3.6.1.2.1.25.2.3.1.5.10|2|8241148
1.3.6.1.2.1.25.2.3.1.5.31|2|12868767
"""
LINUX_SOFTWARE = """
1.3.6.1.2.1.25.6.3.1.2.1|4x|6f64646a6f622d302e33302d352e656c36
1.3.6.1.2.1.25.6.3.1.2.2|4x|666f6e74636f6e6669672d322e382e302d352e656c36
1.3.6.1.2.1.25.6.3.1.2.10|4x|66696c6573797374656d2d322e342e33302d332e656c36
1.3.6.1.2.1.25.6.3.1.2.4|4x|63726f6e746162732d312e31302d33332e656c36
"""


def test_storage_sizes_are_size_times_allocation_units():
    assert parse_storage(rows(LINUX_STORAGE)) == [
        {"descr": "Physical memory", "type": "ram", "size_bytes": 16334056 * 1024},
        {"descr": "Swap space", "type": "virtual_memory", "size_bytes": 8241148 * 1024},
        {"descr": "/", "type": "fixed_disk", "size_bytes": 12868767 * 4096},
    ]


def test_software_names_in_index_order():
    assert parse_software(rows(LINUX_SOFTWARE)) == [
        "oddjob-0.30-5.el6", "fontconfig-2.8.0-5.el6", "crontabs-1.10-33.el6", "filesystem-2.4.30-3.el6"]


def test_software_is_bounded_and_deduplicated():
    walked = [(f"1.3.6.1.2.1.25.6.3.1.2.{i}", f"pkg-{i // 2}".encode()) for i in range(1, 2 * MAX_SOFTWARE + 10)]
    names = parse_software(walked)
    assert len(names) == MAX_SOFTWARE and names[:2] == ["pkg-0", "pkg-1"]


def test_a_printers_host_resources():
    recorded = rows((FIXTURES / "sharp-mx-3570n.snmprec").read_text())
    devices = parse_host_devices(recorded)
    assert devices == [{"type": "printer", "descr": "SHARP MX-3570N"},
                       {"type": "network", "descr": "Ethernet port"},
                       {"descr": "Scanner"},  # a vendor-registered type (Sharp's own OID) stays unnamed
                       {"type": "processor", "descr": "ARM processor"},
                       {"type": "disk_storage", "descr": "Internal hard disk"}]
    assert parse_storage(recorded) == [{"descr": "Printer memory", "type": "ram", "size_bytes": 8192 * 1024}]
    assert parse_software(recorded) == []


def test_negative_or_missing_sizes_are_unknown():
    broken = rows("1.3.6.1.2.1.25.2.3.1.3.1|4|/data\n1.3.6.1.2.1.25.2.3.1.4.1|2|4096\n1.3.6.1.2.1.25.2.3.1.5.1|2|-5\n"
                  "1.3.6.1.2.1.25.2.3.1.3.2|4|/srv")
    assert parse_storage(broken) == [{"descr": "/data"}, {"descr": "/srv"}]
