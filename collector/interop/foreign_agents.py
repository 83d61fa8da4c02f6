"""The service every foreign-agent endpoint calls: who is sending, as which agent, and storing it.

OCS Inventory, FusionInventory and GLPI agents cannot enrol for a node key. They are admitted
by their site's secret, taken from the URL path (``/ocsinventory/<secret>``) or from HTTP Basic
(any user name, the secret as the password); with neither, the submission is refused (401)
unless ``foreign_agents_trust_network`` is on. Each device id an agent sends becomes one row in
``agents`` (``protocol``, ``foreign_device_id``), bound to the site of its first contact: the
same device id under another site's secret is refused (403), so one site cannot write over
another's machines. Converted reports then go through the native ingest steps
(collector/ingest/accepting.py), so a foreign report is stored, de-duplicated, diffed and
reconciled exactly like one from Stocktake's agent.
"""

from __future__ import annotations

import logging
import math
import secrets
import uuid
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Iterator

import flask
import orjson
from pydantic import ValidationError
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from collector import metrics
from collector.access.audit_log import Actor, append_entries, append_entry
from collector.access.foreign_sites import find_site_by_secret
from collector.config import CollectorConfig
from collector.db import Database
from collector.errors import FieldError, Forbidden, InvalidInput, PayloadTooLarge, Unauthorized
from collector.extensions import get_config, get_db
from collector.ingest.accepting import accept_discovery, accept_inventory, discovery_counts
from collector.ingest.bulk import bulk_for
from collector.ingest.inventory import IngestResult, store_inventory
from collector.ingest.parsing import ParsedInventory, parse_inventory, validation_error
from collector.models import Agent, Asset
from common.schema import DiscoveryReport, InventoryReport

__all__ = ["BASIC_CHALLENGE", "PROTOCOLS", "ForeignDevice", "SiteAuth", "authenticate_site", "foreign_agent_id",
           "store_device_inventory", "store_foreign_discovery", "store_foreign_inventory", "store_unchanged_by_wire"]

log = logging.getLogger(__name__)

PROTOCOLS = ("ocs", "fusioninventory", "glpi")
BASIC_CHALLENGE = 'Basic realm="Stocktake"'
# A contact and the inventory after it come seconds apart: last_seen_at is written at most this
# often by contacts alone (storing a report writes it anyway), so a PROLOG costs no write.
_SEEN_RESOLUTION = timedelta(seconds=60)
_MAX_DEVICE_ID = 255
_MAX_HOSTNAME = 255
_MAX_VERSION = 64  # agents.agent_version


@dataclass(frozen=True)
class SiteAuth:
    """The site a request authenticated as; both None when the trusted-network switch admitted it."""

    site_id: int | None
    site_name: str | None


_DEVICE_COLUMNS = (Agent.id, Agent.site_id, Agent.revoked_at, Agent.superseded_by, Agent.hostname,
                   Agent.agent_version, Agent.last_seen_at, Agent.last_wire_hash, Agent.last_content_hash)
_UNREAD = object()


class ForeignDevice:
    """A device id as one request sees it: its ``agents`` row, read once and shared by the steps
    that need it (the wire check, the first-report check, registration, the last content hash),
    each of which used to check out a pooled connection and read it again."""

    def __init__(self, db: Database, protocol: str, device_id: str) -> None:
        self.db, self.protocol, self.device_id = db, protocol, device_id
        self._row = _UNREAD
        # After foreign_agent_id: the agent's id and its last content hash (None when just registered).
        self.agent_id: str | None = None
        self.last_content_hash: str | None = None

    def row(self, connection=None):
        """The agents row (None for a device never seen), read on first use, on ``connection`` if given."""
        if self._row is _UNREAD:
            query = select(*_DEVICE_COLUMNS).where(Agent.protocol == self.protocol,
                                                   Agent.foreign_device_id == self.device_id)
            if connection is not None:
                self._row = connection.execute(query).first()
            else:
                with self.db.autocommit() as fresh:
                    self._row = fresh.execute(query).first()
        return self._row

    def forget(self) -> None:
        """Read the row again next time (another request registered the device meanwhile), and
        drop what was learned from it."""
        self._row = _UNREAD
        self.agent_id = self.last_content_hash = None

    @classmethod
    def reuse(cls, device: ForeignDevice | None, db: Database, protocol: str, device_id: str) -> ForeignDevice:
        """``device`` when it is this db's, protocol's and device id's, else a fresh one."""
        if device is not None and (device.db, device.protocol, device.device_id) == (db, protocol, device_id):
            return device
        return cls(db, protocol, device_id)


