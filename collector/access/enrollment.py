"""Enrollment: an agent trades the fleet's enrollment secret for its own node key.

The secret only admits agents; every later request is authenticated by the per-agent
key, so revoking one agent never disturbs the fleet, and rotating the secret never
locks out agents already enrolled. An agent whose key was revoked enrols again with its
previous agent id and keeps its identity and history; an agent that is still active can
only be re-enrolled by presenting its current key, so the fleet-wide secret cannot be
used to take over another machine's identity.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from collector.access import credentials
from collector.access.audit_log import SYSTEM, Actor, append_entry
from collector.errors import Conflict, FieldError, InvalidInput, NotFound, Unauthorized
from collector.models import Agent, AgentProtocol, EnrollmentSecret, utcnow
from common.schema import EnrollRequest

__all__ = [
    "AgentPrincipal",
    "EnrolledAgent",
    "NewSecret",
    "authenticate_agent",
    "create_enrollment_secret",
    "enroll_agent",
    "list_enrollment_secrets",
    "revoke_agent",
    "revoke_enrollment_secret",
]


@dataclass(frozen=True)
class NewSecret:
    name: str
    secret: str


@dataclass(frozen=True)
class EnrolledAgent:
    agent_id: str
    node_key: str
    reenrolled: bool


def create_enrollment_secret(
    session: Session,
    name: str,
    expires_in: timedelta | None = None,
    max_uses: int | None = None,
    now: datetime | None = None,
    actor: Actor = SYSTEM,
) -> NewSecret:
    """Create a named secret; its plain value is returned once and never stored (nor audited)."""
    now = now or utcnow()
    problems = []
    if not name or len(name) > 128 or not name.isprintable():
        problems.append(FieldError("name", "must be 1-128 printable characters"))
    if max_uses is not None and max_uses < 1:
        problems.append(FieldError("max_uses", "must be at least 1"))
    if expires_in is not None and expires_in <= timedelta(0):
        problems.append(FieldError("expires_in", "must be in the future"))
    if problems:
        raise InvalidInput("invalid enrollment secret", problems)
    if session.scalar(select(EnrollmentSecret.id).where(EnrollmentSecret.name == name)) is not None:
        raise Conflict(f"an enrollment secret named {name!r} already exists")
    secret = credentials.generate(credentials.ENROLL_SECRET_PREFIX)
    session.add(
        EnrollmentSecret(
            name=name,
            secret_hash=credentials.hash_credential(secret),
            prefix=credentials.display_prefix(secret),
            created_at=now,
            expires_at=now + expires_in if expires_in else None,
            max_uses=max_uses,
            use_count=0,
        )
    )
    session.flush()
    append_entry(session, "enroll_secret_created", actor, f"enroll_secret {name}",
                 {"expires_in_days": expires_in.days if expires_in else None, "max_uses": max_uses}, now)
    return NewSecret(name=name, secret=secret)


def list_enrollment_secrets(session: Session) -> list[EnrollmentSecret]:
    return list(session.scalars(select(EnrollmentSecret).order_by(EnrollmentSecret.created_at)))


def revoke_enrollment_secret(session: Session, name: str, now: datetime | None = None,
                             actor: Actor = SYSTEM) -> EnrollmentSecret:
    secret = session.scalar(select(EnrollmentSecret).where(EnrollmentSecret.name == name))
    if secret is None:
        raise NotFound(f"no enrollment secret named {name!r}")
    already = secret.revoked_at is not None
    if not already:
        secret.revoked_at = now or utcnow()
    append_entry(session, "enroll_secret_revoked", actor, f"enroll_secret {name}",
                 {"uses": secret.use_count, "already_revoked": already}, now)
    return secret


def enroll_agent(session: Session, request: EnrollRequest, now: datetime | None = None,
                 client: str | None = None) -> EnrolledAgent:
    """Admit an agent holding a usable enrollment secret and issue it a fresh node key.

    Audited as done by the secret (``enroll_secret:<name>``), from the agent's address."""
    now = now or utcnow()
    secret = session.scalar(
        select(EnrollmentSecret)
        .where(EnrollmentSecret.secret_hash == credentials.hash_credential(request.enroll_secret))
        .with_for_update()
    )
    if secret is None or not secret.is_usable(now):
        raise Unauthorized("invalid, expired or revoked enrollment secret")
    secret.use_count += 1
    node_key = credentials.generate(credentials.NODE_KEY_PREFIX)
    requested_id = str(request.agent_id) if request.agent_id else None
    agent = session.get(Agent, requested_id, with_for_update=True) if requested_id else None
    if agent is not None and agent.protocol != AgentProtocol.STOCKTAKE.value:
        # A foreign agent's id is known to whoever saw its site's traffic: it never gets a node key.
        raise Conflict(f"agent {requested_id} is a foreign agent ({agent.protocol}); enrol without an agent id")
    if agent is not None and agent.revoked_at is None and (
        not request.node_key or credentials.hash_credential(request.node_key) != agent.node_key_hash
    ):
        # The enrollment secret is shared by a fleet: it must not let one machine take over
        # another's identity. An active agent proves itself with its current key.
        raise Conflict(f"agent {requested_id} is enrolled and active: re-enrolling it needs its current node key, "
                       "or an admin revoking it first")
    reenrolled = agent is not None
    if agent is None:
        # An agent re-enrolling under an id the collector no longer knows keeps that id, so
        # that the reports already in its spool (which carry it) are still accepted.
        agent = Agent(id=requested_id or str(uuid.uuid4()), enrolled_at=now, reports_dropped=0)
        session.add(agent)
    agent.node_key_hash = credentials.hash_credential(node_key)
    agent.key_issued_at = now
    agent.revoked_at = None
    agent.hostname = request.hostname
    agent.platform = request.platform
    agent.agent_version = request.agent_version
    agent.enrollment_secret_id = secret.id
    try:
        session.flush()
    except IntegrityError:  # pragma: no cover - a 256-bit key collision
        raise Conflict("could not issue a unique node key; retry") from None
    append_entry(session, "agent_enrolled", Actor(None, f"enroll_secret:{secret.name}"[:64], client),
                 f"agent {agent.id}", {"hostname": request.hostname, "platform": request.platform,
                                       "agent_version": request.agent_version, "reenrolled": reenrolled}, now)
    return EnrolledAgent(agent_id=agent.id, node_key=node_key, reenrolled=reenrolled)


