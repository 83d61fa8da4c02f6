"""API tokens: bearer credentials with a role for scripts and people using the REST API.

Roles follow the product's: ``admin`` manages everything, ``operator`` acts on
exceptions, ``auditor`` reads and exports only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from collector.access import credentials
from collector.access.audit_log import SYSTEM, Actor, append_entry
from collector.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound, Unauthorized
from collector.models import ApiToken, utcnow

__all__ = [
    "ROLES",
    "NewToken",
    "authenticate_api_token",
    "create_api_token",
    "list_api_tokens",
    "needs_use_record",
    "record_token_use",
    "require_role",
    "revoke_api_token",
]

# Ordered from least to most privileged.
ROLES = ("auditor", "operator", "admin")


@dataclass(frozen=True)
class NewToken:
    name: str
    role: str
    token: str


def create_api_token(session: Session, name: str, role: str, now: datetime | None = None,
                     actor: Actor = SYSTEM) -> NewToken:
    """A new token; its plain value is returned once, never stored nor audited."""
    problems = []
    if not name or len(name) > 128 or not name.isprintable():
        problems.append(FieldError("name", "must be 1-128 printable characters"))
    if role not in ROLES:
        problems.append(FieldError("role", f"must be one of {', '.join(ROLES)}"))
    if problems:
        raise InvalidInput("invalid API token", problems)
    if session.scalar(select(ApiToken.id).where(ApiToken.name == name)) is not None:
        raise Conflict(f"an API token named {name!r} already exists")
    token = credentials.generate(credentials.API_TOKEN_PREFIX)
    session.add(
        ApiToken(
            name=name,
            role=role,
            token_hash=credentials.hash_credential(token),
            prefix=credentials.display_prefix(token),
            created_at=now or utcnow(),
        )
    )
    session.flush()
    append_entry(session, "api_token_created", actor, f"api_token {name}",
                 {"role": role}, now)
    return NewToken(name=name, role=role, token=token)


def list_api_tokens(session: Session) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).order_by(ApiToken.created_at)))


def revoke_api_token(session: Session, name: str, now: datetime | None = None, actor: Actor = SYSTEM) -> ApiToken:
    token = session.scalar(select(ApiToken).where(ApiToken.name == name))
    if token is None:
        raise NotFound(f"no API token named {name!r}")
    already = token.revoked_at is not None
    if not already:
        token.revoked_at = now or utcnow()
    append_entry(session, "api_token_revoked", actor, f"api_token {name}",
                 {"role": token.role, "already_revoked": already}, now)
    return token


def authenticate_api_token(session: Session, token: str | None) -> ApiToken:
    if not token or len(token) > credentials.MAX_CREDENTIAL_LENGTH:
        raise Unauthorized("missing or malformed API token")
    record = session.scalar(select(ApiToken).where(ApiToken.token_hash == credentials.hash_credential(token)))
    if record is None or record.revoked_at is not None:
        raise Unauthorized("unknown or revoked API token")
    return record


# last_used_at is refreshed at most this often, so reads do not each cost a write.
USE_RECORD_INTERVAL = timedelta(minutes=5)


def needs_use_record(token: ApiToken, now: datetime) -> bool:
    return token.last_used_at is None or now - token.last_used_at >= USE_RECORD_INTERVAL


def record_token_use(session: Session, token_id: int, now: datetime) -> None:
    """Note when a token was last used, for reviews of idle credentials."""
    session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))


def require_role(token: ApiToken, minimum: str) -> None:
    if ROLES.index(token.role) < ROLES.index(minimum):
        raise Forbidden(f"this action needs the {minimum} role")
