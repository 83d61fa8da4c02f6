"""SNMP discovery sweep: which addresses of a range answer SNMP, each with its system group.

Most addresses of a range are empty, so a sweep's cost is the wait for the silent ones,
not the answers. SNMPv2c therefore goes through one UDP socket: a GetRequest for the six
system-group objects (RFC 3418) goes to every address at a bounded rate, each with its own
request id, and answers are matched by id and source address while later requests are
still going out. Every address is given ``timeout_s`` after its first request; silent
addresses are asked again once answers pause for ``quiet_s`` (a lost datagram, not a slow
agent, is what a retry is for), and an answer to any earlier request still counts.
Communities are tried in order, each only on the addresses still silent. SNMPv3 needs
USM (engine discovery, keys, encryption), so v3 credentials go through pysnmp
(``snmp.sweep_system``) for the addresses that remain. One deadline bounds the whole
sweep; every target gets a SystemInfo or an SnmpError naming what each credential met.
"""

from __future__ import annotations

import asyncio
import ipaddress
import itertools
import random
import socket
import sys

from agent.discovery.arp import sweep_targets
from agent.discovery.snmp import SYSTEM_OIDS, SnmpCredential, SnmpError, SystemInfo, sweep_system
from agent.discovery.snmp_v2c import ERROR_STATUS, V2cError, decode_value, encode_get, parse_response

__all__ = ["DEFAULT_RATE_PPS", "sweep_range", "sweep_snmp"]

# 254 requests leave in 0.13 s; a /20 in 2 s. Small switches and busy segments are spared
# bursts, and answers never outrun the receive buffer.
DEFAULT_RATE_PPS = 2000.0
# Socket buffers. A datagram to an address whose ARP is unresolved waits in the kernel's
# neighbour queue, charged to the socket (~830 bytes each) until resolution fails ~3 s
# later: with the default 208 KiB send buffer, a /24's empty addresses fill it within one
# round and the next community's requests would wait behind them. 8 MiB holds ~10,000.
_BUFFER_BYTES = 8 << 20
_SO_SNDBUFFORCE, _SO_RCVBUFFORCE = 32, 33  # Linux: beyond net.core.[wr]mem_max with CAP_NET_ADMIN
# pysnmp checks its timeouts on a 0.5 s timer and its import takes ~0.35 s: a v3 try with
# timeout t ends up to t + 0.5 s after it starts (measured with sweep_system on loopback).
_PYSNMP_TICK_S, _PYSNMP_IMPORT_S = 0.5, 0.4
_NO_RESPONSE = "no response (timeout: wrong community, or no SNMP agent)"
_OID_NAMES = {oid: name for name, oid in SYSTEM_OIDS.items()}

Target = tuple[str, int]


def sweep_range(cidr: str, credentials: list[SnmpCredential], port: int = 161, allow_public: bool = False,
                **options) -> dict[str, SystemInfo | SnmpError]:
    """Sweep every host address of ``cidr`` (validated as for the ARP sweep: size cap, no public
    space unless ``allow_public``); ``options`` are those of ``sweep_snmp``."""
    targets = [(address, port) for address in sweep_targets(cidr, allow_public)]
    return asyncio.run(sweep_snmp(targets, credentials, **options))


async def sweep_snmp(targets: list[Target], credentials: list[SnmpCredential], timeout_s: float = 1.0,
                     retries: int = 1, quiet_s: float = 0.25, rate_pps: float = DEFAULT_RATE_PPS,
                     deadline_s: float = 60.0) -> dict[str, SystemInfo | SnmpError]:
    """The system group of every (IPv4 address, port) target, keyed ``"host:port"`` like
    ``sweep_system``: a SystemInfo from the first credential that answered, else an SnmpError."""
    targets = _checked_targets(targets, credentials)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + deadline_s
    answers: dict[Target, SystemInfo] = {}
    failures: dict[Target, list[str]] = {target: [] for target in targets}
    sweeper = None
    try:
        for version, group in itertools.groupby(credentials, key=lambda credential: credential.version):
            remaining = [target for target in targets if target not in answers]
            if not remaining:
                break
            if version == "3":
                await _sweep_v3(remaining, list(group), answers, failures, timeout_s, retries, deadline)
                continue
            sweeper = sweeper or await _V2cSweeper.open(answers)
            for credential in group:
                silent = [target for target in remaining if target not in answers]
                await sweeper.run(silent, credential, timeout_s, retries, quiet_s, rate_pps, deadline)
                for target in silent:
                    if target not in answers:
                        failures[target].append(f"{credential.name}: {sweeper.failure(target)}")
    finally:
        if sweeper is not None:
            sweeper.close()
    return {f"{host}:{port}": answers.get((host, port)) or
            SnmpError(f"{host}: no credential worked ({'; '.join(failures[(host, port)])})") for host, port in targets}


