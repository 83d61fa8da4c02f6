"""A fleet that restarts together does not arrive together (agent/pacing.py)."""

import random

from agent.daemon import AgentSettings
from agent.pacing import first_checkin_delay, first_inventory_delay

SETTINGS = AgentSettings(inventory_interval_s=3600, splay_s=600, checkin_interval_s=900)


def test_enrolled_fleet_restarting_together_keeps_the_steady_rate():
    rng = random.Random(4)
    agents = 10_000
    first_minute = sum(first_inventory_delay(SETTINGS, True, rng) < 60 for _ in range(agents))
    first_minute += sum(first_checkin_delay(SETTINGS, True, rng) < 60 for _ in range(agents))
    steady_per_minute = agents * 60 / SETTINGS.inventory_interval_s + agents * 60 / SETTINGS.checkin_interval_s
    assert first_minute <= 1.2 * steady_per_minute  # the bench's bound is 2x; the policy itself gives ~1x


def test_delays_stay_within_their_interval():
    rng = random.Random(5)
    inventory = [first_inventory_delay(SETTINGS, True, rng) for _ in range(2000)]
    checkin = [first_checkin_delay(SETTINGS, True, rng) for _ in range(2000)]
    assert 0 <= min(inventory) and max(inventory) <= 3600 and max(inventory) > 3000  # spread over the whole hour
    assert 0 <= min(checkin) and max(checkin) <= 900 and max(checkin) > 750


def test_a_new_agent_reports_within_the_splay():
    rng = random.Random(6)
    assert all(first_inventory_delay(SETTINGS, False, rng) <= 600 for _ in range(1000))
    assert first_checkin_delay(SETTINGS, False, rng) == 0  # it checks in right after enrolling
