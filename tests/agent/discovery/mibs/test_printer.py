"""Printer-MIB: printer or not, serial number, page counter."""

from agent.discovery.mibs.printer import parse_printer, vendor_roots
from tests.agent.discovery.mibs.snmprec import FIXTURES, rows


def test_a_recorded_printer():
    recorded = rows((FIXTURES / "sharp-mx-3570n.snmprec").read_text())
    assert parse_printer(recorded) == {"printer": True, "serial": "3502147X00", "page_count": 48213}


def test_a_makers_serial_when_prt_general_has_none():
    # Brother keeps its serial in BROTHER-MIB (brInfoSerialNumber); the value is made up.
    assert vendor_roots(2435) == ("1.3.6.1.4.1.2435.2.3.9.4.2.1.5.5.1",)
    walked = rows("1.3.6.1.2.1.43.5.1.1.17.1|4|\n1.3.6.1.4.1.2435.2.3.9.4.2.1.5.5.1.0|4|E78912K3N001")
    assert parse_printer(walked) == {"printer": True, "serial": "E78912K3N001"}
    assert vendor_roots(9) == () and vendor_roots(None) == ()


def test_only_page_counters_count_pages():
    hours = rows("1.3.6.1.2.1.43.5.1.1.1.1|2|1\n1.3.6.1.2.1.43.10.2.1.3.1.1|2|11\n1.3.6.1.2.1.43.10.2.1.4.1.1|65|5000")
    assert parse_printer(hours) == {"printer": True}
    first_marker = rows("1.3.6.1.2.1.43.5.1.1.1.1|2|1\n1.3.6.1.2.1.43.10.2.1.4.1.2|65|7\n"
                        "1.3.6.1.2.1.43.10.2.1.4.1.1|65|300")
    assert parse_printer(first_marker)["page_count"] == 300


def test_not_a_printer():
    assert parse_printer(rows("1.3.6.1.2.1.25.3.2.1.2.1|6|1.3.6.1.2.1.25.3.1.5")) == {}
