"""The names of the automatic workflow triggers, and the check of the ``workflow_triggers`` setting.

Apart from collector/workflows/triggers.py so that the configuration can check the setting
without importing the workflow services.
"""

from __future__ import annotations

from enum import Enum
from typing import Mapping

__all__ = ["DEFAULT_TRIGGERS", "EVENT_TRIGGERS", "SCHEDULE_TRIGGERS", "Trigger", "configured_triggers",
           "trigger_problems"]


class Trigger(str, Enum):
    # Events, from the "facts changed" step (collector/facts.py) after a reconciliation run.
    EXCEPTION = "exception"  # any exception a run opens
    UNMANAGED_DEVICE = "unmanaged_device"  # a scanned device no CI claims (an "unmanaged" exception)
    AGENT_FIRST_SEEN = "agent_first_seen"  # an agent's asset reported for the first time
    # From a licence position run (collector/sam/): an over_deployed exception it opened.
    LICENSE_OVER_DEPLOYED = "license_over_deployment"
    ASSET_NOT_SEEN = "asset_not_seen"  # a CI whose machine has not reported for workflow_not_seen_days
    # Schedules, on the jobs leader.
    WARRANTY_ENDING = "warranty_ending"
    SUBSCRIPTION_RENEWAL = "subscription_renewal"
    STALE_RECORD = "stale_record"


EVENT_TRIGGERS = (Trigger.EXCEPTION, Trigger.UNMANAGED_DEVICE, Trigger.AGENT_FIRST_SEEN, Trigger.LICENSE_OVER_DEPLOYED)
SCHEDULE_TRIGGERS = (Trigger.ASSET_NOT_SEEN, Trigger.WARRANTY_ENDING, Trigger.SUBSCRIPTION_RENEWAL,
                     Trigger.STALE_RECORD)


# On unless a site turns one off with an empty string (config/collector.example.toml).
DEFAULT_TRIGGERS = {"exception": "exception_resolution", "license_over_deployment": "license_remediation",
                    "subscription_renewal": "sam_renewal"}


def configured_triggers(table: Mapping) -> dict[Trigger, str]:
    """Trigger -> template of the triggers that are on: the setting over the default."""
    merged = {**DEFAULT_TRIGGERS, **table}
    return {Trigger(key): value for key, value in merged.items() if value}


def trigger_problems(table: Mapping) -> list[str]:
    """What is wrong with a ``workflow_triggers`` table (trigger -> template name, "" turns one off)."""
    known = [t.value for t in Trigger]
    problems = []
    for key, value in table.items():
        if key not in known:
            problems.append(f"workflow_triggers: unknown trigger {key!r} (known: {', '.join(known)})")
        elif not isinstance(value, str) or len(value) > 64:
            problems.append(f"workflow_triggers.{key} must be a template name (or an empty string for none)")
    return problems
