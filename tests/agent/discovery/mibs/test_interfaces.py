"""IF-MIB interfaces and ipAddrTable addresses."""

from agent.discovery.mibs.interfaces import parse_addresses, parse_interfaces
from tests.agent.discovery.mibs.snmprec import FIXTURES, rows


def test_a_printers_interfaces_from_if_table_alone():
    recorded = rows((FIXTURES / "sharp-mx-3570n.snmprec").read_text())
    assert parse_interfaces(recorded) == [{"index": 1, "name": "eth0", "mac": "68:79:ed:35:70:01", "speed_mbps": 1000},
                                          {"index": 2, "name": "lo"}]


def test_if_name_and_high_speed_win_over_if_descr_and_a_saturated_if_speed():
    walked = rows("1.3.6.1.2.1.2.2.1.2.1000001|4|Port-Channel1\n1.3.6.1.2.1.2.2.1.5.1000001|66|4294967295\n"
                  "1.3.6.1.2.1.31.1.1.1.1.1000001|4x|506f72742d4368616e6e656c31\n"
                  "1.3.6.1.2.1.31.1.1.1.15.1000001|66|20000\n1.3.6.1.2.1.31.1.1.1.1.7|4|Et7")
    assert parse_interfaces(walked) == [{"index": 7, "name": "Et7"},
                                        {"index": 1000001, "name": "Port-Channel1", "speed_mbps": 20000}]


def test_addresses_name_their_interface():
    # network/switch/cisco-c3560 (snmpsim-data)
    walked = rows("1.3.6.1.2.1.4.20.1.2.10.1.100.148|2|2\n1.3.6.1.2.1.4.20.1.2.10.110.148.1|2|3")
    assert parse_addresses(walked) == {"10.1.100.148": 2, "10.110.148.1": 3}
