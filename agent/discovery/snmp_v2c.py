"""A minimal SNMPv2c GETBULK walker: BER encoded and decoded here, values left raw.

pysnmp decodes every response through pyasn1 at ~70 us per OID, which caps a walk near
14k OIDs/s. Community-based SNMPv2c needs no security processing, so its walks take this
fast path (RFC 3416 PDUs, X.690 BER); SNMPv3 keeps pysnmp for USM. Values are returned as
(tag, bytes) and converted only for the columns a caller keeps.
"""

from __future__ import annotations

import asyncio
import itertools
import random

__all__ = ["END_OF_MIB_VIEW", "V2cError", "decode_oid", "decode_value", "encode_oid", "walk_v2c"]

INTEGER, OCTET_STRING, NULL, OID, SEQUENCE = 0x02, 0x04, 0x05, 0x06, 0x30
GET_BULK, RESPONSE = 0xA5, 0xA2
NO_SUCH_OBJECT, NO_SUCH_INSTANCE, END_OF_MIB_VIEW = 0x80, 0x81, 0x82
_ids = itertools.count(random.randrange(1, 2**30))


class V2cError(RuntimeError):
    pass


_NUMERIC = {INTEGER, 0x41, 0x42, 0x43, 0x46}  # INTEGER, Counter32, Gauge32, TimeTicks, Counter64


def decode_value(tag: int, value: bytes):
    """A varbind value as plain Python: int, bytes (OCTET STRING), str (OID, IpAddress), or None."""
    if tag in _NUMERIC:
        return int.from_bytes(value, "big", signed=tag == INTEGER)
    if tag == OCTET_STRING or tag == 0x44:  # Opaque travels as bytes too
        return value
    if tag == OID:
        return decode_oid(value)
    if tag == 0x40 and len(value) == 4:  # IpAddress
        return ".".join(str(b) for b in value)
    return None


def _length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def _tlv(tag: int, value: bytes) -> bytes:
    return bytes([tag]) + _length(len(value)) + value


def _integer(n: int) -> bytes:
    return _tlv(INTEGER, n.to_bytes(max(1, (n.bit_length() + 8) // 8), "big", signed=True))


def encode_oid(oid: str) -> bytes:
    """X.690 8.19: the first two arcs share one subidentifier; each is base-128, high bit = more."""
    arcs = [int(part) for part in oid.strip(".").split(".")]
    if len(arcs) < 2 or arcs[0] > 2 or (arcs[0] < 2 and arcs[1] > 39):
        raise ValueError(f"not an OID: {oid!r}")
    body = bytearray()
    for arc in [40 * arcs[0] + arcs[1], *arcs[2:]]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        body.extend(reversed(chunk))
    return _tlv(OID, bytes(body))


def decode_oid(data: bytes) -> str:
    subidentifiers, value = [], 0
    for byte in data:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            subidentifiers.append(value)
            value = 0
    if not subidentifiers or data[-1] & 0x80:
        raise V2cError("malformed OID")
    first = subidentifiers[0]
    head = (first // 40, first % 40) if first < 80 else (2, first - 80)
    return ".".join(map(str, (*head, *subidentifiers[1:])))


def _read(data: bytes, at: int) -> tuple[int, int, int]:
    """(tag, start of value, end of value) of the TLV at ``at``; V2cError if it overruns."""
    if at + 2 > len(data):
        raise V2cError("truncated BER")
    tag, length = data[at], data[at + 1]
    at += 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or at + count > len(data):
            raise V2cError("bad BER length")
        length = int.from_bytes(data[at:at + count], "big")
        at += count
    if at + length > len(data):
        raise V2cError("BER value overruns the message")
    return tag, at, at + length


def _request(community: bytes, request_id: int, max_repetitions: int, oid: str) -> bytes:
    varbind = _tlv(SEQUENCE, encode_oid(oid) + _tlv(NULL, b""))
    pdu = _tlv(GET_BULK, _integer(request_id) + _integer(0) + _integer(max_repetitions) + _tlv(SEQUENCE, varbind))
    return _tlv(SEQUENCE, _integer(1) + _tlv(OCTET_STRING, community) + pdu)


def _response(data: bytes) -> tuple[int, int, list[tuple[str, int, bytes]]]:
    """(request id, error status, [(oid, value tag, value bytes)]) of a Response-PDU."""
    tag, start, _end = _read(data, 0)
    if tag != SEQUENCE:
        raise V2cError("not an SNMP message")
    _, _, at = _read(data, start)  # version
    _, _, at = _read(data, at)  # community
    tag, at, _ = _read(data, at)
    if tag != RESPONSE:
        raise V2cError(f"unexpected PDU type 0x{tag:02x}")
    fields = []
    for _ in range(3):
        _, value_start, value_end = _read(data, at)
        fields.append(int.from_bytes(data[value_start:value_end], "big", signed=True))
        at = value_end
    _, at, end = _read(data, at)
    varbinds = []
    while at < end:
        _, inner, at = _read(data, at)
        _, oid_start, oid_end = _read(data, inner)
        value_tag, value_start, value_end = _read(data, oid_end)
        varbinds.append((decode_oid(data[oid_start:oid_end]), value_tag, data[value_start:value_end]))
    return fields[0], fields[1], varbinds


class _Client(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.waiting: dict[int, asyncio.Future] = {}

    def datagram_received(self, data, addr) -> None:
        try:
            request_id, status, varbinds = _response(data)
        except V2cError:
            return  # malformed datagrams are dropped; the request times out or gets a good answer
        future = self.waiting.pop(request_id, None)
        if future is not None and not future.done():
            future.set_result((status, varbinds))


async def walk_v2c(host: str, port: int, community: str, root: str, max_repetitions: int = 50,
                   timeout_s: float = 1.0, retries: int = 1, max_oids: int = 200_000) -> list[tuple[str, int, bytes]]:
    """Every (OID, value tag, value bytes) under ``root`` by GETBULK; V2cError on timeout or agent error."""
    loop = asyncio.get_running_loop()
    transport, client = await loop.create_datagram_endpoint(_Client, remote_addr=(host, port))
    prefix, cursor, rows = root.strip(".") + ".", root.strip("."), []
    try:
        while len(rows) < max_oids:
            status, varbinds = await _exchange(transport, client, community.encode(), cursor, max_repetitions,
                                               timeout_s, retries)
            if status:
                raise V2cError(f"{host}: agent error status {status} walking {root}")
            if not varbinds:
                return rows
            for oid, tag, value in varbinds:
                if not oid.startswith(prefix) or tag == END_OF_MIB_VIEW:
                    return rows
                rows.append((oid, tag, value))
            if oid == cursor:
                raise V2cError(f"{host}: non-increasing OID {oid}")
            cursor = oid
        return rows
    finally:
        transport.close()


async def _exchange(transport, client, community, cursor, max_repetitions, timeout_s, retries):
    for _attempt in range(retries + 1):
        request_id = next(_ids) & 0x7FFFFFFF
        future = asyncio.get_running_loop().create_future()
        client.waiting[request_id] = future
        transport.sendto(_request(community, request_id, max_repetitions, cursor))
        try:
            return await asyncio.wait_for(future, timeout_s)
        except asyncio.TimeoutError:
            client.waiting.pop(request_id, None)
    raise V2cError(f"no response after {retries + 1} tries (timeout: wrong community, or no SNMP agent)")
