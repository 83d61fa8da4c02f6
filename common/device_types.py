"""What kind of device a discovered device is: the taxonomy the scanner reports and the collector shows.

One home for the list: the agent's classification rules are validated against it, and the
collector's views and location logic read it from here.
"""

from __future__ import annotations

from enum import Enum

__all__ = ["DEVICE_TYPES", "DeviceType", "NETWORK_DEVICE_TYPES"]


class DeviceType(str, Enum):
    ROUTER = "router"
    SWITCH = "switch"
    FIREWALL = "firewall"
    LOAD_BALANCER = "load_balancer"
    WIRELESS_CONTROLLER = "wireless_controller"
    WIRELESS_AP = "wireless_ap"
    CONSOLE_SERVER = "console_server"
    KVM = "kvm"
    UPS = "ups"
    PDU = "pdu"
    ENVIRONMENT_SENSOR = "environment_sensor"
    PRINTER = "printer"
    CAMERA = "camera"
    IP_PHONE = "ip_phone"
    STORAGE = "storage"
    HYPERVISOR = "hypervisor"
    SERVER = "server"
    WORKSTATION = "workstation"
    IOT = "iot"
    UNKNOWN = "unknown"


DEVICE_TYPES = tuple(member.value for member in DeviceType)
# Devices whose ARP caches and forwarding tables describe other devices (they carry traffic).
NETWORK_DEVICE_TYPES = frozenset({"router", "switch", "firewall", "wireless_ap", "wireless_controller",
                                  "load_balancer"})
