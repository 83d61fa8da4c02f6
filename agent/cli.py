"""``stocktake-agent``: inventory this host and report it to the collector.

Commands: ``inventory --print`` (no server needed), ``enroll``, ``run --once`` (one
inventory, then the scan tasks that are due), ``daemon`` (scheduled inventories,
check-ins and scan tasks), ``status`` and, for scanner agents, ``scan --once``.
Settings come from /etc/stocktake/agent.toml (``--config``) and ``STOCKTAKE_AGENT_*``
variables.
"""

from __future__ import annotations

import argparse
import json
import sys

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="stocktake-agent", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", help="agent TOML file (default /etc/stocktake/agent.toml; env STOCKTAKE_AGENT_*)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details to stderr")
    parser.add_argument("--log-format", choices=["text", "json"], default="text", help="log line format (default text)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    inventory = commands.add_parser("inventory", help="collect this host's inventory")
    inventory.add_argument("--print", dest="print_", action="store_true", required=True,
                           help="print the report as JSON to stdout (no server needed)")
    inventory.add_argument("--compact", action="store_true", help="one line of JSON instead of indented")
    commands.add_parser("enroll", help="enrol with the collector (again) and store the node key")
    run = commands.add_parser("run", help="collect, spool and send one inventory, check in and run the scan tasks "
                                          "that are due (scanner agents), then deliver anything spooled")
    run.add_argument("--once", action="store_true", required=True, help="one cycle, then exit")
    commands.add_parser("daemon", help="run inventories and scan tasks on the collector's schedule until stopped "
                                       "(SIGTERM)")
    scan = commands.add_parser(
        "scan", help="scanner role: ARP-sweep a range (or poll SNMP targets) once and print the DiscoveryReport",
        description="Either --range with --interface (an ARP sweep of the segment, then SNMP on the responders "
                    "when credentials are given), or --snmp-target (devices reached by SNMP alone, e.g. on "
                    "other subnets; needs --snmp-credentials).")
    scan.add_argument("--range", dest="cidr", help="IPv4 range, e.g. 198.18.0.0/24 (at most 4096 addresses)")
    scan.add_argument("--interface", help="the interface on that segment, e.g. eth0")
    scan.add_argument("--snmp-target", dest="snmp_targets", action="append", metavar="HOST[:PORT]", default=[],
                      help="an IPv4 address to poll by SNMP without an ARP sweep (repeatable, at most 4096)")
    scan.add_argument("--once", action="store_true", required=True, help="one sweep, print the report as JSON, exit")
    scan.add_argument("--allow-public", action="store_true", help="permit public address space (never the default)")
    scan.add_argument("--timeout", type=float, default=1.0, help="seconds to wait for answers per round (default 1)")
    scan.add_argument("--arp-engine", choices=("auto", "raw", "scapy"), default=None,
                      help="ARP sweep engine: raw AF_PACKET frames (Linux), scapy (macOS, BSD, Windows with Npcap) "
                           "or auto, the default (the agent setting arp_engine)")
    scan.add_argument("--snmp-credentials", metavar="FILE",
                      help="TOML file of [[credential]] entries (version, community or user/auth/priv) to poll responders")
    status = commands.add_parser("status", help="last success, spool depth, next run")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command != "inventory" or args.verbose:  # printing an inventory logs nothing: keep it fast
        from common.logs import configure_logging

        configure_logging("DEBUG" if args.verbose else "WARNING", args.log_format)
    from agent.errors import AgentConfigError, TransportError

    commands = {"inventory": _inventory, "enroll": _enroll, "run": _run_once, "daemon": _daemon, "status": _status,
                "scan": _scan}
    try:
        return commands[args.command](args)
    except (AgentConfigError, TransportError) as exc:
        print(f"stocktake-agent: {exc}", file=sys.stderr)
        return 1


def _config(args):
    from agent.config import load_agent_config

    return load_agent_config(args.config)


def _inventory(args) -> int:
    from agent.errors import AgentConfigError
    from agent.runner import collect_inventory
    from agent.state import load_identity

    try:
        identity = load_identity(_config(args).state_dir)
    except (AgentConfigError, OSError):
        identity = None  # printing an inventory needs no configuration
    report = collect_inventory(identity.agent_id if identity else "unenrolled")
    try:
        json.dump(report, sys.stdout, indent=None if args.compact else 2)
        sys.stdout.write("\n")
        sys.stdout.flush()
    except BrokenPipeError:  # `| head`: the reader left; not an error of ours
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


def _enroll(args) -> int:
    from agent.cycle import collector_client, enroll
    from agent.state import load_identity

    config = _config(args)
    previous = load_identity(config.state_dir)
    identity = enroll(config, collector_client(config), previous)
    print(f"enrolled as agent {identity.agent_id}")
    return 0


def _run_once(args) -> int:
    from agent.cycle import describe, run_cycle

    config = _config(args)
    result = run_cycle(config)
    print(describe(result))
    scans = _run_due_scans(config)
    return 0 if result.error is None and not any(scan.errors for scan in scans) else 1


def _run_due_scans(config) -> list:
    """Check in; run the scan tasks whose interval has passed (a timer-driven scanner scans too)."""
    from agent.checkin import check_in
    from agent.discovery.tasks import parse_tasks
    from agent.scan_cycle import deliver_discovery, describe_scan, run_due_scans

    answer = check_in(config)
    tasks = parse_tasks(answer.get("tasks")) if answer else []
    scans = run_due_scans(config, tasks)
    for scan in scans:
        print(describe_scan(scan))
    if not scans:
        deliver_discovery(config)  # reports an outage left spooled
    return scans


def _daemon(args) -> int:
    from agent.daemon import run_daemon

    return run_daemon(_config(args))


def _scan(args) -> int:
    from agent.discovery.arp import ArpError
    from agent.discovery.oui import OuiRegistryMissing
    from agent.discovery.poll import PollLimits
    from agent.discovery.scan import arp_scan_report, load_credentials, snmp_scan_report, snmp_targets
    from agent.state import load_identity

    try:
        config = _config(args)  # a bad setting is an error; an unreadable identity only leaves us unenrolled
    except ValueError as exc:
        print(f"stocktake-agent: {exc}", file=sys.stderr)
        return 2
    try:
        identity = load_identity(config.state_dir)
    except (OSError, ValueError):
        identity = None
    agent_id = identity.agent_id if identity else "unenrolled"
    try:
        credentials = load_credentials(args.snmp_credentials) if args.snmp_credentials else None
        if args.snmp_targets:
            if args.cidr or args.interface or not credentials:
                raise ValueError("--snmp-target takes --snmp-credentials, and neither --range nor --interface")
            targets = snmp_targets(args.snmp_targets, args.allow_public)
            report = snmp_scan_report(agent_id, targets, credentials, limits=PollLimits(timeout_s=args.timeout))
        elif not (args.cidr and args.interface):
            raise ValueError("give --range and --interface (an ARP sweep), or --snmp-target")
        else:
            report = arp_scan_report(agent_id, args.cidr, args.interface, allow_public=args.allow_public,
                                     timeout_s=args.timeout, credentials=credentials,
                                     engine=args.arp_engine or config.arp_engine)
    except (ValueError, OSError, ArpError, OuiRegistryMissing) as exc:
        print(f"stocktake-agent: {exc}", file=sys.stderr)
        return 2
    json.dump(report, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


def _status(args) -> int:
    from agent.cycle import discovery_spool_for, read_status, spool_for
    from agent.state import load_identity

    config = _config(args)
    status = read_status(config.state_dir)
    identity = load_identity(config.state_dir)
    spools = (spool_for(config), discovery_spool_for(config))  # inventory and discovery reports
    status.update(agent_id=identity.agent_id if identity else None, spool_depth=sum(s.depth for s in spools),
                  spool_rejected=sum(s.rejected for s in spools), server_url=config.server_url or None)
    if args.json:
        print(json.dumps(status, indent=2))
        return 0
    for label, key in (("agent id", "agent_id"), ("collector", "server_url"), ("last success", "last_success_at"),
                       ("last attempt", "last_attempt_at"), ("last error", "last_error"), ("spool depth", "spool_depth"),
                       ("rejected", "spool_rejected"), ("next run", "next_run_at")):
        value = status.get(key)
        print(f"{label + ':':<14}{value if value not in (None, '') else '-'}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
