"""Faults met by SNMP polling, all real: net-snmp agents with other secrets, a bound socket
that never answers, a relay that delays every datagram, a small UDP server that answers
garbage, truncated BER, wrong request ids or a walk that does not move forward, and an
agent killed in the middle of a walk.

Each fault must give the faulty target a clear error of its own, end within the deadline
or the timeouts given, and keep the other targets' results. Both paths are covered:
pysnmp (``sweep_system``, ``walk`` with SNMPv3) and the SNMPv2c fast paths (``walk`` with a
community, i.e. ``walk_v2c``, and ``sweep_snmp``). Everything stays on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import select
import socket
import threading
import time

import pytest

from agent.discovery.snmp import SnmpCredential, SnmpError, SystemInfo, sweep_system, walk
from agent.discovery.snmp_sweep import sweep_snmp
from agent.discovery.snmp_v2c import V2cError, decode_oid, encode_oid, walk_v2c
from tests.agent.discovery.test_snmp_sweep import free_udp_port, start_snmpd, stop, wait_until_answering

V2C = SnmpCredential("office", "2c", community="stocktake-ro")
V3 = SnmpCredential("lab-v3", "3", user="stkv3", auth_key="authpass-123", priv_key="privpass-456")
V3P = SnmpCredential("lab-v3p", "3", user="stkv3p", auth_key="authpass-123", priv_key="privpass-456")
# The good agent knows every credential above; the other one has other secrets for each, so
# the same credential meets a wrong community, a wrong auth and a wrong privacy password there.
AGENT_CONFIG = """\
agentAddress udp:127.0.0.1:{port}
rocommunity {community} 127.0.0.1
createUser stkv3 SHA "{auth}" AES "privpass-456"
createUser stkv3p SHA "authpass-123" AES "{priv}"
rouser stkv3 priv
rouser stkv3p priv
sysName {name}
"""
SYSTEM = "1.3.6.1.2.1.1"
TIMEOUT = {"timeout_s": 0.3, "retries": 1}


@pytest.fixture(scope="module")
def agents(tmp_path_factory):
    """(port of the good agent, port of the one with other secrets)."""
    ports, processes = [free_udp_port(), free_udp_port()], []
    configs = [dict(community="stocktake-ro", auth="authpass-123", priv="privpass-456", name="good-agent"),
               dict(community="other-ro", auth="other-auth-9", priv="other-priv-9", name="other-agent")]
    try:
        for port, config in zip(ports, configs):
            directory = tmp_path_factory.mktemp(config["name"])
            processes.append(start_snmpd(directory, AGENT_CONFIG.format(port=port, **config)))
        wait_until_answering([("127.0.0.1", ports[0])], V2C)
        wait_until_answering([("127.0.0.1", ports[1])], V2C._replace(community="other-ro"))
        yield ports
    finally:
        for process in processes:
            stop(process)


@pytest.fixture
def black_hole():
    """A bound UDP port that nobody reads: datagrams vanish, no ICMP comes back."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


# ---------------------------------------------------------------- test servers


