"""Plain-dict representations of assets and devices for the JSON API."""

from __future__ import annotations

from datetime import datetime

from collector.models import Asset, Device, Observation
from collector.queries.assets import AssetDetail
from collector.queries.reporting_agents import ReportingAgent

__all__ = ["asset_detail", "asset_summary", "device_summary"]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def asset_summary(asset: Asset) -> dict:
    return {
        "id": asset.id,
        "hostname": asset.hostname,
        "fqdn": asset.fqdn,
        "serial": asset.serial,
        "vendor": asset.vendor,
        "model": asset.model,
        "os": " ".join(filter(None, (asset.os_name, asset.os_version))) or None,
        "agent_id": asset.agent_id,
        "software_count": asset.software_count,
        "first_seen_at": _iso(asset.first_seen_at),
        "last_seen_at": _iso(asset.last_seen_at),
    }


def source(observation: Observation | None, agents: dict[str, ReportingAgent] | None = None) -> dict | None:
    """Where a fact came from: the observation, the agent that sent it, its first report and when it was collected."""
    if observation is None:
        return None
    agent = (agents or {}).get(observation.agent_id)
    return {
        "observation_id": observation.id,
        "source": observation.source,
        "agent": agent.as_dict() if agent else None,
        "report_id": observation.report_id,
        "collected_at": _iso(observation.collected_at),
        "received_at": _iso(observation.received_at),
        "last_report_id": observation.last_report_id,
        "last_collected_at": _iso(observation.last_collected_at),
        "report_count": observation.report_count,
    }


def asset_detail(detail: AssetDetail) -> dict:
    a = detail.asset
    def provenance(observation_id: int) -> dict:
        origin = detail.sources.get(observation_id)
        agent = detail.agents.get(origin.agent_id) if origin else None
        return {
            "observation_id": observation_id,
            "report_id": origin.report_id if origin else None,
            "collected_at": _iso(origin.collected_at) if origin else None,
            "agent": agent.label if agent else None,
        }

    reported_by = detail.agents.get(a.agent_id)
    return {
        **asset_summary(a),
        # The agent reporting this machine now (issue 15: OCS, FusionInventory, GLPI or Stocktake's own).
        "reported_by": reported_by.as_dict() if reported_by else None,
        "hardware": {
            "smbios_uuid": a.smbios_uuid,
            "machine_id": a.machine_id,
            "chassis_type": a.chassis_type,
            "asset_tag": a.asset_tag,
            "bios": {"vendor": a.bios_vendor, "version": a.bios_version, "date": a.bios_date},
            "cpu": {"model": a.cpu_model, "sockets": a.cpu_sockets, "cores": a.cpu_cores, "threads": a.cpu_threads},
            "memory": {"total_bytes": a.memory_bytes, "modules": a.memory_modules or []},
            "provenance": source(detail.observation, detail.agents),
        },
        "os": {
            "name": a.os_name,
            "version": a.os_version,
            "build": a.os_build,
            "kernel": a.kernel,
            "arch": a.arch,
            "install_date": _iso(a.os_install_date),
            "boot_time": _iso(a.boot_time),
            "timezone": a.timezone,
            "domain": a.domain,
            "provenance": source(detail.observation, detail.agents),
        },
        "users": {"logged_in": a.logged_in_users or [], "primary": a.primary_user},
        "probe_errors": a.probe_errors or [],
        "nics": [
            {
                "name": n.name,
                "mac": n.mac,
                "ipv4": n.ipv4,
                "ipv6": n.ipv6,
                "speed_mbps": n.speed_mbps,
                "virtual": n.virtual,
                "kind": n.kind,
                "locally_administered": n.locally_administered,
                "provenance": provenance(n.observation_id),
            }
            for n in detail.nics
        ],
        "disks": [
            {
                "name": d.name,
                "model": d.model,
                "serial": d.serial,
                "size_bytes": d.size_bytes,
                "type": d.type,
                "provenance": provenance(d.observation_id),
            }
            for d in detail.disks
        ],
        "software": [
            {
                "name": sw.name,
                "version": sw.version,
                "publisher": sw.publisher,
                "arch": sw.arch,
                "source": sw.source,
                "install_date": _iso(link.install_date),
                "first_seen_at": _iso(link.first_seen_at),
                "provenance": provenance(link.observation_id),
            }
            for sw, link in detail.software
        ],
        "observations": [source(o, detail.agents) for o in detail.observations],
    }


def device_summary(device: Device) -> dict:
    return {
        "id": device.id, "ip": device.ip, "mac": device.mac, "device_type": device.device_type,
        "vendor": device.vendor, "oui_vendor": device.oui_vendor, "model": device.model, "serial": device.serial,
        "sys_name": device.sys_name, "firmware": device.firmware, "page_count": device.page_count,
        "page_count_at": _iso(device.page_count_at), "found_by": device.found_by,
        "first_seen_at": _iso(device.first_seen_at), "last_seen_at": _iso(device.last_seen_at),
        "last_seen_by": device.last_seen_by, "asset_id": device.asset_id, "link_reason": device.link_reason,
        "managed": device.asset_id is not None,
        "switch_port": _switch_port(device),
    }


def _switch_port(device: Device) -> dict | None:
    """Where the device plugs in, when a switch's forwarding table told us."""
    switch = device.switch
    if switch is None:
        return None
    return {"switch_id": switch.id, "switch": switch.sys_name or switch.ip or switch.mac, "switch_ip": switch.ip,
            "port": device.switch_port, "seen_at": _iso(device.port_seen_at)}