def _checked_targets(targets: list[Target], credentials: list[SnmpCredential]) -> list[Target]:
    """Unique (IPv4 address, port) pairs in the given order; ValueError before anything is sent."""
    if not credentials:
        raise ValueError("no SNMP credentials to try")
    for credential in credentials:
        if credential.version not in ("2c", "3"):
            raise ValueError(f"credential {credential.name!r}: SNMP version must be 2c or 3")
    checked = {}
    for host, port in targets:
        try:
            address = ipaddress.IPv4Address(host)
        except ValueError:
            raise ValueError(f"not an IPv4 address: {host!r} (the sweep takes addresses, not names)") from None
        if not 0 < int(port) < 65536:
            raise ValueError(f"not a UDP port: {port!r}")
        checked[(str(address), int(port))] = None
    return list(checked)


async def _sweep_v3(targets: list[Target], credentials: list[SnmpCredential], answers: dict, failures: dict,
                    timeout_s: float, retries: int, deadline: float) -> None:
    """SNMPv3 credentials through pysnmp, for the targets no earlier credential answered.

    All targets are polled at once, so the time needed is one poll's worst case; when the
    deadline leaves less, the timeout shrinks to fit and each target still gets its own
    answer. Cancelling at the deadline, which would cost every v3 result, is only a backstop.
    """
    budget = deadline - asyncio.get_running_loop().time()
    tries = len(credentials) * (retries + 1)
    timeout_s = min(timeout_s, (budget - _PYSNMP_IMPORT_S) / tries - _PYSNMP_TICK_S)
    names = ", ".join(credential.name for credential in credentials)
    if timeout_s < 0.1:
        for target in targets:
            failures[target].append(f"{names}: not tried (the sweep deadline leaves no time)")
        return
    try:
        results = await asyncio.wait_for(
            sweep_system(targets, credentials, concurrency=len(targets), timeout_s=timeout_s, retries=retries), budget)
    except asyncio.TimeoutError:
        for target in targets:
            failures[target].append(f"{names}: no answer before the sweep deadline")
        return
    for host, port in targets:
        result = results[f"{host}:{port}"]
        if isinstance(result, SystemInfo):
            answers[(host, port)] = result
        else:
            failures[(host, port)].append(_detail(host, result))


def _detail(host: str, error: Exception) -> str:
    """sweep_system's per-credential failures without its "host: no credential worked (...)" frame."""
    text = str(error)
    frame = f"{host}: no credential worked ("
    return text[len(frame):-1] if text.startswith(frame) and text.endswith(")") else text