class _UdpThread(threading.Thread):
    """A loopback UDP server thread, bounded in time, stopped by ``close``."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.stopping = threading.Event()

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopping.set()
        self.join(timeout=5)
        self.sock.close()

    def run(self) -> None:
        ends = time.monotonic() + 60
        while not self.stopping.is_set() and time.monotonic() < ends:
            self.step()


class Relay(_UdpThread):
    """Holds every datagram ``delay_s`` in each direction between clients and an agent: a slow
    agent, or a slow path. ``after=(n, action)`` runs ``action`` once n answers went back."""

    def __init__(self, agent_port: int, delay_s: float, after=None) -> None:
        super().__init__()
        self.agent = ("127.0.0.1", agent_port)
        self.delay_s, self.after, self.answers = delay_s, after, 0
        self.upstream: dict[tuple, socket.socket] = {}  # one socket per client, so answers find their way back
        self.client_of: dict[socket.socket, tuple] = {}
        self.queue, self.order = [], itertools.count()

    def step(self) -> None:
        wait = min(0.02, max(0.0, self.queue[0][0] - time.monotonic())) if self.queue else 0.02
        readable, _, _ = select.select([self.sock, *self.client_of], [], [], wait)
        for sock in readable:
            try:
                data, source = sock.recvfrom(65535)
            except OSError:
                continue
            if sock is self.sock:
                upstream = self.upstream.get(source) or self._open_upstream(source)
                heapq.heappush(self.queue, (time.monotonic() + self.delay_s, next(self.order), upstream, data, self.agent))
            else:
                heapq.heappush(self.queue, (time.monotonic() + self.delay_s, next(self.order), self.sock, data,
                                            self.client_of[sock]))
        while self.queue and self.queue[0][0] <= time.monotonic():
            _, _, sock, data, destination = heapq.heappop(self.queue)
            try:
                sock.sendto(data, destination)
            except OSError:
                continue
            if sock is self.sock:
                self.answers += 1
                if self.after and self.answers == self.after[0]:
                    self.after[1]()

    def _open_upstream(self, client) -> socket.socket:
        upstream = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        upstream.bind(("127.0.0.1", 0))
        self.upstream[client], self.client_of[upstream] = upstream, client
        return upstream

    def __exit__(self, *exc) -> None:
        super().__exit__(*exc)
        for upstream in self.upstream.values():
            upstream.close()


def _tlv(tag: int, value: bytes) -> bytes:
    if len(value) < 0x80:
        return bytes([tag, len(value)]) + value
    size = len(value).to_bytes((len(value).bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(size)]) + size + value


def _at(data: bytes, at: int) -> tuple[int, int, int]:
    tag, length, at = data[at], data[at + 1], at + 2
    if length & 0x80:
        count = length & 0x7F
        length, at = int.from_bytes(data[at:at + count], "big"), at + count
    return tag, at, at + length


def parse_request(data: bytes) -> tuple[bytes, int, list[str]]:
    """(community, request id, OIDs) of an SNMPv2c request, read independently of the code under test."""
    _, at, _ = _at(data, 0)
    _, _, at = _at(data, at)  # version
    _, start, at = _at(data, at)
    community = data[start:at]
    _, at, _ = _at(data, at)  # the PDU
    _, start, at = _at(data, at)
    request_id = int.from_bytes(data[start:at], "big", signed=True)
    _, _, at = _at(data, at)
    _, _, at = _at(data, at)
    _, at, end = _at(data, at)
    oids = []
    while at < end:
        _, inner, at = _at(data, at)
        _, start, stop_ = _at(data, inner)
        oids.append(decode_oid(data[start:stop_]))
    return community, request_id, oids


def response(community: bytes, request_id: int, varbinds: list[tuple[str, int, bytes]]) -> bytes:
    binds = b"".join(_tlv(0x30, encode_oid(oid) + _tlv(tag, value)) for oid, tag, value in varbinds)
    pdu = _tlv(0xA2, _tlv(0x02, request_id.to_bytes(4, "big", signed=True)) + b"\x02\x01\x00\x02\x01\x00"
               + _tlv(0x30, binds))
    return _tlv(0x30, b"\x02\x01\x01" + _tlv(0x04, community) + pdu)


class FakeAgent(_UdpThread):
    """Answers every SNMPv2c request with ``reply(community, request_id, oids)``: bytes or None."""

    def __init__(self, reply) -> None:
        super().__init__()
        self.reply = reply

    def step(self) -> None:
        readable, _, _ = select.select([self.sock], [], [], 0.02)
        if readable:
            data, source = self.sock.recvfrom(65535)
            try:
                answer = self.reply(*parse_request(data))
            except (IndexError, ValueError, V2cError):
                answer = b"\x30\x03\x02\x01"  # not v2c (pysnmp's v3 tries): garbage back
            if answer is not None:
                self.sock.sendto(answer, source)


def _named(community, request_id, oids):
    return response(community, request_id, [(oid, 0x04, b"fake") for oid in oids])


MALFORMED = {
    "garbage": lambda community, request_id, oids: b"\x30\x85" + bytes(range(40)),  # a 5-byte length
    "truncated": lambda community, request_id, oids: _named(community, request_id, oids)[:30],
    "wrong-request-id": lambda community, request_id, oids: _named(community, request_id + 1, oids),
}


# ---------------------------------------------------------------- sweeps: both paths


def pysnmp_sweep(targets, credentials, **options):
    return asyncio.run(sweep_system(targets, credentials, timeout_s=options.get("timeout_s", 0.3),
                                    retries=options.get("retries", 1)))


def fast_sweep(targets, credentials, **options):
    return asyncio.run(sweep_snmp(targets, credentials, **{**TIMEOUT, "deadline_s": 10.0, **options}))


SWEEPS = pytest.mark.parametrize("sweep", [pysnmp_sweep, fast_sweep], ids=["sweep_system", "sweep_snmp"])


def _sweep_with_a_good_target(sweep, agents, faulty_port, credentials, **options):
    """Sweep the good agent and a faulty target together; the good one's answer must survive."""
    good, faulty = ("127.0.0.1", agents[0]), ("127.0.0.1", faulty_port)
    started = time.monotonic()
    results = sweep([good, faulty], credentials, **options)
    elapsed = time.monotonic() - started
    assert isinstance(results[f"127.0.0.1:{agents[0]}"], SystemInfo), results
    assert results[f"127.0.0.1:{agents[0]}"].sys_name == "good-agent"
    error = results[f"127.0.0.1:{faulty_port}"]
    assert isinstance(error, SnmpError)
    return str(error), elapsed