def authenticate_site(request: flask.Request, path_secret: str | None) -> SiteAuth:
    """The site whose secret the request carries (URL path first, else the HTTP Basic password).

    A wrong or revoked secret is always 401, also on a trusted network: it is a misconfigured
    agent its operator should hear about. Only a request with no secret at all is admitted
    unauthenticated, and only when ``foreign_agents_trust_network`` is on.
    """
    secret = path_secret or _basic_password(request)
    if secret:
        with get_db().autocommit() as connection:
            found = find_site_by_secret(connection, secret)
        if found is None:
            raise Unauthorized("unknown or revoked site secret", challenge=BASIC_CHALLENGE)
        return SiteAuth(*found)
    if get_config().foreign_agents_trust_network:
        return SiteAuth(None, None)
    raise Unauthorized("a site secret is required: put it in the server URL's path or send it as the HTTP Basic "
                       "password (stocktake-collector foreign-sites create NAME)", challenge=BASIC_CHALLENGE)


def _basic_password(request: flask.Request) -> str | None:
    auth = request.authorization
    if auth is None or auth.type != "basic":
        return None
    return auth.password or None


def report_interval_hours(config: CollectorConfig) -> int:
    """Hours between a foreign agent's contacts (OCS PROLOG_FREQ, GLPI ``expiration``): Stocktake's
    own agents' inventory interval, rounded up, at least one."""
    return max(1, math.ceil(config.agent_inventory_interval_s / 3600))


def check_before_registering(db: Database, protocol: str, device_id: str, model, document: dict,
                             device: ForeignDevice | None = None):
    """A device's first report is validated as Stocktake's own (``model``) before its agent row
    exists, so that a refused first report leaves nothing behind; a known device's reports are
    validated when stored. Returns the validated first report (its agent id "pending"), which
    ``store_foreign_inventory`` takes instead of validating it again; None for a known device."""
    if ForeignDevice.reuse(device, db, protocol, device_id).row() is not None:
        return None
    try:
        return model.model_validate({**document, "agent_id": "pending"})
    except ValidationError as exc:
        raise validation_error("converted report failed validation", exc) from None


def foreign_agent_id(db: Database, auth: SiteAuth, protocol: str, device_id: str, hostname: str | None,
                     agent_version: str | None, now: datetime, device: ForeignDevice | None = None) -> str:
    """The agents.id of this device: made on first contact and bound to the site; refused from another site.
    ``device`` (the request's ForeignDevice) learns the id and the agent's last content hash."""
    if protocol not in PROTOCOLS:
        raise ValueError(f"unknown foreign protocol {protocol!r}")
    device_id, hostname, agent_version = _checked_identity(device_id, hostname, agent_version)
    device = ForeignDevice.reuse(device, db, protocol, device_id)
    for _attempt in range(2):  # a concurrent first contact of the same device wins the insert; read it then
        try:
            return _agent_for_device(device, auth, hostname, agent_version, now)
        except IntegrityError:
            device.forget()
            continue
    raise Forbidden("could not register this device id; retry")  # pragma: no cover - needs two lost races


def _checked_identity(device_id, hostname, agent_version) -> tuple[str, str | None, str | None]:
    problems = []
    if not isinstance(device_id, str) or not 0 < len(device_id) <= _MAX_DEVICE_ID or not device_id.isprintable():
        problems.append(FieldError("device_id", f"must be 1-{_MAX_DEVICE_ID} printable characters"))
    if hostname is not None and (not isinstance(hostname, str) or len(hostname) > _MAX_HOSTNAME
                                 or not hostname.isprintable()):
        problems.append(FieldError("hostname", f"must be at most {_MAX_HOSTNAME} printable characters"))
    if problems:
        raise InvalidInput("invalid foreign agent identity", problems)
    if isinstance(agent_version, str):
        # Shown, never matched on: a long or odd User-Agent is trimmed rather than refused.
        agent_version = "".join(c for c in agent_version if c.isprintable()).strip()[:_MAX_VERSION] or None
    else:
        agent_version = None
    return device_id, (hostname.strip() or None) if hostname else None, agent_version


