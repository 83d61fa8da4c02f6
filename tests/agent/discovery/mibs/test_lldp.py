"""LLDP neighbours with local port names, on rows recorded from real switches (snmpsim-data)."""

from agent.discovery.mibs.lldp import parse_neighbours
from tests.agent.discovery.mibs.snmprec import rows

# cloud/arista-dcs-7150s-52-cl: local port 47 is called by its interface name; the neighbour is
# another Arista with a MAC chassis id and a management address.
ARISTA = """
1.0.8802.1.1.2.1.3.7.1.2.47|2|5
1.0.8802.1.1.2.1.3.7.1.3.47|4|Ethernet47
1.0.8802.1.1.2.1.3.7.1.4.47|4|
1.0.8802.1.1.2.1.4.1.1.4.0.47.2|2|4
1.0.8802.1.1.2.1.4.1.1.5.0.47.2|4x|444ca8313edf
1.0.8802.1.1.2.1.4.1.1.6.0.47.2|2|5
1.0.8802.1.1.2.1.4.1.1.7.0.47.2|4|Ethernet23
1.0.8802.1.1.2.1.4.1.1.8.0.47.2|4|
1.0.8802.1.1.2.1.4.1.1.9.0.47.2|4x|5a4a2d42502d42616b2d417269737461
1.0.8802.1.1.2.1.4.2.1.3.0.47.2.1.4.172.16.229.22|2|2
"""

# network/switch/hpe-procurve-516733-b21: a server NIC on port 8 (MAC port id, no name) and a Nexus
# on port 17 seen twice, once with a locally assigned chassis id "name(serial)".
PROCURVE = """
1.0.8802.1.1.2.1.3.7.1.2.8|2|7
1.0.8802.1.1.2.1.3.7.1.2.17|2|7
1.0.8802.1.1.2.1.3.7.1.3.8|4|8
1.0.8802.1.1.2.1.3.7.1.3.17|4|17
1.0.8802.1.1.2.1.3.7.1.4.8|4|8
1.0.8802.1.1.2.1.3.7.1.4.17|4|17
1.0.8802.1.1.2.1.4.1.1.4.0.8.1|2|4
1.0.8802.1.1.2.1.4.1.1.4.0.17.1|2|4
1.0.8802.1.1.2.1.4.1.1.4.0.17.2|2|7
1.0.8802.1.1.2.1.4.1.1.5.0.8.1|4x|e839351aca99
1.0.8802.1.1.2.1.4.1.1.5.0.17.1|4x|8c604f19163a
1.0.8802.1.1.2.1.4.1.1.5.0.17.2|4x|4e5750552d43412d353534382d3031285353493138333730364b5029
1.0.8802.1.1.2.1.4.1.1.6.0.8.1|2|3
1.0.8802.1.1.2.1.4.1.1.6.0.17.1|2|7
1.0.8802.1.1.2.1.4.1.1.6.0.17.2|2|7
1.0.8802.1.1.2.1.4.1.1.7.0.8.1|4x|e839351aca99
1.0.8802.1.1.2.1.4.1.1.7.0.17.1|4x|457468312f3139
1.0.8802.1.1.2.1.4.1.1.7.0.17.2|4x|45746865726e6574312f3139
1.0.8802.1.1.2.1.4.1.1.8.0.8.1|4|
1.0.8802.1.1.2.1.4.1.1.8.0.17.1|4x|45746865726e6574312f3139
1.0.8802.1.1.2.1.4.1.1.8.0.17.2|4|
1.0.8802.1.1.2.1.4.1.1.9.0.8.1|4|
1.0.8802.1.1.2.1.4.1.1.9.0.17.1|4x|4e5750552d43412d353534382d3031
1.0.8802.1.1.2.1.4.1.1.9.0.17.2|4|
1.0.8802.1.1.2.1.4.2.1.3.0.17.1.1.4.10.40.1.19|2|2
1.0.8802.1.1.2.1.4.2.1.3.0.17.2.1.4.222.24.192.252|2|2
"""


def test_neighbour_on_a_named_port():
    assert parse_neighbours(rows(ARISTA), {47: "Ethernet47", 48: "Ethernet48"}) == [
        {"local_port": "Ethernet47", "remote_name": "ZJ-BP-Bak-Arista", "remote_port": "Ethernet23",
         "remote_mac": "44:4c:a8:31:3e:df", "remote_ip": "172.16.229.22"}]


def test_mac_port_ids_local_chassis_names_and_management_addresses():
    assert parse_neighbours(rows(PROCURVE), {8: "8", 17: "17"}) == [
        {"local_port": "8", "remote_port": "e8:39:35:1a:ca:99", "remote_mac": "e8:39:35:1a:ca:99"},
        {"local_port": "17", "remote_name": "NWPU-CA-5548-01", "remote_port": "Eth1/19",
         "remote_mac": "8c:60:4f:19:16:3a", "remote_ip": "10.40.1.19"},
        {"local_port": "17", "remote_name": "NWPU-CA-5548-01(SSI183706KP)", "remote_port": "Ethernet1/19",
         "remote_ip": "222.24.192.252"},
    ]


def test_local_port_names_fall_back_to_the_port_number_as_if_index_then_the_port_id():
    walked = rows(ARISTA)
    assert parse_neighbours(walked, {47: "Et47"})[0]["local_port"] == "Et47"
    assert parse_neighbours(walked, {})[0]["local_port"] == "Ethernet47"
