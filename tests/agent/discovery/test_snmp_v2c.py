"""The BER codec of the SNMPv2c fast path (X.690), on hand-checked encodings."""

import pytest

from agent.discovery.snmp_v2c import V2cError, _request, _response, decode_oid, decode_value, encode_oid


@pytest.mark.parametrize("oid, encoded", [
    ("1.3.6.1.2.1.1.1.0", "06082b06010201010100"),
    ("1.3.6.1.4.1.11.2.3.9.1", "060a2b060104010b02030901"),
    ("1.3.6.1.4.1.41112.1.6", "060a2b0601040182c1180106"),  # a multi-byte arc (41112)
    ("2.999.3", "0603883703"),  # X.690 8.19.4 example: first subidentifier 1079 spans two bytes
])
def test_oid_encoding_round_trips(oid, encoded):
    assert encode_oid(oid).hex() == encoded
    assert decode_oid(bytes.fromhex(encoded)[2:]) == oid


def test_request_encodes_a_getbulk_pdu():
    assert _request(b"public", 1, 50, "1.3.6.1.2.1").hex() == (
        "3023" "020101" "04067075626c6963"  # message: version 1 (v2c), community
        "a516" "020101" "020100" "020132"  # GetBulk: request-id 1, non-repeaters 0, max-repetitions 50
        "300b" "3009" "06052b06010201" "0500"  # one varbind: the OID and NULL
    )


def test_response_with_all_value_kinds_decodes():
    def tlv(tag, value):
        return bytes([tag, len(value)]) + value

    binds = b"".join(tlv(0x30, encode_oid(oid) + tlv(tag, value)) for oid, tag, value in [
        ("1.3.6.1.2.1.1.1.0", 0x04, b"HP JetDirect"),
        ("1.3.6.1.2.1.1.7.0", 0x02, b"\x48"),
        ("1.3.6.1.2.1.1.3.0", 0x43, b"\x01\x00"),
        ("1.3.6.1.2.1.4.20.1.1.198.18.0.5", 0x40, bytes([198, 18, 0, 5])),
        ("1.3.6.1.2.1.99.0", 0x82, b""),
    ])
    pdu = tlv(0xA2, tlv(0x02, b"\x07") + tlv(0x02, b"\x00") + tlv(0x02, b"\x00") + tlv(0x30, binds))
    message = tlv(0x30, tlv(0x02, b"\x01") + tlv(0x04, b"public") + pdu)
    request_id, status, varbinds = _response(message)
    assert (request_id, status) == (7, 0)
    values = [decode_value(tag, value) for _, tag, value in varbinds]
    assert values == [b"HP JetDirect", 72, 256, "198.18.0.5", None]


@pytest.mark.parametrize("data", [b"", b"\x30", b"\x30\x05\x02\x01", b"\x30\x84\xff\xff\xff\xff", b"\x04\x00",
                                  b"\x30\x03\x02\x01\x01\xa0\x00"])
def test_malformed_messages_raise(data):
    with pytest.raises(V2cError):
        _response(data)
