"""The probes an inventory runs, registered explicitly (no directory scanning)."""

from agent.probes.battery import BatteryProbe
from agent.probes.hardware import HardwareProbe
from agent.probes.monitors import MonitorsProbe
from agent.probes.network import NetworkProbe
from agent.probes.operating_system import OperatingSystemProbe
from agent.probes.software import SoftwareProbe
from agent.probes.usage import UsageProbe
from agent.probes.users import UsersProbe

__all__ = ["PROBES", "USAGE_STATE_FILE", "probes_for"]

USAGE_STATE_FILE = "usage.json"

# Without a state directory (``inventory --print``) usage covers the processes running now.
PROBES = [
    OperatingSystemProbe(), HardwareProbe(), NetworkProbe(), SoftwareProbe(), UsersProbe(),
    MonitorsProbe(), BatteryProbe(), UsageProbe(state_path=None),
]


def probes_for(state_dir: str | None) -> list:
    """The probes of an agent with a state directory: usage accumulates across samples there."""
    if state_dir is None:
        return PROBES
    return [probe for probe in PROBES if probe.name != "usage"] + [UsageProbe(state_path=f"{state_dir}/{USAGE_STATE_FILE}")]
