"""Fuzzing the SNMPv2c decoder, which parses whatever any host sends to the scanner's socket.

Seeds are Response-PDUs built from real recordings (the Sharp printer in tests/fixtures/snmp;
snmpsim-data's Cisco switch, APC UPS and Ubiquiti radio when installed) with the codec's own
TLV encoders, plus a response encoded by pysnmp. A deterministic loop mutates them (bit
flips, byte stores, truncations, inflated and impossible length fields, deep nesting, huge
values and OIDs, splices); hypothesis adds random bytes, random TLV trees and round trips of
random responses. The property: ``parse_response``, and ``decode_value`` on every varbind it
returns, either succeed or raise ``V2cError`` (the receive path catches nothing else), and
each packet finishes within a generous guard against super-linear blowups.

Regressions the fuzzer found are kept in REGRESSIONS below.
"""

from __future__ import annotations

import bz2
import functools
import random
import signal
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.discovery.snmp_v2c import (OCTET_STRING, RESPONSE, SEQUENCE, V2cError, _integer, _tlv, decode_value,
                                      encode_oid, parse_response)
from tests.agent.discovery.test_snmp_v2c import PYSNMP_RESPONSE

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "snmp"
# CPU time of this thread per packet: a UDP datagram is at most 64 KiB, which the decoder
# reads in under 30 ms even packed with 9,000 minimal varbinds (measured: 27 ms), and a real
# answer in tens of microseconds; 50 ms trips on super-linear work.
GUARD_S = 0.050
# Whole-battery hang guard (wall clock), for an endless loop the per-packet check would never see.
HANG_S = 120

# snmprec tags (snmpsim's format: decimal BER tag, "x" = hex value) to BER value bytes.
_SIGNED, _UNSIGNED = {"2"}, {"65", "66", "67", "70"}  # INTEGER; Counter32, Gauge32, TimeTicks, Counter64


def oid_content(oid: str) -> bytes:
    """encode_oid's content octets, without the tag and length."""
    encoded = encode_oid(oid)
    return encoded[2 + (encoded[1] & 0x7F if encoded[1] & 0x80 else 0):]