@SWEEPS
@pytest.mark.parametrize("credential, message", [
    (V2C, "office: no response (timeout: wrong community, or no SNMP agent)"),
    (V3, "lab-v3: wrong authentication password"),
    (V3P, "lab-v3p: no response (timeout: wrong privacy password, or no SNMP agent)"),
], ids=["wrong-community", "wrong-v3-auth", "wrong-v3-privacy"])
def test_wrong_secrets_are_named_per_target(sweep, agents, credential, message):
    error, elapsed = _sweep_with_a_good_target(sweep, agents, agents[1], [credential])
    assert error == f"127.0.0.1: no credential worked ({message})"
    assert elapsed < 4.0


@SWEEPS
@pytest.mark.parametrize("credential", [V2C, V3], ids=["v2c", "v3"])
def test_a_target_that_never_answers_times_out(sweep, agents, black_hole, credential):
    error, elapsed = _sweep_with_a_good_target(sweep, agents, black_hole, [credential])
    assert f"{credential.name}: no response (timeout:" in error
    assert elapsed < 4.0


@SWEEPS
def test_a_slow_agent_within_the_timeout_is_found(sweep, agents):
    with Relay(agents[0], delay_s=0.2) as slow:  # 0.4 s round trip
        results = sweep([("127.0.0.1", slow.port)], [V2C], timeout_s=1.0, retries=0)
    assert results[f"127.0.0.1:{slow.port}"].sys_name == "good-agent"


@SWEEPS
def test_an_agent_slower_than_the_timeout_is_a_timeout(sweep, agents):
    with Relay(agents[0], delay_s=0.6) as slow:  # 1.2 s round trip, 0.3 s timeout
        error, elapsed = _sweep_with_a_good_target(sweep, agents, slow.port, [V2C], timeout_s=0.3, retries=0)
    assert "office: no response (timeout:" in error
    assert elapsed < 10  # a hang guard only: the error above is the check (a loaded machine took 2.9 s)


@SWEEPS
@pytest.mark.parametrize("fault", MALFORMED)
def test_malformed_replies_leave_the_target_without_an_answer(sweep, agents, fault):
    with FakeAgent(MALFORMED[fault]) as fake:
        error, elapsed = _sweep_with_a_good_target(sweep, agents, fake.port, [V2C])
    assert error.startswith("127.0.0.1: no credential worked (office: ")
    if sweep is fast_sweep:  # the fast path says what came back; pysnmp drops such datagrams silently
        expected = {"garbage": "no valid answer: malformed reply (bad BER length)",
                    "truncated": "no valid answer: malformed reply (BER value overruns the message)",
                    "wrong-request-id": "no valid answer: reply with a request id we did not send it"}[fault]
        assert expected in error
    else:
        assert "no response (timeout:" in error
    assert elapsed < 4.0


