"""The parts of a GLPI agent's JSON inventory that Stocktake reads, as strict pydantic models.

Field names, types and units are those of GLPI's published format (glpi-project/inventory_format,
``inventory.schema.json``): sizes of memory, disks and file systems in MB, battery capacities in
mWh and voltage in mV, interface speed as a string, dates ``YYYY-MM-DD`` or ``YYYY-MM-DD HH:MM:SS``.
Types are strict as in the schema: ``"8192"`` where an integer is expected, a list where a string
is, or ``1`` for a boolean is a 422 naming the field (``content.softwares.3.name``), never coerced.
GLPI's own inventory endpoint had type-confusion holes in exactly this path.

Strings and lists are bounded like Stocktake's own wire records (common/schema.py). Sections and
keys that Stocktake does not read (processes, environment variables, licence keys, antivirus...)
are ignored, not stored: the body cap bounds them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints
from typing_extensions import NotRequired, TypedDict

from common.schema import INT32_MAX, INT64_MAX, IpText, MacText

__all__ = [
    "GlpiBattery", "GlpiBios", "GlpiContent", "GlpiCpu", "GlpiDrive", "GlpiHardware", "GlpiMemory",
    "GlpiMessage", "GlpiMonitor", "GlpiNetwork", "GlpiNetworkDevice", "GlpiNetworkPort",
    "GlpiOperatingSystem", "GlpiSoftware", "GlpiStorage", "GlpiUser", "GlpiVirtualMachine",
]

# NUL (which PostgreSQL text cannot hold) is refused for the whole message before validation
# (glpi_json.parse_glpi_message): one scan of the body instead of a pattern per string.
Str = Annotated[str, StringConstraints(max_length=255)]
LongStr = Annotated[str, StringConstraints(max_length=1024)]
Count = Annotated[int, Field(ge=0, le=INT64_MAX)]
# Counts that land in 32-bit columns (CPU cores and threads, clock speeds).
Count32 = Annotated[int, Field(ge=0, le=INT32_MAX)]
# Sizes in MB that become bytes in a 64-bit column.
Megabytes = Annotated[int, Field(ge=0, le=INT64_MAX // (1024 * 1024))]
# The schema's "date" and "dateordatetime" (GLPI agents write local times without a zone;
# newer ones may add 'T' and an offset).
DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
DATE_OR_DATETIME = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2}:[0-9]{2}(Z|[+-][0-9]{2}:?[0-9]{2}(:[0-9]{2})?)?)?$"


def _real_date(text: str) -> str:
    """The pattern lets 2024-13-45 through; the calendar does not."""
    datetime.fromisoformat(text.replace(" ", "T", 1))
    return text


Date = Annotated[str, StringConstraints(max_length=10, pattern=DATE), AfterValidator(_real_date)]
DateOrDatetime = Annotated[str, StringConstraints(max_length=32, pattern=DATE_OR_DATETIME), AfterValidator(_real_date)]


def _items(model, limit: int):
    return Annotated[list[model], Field(max_length=limit)]


class _Section(BaseModel):
    """Strict types, unknown keys ignored (agents of other versions add fields)."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)


class GlpiHardware(_Section):
    name: Str | None = None
    uuid: Str | None = None
    chassis_type: Str | None = None
    memory: Megabytes | None = None
    workgroup: Str | None = None
    lastloggeduser: Str | None = None
    vmsystem: Str | None = None


class GlpiBios(_Section):
    assettag: Str | None = None
    bdate: DateOrDatetime | None = None
    bmanufacturer: Str | None = None
    bversion: Str | None = None
    smanufacturer: Str | None = None
    smodel: Str | None = None
    ssn: Str | None = None
    mmanufacturer: Str | None = None
    mmodel: Str | None = None
    msn: Str | None = None


class GlpiCpu(_Section):
    name: Str | None = None
    manufacturer: Str | None = None
    arch: Str | None = None
    core: Count32 | None = None  # enabled cores
    corecount: Count32 | None = None  # total cores
    thread: Count32 | None = None
    speed: Count32 | None = None  # MHz


class GlpiMemory(_Section):
    capacity: Megabytes | None = None
    caption: Str | None = None
    description: Str | None = None
    manufacturer: Str | None = None
    model: Str | None = None
    numslots: Count | None = None
    serialnumber: Str | None = None
    speed: Str | None = None  # "1600 MT/s", "2400"
    type: Str | None = None


class GlpiStorage(_Section):
    name: Str | None = None
    description: Str | None = None
    disksize: Megabytes | None = None
    firmware: Str | None = None
    interface: Str | None = None
    manufacturer: Str | None = None
    model: Str | None = None
    serial: Str | None = None
    type: Str | None = None


class GlpiDrive(_Section):
    """A file system; validated but not carried (the native report has no volumes)."""

    volumn: LongStr | None = None
    type: LongStr | None = None  # the mount point, despite its name
    letter: Str | None = None
    filesystem: Str | None = None
    label: Str | None = None
    serial: Str | None = None
    total: Count | None = None  # MB
    free: Count | None = None  # MB: volatile, never carried
    systemdrive: bool | None = None


class GlpiNetwork(_Section):
    description: Str  # the interface name ("eth0", or the adapter's name on Windows)
    mac: MacText | None = None
    ipaddress: IpText | None = None
    ipaddress6: IpText | None = None
    ipmask: IpText | None = None
    speed: Str | None = None  # Mb/s, as a string
    status: Str | None = None
    type: Str | None = None
    virtualdev: bool | None = None
    management: bool | None = None


