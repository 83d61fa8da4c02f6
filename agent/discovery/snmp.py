"""SNMP polling with pysnmp 7's asyncio API: credential sets tried in order, many targets at once.

A scan hands over an ordered list of credentials (v2c communities and v3 users); each
target is asked with each in turn until one answers, and the report names the credential
that worked (never its secret). A target that answers none of them gets a precise error
(timeout, wrong password, unknown user) and the sweep goes on: one bad device never costs
the results of the others. OIDs are numeric and MIB lookups are off: decoding only what
is kept is what makes pysnmp fast enough.
"""

from __future__ import annotations

import asyncio
from typing import NamedTuple

from agent.discovery.snmp_v2c import FIRST_REPETITIONS

__all__ = ["SYSTEM_OIDS", "SnmpCredential", "SnmpError", "SystemInfo", "Walker", "bulk_walk", "open_walker",
           "poll_system", "sweep_system", "walk", "walk_interfaces"]

# SNMPv2-MIB system group (RFC 3418).
SYSTEM_OIDS = {
    "sys_descr": "1.3.6.1.2.1.1.1.0",
    "sys_object_id": "1.3.6.1.2.1.1.2.0",
    "sys_name": "1.3.6.1.2.1.1.5.0",
    "sys_location": "1.3.6.1.2.1.1.6.0",
    "sys_contact": "1.3.6.1.2.1.1.4.0",
    "sys_services": "1.3.6.1.2.1.1.7.0",
}


class SnmpError(RuntimeError):
    """No credential obtained an answer from the target; the message says what each met."""


class SnmpCredential(NamedTuple):
    name: str  # a label for reports and logs; the secrets below are never printed
    version: str  # "2c" or "3"
    community: str = ""
    user: str = ""
    auth_protocol: str = "SHA"  # SHA, SHA256, SHA512, MD5
    auth_key: str = ""
    priv_protocol: str = "AES"  # AES, AES256, DES
    priv_key: str = ""
    # SNMPv3 context name: one bridge instance per VLAN on Cisco switches ("vlan-10"); "" the default.
    context: str = ""

    def __repr__(self) -> str:
        return f"SnmpCredential(name={self.name!r}, version={self.version!r})"


class SystemInfo(NamedTuple):
    host: str
    credential: str
    sys_descr: str | None
    sys_object_id: str | None
    sys_name: str | None
    sys_location: str | None
    sys_contact: str | None
    sys_services: int | None


def _auth_data(credential: SnmpCredential):
    from pysnmp.hlapi.v3arch import asyncio as hl

    if credential.version == "2c":
        return hl.CommunityData(credential.community, mpModel=1)
    if credential.version != "3":
        raise ValueError(f"credential {credential.name!r}: SNMP version must be 2c or 3")
    auth = {"SHA": hl.usmHMACSHAAuthProtocol, "SHA256": hl.usmHMAC192SHA256AuthProtocol,
            "SHA512": hl.usmHMAC384SHA512AuthProtocol, "MD5": hl.usmHMACMD5AuthProtocol}
    priv = {"AES": hl.usmAesCfb128Protocol, "AES256": hl.usmAesCfb256Protocol, "DES": hl.usmDESPrivProtocol}
    try:
        return hl.UsmUserData(credential.user, authKey=credential.auth_key or None, privKey=credential.priv_key or None,
                              authProtocol=auth[credential.auth_protocol] if credential.auth_key else hl.usmNoAuthProtocol,
                              privProtocol=priv[credential.priv_protocol] if credential.priv_key else hl.usmNoPrivProtocol)
    except KeyError as exc:
        raise ValueError(f"credential {credential.name!r}: unsupported protocol {exc.args[0]}") from None


