"""A minimal SNMPv2c client: GET and GETBULK walks, BER encoded and decoded here, values left raw.

pysnmp decodes every response through pyasn1 at ~70 us per OID, which caps a walk near
14k OIDs/s. Community-based SNMPv2c needs no security processing, so its walks take this
fast path (RFC 3416 PDUs, X.690 BER); SNMPv3 keeps pysnmp for USM. Values are returned as
(tag, bytes) and converted only for the columns a caller keeps. The discovery sweep
(snmp_sweep.py) sends one GetRequest for the whole system group to every address.
"""

from __future__ import annotations

import asyncio
import itertools
import random
from typing import NamedTuple

__all__ = ["END_OF_MIB_VIEW", "ERROR_STATUS", "FIRST_REPETITIONS", "Response", "V2cError", "decode_oid",
           "decode_value", "encode_get", "encode_oid", "get_v2c", "parse_response", "walk_v2c"]

INTEGER, OCTET_STRING, NULL, OID, SEQUENCE = 0x02, 0x04, 0x05, 0x06, 0x30
GET, GET_NEXT, GET_BULK, RESPONSE = 0xA0, 0xA1, 0xA5, 0xA2
NO_SUCH_OBJECT, NO_SUCH_INSTANCE, END_OF_MIB_VIEW = 0x80, 0x81, 0x82
_ids = itertools.count(random.randrange(1, 2**30))
# A walk's first GETBULK asks this many successors, each later one twice more up to
# max-repetitions: a 2-row table then costs 8 OIDs, not 50, and a long one two round trips
# more. An agent answering a GETBULK computes every successor asked for, past the end of the
# subtree too; simulated (snmpsim) it spends ~0.25 ms per OID against ~0.8 ms per request.
FIRST_REPETITIONS = 8


# RFC 3416 section 3: error-status values, named as agents and tools name them.
ERROR_STATUS = ("noError", "tooBig", "noSuchName", "badValue", "readOnly", "genErr", "noAccess", "wrongType",
                "wrongLength", "wrongEncoding", "wrongValue", "noCreation", "inconsistentValue",
                "resourceUnavailable", "commitFailed", "undoFailed", "authorizationError", "notWritable",
                "inconsistentName")


class V2cError(RuntimeError):
    pass


class Response(NamedTuple):
    """A decoded Response-PDU: varbinds are (OID, value tag, value bytes)."""

    community: bytes
    request_id: int
    error_status: int
    error_index: int
    varbinds: list[tuple[str, int, bytes]]


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


# RFC 2578 7.1.3: an OID has at most 128 sub-identifiers, each at most 2^32-1 (the first
# encoded one, 40 * X + Y, up to 80 more). Unbounded, one 60 KiB arc cost 0.36 s of shifting
# and then failed str() with ValueError (Python's 4300-digit limit), not V2cError (issue 16).
_MAX_ARCS, _MAX_ARC = 128, 2**32 - 1


