"""ENTITY-MIB chassis selection on rows recorded from real devices (snmpsim-data, BSD-2-Clause)."""

from agent.discovery.mibs.entity import parse_entity
from tests.agent.discovery.mibs.snmprec import rows

# network/switch/hpe-procurve-516733-b21: the chassis (class 3) and its backplane (class 4) share the model.
PROCURVE = """
1.3.6.1.2.1.47.1.1.1.1.4.1|2|0
1.3.6.1.2.1.47.1.1.1.1.4.2|2|1
1.3.6.1.2.1.47.1.1.1.1.5.1|2|3
1.3.6.1.2.1.47.1.1.1.1.5.2|2|4
1.3.6.1.2.1.47.1.1.1.1.9.1|4x|5a2e31342e3039
1.3.6.1.2.1.47.1.1.1.1.9.2|4|
1.3.6.1.2.1.47.1.1.1.1.10.1|4x|5a2e31342e3331
1.3.6.1.2.1.47.1.1.1.1.10.2|4|
1.3.6.1.2.1.47.1.1.1.1.11.1|4|3C421900TX
1.3.6.1.2.1.47.1.1.1.1.11.2|4|
1.3.6.1.2.1.47.1.1.1.1.12.1|4x|4865776c6574742d5061636b617264
1.3.6.1.2.1.47.1.1.1.1.12.2|4x|4865776c6574742d5061636b617264
1.3.6.1.2.1.47.1.1.1.1.13.1|4x|3531363733332d423231
1.3.6.1.2.1.47.1.1.1.1.13.2|4x|3531363733332d423231
"""

# network/switch/cisco-c3560: chassis at index 1001, no manufacturer; a CPU (class 9) inside it.
C3560 = """
1.3.6.1.2.1.47.1.1.1.1.4.1001|2|0
1.3.6.1.2.1.47.1.1.1.1.4.1002|2|1001
1.3.6.1.2.1.47.1.1.1.1.5.1001|2|3
1.3.6.1.2.1.47.1.1.1.1.5.1002|2|9
1.3.6.1.2.1.47.1.1.1.1.9.1001|4x|31322e3228353529534533
1.3.6.1.2.1.47.1.1.1.1.10.1001|4x|31322e3228353529534533
1.3.6.1.2.1.47.1.1.1.1.11.1001|4|FOC1408Z61U
1.3.6.1.2.1.47.1.1.1.1.11.1002|4|
1.3.6.1.2.1.47.1.1.1.1.12.1001|4|
1.3.6.1.2.1.47.1.1.1.1.13.1001|4x|57532d4333353630472d343854532d45
1.3.6.1.2.1.47.1.1.1.1.13.1002|4|
"""

# network/appliance/cisco-controller: no entPhysicalClass column at all; two top-level entities,
# the controller (1) and a joined access point (184) with its radio (185).
CISCO_WLC = """
1.3.6.1.2.1.47.1.1.1.1.4.1|2|0
1.3.6.1.2.1.47.1.1.1.1.4.184|2|0
1.3.6.1.2.1.47.1.1.1.1.4.185|2|184
1.3.6.1.2.1.47.1.1.1.1.10.1|4x|372e362e3133302e30
1.3.6.1.2.1.47.1.1.1.1.10.184|4x|372e362e3133302e30
1.3.6.1.2.1.47.1.1.1.1.11.1|4|FCW1430L0CZ
1.3.6.1.2.1.47.1.1.1.1.11.184|4|FCW1430S08M
1.3.6.1.2.1.47.1.1.1.1.11.185|4|FOC14291QBL
1.3.6.1.2.1.47.1.1.1.1.13.1|4x|4149522d4354353530382d4b39
1.3.6.1.2.1.47.1.1.1.1.13.184|4x|4149522d4c4150313134324e2d432d4b39
"""


def test_the_chassis_entity_names_the_device():
    assert parse_entity(rows(PROCURVE)) == {"serial": "3C421900TX", "model": "516733-B21",
                                            "manufacturer": "Hewlett-Packard", "firmware": "Z.14.31"}


def test_the_chassis_need_not_be_the_first_index_and_empty_columns_are_left_out():
    assert parse_entity(rows(C3560)) == {"serial": "FOC1408Z61U", "model": "WS-C3560G-48TS-E",
                                         "firmware": "12.2(55)SE3"}


def test_without_entity_classes_the_lowest_top_level_entity_is_the_device():
    assert parse_entity(rows(CISCO_WLC)) == {"serial": "FCW1430L0CZ", "model": "AIR-CT5508-K9", "firmware": "7.6.130.0"}


def test_with_neither_class_nor_containment_the_first_serial_wins():
    only_serials = rows("1.3.6.1.2.1.47.1.1.1.1.11.5|4|\n1.3.6.1.2.1.47.1.1.1.1.11.7|4|SN7\n"
                        "1.3.6.1.2.1.47.1.1.1.1.11.9|4|SN9")
    assert parse_entity(only_serials) == {"serial": "SN7"}


def test_firmware_revision_when_no_software_revision_and_junk_serials_dropped():
    chassis = rows("1.3.6.1.2.1.47.1.1.1.1.5.1|2|3\n1.3.6.1.2.1.47.1.1.1.1.9.1|4|2.0.10\n"
                   "1.3.6.1.2.1.47.1.1.1.1.11.1|4|To be filled by O.E.M.")
    assert parse_entity(chassis) == {"firmware": "2.0.10"}


def test_no_entity_table():
    assert parse_entity([]) == {}