def _value(tag: str, text: str) -> tuple[int, bytes] | None:
    if ":" in tag:  # a snmpsim variation module, not a recorded value
        return None
    hexed, number = tag.endswith("x"), int(tag.rstrip("x"))
    if hexed:
        return number, bytes.fromhex(text)
    if tag in _SIGNED:
        n = int(text)
        return number, n.to_bytes(max(1, (n.bit_length() + 8) // 8), "big", signed=True)
    if tag in _UNSIGNED:
        n = int(text)
        return number, n.to_bytes((n.bit_length() + 8) // 8, "big")
    if number == 6:
        return number, oid_content(text)
    if number == 64:
        return number, bytes(int(part) for part in text.split("."))
    if number == 4 or number == 5:
        return number, text.encode()
    return None


def _recording(path: Path) -> list[tuple[str, int, bytes]]:
    text = bz2.open(path, "rt").read() if path.suffix == ".bz2" else path.read_text()
    varbinds = []
    for line in text.splitlines():
        oid, tag, value = line.split("|", 2)
        decoded = _value(tag, value)
        if decoded is not None:
            varbinds.append((oid, *decoded))
    return varbinds


def _recordings() -> list[list[tuple[str, int, bytes]]]:
    found = [_recording(FIXTURES / "sharp-mx-3570n.snmprec")]
    try:
        from tests.snmpsim import recording

        found += [_recording(recording(name))[:4000]
                  for name in ("network/switch/cisco-c3560", "UPS/apc-7902b", "network/wifi/ubiquiti-m5")]
    except ImportError:  # snmpsim-data is a dev extra; the Sharp recording is enough to fuzz
        pass
    return found


def response_message(varbinds, request_id=1, community=b"public", error_status=0, error_index=0) -> bytes:
    """A Response-PDU as an agent sends it, from the codec's own TLV encoders."""
    binds = b"".join(_tlv(SEQUENCE, encode_oid(oid) + _tlv(tag, value)) for oid, tag, value in varbinds)
    pdu = _tlv(RESPONSE, _integer(request_id) + _integer(error_status) + _integer(error_index) + _tlv(SEQUENCE, binds))
    return _tlv(SEQUENCE, _integer(1) + _tlv(OCTET_STRING, community) + pdu)


def _seeds() -> list[bytes]:
    """GETBULK-sized answers (1, 10 and 50 varbinds) cut from each recording, request ids
    spread over the 32-bit range, and the response pysnmp encoded."""
    generator, seeds = random.Random(16), [PYSNMP_RESPONSE]
    for varbinds in _recordings():
        for size in (1, 10, 50):
            for _ in range(4):
                start = generator.randrange(max(1, len(varbinds) - size))
                seeds.append(response_message(varbinds[start:start + size], generator.randrange(-2**31, 2**31),
                                              generator.choice([b"public", b"lab-ro", b"x" * 200])))
    return seeds


SEEDS = _seeds()


def _headers(data: bytes) -> list[tuple[int, int]]:
    """(offset of the tag, offset of the length) of every TLV the seed nests, found by a
    reader of our own so that mutations hit real length fields."""
    found, stack = [], [(0, len(data))]
    while stack:
        at, end = stack.pop()
        end = min(end, len(data))
        while at + 2 <= end:
            tag, length, header = data[at], data[at + 1], 2
            if length & 0x80:
                count = length & 0x7F
                length, header = int.from_bytes(data[at + 2:at + 2 + count], "big"), 2 + count
            found.append((at, at + 1))
            if tag in (SEQUENCE, RESPONSE):
                stack.append((at + header, at + header + length))
            at += header + length
    return found


# --- mutators: each takes (random generator, seed bytes) and returns new bytes ---------------

def _flip_bits(g: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(g.randint(1, 8)):
        out[g.randrange(len(out))] ^= 1 << g.randrange(8)
    return bytes(out)


def _store_bytes(g: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(g.randint(1, 4)):
        out[g.randrange(len(out))] = g.choice([0x00, 0x7F, 0x80, 0x81, 0x84, 0xFF, g.randrange(256)])
    return bytes(out)


def _truncate(g: random.Random, data: bytes) -> bytes:
    return data[:g.randrange(len(data))]


def _inflate_length(g: random.Random, data: bytes) -> bytes:
    """Rewrite one length field: off by a little, indefinite, too many length bytes, or huge."""
    headers = _headers(data)
    if not headers:
        return data
    _tag_at, at = g.choice(headers)
    count = data[at] & 0x7F if data[at] & 0x80 else 0
    rest = data[at + 1 + count:]
    original = int.from_bytes(data[at + 1:at + 1 + count], "big") if count else data[at]
    new = g.choice([
        bytes([min(0x7F, original + g.randint(1, 3))]), bytes([min(0x7F, max(0, original - g.randint(1, 3)))]),
        b"\x80", b"\x85\x00\x00\x00\x00\x10", b"\x84\xff\xff\xff\xff", b"\x84\x7f\xff\xff\xff",
        b"\x82" + min(0xFFFF, original + g.randint(1, 600)).to_bytes(2, "big"), b"\x84" + min(original, 0xFFFFFFFF).to_bytes(4, "big"),
        b"\x81\x00", b"\xff",
    ])
    return data[:at] + new + rest


def _nest(g: random.Random, data: bytes) -> bytes:
    """A value, or the whole message, wrapped in up to 2,000 SEQUENCEs (a recursive reader's doom)."""
    depth, inner = g.choice([10, 200, 2000]), b"\x05\x00"
    for _ in range(depth):
        inner = _tlv(SEQUENCE, inner)
    if g.random() < 0.5:
        return response_message([("1.3.6.1.2.1.1.1.0", SEQUENCE, inner)])
    wrapped = data
    for _ in range(min(depth, 200)):
        wrapped = _tlv(SEQUENCE, wrapped)
    return wrapped


_ARC_BYTES = bytes(i % 127 + 1 for i in range(256))  # any byte to 1-127: one arc each


def _huge(g: random.Random, data: bytes) -> bytes:
    """Answers as large as a datagram gets: a 60 KiB value, thousands of varbinds, OIDs with
    thousands of arcs or one arc thousands of bytes long."""
    kind = g.randrange(4)
    if kind < 2:
        return _large_response(kind)
    if kind == 2:
        body = b"\x2b" + g.randbytes(g.choice([200, 5000, 30_000])).translate(_ARC_BYTES)
    else:
        body = b"\x2b" + b"\xff" * g.choice([5, 100, 3000, 30_000]) + b"\x7f"
    return oid_response(body, g.choice([b"\x05\x00", _tlv(0x06, body)]))


@functools.cache
def _large_response(kind: int) -> bytes:
    if kind == 0:
        return response_message([("1.3.6.1.2.1.1.1.0", OCTET_STRING, b"A" * 60_000)])
    return response_message([(f"1.3.6.1.2.1.2.2.1.1.{i}", 0x02, b"\x01") for i in range(3000)])  # 54 KB


def oid_response(oid_body: bytes, value: bytes = b"\x05\x00") -> bytes:
    """A response whose one varbind names the OID with these content octets, which
    encode_oid would refuse to write."""
    return _tlv(SEQUENCE, _integer(1) + _tlv(OCTET_STRING, b"public") + _tlv(
        RESPONSE, _integer(1) + _integer(0) + _integer(0) + _tlv(SEQUENCE, _tlv(SEQUENCE, _tlv(0x06, oid_body) + value))))


def _splice(g: random.Random, data: bytes) -> bytes:
    other = g.choice(SEEDS)
    cut, start = g.randrange(len(data)), g.randrange(len(other))
    return data[:cut] + other[start:start + g.randint(1, 64)] + data[cut + g.randint(0, 8):]


# Weighted: the cheap byte-level mutations most, the 54-60 KB packets of _huge least.
MUTATORS = (_flip_bits, _flip_bits, _store_bytes, _store_bytes, _truncate, _inflate_length, _inflate_length, _nest,
            _splice, _splice, _huge)


# --- the property ------------------------------------------------------------------------

@contextmanager
def _hang_guard(seconds: float):
    def expire(_signum, _frame):
        raise TimeoutError(f"decoding did not finish within {seconds} s: an endless loop")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _decode(data: bytes):
    """What the receive path and the walkers do with a datagram: the response, or None for V2cError."""
    try:
        response = parse_response(data)
        for _oid, tag, value in response.varbinds:
            try:
                decode_value(tag, value)
            except V2cError:  # an OID value that is malformed: the codec's own error, allowed
                pass
    except V2cError:
        return None
    return response


def _cpu_seconds(data: bytes):
    started = time.thread_time()
    response = _decode(data)
    return time.thread_time() - started, response


def check(data: bytes) -> None:
    """Decodes or raises V2cError, within the guard; a slow packet is timed twice more and only
    the fastest counts, so that a pause of the machine is not taken for a blowup."""
    seconds, response = _cpu_seconds(data)
    if seconds > GUARD_S:
        fastest = min(_cpu_seconds(data)[0] for _ in range(2))
        assert fastest <= GUARD_S, f"{fastest * 1000:.0f} ms of CPU for a {len(data)}-byte packet {data[:40].hex()}..."
    if response is not None:
        assert isinstance(response.request_id, int) and isinstance(response.community, bytes)
        assert all(all(arc.isdigit() for arc in oid.split(".")) for oid, _tag, _value in response.varbinds)


# Inputs the fuzzer found, kept as regression examples: (packet, the V2cError it must raise).
REGRESSIONS = [
    # One 3,000-byte arc (in the name, then in an OID value): str() of it raised ValueError,
    # Python's 4300-digit limit, which the receive path does not catch.
    (oid_response(b"\x2b" + b"\xff" * 3000 + b"\x7f"), "arc above 2\\^32-1"),
    (oid_response(b"\x2b\x06", _tlv(0x06, b"\x2b" + b"\xff" * 3000 + b"\x7f")), "arc above 2\\^32-1"),
    # One 60 KiB arc: 0.36 s of CPU shifting a growing int, then the same ValueError.
    (oid_response(b"\x2b" + b"\xff" * 60_000 + b"\x7f"), "arc above 2\\^32-1"),
    # Past RFC 2578's bounds (7.1.3): an arc of 2^32, and 129 arcs.
    (oid_response(oid_content(f"1.3.{2**32}")), "arc above 2\\^32-1"),
    (oid_response(oid_content("1.3" + ".1" * 127)), "more than 128 arcs"),
    (oid_response(oid_content("1.3" + ".300" * 127)), "more than 128 arcs"),
]


def test_every_seed_is_a_real_response_that_decodes_to_its_recording():
    """The seeds are valid: mutations start from what agents really send."""
    assert len(SEEDS) >= 13
    varbinds = _recordings()[0][:50]
    assert parse_response(response_message(varbinds, 77)).varbinds == varbinds
    for seed in SEEDS:
        assert parse_response(seed).varbinds


@pytest.mark.parametrize("data, message", REGRESSIONS, ids=range(len(REGRESSIONS)))
def test_regressions_the_fuzzer_found(data, message):
    with _hang_guard(10):
        check(data)
    with pytest.raises(V2cError, match=message):
        response = parse_response(data)
        for _oid, tag, value in response.varbinds:
            decode_value(tag, value)


def test_the_largest_oids_rfc_2578_allows_still_decode():
    for oid in ("1.3" + ".1" * 126, "1.3" + f".{2**32 - 1}" * 126, f"2.{2**32 - 1}"):
        assert parse_response(oid_response(oid_content(oid))).varbinds[0][0] == oid


def test_mutated_recordings_decode_or_raise_v2cerror_quickly():
    """A few thousand packets, the same ones every run (fixed seeds)."""
    generator, count = random.Random(1604), 0
    with _hang_guard(HANG_S):
        for seed in SEEDS:
            for truncated in range(0, len(seed), max(1, len(seed) // 40)):
                check(seed[:truncated])
                count += 1
            for _ in range(max(60, 3000 // len(SEEDS))):  # a few thousand, without snmpsim-data too
                mutator = generator.choice(MUTATORS)
                data = mutator(generator, seed)
                for _ in range(generator.choice([0, 0, 1])):  # some packets take two mutations
                    data = generator.choice(MUTATORS)(generator, data) if data else data
                check(data)
                count += 1
    assert count >= 3000


FUZZ = settings(max_examples=400, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@FUZZ
@given(st.binary(max_size=700))
def test_random_bytes_decode_or_raise_v2cerror(data):
    check(data)


@FUZZ
@given(st.sampled_from(SEEDS), st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=6))
def test_recordings_with_random_bytes_stored_decode_or_raise_v2cerror(seed, edits):
    data = bytearray(seed)
    for position, byte in edits:
        data[position % len(data)] = byte
    check(bytes(data))


def _length_forms(n: int):
    """Every X.690 form of a length n: short, long with the fewest bytes, long with leading zeros."""
    forms = [bytes([0x80 | k]) + n.to_bytes(k, "big") for k in range(max(1, (n.bit_length() + 7) // 8), 5)]
    return st.sampled_from(([bytes([n])] if n < 0x80 else []) + forms)


tlv_trees = st.recursive(
    st.tuples(st.integers(0, 255), st.binary(max_size=40)),
    lambda children: st.tuples(st.sampled_from([SEQUENCE, RESPONSE, 0xA0, 0xA5, 0x06, 0x02]),
                               st.lists(children, max_size=5)),
    max_leaves=30,
)


@st.composite
def encoded_trees(draw, tree=tlv_trees):
    def encode(node) -> bytes:
        tag, content = node
        body = content if isinstance(content, bytes) else b"".join(encode(child) for child in content)
        return bytes([tag]) + draw(_length_forms(len(body))) + body

    return encode(draw(tree))


@FUZZ
@given(encoded_trees())
def test_random_tlv_trees_decode_or_raise_v2cerror(data):
    check(data)


arcs = st.lists(st.integers(0, 2**32 - 1), min_size=0, max_size=40)
oids = st.builds(lambda head, rest: ".".join(map(str, [*head, *rest])),
                 st.sampled_from([(1, 3), (1, 0), (0, 0), (2, 999), (1, 39)]), arcs)
values = st.one_of(
    st.tuples(st.sampled_from([0x02]), st.integers(-2**31, 2**31 - 1).map(
        lambda n: n.to_bytes(max(1, (n.bit_length() + 8) // 8), "big", signed=True))),
    st.tuples(st.sampled_from([0x41, 0x42, 0x43, 0x46]), st.integers(0, 2**64 - 1).map(
        lambda n: n.to_bytes((n.bit_length() + 8) // 8, "big"))),
    st.tuples(st.sampled_from([OCTET_STRING, 0x44, 0x40, 0x05, 0x80, 0x81, 0x82]), st.binary(max_size=300)),
)


@FUZZ
@given(st.lists(st.tuples(oids, values), max_size=60), st.integers(-2**31, 2**31 - 1), st.binary(max_size=64))
def test_random_responses_round_trip(varbinds, request_id, community):
    """What the codec's encoders write, the decoder reads back exactly."""
    flat = [(oid, tag, value) for oid, (tag, value) in varbinds]
    response = parse_response(response_message(flat, request_id, community))
    assert (response.request_id, response.community, response.varbinds) == (request_id, community, flat)


def _atheris(argv: list[str]) -> None:
    """Coverage-guided fuzzing for a few minutes by hand (not in CI: atheris is not a dependency):
    pip install atheris; python -m tests.agent.discovery.test_snmp_v2c_fuzz -max_total_time=300 -max_len=65507
    The seeds are written to a temporary corpus directory first."""
    import inspect
    import sys
    import tempfile

    import atheris

    from agent.discovery import snmp_v2c

    # The codec was imported above, so instrument_imports would miss it; instrument_all takes minutes.
    for function in vars(snmp_v2c).values():
        if inspect.isfunction(function) and function.__module__ == snmp_v2c.__name__:
            atheris.instrument_func(function)
    corpus = Path(tempfile.mkdtemp(prefix="snmp-v2c-corpus-"))
    for index, seed in enumerate(SEEDS):
        (corpus / f"seed-{index}").write_bytes(seed)
    atheris.Setup([argv[0], *argv[1:], str(corpus)], check)
    sys.exit(atheris.Fuzz())


if __name__ == "__main__":
    import sys

    _atheris(sys.argv)
