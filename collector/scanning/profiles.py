"""Scan profiles: create, change, delete, assign to agents, list.

Functions take a session and plain data (an API body, CLI options) and raise
``ServiceError``s naming each bad field; nothing is stored when anything is wrong.
Credentials are encrypted here, before they reach the session, and only a summary
(name, version, SNMPv3 user) is kept in the clear; that summary is all the audit log gets.
Every change is audited here, so the API and the CLI write the same entry.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from collector.access.audit_log import SYSTEM, Actor, append_entry
from collector.config import CollectorConfig
from collector.errors import Conflict, FieldError, InvalidInput, NotFound
from collector.models import Agent, ScanAssignment, ScanProfile
from collector.scanning.crypto import credentials_cipher, encrypt_credentials
from collector.scanning.validation import ProfileSpec, check_profile
from common.snmp_credentials import credential_summary

__all__ = ["assign_agents", "create_profile", "delete_profile", "find_profile", "get_profile", "list_profiles",
           "profile_agents", "update_profile"]


def create_profile(session: Session, data: Mapping[str, Any], config: CollectorConfig, now: datetime,
                   actor: Actor = SYSTEM) -> ScanProfile:
    """A new profile from ``data``; ``agents`` (a list of agent ids) may assign it at once."""
    spec = check_profile(data, config.scan_max_addresses, extra=("agents",))
    agent_ids = _check_agents(session, data["agents"]) if "agents" in data else []
    _refuse_taken_name(session, spec.name)
    profile = ScanProfile(created_at=now)
    _apply(profile, spec, config, now)
    session.add(profile)
    session.flush()
    _replace_assignments(session, profile.id, agent_ids, now)
    append_entry(session, "scan_profile_created", actor, f"scan_profile {profile.id}",
                 {"before": None, "after": {**_audited(profile), "agents": sorted(agent_ids)}}, now)
    return profile


def update_profile(session: Session, profile_id: int, data: Mapping[str, Any], config: CollectorConfig,
                   now: datetime, actor: Actor = SYSTEM) -> ScanProfile:
    profile = get_profile(session, profile_id)
    spec = check_profile(data, config.scan_max_addresses, current=profile)
    if spec.name != profile.name:
        _refuse_taken_name(session, spec.name)
    before = _audited(profile)
    _apply(profile, spec, config, now)
    session.flush()
    append_entry(session, "scan_profile_changed", actor, f"scan_profile {profile.id}",
                 {"before": before, "after": _audited(profile),
                  "credentials_replaced": spec.credentials is not None}, now)
    return profile


def delete_profile(session: Session, profile_id: int, actor: Actor = SYSTEM, now: datetime | None = None) -> None:
    profile = get_profile(session, profile_id)
    before = {**_audited(profile), "agents": profile_agents(session, [profile.id])[profile.id]}
    session.execute(delete(ScanAssignment).where(ScanAssignment.profile_id == profile.id))
    session.delete(profile)
    session.flush()
    append_entry(session, "scan_profile_deleted", actor, f"scan_profile {profile_id}",
                 {"before": before, "after": None}, now)


def assign_agents(session: Session, profile_id: int, agent_ids: Any, now: datetime,
                  actor: Actor = SYSTEM) -> list[str]:
    """Make ``agent_ids`` exactly the agents running the profile; the sorted list back."""
    profile = get_profile(session, profile_id)
    checked = _check_agents(session, agent_ids)
    before = profile_agents(session, [profile.id])[profile.id]
    _replace_assignments(session, profile.id, checked, now)
    append_entry(session, "scan_profile_assigned", actor, f"scan_profile {profile.id}",
                 {"name": profile.name, "from": before, "to": sorted(checked)}, now)
    return sorted(checked)


def _audited(profile: ScanProfile) -> dict[str, Any]:
    """What the audit log records of a profile: never the credentials, only their summary."""
    return {"name": profile.name, "ranges": list(profile.ranges), "interface": profile.interface,
            "interval_s": profile.interval_s, "enabled": profile.enabled, "allow_public": profile.allow_public,
            "max_addresses": profile.max_addresses,
            "credentials": [entry.get("name") or entry.get("version") for entry in profile.credentials_summary or []]}


def get_profile(session: Session, profile_id: int) -> ScanProfile:
    profile = session.get(ScanProfile, profile_id)
    if profile is None:
        raise NotFound(f"no scan profile with id {profile_id}")
    return profile


def find_profile(session: Session, reference: str) -> ScanProfile:
    """A profile by name, or by id when the reference is a number no profile is named."""
    profile = session.scalar(select(ScanProfile).where(ScanProfile.name == reference))
    if profile is None and reference.isdigit():
        profile = session.get(ScanProfile, int(reference))
    if profile is None:
        raise NotFound(f"no scan profile named {reference!r}")
    return profile


def list_profiles(session: Session) -> list[ScanProfile]:
    return list(session.scalars(select(ScanProfile).order_by(ScanProfile.name)))


def profile_agents(session: Session, profile_ids: list[int]) -> dict[int, list[str]]:
    """The agents assigned to each profile (one query for a whole listing)."""
    agents: dict[int, list[str]] = {profile_id: [] for profile_id in profile_ids}
    rows = session.execute(select(ScanAssignment.profile_id, ScanAssignment.agent_id)
                           .where(ScanAssignment.profile_id.in_(profile_ids))
                           .order_by(ScanAssignment.agent_id))
    for profile_id, agent_id in rows:
        agents[profile_id].append(agent_id)
    return agents


def _apply(profile: ScanProfile, spec: ProfileSpec, config: CollectorConfig, now: datetime) -> None:
    profile.name, profile.ranges, profile.interface = spec.name, spec.ranges, spec.interface
    profile.allow_public, profile.max_addresses = spec.allow_public, spec.max_addresses
    profile.interval_s, profile.enabled, profile.updated_at = spec.interval_s, spec.enabled, now
    if spec.credentials is not None:
        profile.credentials_token = (encrypt_credentials(credentials_cipher(config), spec.credentials)
                                     if spec.credentials else None)
        profile.credentials_summary = [credential_summary(entry) for entry in spec.credentials]


def _refuse_taken_name(session: Session, name: str) -> None:
    if session.scalar(select(ScanProfile.id).where(ScanProfile.name == name)) is not None:
        raise Conflict(f"a scan profile named {name!r} already exists", [FieldError("name", "already taken")])


def _check_agents(session: Session, agent_ids: Any) -> list[str]:
    if not isinstance(agent_ids, list) or not all(isinstance(a, str) and 0 < len(a) <= 36 for a in agent_ids):
        raise InvalidInput("invalid agent list", [FieldError("agents", "must be a list of agent ids")])
    wanted = list(dict.fromkeys(agent_ids))
    known = dict(session.execute(select(Agent.id, Agent.revoked_at).where(Agent.id.in_(wanted))).all())
    problems = [FieldError(f"agents[{agent_ids.index(a)}]", f"unknown agent {a!r}") for a in wanted if a not in known]
    problems += [FieldError(f"agents[{agent_ids.index(a)}]", f"agent {a!r} is revoked") for a in wanted
                 if known.get(a) is not None]
    if problems:
        raise InvalidInput("; ".join(p.message for p in problems) + "; nothing was stored", problems)
    return wanted


def _replace_assignments(session: Session, profile_id: int, agent_ids: list[str], now: datetime) -> None:
    """Remove the agents no longer listed, add the new ones (the others keep their assigned_at)."""
    of_profile = ScanAssignment.profile_id == profile_id
    existing = set(session.scalars(select(ScanAssignment.agent_id).where(of_profile)))
    session.execute(delete(ScanAssignment).where(of_profile, ScanAssignment.agent_id.not_in(agent_ids)))
    session.add_all(ScanAssignment(profile_id=profile_id, agent_id=agent_id, assigned_at=now)
                    for agent_id in agent_ids if agent_id not in existing)
    session.flush()