def _agent_for_device(device: ForeignDevice, auth, hostname, agent_version, now) -> str:
    db, protocol, device_id = device.db, device.protocol, device.device_id
    row = device.row()
    if row is None:
        device.agent_id = _register(db, auth, protocol, device_id, hostname, agent_version, now)
        device.last_content_hash = None
        return device.agent_id
    _check_binding(row, auth)
    device.agent_id, device.last_content_hash = row.id, row.last_content_hash
    changes = {}
    if row.site_id is None and auth.site_id is not None:
        changes["site_id"] = auth.site_id  # first seen on a trusted network, now with its site's secret
    if agent_version and agent_version != row.agent_version:
        changes["agent_version"] = agent_version
    if hostname and hostname != row.hostname:
        changes["hostname"] = hostname
    if changes or row.last_seen_at is None or now - row.last_seen_at >= _SEEN_RESOLUTION:
        with db.write() as session:
            session.execute(update(Agent.__table__).where(Agent.id == row.id).values(last_seen_at=now, **changes))
            if "site_id" in changes:
                append_entry(session, "foreign_agent_bound", _site_actor(auth), f"agent {row.id}",
                             {"protocol": protocol, "site": auth.site_name}, now)
    return row.id


def _check_binding(row, auth: SiteAuth) -> None:
    if row.revoked_at is not None:
        raise Forbidden("this agent was revoked")
    if row.site_id is not None and row.site_id != auth.site_id:
        raise Forbidden("this device id is bound to another site; use that site's secret")


def _register(db, auth, protocol, device_id, hostname, agent_version, now) -> str:
    agent_id = str(uuid.uuid4())
    with db.write() as session, _registering(session, agent_id, auth, protocol, device_id, hostname, agent_version, now):
        pass
    log.info("foreign agent registered", extra={"agent_id": agent_id, "protocol": protocol, "site": auth.site_name})
    return agent_id


@contextmanager
def _registering(session: Session, agent_id: str, auth: SiteAuth, protocol: str, device_id: str,
                 hostname: str | None, agent_version: str | None, now: datetime) -> Iterator[None]:
    """The device's agents row, then (on leaving, when what ran inside did not fail) its audit
    entry: appended last, so that the audit chain's lock is held only until the commit."""
    session.execute(insert(Agent.__table__).values(
        id=agent_id,
        # Not a SHA-256 digest (it has a colon): no node key can ever match it on the native API.
        node_key_hash="foreign:" + secrets.token_hex(28),
        hostname=hostname or device_id,
        agent_version=agent_version,
        protocol=protocol,
        foreign_device_id=device_id,
        site_id=auth.site_id,
        enrolled_at=now,
        key_issued_at=now,
        last_seen_at=now,
        reports_dropped=0,
    ))
    yield
    # append_entries: a Core insert, no ORM unit of work for the one row (a first report's path).
    append_entries(session, [("foreign_agent_registered", _site_actor(auth), f"agent {agent_id}",
                               {"protocol": protocol, "device_id": device_id, "hostname": hostname,
                                "agent_version": agent_version, "site": auth.site_name})], now)


def _site_actor(auth: SiteAuth) -> Actor:
    return Actor(None, f"foreign_site:{auth.site_name}"[:64] if auth.site_name else "foreign:trusted_network", None)