def test_an_agent_error_status_is_named_and_the_next_community_is_tried(agents):
    def too_big(community, request_id, oids):
        answer = bytearray(response(community, request_id, [(oid, 0x05, b"") for oid in oids]))
        answer[answer.index(b"\x02\x01\x00")+2] = 1  # error-status tooBig (RFC 3416)
        return bytes(answer)

    with FakeAgent(too_big) as fake:
        results = fast_sweep([("127.0.0.1", fake.port)], [V2C, V2C._replace(name="second")])
    assert str(results[f"127.0.0.1:{fake.port}"]) == (
        "127.0.0.1: no credential worked (office: agent error tooBig; second: agent error tooBig)")


def test_the_fast_sweep_ends_at_its_deadline_with_the_answers_it_has(agents, black_hole):
    started = time.monotonic()
    results = fast_sweep([("127.0.0.1", agents[0]), ("127.0.0.1", black_hole)], [V2C, V3], timeout_s=5.0,
                         deadline_s=0.8)
    assert time.monotonic() - started < 2.5  # the 0.8 s deadline, far from the 5 s timeout
    assert results[f"127.0.0.1:{agents[0]}"].sys_name == "good-agent"
    assert str(results[f"127.0.0.1:{black_hole}"]) == (
        "127.0.0.1: no credential worked (office: no response before the sweep deadline; "
        "lab-v3: not tried (the sweep deadline leaves no time))")


def test_the_snmpv3_fallback_fits_its_timeouts_into_the_deadline(agents, black_hole):
    started = time.monotonic()
    results = fast_sweep([("127.0.0.1", agents[0]), ("127.0.0.1", black_hole)], [V3], timeout_s=5.0, deadline_s=2.5)
    assert time.monotonic() - started < 4.0  # the 2.5 s deadline, not the 5 s timeout
    assert results[f"127.0.0.1:{agents[0]}"].credential == "lab-v3"  # answered, although another target hung
    assert "lab-v3: no response (timeout:" in str(results[f"127.0.0.1:{black_hole}"])


# ---------------------------------------------------------------- walks: both paths


def _walk(port: int, credential: SnmpCredential, root: str = SYSTEM, **options):
    """snmp.walk (v2c: walk_v2c; v3: pysnmp) in a fresh engine."""
    from pysnmp.hlapi.v3arch.asyncio import SnmpEngine

    async def run():
        engine = SnmpEngine()
        try:
            return await walk(engine, "127.0.0.1", port, credential, root, **{**TIMEOUT, **options})
        finally:
            engine.close_dispatcher()

    return asyncio.run(run())


WALKS = pytest.mark.parametrize("credential", [V2C, V3], ids=["walk_v2c", "walk_v3_pysnmp"])


@pytest.mark.parametrize("credential, message", [
    (V2C, "no response after 2 tries (timeout: wrong community, or no SNMP agent)"),
    (V3, "wrong authentication password"),
    (V3P, "no response (timeout: wrong privacy password"),
], ids=["wrong-community", "wrong-v3-auth", "wrong-v3-privacy"])
def test_a_walk_with_wrong_secrets_fails_clearly(agents, credential, message):
    started = time.monotonic()
    with pytest.raises(SnmpError, match=message.replace("(", r"\(").replace(")", r"\)")):
        _walk(agents[1], credential)
    assert time.monotonic() - started < 4.0


@WALKS
def test_a_walk_of_a_target_that_never_answers_times_out(black_hole, credential):
    started = time.monotonic()
    with pytest.raises(SnmpError, match="no response"):
        _walk(black_hole, credential)
    assert time.monotonic() - started < 4.0


def test_a_v2c_walk_of_a_closed_port_fails_at_once():
    started = time.monotonic()
    with pytest.raises(SnmpError, match="port unreachable .*: no SNMP agent listening"):
        _walk(free_udp_port(), V2C, timeout_s=2.0)
    assert time.monotonic() - started < 1.8  # the ICMP answer, not the 2 s timeout (twice)


@WALKS
def test_a_slow_agent_is_walked_completely(agents, credential):
    direct = _walk(agents[0], credential)
    with Relay(agents[0], delay_s=0.05) as slow:
        relayed = _walk(slow.port, credential, max_repetitions=10, timeout_s=1.0)
    assert [oid for oid, _ in relayed] == [oid for oid, _ in direct] and len(direct) > 10
    assert dict(relayed)["1.3.6.1.2.1.1.5.0"] == b"good-agent"