def decode_oid(data: bytes) -> str:
    """The dotted OID of an OBJECT IDENTIFIER's content octets; V2cError if malformed or beyond RFC 2578's bounds."""
    if data and max(data) < 0x80:  # every arc below 128, as in most OIDs a walk returns: no base-128 work
        if len(data) >= _MAX_ARCS:  # one arc per byte, two in the first
            raise V2cError("malformed OID: more than 128 arcs")
        first = data[0]
        head = (first // 40, first % 40) if first < 80 else (2, first - 80)
        return ".".join(map(str, (*head, *data[1:])))
    subidentifiers, value = [], 0
    for byte in data:
        value = (value << 7) | (byte & 0x7F)
        if value > _MAX_ARC + 80:
            raise V2cError("malformed OID: an arc above 2^32-1")
        if not byte & 0x80:
            subidentifiers.append(value)
            value = 0
    if not subidentifiers or data[-1] & 0x80:
        raise V2cError("malformed OID")
    if max(subidentifiers[1:], default=0) > _MAX_ARC:
        raise V2cError("malformed OID: an arc above 2^32-1")
    if len(subidentifiers) >= _MAX_ARCS:
        raise V2cError("malformed OID: more than 128 arcs")
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


def _message(community: bytes, pdu_tag: int, request_id: int, second: int, third: int, oids: list[str]) -> bytes:
    """An SNMPv2c message (RFC 3416): version 1, community, then the PDU with NULL-valued varbinds."""
    varbinds = b"".join(_tlv(SEQUENCE, encode_oid(oid) + b"\x05\x00") for oid in oids)
    pdu = _tlv(pdu_tag, _integer(request_id) + _integer(second) + _integer(third) + _tlv(SEQUENCE, varbinds))
    return _tlv(SEQUENCE, _integer(1) + _tlv(OCTET_STRING, community) + pdu)


def _request(community: bytes, request_id: int, max_repetitions: int, oid: str) -> bytes:
    """A GetBulkRequest: non-repeaters 0, then ``max_repetitions`` successors of ``oid``."""
    return _message(community, GET_BULK, request_id, 0, max_repetitions, [oid])


def encode_get(community: bytes, request_id: int, oids: list[str]) -> bytes:
    """A GetRequest for every OID of ``oids`` in one message (error-status and error-index 0)."""
    return _message(community, GET, request_id, 0, 0, oids)


def _int_field(data: bytes, at: int) -> tuple[int, int]:
    tag, start, end = _read(data, at)
    if tag != INTEGER or not 0 < end - start <= 5:
        raise V2cError("expected a 32-bit INTEGER")
    return int.from_bytes(data[start:end], "big", signed=True), end


def parse_response(data: bytes) -> Response:
    """A Response-PDU of an SNMPv2c message; V2cError for anything else or any malformed part."""
    tag, at, end = _read(data, 0)
    if tag != SEQUENCE:
        raise V2cError("not an SNMP message")
    version, at = _int_field(data, at)
    if version != 1:
        raise V2cError(f"not SNMPv2c (version field {version})")
    tag, start, at = _read(data, at)
    if tag != OCTET_STRING:
        raise V2cError("no community string")
    community = data[start:at]
    tag, at, pdu_end = _read(data, at)
    if tag != RESPONSE:
        raise V2cError(f"unexpected PDU type 0x{tag:02x}")
    request_id, at = _int_field(data, at)
    error_status, at = _int_field(data, at)
    error_index, at = _int_field(data, at)
    tag, at, list_end = _read(data, at)
    if tag != SEQUENCE or list_end > pdu_end or pdu_end > end:
        raise V2cError("bad varbind list")
    varbinds = []
    while at < list_end:
        tag, inner, at = _read(data, at)
        if tag != SEQUENCE or at > list_end:
            raise V2cError("bad varbind")
        tag, oid_start, oid_end = _read(data, inner)
        if tag != OID:
            raise V2cError("varbind without an OID")
        value_tag, value_start, value_end = _read(data, oid_end)
        varbinds.append((decode_oid(data[oid_start:oid_end]), value_tag, data[value_start:value_end]))
    return Response(community, request_id, error_status, error_index, varbinds)


def _response(data: bytes) -> tuple[int, int, list[tuple[str, int, bytes]]]:
    """(request id, error status, [(oid, value tag, value bytes)]) of a Response-PDU."""
    response = parse_response(data)
    return response.request_id, response.error_status, response.varbinds


class _Client(asyncio.DatagramProtocol):
    """The walk's connected socket: answers matched to waiting requests by request id."""

    def __init__(self) -> None:
        self.waiting: dict[int, asyncio.Future] = {}
        self.expired: set[int] = set()  # ids of timed-out tries: their late answers are not suspicious
        self.problem: str | None = None  # the last unusable datagram, named if the walk then times out

    def datagram_received(self, data, addr) -> None:
        try:
            request_id, status, varbinds = _response(data)
        except V2cError as exc:
            self.problem = f"malformed reply ({exc})"
            return
        future = self.waiting.pop(request_id, None)
        if future is None:
            if request_id not in self.expired:
                self.problem = f"reply with a request id we never sent ({request_id})"
            return
        if not future.done():
            future.set_result((status, varbinds))

    def error_received(self, exc: OSError) -> None:
        # ICMP port unreachable on a connected socket (RFC 1122 3.2.2.1): nothing listens on the
        # agent's port any more, so waiting for a timeout would only delay the same answer.
        error = V2cError(f"port unreachable ({exc.strerror or exc}): no SNMP agent listening")
        self.problem = str(error)
        for future in self.waiting.values():
            if not future.done():
                future.set_exception(error)
        self.waiting.clear()


def _arcs(oid: str) -> tuple[int, ...]:
    return tuple(map(int, oid.split(".")))


async def walk_v2c(host: str, port: int, community: str, root: str, max_repetitions: int = 50,
                   timeout_s: float = 1.0, retries: int = 1, max_oids: int = 200_000,
                   deadline_s: float = 60.0, ramp: bool = True) -> list[tuple[str, int, bytes]]:
    """Every (OID, value tag, value bytes) under ``root`` by GETBULK; V2cError on timeout or agent error.

    ``ramp``: start small (FIRST_REPETITIONS) when the subtree's size is unknown; a caller
    that knows it (``max_oids`` rows) asks for them at once.

    The whole walk is bounded by ``deadline_s`` and ``max_oids``; an agent whose answers do
    not move forward (each response must start after the last OID and end after its first)
    is an error, not an endless loop.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + deadline_s
    transport, client = await loop.create_datagram_endpoint(_Client, remote_addr=(host, port))
    prefix, cursor, rows, secret = root.strip(".") + ".", root.strip("."), [], community.encode()
    ramp = FIRST_REPETITIONS if ramp else max_repetitions
    try:
        while len(rows) < max_oids:
            # Never ask for more than is still wanted: an agent computes every successor asked
            # for, past the end of the subtree too. Most device tables are short, so the first
            # request is small and later ones grow (see FIRST_REPETITIONS).
            wanted, ramp = min(max_repetitions, max_oids - len(rows), ramp), ramp * 2
            status, varbinds = await _exchange(transport, client, cursor,
                                               lambda request_id: _request(secret, request_id, wanted, cursor),
                                               timeout_s, retries, deadline)
            if status:
                raise V2cError(f"{host}: agent error {_status_name(status)} walking {root}")
            if not varbinds:
                return rows
            previous, last = _arcs(cursor), len(varbinds) - 1
            for index, (oid, tag, value) in enumerate(varbinds):
                if not oid.startswith(prefix) or tag == END_OF_MIB_VIEW:
                    return rows
                if index == 0 or index == last:
                    previous = _advance(host, previous, oid)
                rows.append((oid, tag, value))
            cursor = oid
        return rows
    finally:
        transport.close()


def _advance(host: str, previous: tuple[int, ...], oid: str) -> tuple[int, ...]:
    """RFC 3416 4.2.3: a GETBULK answer lists successors, so OIDs must increase. Checked on the
    first and last OID of each answer, which guarantees progress: converting every OID would
    cost the walk a third of its speed."""
    arcs = _arcs(oid)
    if arcs <= previous:
        raise V2cError(f"{host}: non-increasing OID {oid} after {'.'.join(map(str, previous))}")
    return arcs


def _status_name(status: int) -> str:
    return ERROR_STATUS[status] if 0 <= status < len(ERROR_STATUS) else f"status {status}"


async def get_v2c(host: str, port: int, community: str, oids: list[str], timeout_s: float = 1.0,
                  retries: int = 1, next_: bool = False) -> list[tuple[str, int, bytes]]:
    """(OID, value tag, value bytes) for each of ``oids`` by one GetRequest (``next_``: one
    GetNextRequest, each OID's successor); a missing instance comes back with a
    noSuchObject/noSuchInstance/endOfMibView tag, not as an error."""
    loop = asyncio.get_running_loop()
    pdu, secret = GET_NEXT if next_ else GET, community.encode()
    transport, client = await loop.create_datagram_endpoint(_Client, remote_addr=(host, port))
    try:
        status, varbinds = await _exchange(transport, client, oids[0],
                                           lambda request_id: _message(secret, pdu, request_id, 0, 0, oids),
                                           timeout_s, retries, loop.time() + (timeout_s * (retries + 1)))
    finally:
        transport.close()
    if status:
        raise V2cError(f"{host}: agent error {_status_name(status)} getting {oids[0]}")
    if len(varbinds) != len(oids):
        raise V2cError(f"{host}: {len(varbinds)} values answered {len(oids)} asked")
    for asked, (oid, tag, _value) in zip(oids, varbinds):
        # A successor must follow what was asked; endOfMibView comes back under the asked name.
        if (_arcs(oid) <= _arcs(asked.strip(".")) and tag != END_OF_MIB_VIEW) if next_ else oid != asked.strip("."):
            raise V2cError(f"{host}: answer names {oid} for {asked}")
    return varbinds


async def _exchange(transport, client, cursor, encode, timeout_s, retries, deadline):
    """One request (``encode(request_id)``) and its answer, with retries; ``cursor`` names it in errors."""
    loop = asyncio.get_running_loop()
    for _attempt in range(retries + 1):
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise V2cError(f"walk deadline reached at {cursor}")
        request_id = next(_ids) & 0x7FFFFFFF
        future = loop.create_future()
        client.waiting[request_id] = future
        transport.sendto(encode(request_id))
        try:
            return await asyncio.wait_for(future, min(timeout_s, remaining))
        except asyncio.TimeoutError:
            client.waiting.pop(request_id, None)
            client.expired.add(request_id)
    if loop.time() >= deadline:
        raise V2cError(f"walk deadline reached at {cursor}")
    cause = client.problem or "timeout: wrong community, or no SNMP agent"
    raise V2cError(f"no response after {retries + 1} tries ({cause})")