class _V2cSweeper(asyncio.DatagramProtocol):
    """One unconnected UDP socket for every v2c request of a sweep.

    ``requests`` maps each request id ever sent to its target and credential, so a late
    answer to an earlier try or community is still matched; an answer counts only if it
    comes from the address the id was sent to, with the community it was sent with.
    """

    def __init__(self, answers: dict[Target, SystemInfo]) -> None:
        self.answers = answers
        self.requests: dict[int, tuple[Target, SnmpCredential]] = {}
        self.ids = itertools.count(random.randrange(1, 2**30))
        self.targets: list[Target] = []  # the current community's targets, in sweep order
        self.unresolved: set[Target] = set()  # those of them with neither an answer nor an error status
        self.credential: SnmpCredential | None = None
        self.refused: dict[Target, str] = {}  # agent error-status answers for the current community
        self.trouble: dict[Target, str] = {}  # the last unusable datagram from each target
        self.sending: Target | None = None
        self.activity = asyncio.Event()
        self.last_activity = 0.0
        self.deadline_hit = False
        self.transport = None

    @classmethod
    async def open(cls, answers: dict[Target, SystemInfo]) -> _V2cSweeper:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            _enlarge(sock, _SO_SNDBUFFORCE, socket.SO_SNDBUF)
            _enlarge(sock, _SO_RCVBUFFORCE, socket.SO_RCVBUF)  # a burst of answers
            sock.bind(("0.0.0.0", 0))
            sock.setblocking(False)
            sweeper = cls(answers)
            await asyncio.get_running_loop().create_datagram_endpoint(lambda: sweeper, sock=sock)
        except BaseException:
            sock.close()
            raise
        return sweeper

    def connection_made(self, transport) -> None:
        self.transport = transport

    def close(self) -> None:
        self.transport.close()

    async def run(self, targets: list[Target], credential: SnmpCredential, timeout_s: float, retries: int,
                  quiet_s: float, rate_pps: float, deadline: float) -> None:
        """Ask ``targets`` with one community: rounds for the silent ones, then the rest of the
        ``timeout_s`` window that every target's first request is owed."""
        loop = asyncio.get_running_loop()
        self.targets, self.credential, self.refused, self.trouble = targets, credential, {}, {}
        self.unresolved = {target for target in targets if target not in self.answers}
        self.deadline_hit = False
        window_end = deadline
        for round_number in range(retries + 1):
            silent = self._silent()
            if not silent or loop.time() >= deadline:
                break
            await self._send(silent, credential, rate_pps, deadline)
            if round_number == 0:
                window_end = min(loop.time() + timeout_s, deadline)
            await self._listen(min(loop.time() + timeout_s, deadline), quiet_s)
        await self._listen(window_end, None)
        self.deadline_hit = loop.time() >= deadline and bool(self.unresolved)

    def failure(self, target: Target) -> str:
        """Why ``target`` gave nothing usable with the current community."""
        if target in self.refused:
            return self.refused[target]
        if target in self.trouble:
            return f"no valid answer: {self.trouble[target]}"
        return "no response before the sweep deadline" if self.deadline_hit else _NO_RESPONSE

    def _silent(self) -> list[Target]:
        return [target for target in self.targets if target in self.unresolved]

    async def _send(self, targets: list[Target], credential: SnmpCredential, rate_pps: float, deadline: float) -> None:
        loop = asyncio.get_running_loop()
        community, oids = credential.community.encode(), list(SYSTEM_OIDS.values())
        started = loop.time()
        for count, target in enumerate(targets):
            ahead = started + count / rate_pps - loop.time()
            if ahead > 0.002:  # pace in small bursts: a sleep per datagram would cost more than it sends
                await asyncio.sleep(ahead)
            if loop.time() >= deadline:
                return
            request_id = next(self.ids) & 0x7FFFFFFF
            self.requests[request_id] = (target, credential)
            self.sending = target
            self.transport.sendto(encode_get(community, request_id, oids), target)
            self.sending = None
        while self.transport.get_write_buffer_size() and loop.time() < deadline:
            await asyncio.sleep(0.01)  # the kernel's buffer was full: timeouts count from the real send
        self.last_activity = loop.time()

    async def _listen(self, until: float, quiet_s: float | None) -> None:
        """Until ``until``, every target has answered, or (with ``quiet_s``) answers paused that long."""
        loop = asyncio.get_running_loop()
        while self.unresolved:
            wait = until - loop.time()
            if quiet_s is not None:
                wait = min(wait, self.last_activity + quiet_s - loop.time())
            if wait <= 0:
                return
            self.activity.clear()
            try:
                await asyncio.wait_for(self.activity.wait(), wait)
            except asyncio.TimeoutError:
                pass

    def datagram_received(self, data: bytes, addr) -> None:
        source = (addr[0], addr[1])
        try:
            response = parse_response(data)
        except V2cError as exc:
            self._note(source, f"malformed reply ({exc})")
            return
        target, credential = self.requests.get(response.request_id, (None, None))
        if target != source:
            self._note(source, f"reply with a request id we did not send it ({response.request_id})")
        elif response.community != credential.community.encode():
            self._note(source, "reply with another community than the request's")
        elif source not in self.answers:
            self._accept(source, credential, response)

    def _accept(self, target: Target, credential: SnmpCredential, response) -> None:
        if response.error_status:
            status = response.error_status
            name = ERROR_STATUS[status] if 0 <= status < len(ERROR_STATUS) else f"status {status}"
            if target in self.unresolved and credential is self.credential:  # not a late one for another community
                self.refused[target] = f"agent error {name}"
                self.unresolved.discard(target)
        else:
            try:
                self.answers[target] = _system_info(target[0], credential.name, response.varbinds)
            except V2cError as exc:
                self._note(target, str(exc))
                return
            self.unresolved.discard(target)
        self.last_activity = asyncio.get_running_loop().time()
        self.activity.set()

    def _note(self, source: Target, problem: str) -> None:
        if source in self.unresolved:
            self.trouble[source] = problem

    def error_received(self, exc: OSError) -> None:
        # sendto failing at once (no route, a broadcast address): only this target is lost.
        if self.sending is not None:
            self._note(self.sending, f"cannot send ({exc.strerror or exc})")


def _enlarge(sock: socket.socket, forced: int, option: int) -> None:
    """The socket buffer at _BUFFER_BYTES: forced when privileged, else as far as the sysctl allows."""
    if sys.platform == "linux":
        try:
            sock.setsockopt(socket.SOL_SOCKET, forced, _BUFFER_BYTES)
            return
        except OSError:
            pass
    try:
        sock.setsockopt(socket.SOL_SOCKET, option, _BUFFER_BYTES)
    except OSError:
        pass  # a platform limit (BSD kern.ipc.maxsockbuf): the default buffer still works, smaller


def _system_info(host: str, credential: str, varbinds: list[tuple[str, int, bytes]]) -> SystemInfo:
    """The answer's varbinds as a SystemInfo, values as ``snmp._value`` gives them; V2cError
    when the answer names an object that was not asked for."""
    values = dict.fromkeys(SYSTEM_OIDS)
    for oid, tag, raw in varbinds:
        name = _OID_NAMES.get(oid)
        if name is None:
            raise V2cError(f"reply names an object that was not asked for ({oid})")
        value = decode_value(tag, raw)
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace").strip("\x00").strip() or None
        values[name] = value
    services = values["sys_services"]
    return SystemInfo(host, credential, values["sys_descr"], values["sys_object_id"], values["sys_name"],
                      values["sys_location"], values["sys_contact"], services if isinstance(services, int) else None)