def _value(value):
    """A varbind value as plain Python: text, int, or dotted OID (pyasn1 base types)."""
    from pyasn1.type import univ

    if isinstance(value, univ.ObjectIdentifier):
        return str(value)
    if isinstance(value, univ.Integer):
        return int(value)
    if isinstance(value, univ.OctetString):
        return bytes(value).decode("utf-8", "replace").strip("\x00").strip() or None
    return None  # noSuchObject, noSuchInstance, endOfMibView


async def poll_system(engine, host: str, port: int, credentials: list[SnmpCredential],
                      timeout_s: float = 1.0, retries: int = 1) -> SystemInfo:
    """The system group of one target, with the first credential that works."""
    from pysnmp.hlapi.v3arch import asyncio as hl

    if not credentials:
        raise SnmpError(f"{host}: no SNMP credentials to try")
    target = await hl.UdpTransportTarget.create((host, port), timeout=timeout_s, retries=retries)
    failures = []
    for credential in credentials:
        error_indication, error_status, _index, var_binds = await hl.get_cmd(
            engine, _auth_data(credential), target, hl.ContextData(),
            *[hl.ObjectType(hl.ObjectIdentity(oid)) for oid in SYSTEM_OIDS.values()], lookupMib=False,
        )
        if error_indication:
            failures.append(f"{credential.name}: {_describe(error_indication, credential)}")
            continue
        if error_status:
            failures.append(f"{credential.name}: agent error {error_status.prettyPrint()}")
            continue
        values = dict(zip(SYSTEM_OIDS, (_value(value) for _, value in var_binds)))
        services = values["sys_services"]
        return SystemInfo(host, credential.name, values["sys_descr"], values["sys_object_id"], values["sys_name"],
                          values["sys_location"], values["sys_contact"], services if isinstance(services, int) else None)
    raise SnmpError(f"{host}: no credential worked ({'; '.join(failures)})")


def _describe(indication, credential: SnmpCredential) -> str:
    text = str(indication)
    silent = "wrong community" if credential.version == "2c" else "wrong privacy password"
    known = {
        "No SNMP response received before timeout": f"no response (timeout: {silent}, or no SNMP agent)",
        "Wrong SNMP PDU digest": "wrong authentication password",
        "Decryption error": "wrong privacy password",
        "Unknown USM user": "unknown user",
        "Unsupported SNMP security level": "security level not allowed for this user",
    }
    for pattern, meaning in known.items():
        if pattern.lower() in text.lower():
            return meaning
    return text


async def sweep_system(hosts: list[tuple[str, int]], credentials: list[SnmpCredential], concurrency: int = 64,
                       timeout_s: float = 1.0, retries: int = 1) -> dict[str, SystemInfo | SnmpError]:
    """Poll many targets at once (at most ``concurrency`` in flight); every target gets a result or an error."""
    from pysnmp.hlapi.v3arch import asyncio as hl

    engine = hl.SnmpEngine()
    limit = asyncio.Semaphore(concurrency)

    async def one(host: str, port: int):
        async with limit:
            try:
                return await poll_system(engine, host, port, credentials, timeout_s, retries)
            except SnmpError as exc:
                return exc
            except Exception as exc:  # noqa: BLE001 - a malformed reply must not end the sweep
                return SnmpError(f"{host}: {type(exc).__name__}: {exc}")

    try:
        results = await asyncio.gather(*(one(host, port) for host, port in hosts))
    finally:
        engine.close_dispatcher()
    return {f"{host}:{port}": result for (host, port), result in zip(hosts, results)}


MAX_WALK_OIDS = 200_000