class GlpiTimezone(_Section):
    name: Str
    offset: Annotated[str, StringConstraints(pattern=r"^[+-][0-9]{4}$")]


class GlpiOperatingSystem(_Section):
    name: Str | None = None
    full_name: Str | None = None
    version: Str | None = None
    kernel_name: Str | None = None
    kernel_version: Str | None = None
    arch: Str | None = None
    fqdn: Str | None = None
    dns_domain: Str | None = None
    service_pack: Str | None = None
    install_date: DateOrDatetime | None = None
    boot_time: DateOrDatetime | None = None  # volatile after each reboot: not carried
    timezone: GlpiTimezone | None = None


# A plain dict per package, not a model: an inventory holds thousands, and pydantic validates
# 1,500 of them into dicts in half the time it takes to build model instances (~1.3 vs 2.5 ms).
# Same strictness and limits; "from" is a key here, as on the wire.
GlpiSoftware = TypedDict("GlpiSoftware", {
    "name": Str,
    "version": NotRequired[Str | None],
    "publisher": NotRequired[Str | None],
    "arch": NotRequired[Str | None],
    "from": NotRequired[Str | None],  # where the agent found it: deb, rpm, registry, snap, flatpak...
    "install_date": NotRequired[DateOrDatetime | None],
    "guid": NotRequired[Str | None],
    "system_category": NotRequired[Str | None],
})
GlpiSoftware.__pydantic_config__ = ConfigDict(strict=True, extra="ignore")


class GlpiUser(_Section):
    login: Str | None = None
    domain: Str | None = None


class GlpiMonitor(_Section):
    name: Str | None = None
    caption: Str | None = None
    description: Str | None = None  # manufacture date, "11/2013"
    manufacturer: Str | None = None
    serial: Str | None = None
    altserial: Str | None = None
    type: Str | None = None
    port: Count | None = None


class GlpiBattery(_Section):
    name: Str | None = None
    manufacturer: Str | None = None
    serial: Str | None = None
    chemistry: Str | None = None
    capacity: Count | None = None  # mWh, by design
    real_capacity: Count | None = None  # mWh, now
    voltage: Count | None = None  # mV
    date: Date | None = None


class GlpiVirtualMachine(_Section):
    """A guest the host runs; validated but not carried (no place in the native report)."""

    name: Str
    vmtype: Str
    uuid: Str | None = None
    status: Str | None = None
    memory: Count | None = None
    vcpu: Count | None = None
    mac: Str | None = None


class GlpiConnection(_Section):
    """What a switch port sees: learnt MACs, or a CDP/LLDP neighbour."""

    mac: Annotated[list[MacText], Field(max_length=65_536)] | MacText | None = None
    sysname: Str | None = None
    sysmac: MacText | None = None
    ifdescr: Str | None = None
    ip: IpText | None = None
    sysdescr: LongStr | None = None
    model: Str | None = None


class GlpiNetworkPort(_Section):
    ifnumber: Count | None = None
    ifname: Str | None = None
    ifdescr: Str | None = None
    ifalias: Str | None = None
    mac: MacText | None = None
    ifspeed: Count | None = None  # bit/s (ifSpeed / ifHighSpeed)
    iftype: Count | None = None
    ifstatus: Count | None = None
    trunk: bool | None = None
    connections: _items(GlpiConnection, 4096) = []
    # Counters (ifinoctets, ifouterrors...) and iflastchange are volatile: ignored.


class GlpiNetworkDevice(_Section):
    type: Literal["Computer", "Networking", "Printer", "Storage", "Power", "Phone", "Video", "KVM"]
    name: Str | None = None
    description: LongStr | None = None
    serial: Str | None = None
    model: Str | None = None
    manufacturer: Str | None = None
    firmware: Str | None = None
    mac: MacText | None = None
    ips: Annotated[list[IpText], Field(max_length=1024)] = []
    location: Str | None = None
    contact: Str | None = None
    # uptime, cpu load and memory figures are volatile: ignored.


class GlpiFirmware(_Section):
    name: Str | None = None
    version: Str | None = None
    type: Str | None = None
    manufacturer: Str | None = None


class GlpiPageCounters(_Section):
    total: Count | None = None


class GlpiContent(_Section):
    versionclient: Str | None = None
    hardware: GlpiHardware | None = None
    bios: GlpiBios | None = None
    operatingsystem: GlpiOperatingSystem | None = None
    cpus: _items(GlpiCpu, 256) = []
    memories: _items(GlpiMemory, 256) = []
    storages: _items(GlpiStorage, 1024) = []
    drives: _items(GlpiDrive, 4096) = []
    networks: _items(GlpiNetwork, 4096) = []
    softwares: _items(GlpiSoftware, 50_000) = []
    users: _items(GlpiUser, 1024) = []
    monitors: _items(GlpiMonitor, 64) = []
    batteries: _items(GlpiBattery, 16) = []
    virtualmachines: _items(GlpiVirtualMachine, 4096) = []
    network_device: GlpiNetworkDevice | None = None
    network_ports: _items(GlpiNetworkPort, 4096) = []
    firmwares: _items(GlpiFirmware, 256) = []
    pagecounters: GlpiPageCounters | None = None


class GlpiMessage(_Section):
    """One GLPI agent message: ``action`` says what it is (the schema's default is "inventory")."""

    deviceid: Str
    action: Str = "inventory"
    itemtype: Literal["Computer", "Phone", "NetworkEquipment", "Printer"] = "Computer"
    partial: bool = False
    tag: Str | None = None
    jobid: Count | None = None
    content: GlpiContent
