"""What check-in hands a scanner agent, and what its reports tell us about their profile.

Only an agent assigned to an enabled profile receives that profile as a task, and only
then are its SNMP credentials decrypted: they leave the collector in that agent's
check-in answer (over TLS) and nowhere else. A profile whose credentials cannot be
decrypted (the key was changed) is left out of the answer and logged by name, so one
bad profile neither breaks check-in nor hides the others.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from collector.config import CollectorConfig
from collector.models import ScanAssignment, ScanProfile
from collector.scanning.crypto import CredentialsKeyError, credentials_cipher, decrypt_credentials
from common.scan_tasks import TASK_TYPE, profile_id_of

__all__ = ["record_profile_report", "scan_tasks"]

log = logging.getLogger(__name__)


_ANY_ASSIGNMENT = select(ScanAssignment.profile_id).where(ScanAssignment.agent_id == bindparam("agent_id")).limit(1)


def scan_tasks(session: Session, agent_id: str, config: CollectorConfig) -> list[dict]:
    """The scan tasks of the enabled profiles assigned to ``agent_id`` (decrypted credentials included)."""
    if session.connection().execute(_ANY_ASSIGNMENT, {"agent_id": agent_id}).first() is None:
        return []  # most agents scan nothing: one indexed probe, no ORM load
    profiles = session.scalars(
        select(ScanProfile).join(ScanAssignment, ScanAssignment.profile_id == ScanProfile.id)
        .where(ScanAssignment.agent_id == agent_id, ScanProfile.enabled.is_(True)).order_by(ScanProfile.id)
    ).all()
    tasks, cipher = [], None
    for profile in profiles:
        try:
            if profile.credentials_token is not None and cipher is None:
                cipher = credentials_cipher(config)
            credentials = (decrypt_credentials(cipher, profile.credentials_token, profile.name)
                           if profile.credentials_token is not None else [])
        except CredentialsKeyError as exc:
            log.error("scan profile left out of a check-in answer: %s", exc.message,
                      extra={"profile_id": profile.id, "agent_id": agent_id})
            continue
        tasks.append(_task(profile, credentials))
    return tasks


def _task(profile: ScanProfile, credentials: list[dict[str, str]]) -> dict:
    return {"type": TASK_TYPE, "profile_id": profile.id, "profile": profile.name, "ranges": list(profile.ranges),
            "interface": profile.interface, "allow_public": profile.allow_public,
            "max_addresses": profile.max_addresses, "interval_s": profile.interval_s, "credentials": credentials}


def record_profile_report(session: Session, scan_id: str, agent_id: str, finished_at: datetime) -> bool:
    """Note a stored report of a profile's scan on the profile (only from an agent assigned to it).

    A report delivered late from the spool never moves ``last_report_at`` backwards.
    """
    profile_id = profile_id_of(scan_id)
    if profile_id is None:
        return False
    profile = session.scalar(
        select(ScanProfile).join(ScanAssignment, ScanAssignment.profile_id == ScanProfile.id)
        .where(ScanProfile.id == profile_id, ScanAssignment.agent_id == agent_id)
    )
    if profile is None:
        return False
    if profile.last_report_at is None or finished_at > profile.last_report_at:
        profile.last_report_at, profile.last_report_by = finished_at, agent_id
    return True
