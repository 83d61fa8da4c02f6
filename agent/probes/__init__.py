"""The probes an inventory runs, registered explicitly (no directory scanning)."""

from agent.probes.hardware import HardwareProbe
from agent.probes.network import NetworkProbe
from agent.probes.operating_system import OperatingSystemProbe
from agent.probes.software import SoftwareProbe
from agent.probes.users import UsersProbe

__all__ = ["PROBES"]

PROBES = [OperatingSystemProbe(), HardwareProbe(), NetworkProbe(), SoftwareProbe(), UsersProbe()]