async def bulk_walk(engine, target, credential: SnmpCredential, root: str, max_repetitions: int = 50,
                    max_oids: int = MAX_WALK_OIDS, ramp: bool = True) -> list[tuple[str, object]]:
    """Every (OID, value) under ``root`` by GETBULK through pysnmp (SNMPv3), values decoded to Python.

    Requests go straight to pysnmp's command generator: the high-level ``bulk_cmd`` builds
    and MIB-resolves ObjectType wrappers on every request, which cost ~15% of a v3 walk.
    OIDs are compared as tuples and turned into text only for the rows kept.
    """
    from pysnmp.entity.rfc3413.cmdgen import BulkCommandGeneratorSingleRun
    from pysnmp.hlapi.v3arch.asyncio.cmdgen import LCD
    from pysnmp.proto.rfc1902 import Null, ObjectName
    from pysnmp.proto.rfc1905 import EndOfMibView

    context = credential.context.encode()
    address, _params = LCD.configure(engine, _auth_data(credential), target, context)
    generator, loop = BulkCommandGeneratorSingleRun(), asyncio.get_running_loop()
    prefix = tuple(int(arc) for arc in root.strip(".").split("."))
    cursor, rows, ramp = ObjectName(prefix), [], FIRST_REPETITIONS if ramp else max_repetitions
    while len(rows) < max_oids:
        answer = loop.create_future()

        def deliver(_engine, _handle, indication, status, _index, var_binds, _context, answer=answer):
            if not answer.done():
                answer.set_result((indication, status, var_binds))

        # An agent computes every successor asked for: small first, as the v2c walker does.
        wanted, ramp = min(max_repetitions, max_oids - len(rows), ramp), ramp * 2
        generator.send_varbinds(engine, address, None, context, 0, wanted, [(cursor, Null(""))], deliver)
        indication, status, var_binds = await answer
        if indication:
            raise SnmpError(f"walk of {root}: {_describe(indication, credential)}")
        if status:
            raise SnmpError(f"walk of {root}: agent error {status.prettyPrint()}")
        if not var_binds:
            break
        for name, value in var_binds:
            arcs = name.asTuple()
            if arcs[:len(prefix)] != prefix or isinstance(value, EndOfMibView):
                return rows
            rows.append((".".join(map(str, arcs)), _raw_value(value)))
        if name.asTuple() <= cursor.asTuple():  # a non-increasing OID would loop forever
            raise SnmpError(f"walk of {root}: agent returned a non-increasing OID {name}")
        cursor = name
    return rows


class Walker(NamedTuple):
    """One target's ``walk(root, limit=None)``, ``get(oids)`` and ``next(oids)`` coroutine functions
    (see ``open_walker``)."""

    walk: object
    get: object
    next: object


async def open_walker(engine, host: str, port: int, credential: SnmpCredential, timeout_s: float = 1.0,
                      retries: int = 1, max_repetitions: int = 50, max_oids: int = MAX_WALK_OIDS) -> Walker:
    """Walks and GETs bound to one target, for polls that read many subtrees.

    SNMPv2c goes through the fast BER client; SNMPv3 through pysnmp with one transport
    target for all requests. Each walk returns at most ``max_oids`` rows, or ``limit``
    rows asked for in requests no larger than that. ``get`` and ``next`` (GETNEXT: one
    request asks whether the device has each of many tables) return ``[(oid, value)]`` in
    the order asked, value None for a missing instance or the end of the MIB view."""
    if credential.version == "2c":
        from agent.discovery.snmp_v2c import V2cError, decode_value, get_v2c

        async def walk_v2(root: str, limit: int | None = None) -> list[tuple[str, object]]:
            rows = await walk(engine, host, port, credential, root, min(limit or max_repetitions, max_repetitions),
                              timeout_s, retries, limit or max_oids, ramp=limit is None)
            return rows[:limit or max_oids]

        async def get_v2(oids: list[str], next_: bool = False) -> list[tuple[str, object]]:
            try:
                got = await get_v2c(host, port, credential.community, oids, timeout_s, retries, next_)
            except V2cError as exc:
                raise SnmpError(f"{host}: get{'next' if next_ else ''} of {oids[0]}: {exc}") from None
            return [(oid, decode_value(tag, value)) for oid, tag, value in got]

        async def next_v2(oids: list[str]) -> list[tuple[str, object]]:
            return await get_v2(oids, next_=True)

        return Walker(walk_v2, get_v2, next_v2)
    from pysnmp.hlapi.v3arch import asyncio as hl

    target = await hl.UdpTransportTarget.create((host, port), timeout=timeout_s, retries=retries)

    async def walk_v3(root: str, limit: int | None = None) -> list[tuple[str, object]]:
        try:
            rows = await bulk_walk(engine, target, credential, root, min(limit or max_repetitions, max_repetitions),
                                   limit or max_oids, ramp=limit is None)
        except SnmpError as exc:
            raise SnmpError(f"{host}: {exc}") from None
        return rows[:limit or max_oids]

    async def get_v3(oids: list[str], command=hl.get_cmd) -> list[tuple[str, object]]:
        indication, status, _index, var_binds = await command(
            engine, _auth_data(credential), target, hl.ContextData(contextName=credential.context.encode()),
            *[hl.ObjectType(hl.ObjectIdentity(oid)) for oid in oids], lookupMib=False)
        if indication:
            raise SnmpError(f"{host}: get of {oids[0]}: {_describe(indication, credential)}")
        if status:
            raise SnmpError(f"{host}: get of {oids[0]}: agent error {status.prettyPrint()}")
        return [(str(name), _raw_value(value)) for name, value in var_binds]

    async def next_v3(oids: list[str]) -> list[tuple[str, object]]:
        return await get_v3(oids, hl.next_cmd)

    return Walker(walk_v3, get_v3, next_v3)


