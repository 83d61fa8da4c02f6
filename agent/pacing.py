"""When a starting daemon first reports and checks in: never in step with the rest of the fleet.

Fleets restart together: a site's power comes back, a patch reboots every laptop at 09:00, a
config push restarts every daemon after a collector outage. If each daemon reported and checked
in as it started, the collector would get an hour's traffic in a minute (with the spooled
reports of the outage on top), and shedding that load would itself be a storm of refusals.

So a daemon that has enrolled before picks a random point of a whole interval for its first
inventory and for its first check-in, as Puppet does with ``splay`` and ``splaylimit`` equal to
the run interval: the fleet's request rate is the steady one from the first minute
(``bench/fleet.py --herd`` measures it). Spooled reports wait for that slot; nothing is lost by
waiting, and the agent's schedule keeps its phase afterwards. A new agent (never enrolled) goes
within the splay: its first report is what an admin who just installed it is waiting for, and
new installs come in tens, not in thousands.
"""

from __future__ import annotations

import random
from typing import Protocol

__all__ = ["first_checkin_delay", "first_inventory_delay"]


class Schedule(Protocol):
    inventory_interval_s: int
    splay_s: int
    checkin_interval_s: int


def first_inventory_delay(schedule: Schedule, enrolled: bool, rng: random.Random) -> float:
    """Seconds from daemon start to the first inventory."""
    if not enrolled:
        return rng.uniform(0, schedule.splay_s)
    return rng.uniform(0, schedule.inventory_interval_s)


def first_checkin_delay(schedule: Schedule, enrolled: bool, rng: random.Random) -> float:
    """Seconds from daemon start to the first check-in (a new agent checks in once it has enrolled)."""
    if not enrolled:
        return 0.0  # no request: check_in() waits for an identity, the first inventory enrols and checks in
    return rng.uniform(0, schedule.checkin_interval_s)