def store_device_inventory(db: Database, config: CollectorConfig, auth: SiteAuth, device: ForeignDevice,
                           document: dict, agent_version: str | None, now: datetime,
                           wire_hash: str | None = None) -> IngestResult:
    """Store a converted inventory of ``device``, registering the device first when it is new;
    sets ``document["agent_id"]``.

    A new device's report is validated before anything is written (``check_before_registering``),
    then its agents row (and its audit entry) is written in the very transaction that stores
    it: one commit instead of two, and a report that fails to store leaves no agent behind.
    Two first reports of one device racing: the loser's insert of the agents row fails,
    everything it wrote rolls back, and it is stored as the known device's.
    """
    hostname = document["host"]["hostname"]
    validated = check_before_registering(db, device.protocol, device.device_id, InventoryReport, document, device)
    if validated is not None:  # a device never seen
        result = _store_first_inventory(db, config, auth, device, document, hostname, agent_version, now,
                                        wire_hash, validated)
        if result is not None:
            return result
    document["agent_id"] = foreign_agent_id(db, auth, device.protocol, device.device_id, hostname, agent_version, now,
                                            device)
    return store_foreign_inventory(db, config, document["agent_id"], document, now, wire_hash, None, device)


def _store_first_inventory(db, config, auth: SiteAuth, device: ForeignDevice, document: dict, hostname,
                           agent_version, now: datetime, wire_hash, validated) -> IngestResult | None:
    """Register ``device`` and store its first report in one transaction; None when another
    request registered the device meanwhile (nothing of this one is stored then)."""
    device_id, hostname, agent_version = _checked_identity(device.device_id, hostname, agent_version)
    agent_id = str(uuid.uuid4())
    document["agent_id"] = device.agent_id = agent_id

    def registering(session: Session):
        return _registering(session, agent_id, auth, device.protocol, device_id, hostname, agent_version, now)

    try:
        result = store_foreign_inventory(db, config, agent_id, document, now, wire_hash, validated, device, registering)
    except IntegrityError:
        device.forget()
        if device.row() is None:
            raise  # not the agents row's uniqueness: a defect, not a race
        return None
    if result.outcome == "duplicate":  # a report id stored before: rolled back, the registration with it
        device.forget()
        return result
    log.info("foreign agent registered", extra={"agent_id": agent_id, "protocol": device.protocol,
                                                "site": auth.site_name})
    return result


def store_foreign_inventory(db: Database, config: CollectorConfig, agent_id: str, document: dict,
                            now: datetime, wire_hash: str | None = None,
                            validated: InventoryReport | None = None,
                            device: ForeignDevice | None = None,
                            around_store: Callable[[Session], AbstractContextManager] | None = None) -> IngestResult:
    """Validate an InventoryReport dict converted from a foreign payload and store it like a native report.

    Outcomes as the native endpoint's: ``stored``, ``unchanged`` (same content as this agent's
    last report; report id and collection time excluded), ``historical``, ``duplicate``.
    Raises InvalidInput naming every bad field; nothing is stored then. ``wire_hash`` is the
    raw body's (collector/interop/wire_hash.py): kept once the report is stored, so that the
    same body next time is recognised without parsing (``store_unchanged_by_wire``).
    ``validated``: this same document as ``check_before_registering`` validated it (a first report).
    ``device``: the request's ForeignDevice, which knows the agent's last content hash.
    ``around_store``: as accept_inventory's (a new device's registration).
    """
    if document.get("agent_id") != agent_id:
        raise Forbidden("report agent_id does not match the foreign agent")
    body = _serialised(document, config)
    known = device is not None and device.db is db and device.agent_id == agent_id
    last_hash = device.last_content_hash if known else _last_content_hash(db, agent_id)
    parsed = parse_inventory(body, last_hash, document=document)
    if validated is not None:
        parsed.adopt_validated(validated.model_copy(update={"agent_id": agent_id}))
    return accept_inventory(db, config, agent_id, last_hash, parsed, now, wire_hash, around_store)