@dataclass(frozen=True)
class AgentPrincipal:
    """The authenticated agent of a request: what the hot ingest path needs, nothing more."""

    agent_id: str
    last_content_hash: str | None


# Built once: every agent request runs it (building the expression cost more than executing it).
# Foreign agents hold no key (their node_key_hash is not a digest); the protocol test says so twice.
_BY_KEY_HASH = select(Agent.id, Agent.last_content_hash, Agent.revoked_at).where(
    Agent.node_key_hash == bindparam("key_hash"), Agent.protocol == AgentProtocol.STOCKTAKE.value)


def authenticate_agent(connection: Connection, node_key: str | None) -> AgentPrincipal:
    """The agent owning this node key; Unauthorized when it is missing, unknown or revoked.

    One indexed Core query on a plain connection: every agent request pays for it.
    """
    if not node_key or len(node_key) > credentials.MAX_CREDENTIAL_LENGTH:
        raise Unauthorized("missing or malformed node key")
    row = connection.execute(_BY_KEY_HASH, {"key_hash": credentials.hash_credential(node_key)}).first()
    if row is None or row.revoked_at is not None:
        raise Unauthorized("unknown or revoked node key; enrol again")
    return AgentPrincipal(agent_id=row.id, last_content_hash=row.last_content_hash)


def revoke_agent(session: Session, agent_id: str, now: datetime | None = None, actor: Actor = SYSTEM) -> Agent:
    agent = session.get(Agent, agent_id)
    if agent is None:
        raise NotFound(f"no agent with id {agent_id!r}")
    already = agent.revoked_at is not None
    if not already:
        agent.revoked_at = now or utcnow()
    append_entry(session, "agent_revoked", actor, f"agent {agent.id}",
                 {"hostname": agent.hostname, "already_revoked": already}, now)
    return agent