@pytest.mark.parametrize("fault, message", [
    ("garbage", "malformed reply (bad BER length)"),
    ("truncated", "malformed reply (BER value overruns the message)"),
    ("wrong-request-id", "reply with a request id we never sent"),
])
def test_a_v2c_walk_names_the_malformed_replies_it_got(fault, message):
    with FakeAgent(MALFORMED[fault]) as fake:
        with pytest.raises(SnmpError, match=f"no response after 2 tries \\({message.replace('(', '.').replace(')', '.')}"):
            _walk(fake.port, V2C)


def test_a_v3_walk_of_an_agent_answering_garbage_times_out():
    with FakeAgent(MALFORMED["garbage"]) as fake:
        with pytest.raises(SnmpError, match="no response"):
            _walk(fake.port, V3)


def test_a_v2c_walk_whose_oids_do_not_increase_stops():
    def looping(community, request_id, oids):  # the second answer goes back to the first OID
        rows = [f"{SYSTEM}.1.0", f"{SYSTEM}.2.0"] if oids[0] == SYSTEM else [f"{SYSTEM}.1.0"]
        return response(community, request_id, [(oid, 0x02, b"\x01") for oid in rows])

    def unordered(community, request_id, oids):  # one answer whose OIDs go backwards
        return response(community, request_id, [(f"{SYSTEM}.5.0", 0x02, b"\x01"), (f"{SYSTEM}.1.0", 0x02, b"\x01")])

    for agent, message in ((looping, "non-increasing OID 1.3.6.1.2.1.1.1.0 after 1.3.6.1.2.1.1.2.0"),
                           (unordered, "non-increasing OID 1.3.6.1.2.1.1.1.0 after 1.3.6.1.2.1.1.5.0")):
        with FakeAgent(agent) as fake:
            with pytest.raises(SnmpError, match=message.replace(".", r"\.")):
                _walk(fake.port, V2C)


def test_a_v2c_walk_that_never_ends_stops_at_its_deadline():
    def endless(community, request_id, oids):  # always one more OID: an agent that never reaches the end
        head, last = oids[0].rsplit(".", 1)
        following = f"{oids[0]}.1" if oids[0] == "1.3.6.1.4.1.99999" else f"{head}.{int(last) + 1}"
        return response(community, request_id, [(following, 0x02, b"\x01")])

    async def run(port):
        return await walk_v2c("127.0.0.1", port, "stocktake-ro", "1.3.6.1.4.1.99999", max_repetitions=1,
                              timeout_s=0.3, retries=0, deadline_s=0.5)

    with FakeAgent(endless) as fake:
        started = time.monotonic()
        with pytest.raises(V2cError, match="walk deadline reached at 1.3.6.1.4.1.99999"):
            asyncio.run(run(fake.port))
    assert time.monotonic() - started < 1.0


@WALKS
def test_an_agent_killed_mid_walk_fails_that_walk_only(agents, credential, tmp_path):
    """The agent behind a slow relay is killed after five answers; a walk of another agent
    running at the same time completes."""
    from pysnmp.hlapi.v3arch.asyncio import SnmpEngine

    port = free_udp_port()
    doomed = start_snmpd(tmp_path, AGENT_CONFIG.format(port=port, community="stocktake-ro", auth="authpass-123",
                                                       priv="privpass-456", name="doomed"))
    try:
        wait_until_answering([("127.0.0.1", port)], V2C)
        with Relay(port, delay_s=0.01, after=(5, doomed.kill)) as relay:
            async def both():
                engine = SnmpEngine()
                try:
                    return await asyncio.gather(
                        walk(engine, "127.0.0.1", relay.port, credential, "1.3.6.1.2.1", max_repetitions=5, **TIMEOUT),
                        walk(engine, "127.0.0.1", agents[0], credential, SYSTEM, **TIMEOUT), return_exceptions=True)
                finally:
                    engine.close_dispatcher()

            started = time.monotonic()
            killed, survivor = asyncio.run(both())
            elapsed = time.monotonic() - started
    finally:
        stop(doomed)
    assert doomed.returncode is not None and relay.answers >= 5
    assert isinstance(killed, SnmpError) and "no response" in str(killed), killed
    assert isinstance(survivor, list) and len(survivor) > 10
    assert elapsed < 4.0
