"""Users: who is logged in now, and the primary user (the one with the most session time).

Session time comes from psutil's utmp view of current sessions; the heuristic is the same
as Lansweeper's "most logged on" user, restricted to what the host records.
"""

from __future__ import annotations

import sys
import time
from collections import defaultdict

import psutil

from agent.probes.base import Fragment

__all__ = ["UsersProbe", "primary_user"]


class UsersProbe:
    name = "users"

    def supported(self) -> bool:
        return sys.platform.startswith("linux") or sys.platform == "darwin"

    def collect(self) -> Fragment:
        sessions = [(u.name, u.started) for u in psutil.users() if u.name]
        users: Fragment = {"logged_in": sorted({name for name, _ in sessions})}
        primary = primary_user(sessions, time.time())
        if primary:
            users["primary"] = primary
        return {"users": users}


def primary_user(sessions: list[tuple[str, float]], now: float) -> str | None:
    """The user with the most accumulated session time; ties go to the name first in order."""
    totals: dict[str, float] = defaultdict(float)
    for name, started in sessions:
        totals[name] += max(0.0, now - started)
    if not totals:
        return None
    return sorted(totals.items(), key=lambda item: (-item[1], item[0]))[0][0]
