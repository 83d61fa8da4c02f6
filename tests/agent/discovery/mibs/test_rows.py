"""Reading walked rows: text cleaning within the schema's bounds, MACs, addresses, tables."""

from agent.discovery.mibs.rows import column, inet_address, mac, table, text, unicast_mac


def test_text_is_decoded_nul_free_and_bounded():
    assert text(b"  HP\x00 LaserJet\x00 ") == "HP LaserJet"
    assert text(b"\xffname") == "\ufffdname"
    assert len(text(b"x" * 300)) == 255
    assert text(b"") is None and text(b"\x00\x00") is None and text(7) is None and text(None) is None


def test_macs_from_octets_and_index_arcs():
    assert mac(bytes.fromhex("e8046278f241")) == "e8:04:62:78:f2:41"
    assert mac((0, 80, 86, 191, 238, 73)) == "00:50:56:bf:ee:49"
    assert mac(b"\x00" * 6) is None and mac(b"\xff" * 6) is None and mac(b"\x01\x02") is None
    assert mac((1, 2, 3, 4, 5, 300)) is None
    assert unicast_mac(bytes.fromhex("01005e000001")) is None  # an IPv4 multicast group
    assert unicast_mac(bytes.fromhex("3c2af4bff51b")) == "3c:2a:f4:bf:f5:1b"


def test_inet_addresses():
    assert inet_address(1, (10, 40, 1, 19)) == "10.40.1.19"
    link_local = (254, 128, 0, 0, 0, 0, 0, 0, 2, 15, 226, 255, 254, 106, 30, 68)
    assert inet_address(2, link_local) == "fe80::20f:e2ff:fe6a:1e44"
    assert inet_address(1, (10, 40, 1)) is None and inet_address(16, (1, 2, 3, 4)) is None
    assert inet_address(1, (10, 400, 1, 1)) is None


def test_columns_and_tables_by_index():
    walked = [("1.3.6.1.2.1.2.2.1.2.1", b"eth0"), ("1.3.6.1.2.1.2.2.1.2.2", b"lo"), ("1.3.6.1.2.1.2.2.1.5.1", 1000)]
    assert column(walked, "1.3.6.1.2.1.2.2.1.2") == {"1": b"eth0", "2": b"lo"}
    assert table(walked, "1.3.6.1.2.1.2.2.1") == {"1": {2: b"eth0", 5: 1000}, "2": {2: b"lo"}}
    assert column(walked, "1.3.6.1.2.1.2.2.1.2.1") == {}  # a prefix is not a column