def store_unchanged_by_wire(db: Database, auth: SiteAuth, protocol: str, device_id: str, wire_hash: str | None,
                            now: datetime, device: ForeignDevice | None = None) -> IngestResult | None:
    """Record an inventory as ``unchanged`` when its wire hash is the one its agent's last stored
    report had and that report's content is still the agent's; None otherwise (parse it then).

    Nothing is refused here: an unknown device, another site's device, a revoked agent, a hash
    that differs all answer None, and the full path gives the precise answer. ``device`` (the
    request's ForeignDevice) keeps the row read here for the full path's steps.
    """
    if wire_hash is None:
        return None
    report_id = str(uuid.uuid4())
    device = ForeignDevice.reuse(device, db, protocol, device_id)
    # One pooled connection (each checkout costs a ping) for the lookup and, on PostgreSQL, the
    # single statement of the native unchanged path, which autocommits on its own.
    with db.autocommit() as connection:
        row = device.row(connection)
        content_hash = _wire_content_hash(row, auth, wire_hash)
        if content_hash is None:
            return None
        result = None if db.is_sqlite else _record_unchanged_at_once(connection, row.id, content_hash, report_id, now)
    if result is None:  # SQLite, or the content moved while the statement waited for the agent's row
        result = _record_unchanged_locked(db, row.id, content_hash, report_id, now)
    if result is not None:
        metrics.count_report("inventory", result.outcome)
        metrics.count_foreign_wire_unchanged(protocol)
        log.info("inventory stored", extra={"agent_id": row.id, "report_id": report_id,
                                            "outcome": result.outcome, "wire_hash": True})
    return result


def _wire_content_hash(row, auth: SiteAuth, wire_hash: str) -> str | None:
    """The content hash this wire hash stands for, if it is still the agent's; None otherwise."""
    if row is None or row.revoked_at is not None or row.superseded_by is not None or row.site_id != auth.site_id:
        return None
    stored_wire, _, content_hash = (row.last_wire_hash or "").partition(":")
    if not content_hash or stored_wire != wire_hash or content_hash != row.last_content_hash:
        return None
    return content_hash


def _record_unchanged_at_once(connection, agent_id: str, content_hash: str, report_id: str,
                              now: datetime) -> IngestResult | None:
    """PostgreSQL: the native single statement, which re-checks the content hash under the row lock."""
    with Session(bind=connection) as session:
        fast = bulk_for(session).record_unchanged(session, agent_id, report_id, content_hash, now, now)
    if fast is None:
        return None
    asset_id, observation_id, claimed = fast
    return IngestResult("unchanged" if claimed else "duplicate", report_id, asset_id, observation_id)


def _record_unchanged_locked(db: Database, agent_id: str, content_hash: str, report_id: str,
                             now: datetime) -> IngestResult | None:
    """The general path: lock the agent, re-check, then store_inventory (which sees the same hash)."""
    parsed = ParsedInventory(body=b"", report_id=report_id, collected_at=now, content_hash=content_hash,
                             spool_dropped=0, agent_id=None)
    with db.write() as session:
        locked = session.execute(
            select(Agent.last_content_hash, Asset.id).outerjoin(Asset, Asset.agent_id == Agent.id)
            .where(Agent.id == agent_id).with_for_update(of=Agent)
        ).first()
        if locked is None or locked[0] != content_hash or locked[1] is None:
            return None
        return store_inventory(session, agent_id, parsed, now)


def store_foreign_discovery(db: Database, config: CollectorConfig, agent_id: str, document: dict,
                            now: datetime) -> dict:
    """Validate a DiscoveryReport dict and store it like a native scanner's report; the native answer's fields."""
    if document.get("agent_id") != agent_id:
        raise Forbidden("report agent_id does not match the foreign agent")
    body = _serialised(document, config)
    try:
        report = DiscoveryReport.model_validate(document)
    except ValidationError as exc:
        raise validation_error("discovery report failed validation", exc) from None
    result = accept_discovery(db, config, agent_id, report, body, now)
    if result.outcome == "duplicate":
        return {"status": "already stored", "report_id": str(report.report_id)}
    return {"status": "stored", "report_id": str(report.report_id), **discovery_counts(result)}


def _serialised(document: dict, config: CollectorConfig) -> bytes:
    try:
        body = orjson.dumps(document)
    except TypeError as exc:  # a converter bug (a value JSON cannot carry), not the agent's fault
        raise InvalidInput("converted report is not JSON", [FieldError("(body)", str(exc))]) from None
    if len(body) > config.max_body_bytes:
        raise PayloadTooLarge(f"converted report exceeds {config.max_body_bytes} bytes")
    return body


def _last_content_hash(db: Database, agent_id: str) -> str | None:
    with db.autocommit() as connection:
        return connection.execute(select(Agent.last_content_hash).where(Agent.id == agent_id)).scalar()
