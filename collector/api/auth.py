"""Bearer authentication for the two kinds of API caller: agents and API tokens."""

from __future__ import annotations

from flask import request

from collector.access.api_tokens import authenticate_api_token, needs_use_record, record_token_use, require_role
from collector.access.audit_log import Actor
from collector.access.enrollment import AgentPrincipal, authenticate_agent
from collector.extensions import get_config, get_db, request_session
from collector.models import ApiToken, utcnow

__all__ = ["bearer_token", "client_address", "current_agent", "current_token", "token_actor"]


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def current_agent() -> AgentPrincipal:
    """The agent making this request (401 when the node key is missing, unknown or revoked)."""
    with get_db().autocommit() as connection:
        return authenticate_agent(connection, bearer_token())


def current_token(minimum_role: str = "auditor") -> ApiToken:
    token = authenticate_api_token(request_session(), bearer_token())
    require_role(token, minimum_role)
    now = utcnow()
    if needs_use_record(token, now):
        with get_db().write() as session:
            record_token_use(session, token.id, now)
    return token


def client_address() -> str:
    """The client's address, trusting X-Forwarded-For only from configured proxies."""
    hops = get_config().trusted_proxies
    forwarded = [part.strip() for part in request.headers.get("X-Forwarded-For", "").split(",") if part.strip()]
    if hops and len(forwarded) >= hops:
        return forwarded[-hops]
    return request.remote_addr or "unknown"


def token_actor(token: ApiToken) -> Actor:
    """Who the audit log names for a change made with an API token: ``token:<name>``, from the client."""
    return Actor(None, f"token:{token.name}"[:64], client_address())
