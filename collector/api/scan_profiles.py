"""/api/v1/scan-profiles: what scanner agents sweep. Auditors read; admins create, change, delete, assign.

Reads show a credential's name, version and SNMPv3 user, never a community or key: the
secrets go out only to an assigned agent, at check-in.
"""

from __future__ import annotations

from flask import request

from collector.api import bp
from collector.api.auth import current_token, token_actor
from collector.api.body import read_json_body
from collector.errors import FieldError, InvalidInput
from collector.extensions import get_config, get_db, request_session
from collector.ingest.parsing import load_json_object
from collector.models import ScanProfile, utcnow
from collector.scanning.profiles import (assign_agents, create_profile, delete_profile, get_profile, list_profiles,
                                         profile_agents, update_profile)

__all__ = ["profile_view"]

MAX_PROFILE_BODY = 64 * 1024


@bp.get("/scan-profiles")
def scan_profiles_index():
    current_token("auditor")
    session = request_session()
    profiles = list_profiles(session)
    agents = profile_agents(session, [p.id for p in profiles])
    return {"items": [profile_view(p, agents[p.id]) for p in profiles]}


@bp.post("/scan-profiles")
def scan_profiles_create():
    token = current_token("admin")
    data = _body()
    with get_db().write() as session:
        profile = create_profile(session, data, get_config(), utcnow(), token_actor(token))
        view = profile_view(profile, profile_agents(session, [profile.id])[profile.id])
    return view, 201


@bp.get("/scan-profiles/<id32:profile_id>")
def scan_profiles_show(profile_id: int):
    current_token("auditor")
    session = request_session()
    return profile_view(get_profile(session, profile_id), profile_agents(session, [profile_id])[profile_id])


@bp.patch("/scan-profiles/<id32:profile_id>")
def scan_profiles_update(profile_id: int):
    token = current_token("admin")
    data = _body()
    with get_db().write() as session:
        profile = update_profile(session, profile_id, data, get_config(), utcnow(), token_actor(token))
        view = profile_view(profile, profile_agents(session, [profile_id])[profile_id])
    return view


@bp.delete("/scan-profiles/<id32:profile_id>")
def scan_profiles_delete(profile_id: int):
    token = current_token("admin")
    with get_db().write() as session:
        delete_profile(session, profile_id, token_actor(token))
    return "", 204


@bp.put("/scan-profiles/<id32:profile_id>/agents")
def scan_profiles_assign(profile_id: int):
    """Replace the profile's agents: ``{"agents": ["<agent id>", ...]}``."""
    token = current_token("admin")
    data = _body()
    unknown = [FieldError(str(key), "unknown field") for key in data if key != "agents"]
    if unknown or "agents" not in data:
        raise InvalidInput('send {"agents": [agent ids]}', unknown or [FieldError("agents", "required")])
    with get_db().write() as session:
        agents = assign_agents(session, profile_id, data["agents"], utcnow(), token_actor(token))
        view = profile_view(get_profile(session, profile_id), agents)
    return view


def _body() -> dict:
    return load_json_object(read_json_body(request, MAX_PROFILE_BODY, MAX_PROFILE_BODY).raw)


def profile_view(profile: ScanProfile, agents: list[str]) -> dict:
    return {
        "id": profile.id, "name": profile.name, "ranges": list(profile.ranges), "interface": profile.interface,
        "allow_public": profile.allow_public, "max_addresses": profile.max_addresses,
        "interval_s": profile.interval_s, "enabled": profile.enabled,
        "credentials": [dict(entry) for entry in profile.credentials_summary or []], "agents": agents,
        "created_at": profile.created_at.isoformat(), "updated_at": profile.updated_at.isoformat(),
        "last_report_at": profile.last_report_at.isoformat() if profile.last_report_at else None,
        "last_report_by": profile.last_report_by,
    }