async def walk(engine, host: str, port: int, credential: SnmpCredential, root: str, max_repetitions: int = 50,
               timeout_s: float = 1.0, retries: int = 1, max_oids: int = MAX_WALK_OIDS,
               ramp: bool = True) -> list[tuple[str, object]]:
    """(OID, value) pairs under ``root``: SNMPv2c through the fast BER walker, SNMPv3 through pysnmp.

    Values: int for INTEGER/Counter/Gauge/TimeTicks, bytes for OCTET STRING, str for OIDs
    and IpAddress, None for exceptions (noSuchObject and the like).
    """
    if credential.version == "2c":
        from agent.discovery.snmp_v2c import V2cError, decode_value, walk_v2c

        try:
            rows = await walk_v2c(host, port, credential.community, root, max_repetitions, timeout_s, retries,
                                  max_oids=max_oids, ramp=ramp)
        except V2cError as exc:
            raise SnmpError(f"{host}: walk of {root}: {exc}") from None
        return [(oid, decode_value(tag, value)) for oid, tag, value in rows]
    from pysnmp.hlapi.v3arch import asyncio as hl

    target = await hl.UdpTransportTarget.create((host, port), timeout=timeout_s, retries=retries)
    return await bulk_walk(engine, target, credential, root, max_repetitions, max_oids, ramp)


def _raw_value(value):
    """A pyasn1 value in the walk's plain form (bytes for strings, unlike ``_value``), as the v2c path gives it."""
    from pyasn1.type import univ
    from pysnmp.proto.rfc1902 import IpAddress
    from pysnmp.proto.rfc1905 import EndOfMibView, NoSuchInstance, NoSuchObject

    if isinstance(value, (NoSuchObject, NoSuchInstance, EndOfMibView, univ.Null)):  # pyasn1's Null is an OctetString
        return None
    if isinstance(value, IpAddress):
        return ".".join(str(octet) for octet in bytes(value))
    if isinstance(value, univ.OctetString):
        return bytes(value)
    return _value(value)


async def walk_interfaces(engine, host: str, port: int, credential: SnmpCredential,
                          timeout_s: float = 1.0, retries: int = 1) -> list[dict]:
    """The device's interfaces from IF-MIB: index, name, MAC, speed (DeviceInterface fields)."""
    from agent.discovery.mibs.interfaces import ROOTS, parse_interfaces

    rows = []
    for root in ROOTS:
        rows += await walk(engine, host, port, credential, root, timeout_s=timeout_s, retries=retries)
    return parse_interfaces(rows)
