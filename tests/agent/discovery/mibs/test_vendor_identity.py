"""Makers' identity scalars: what is asked of which maker, placeholders refused, sources kept."""

from agent.discovery.mibs.vendor_identity import IDENTITY_OBJECTS, NET_SNMP, Found, identity_oids, parse_vendor_identity
from agent.discovery.poll import _merge_neighbours

APC_SERIAL = "1.3.6.1.4.1.318.1.1.1.1.2.3.0"
RPDU2_SERIAL = "1.3.6.1.4.1.318.1.1.26.2.1.9.1"


def test_only_the_makers_own_objects_are_asked():
    assert APC_SERIAL in identity_oids(318) and RPDU2_SERIAL in identity_oids(318)
    assert not any(oid.startswith("1.3.6.1.4.1.318.") for oid in identity_oids(2636))
    assert identity_oids(None) == [] and identity_oids(99999) == []
    # Linux appliances under net-snmp's ID: Synology, QNAP and UniFi's scalars in the one GET.
    assert {oid.split(".")[6] for oid in identity_oids(NET_SNMP)} == {"6574", "24681", "55062", "41112"}


def test_every_object_is_an_instance_or_a_column_with_a_cited_source():
    for idents in IDENTITY_OBJECTS.values():
        for ident in idents:
            assert ident.field in ("serial", "model", "firmware", "manufacturer")
            assert ident.oid.startswith(("1.3.6.1.4.1.", "1.2.840.10036.")) and "::" in ident.source
            assert ident.column or ident.oid.endswith((".0", ".1"))  # a scalar or a table's first row


def test_a_tables_first_row_comes_from_the_getnext_answer():
    # The manufacturer column's GETNEXT ran past its end (into the next column): no row, no value.
    answers = [("1.2.840.10036.3.1.2.1.3.5", b"NanoStation M5"), ("1.2.840.10036.3.1.2.1.4.5", b"XW.v5.6")]
    found = parse_vendor_identity(answers, 41112)
    assert found["model"] == Found("NanoStation M5", "IEEE802dot11-MIB::dot11manufacturerProductName")
    assert found["firmware"].value == "XW.v5.6" and "manufacturer" not in found
    assert identity_oids(41112, column=True) == ["1.2.840.10036.3.1.2.1.2", "1.2.840.10036.3.1.2.1.3",
                                                 "1.2.840.10036.3.1.2.1.4"]


def test_first_usable_value_wins_and_placeholders_are_refused():
    rows = [(APC_SERIAL, b"<private>"), (RPDU2_SERIAL, b"5A1234E56789"),
            ("1.3.6.1.4.1.318.1.1.1.1.1.1.0", b"Unknown"), ("1.3.6.1.4.1.318.1.1.26.2.1.8.1", b"AP8941"),
            ("1.3.6.1.4.1.318.1.1.1.1.2.1.0", None)]
    assert parse_vendor_identity(rows, 318) == {
        "serial": Found("5A1234E56789", "PowerNet-MIB::rPDU2IdentSerialNumber"),
        "model": Found("AP8941", "PowerNet-MIB::rPDU2IdentModelNumber")}
    assert parse_vendor_identity([(APC_SERIAL, b"XXXXXXXX")], 318) == {}
    assert parse_vendor_identity(rows, 9) == {}


def test_a_neighbour_heard_over_lldp_and_cdp_is_one_record():
    lldp = [{"local_port": "Gi1/0/49", "remote_name": "core-sw1", "remote_port": "Te1/1/1"}]
    cdp = [{"local_port": "Gi1/0/49", "remote_name": "core-sw1", "remote_port": "TenGigabitEthernet1/1/1",
            "remote_ip": "192.168.0.1", "remote_platform": "cisco C9500-24Y4C"},
           {"local_port": "Gi1/0/2", "remote_name": "SEP001122334455"}]
    assert _merge_neighbours(lldp, [], cdp) == [
        {"local_port": "Gi1/0/49", "remote_name": "core-sw1", "remote_port": "Te1/1/1", "remote_ip": "192.168.0.1",
         "remote_platform": "cisco C9500-24Y4C"},
        {"local_port": "Gi1/0/2", "remote_name": "SEP001122334455"}]
