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


# GetRequest (the discovery sweep's one request per address), checked against hand-made
# bytes and against pysnmp's own BER codec (pyasn1), which shares no code with ours.

def test_get_request_encodes_a_getrequest_pdu():
    from agent.discovery.snmp_v2c import encode_get

    assert encode_get(b"public", 1, ["1.3.6.1.2.1.1.1.0"]).hex() == (
        "3026" "020101" "04067075626c6963"  # message: version 1 (v2c), community
        "a019" "020101" "020100" "020100"  # GetRequest: request-id 1, error-status 0, error-index 0
        "300e" "300c" "06082b06010201010100" "0500"  # one varbind: sysDescr.0 and NULL
    )


def test_get_request_for_the_system_group_decodes_with_pysnmp():
    from pyasn1.codec.ber import decoder
    from pysnmp.proto import api

    from agent.discovery.snmp import SYSTEM_OIDS
    from agent.discovery.snmp_v2c import encode_get

    message, rest = decoder.decode(encode_get(b"lab-ro", 2**31 - 1, list(SYSTEM_OIDS.values())),
                                   asn1Spec=api.v2c.Message())
    pdu = api.v2c.apiMessage.get_pdu(message)
    assert rest == b"" and type(pdu).__name__ == "GetRequestPDU"
    assert (str(api.v2c.apiMessage.get_community(message)), api.v2c.apiPDU.get_request_id(pdu)) == ("lab-ro", 2**31 - 1)
    assert [str(oid) for oid, _ in api.v2c.apiPDU.get_varbinds(pdu)] == list(SYSTEM_OIDS.values())


# A Response-PDU encoded by pysnmp (pyasn1): sysName, sysServices, sysObjectID, and a
# noSuchObject exception for sysLocation, community "lab-ro", request id 77.
PYSNMP_RESPONSE = bytes.fromhex(
    "305e02010104066c61622d726fa25102014d0201000201003046300f06082b0601020101050004036c6162300d06082b06010201010700"
    "020148301606082b06010201010200060a2b06010401bf0803020a300c06082b060102010106008000")


def test_a_response_encoded_by_pysnmp_parses():
    from agent.discovery.snmp_v2c import NO_SUCH_OBJECT, parse_response

    response = parse_response(PYSNMP_RESPONSE)
    assert (response.community, response.request_id, response.error_status, response.error_index) == (b"lab-ro", 77, 0, 0)
    assert [(oid, decode_value(tag, value)) for oid, tag, value in response.varbinds] == [
        ("1.3.6.1.2.1.1.5.0", b"lab"), ("1.3.6.1.2.1.1.7.0", 72), ("1.3.6.1.2.1.1.2.0", "1.3.6.1.4.1.8072.3.2.10"),
        ("1.3.6.1.2.1.1.6.0", None)]
    assert response.varbinds[3][1] == NO_SUCH_OBJECT


def test_the_sweep_turns_a_response_into_system_info():
    from agent.discovery.snmp_sweep import _system_info
    from agent.discovery.snmp_v2c import parse_response

    info = _system_info("198.18.0.10", "lab", parse_response(PYSNMP_RESPONSE).varbinds)
    assert info == ("198.18.0.10", "lab", None, "1.3.6.1.4.1.8072.3.2.10", "lab", None, None, 72)
    with pytest.raises(V2cError, match="not asked for"):
        _system_info("198.18.0.10", "lab", [("1.3.6.1.2.1.2.1.0", 0x02, b"\x01")])


@pytest.mark.parametrize("change, message", [
    (lambda m: m.replace(bytes.fromhex("020101"), bytes.fromhex("020100"), 1), "not SNMPv2c"),  # an SNMPv1 message
    (lambda m: m.replace(bytes.fromhex("a251"), bytes.fromhex("a051"), 1), "unexpected PDU type 0xa0"),  # a GetRequest
    (lambda m: m.replace(bytes.fromhex("02014d"), bytes.fromhex("04014d"), 1), "INTEGER"),  # request id not an INTEGER
    (lambda m: m.replace(bytes.fromhex("06082b0601020101050004"), bytes.fromhex("04082b0601020101050004"), 1),
     "without an OID"),
    (lambda m: m[:-5], "overruns"),
])
def test_responses_that_are_not_well_formed_v2c_responses_raise(change, message):
    from agent.discovery.snmp_v2c import parse_response

    with pytest.raises(V2cError, match=message):
        parse_response(change(PYSNMP_RESPONSE))


def test_no_truncation_or_corruption_raises_anything_but_v2cerror():
    """The sweep's receive path must never see another exception: asyncio would close the socket."""
    import random

    from agent.discovery.snmp_v2c import parse_response

    def survives(data):
        try:
            parse_response(data)
        except V2cError:
            pass

    for end in range(len(PYSNMP_RESPONSE)):
        survives(PYSNMP_RESPONSE[:end])
    generator = random.Random(4)
    for _ in range(3000):
        data = bytearray(PYSNMP_RESPONSE)
        for _ in range(generator.randint(1, 4)):
            data[generator.randrange(len(data))] = generator.randrange(256)
        survives(bytes(data))
