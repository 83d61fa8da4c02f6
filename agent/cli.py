"""``stocktake-agent``: inventory this host and report it to the collector."""

from __future__ import annotations

import argparse
import json
import logging
import platform
import socket
import sys

__all__ = ["main"]

log = logging.getLogger("stocktake.agent")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="stocktake-agent", description=__doc__)
    parser.add_argument("--config", help="agent TOML file (default /etc/stocktake/agent.toml; env STOCKTAKE_AGENT_*)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details to stderr")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    inventory = commands.add_parser("inventory", help="collect this host's inventory")
    inventory.add_argument("--print", dest="print_", action="store_true", required=True,
                           help="print the report as JSON to stdout (no server needed)")
    inventory.add_argument("--compact", action="store_true", help="one line of JSON instead of indented")
    commands.add_parser("enroll", help="enrol with the collector and store the node key")
    run = commands.add_parser("run", help="collect and send one inventory")
    run.add_argument("--once", action="store_true", required=True, help="send one report and exit")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    from agent.config import AgentConfigError
    from agent.transport import TransportError

    try:
        if args.command == "inventory":
            return _inventory(args)
        if args.command == "enroll":
            return _enroll(args)
        return _run_once(args)
    except (AgentConfigError, TransportError) as exc:
        print(f"stocktake-agent: {exc}", file=sys.stderr)
        return 1


def _inventory(args) -> int:
    from agent.runner import collect_inventory
    from agent.state import load_identity

    identity = None
    try:
        from agent.config import load_agent_config

        identity = load_identity(load_agent_config(args.config).state_dir)
    except Exception:  # noqa: BLE001 - printing an inventory needs no config
        identity = None
    report = collect_inventory(identity.agent_id if identity else "unenrolled")
    json.dump(report, sys.stdout, indent=None if args.compact else 2)
    sys.stdout.write("\n")
    return 0


def _client(config):
    from agent.transport import CollectorClient

    if not config.server_url:
        from agent.config import AgentConfigError

        raise AgentConfigError("server_url is not set (config file or STOCKTAKE_AGENT_SERVER_URL)")
    return CollectorClient(config.server_url, config.ca_bundle or None, config.timeout_s)


def _enroll_identity(config, previous_agent_id: str | None = None):
    """Trade the enrollment secret for a node key and keep it in the state directory."""
    from agent.state import AgentIdentity, save_identity

    answer = _client(config).enroll(config.secret(), socket.gethostname(), previous_agent_id, platform.system().lower())
    identity = AgentIdentity(agent_id=answer["agent_id"], node_key=answer["node_key"])
    save_identity(config.state_dir, identity)
    print(f"enrolled as agent {identity.agent_id}")
    return identity


def _enroll(args) -> int:
    from agent.config import load_agent_config
    from agent.state import load_identity

    config = load_agent_config(args.config)
    previous = load_identity(config.state_dir)
    _enroll_identity(config, previous.agent_id if previous else None)
    return 0


def _run_once(args) -> int:
    from agent.config import load_agent_config
    from agent.runner import collect_inventory
    from agent.state import load_identity

    config = load_agent_config(args.config)
    identity = load_identity(config.state_dir) or _enroll_identity(config)
    report = collect_inventory(identity.agent_id)
    answer = _client(config).post_inventory(identity.node_key, report)
    print(f"report {report['report_id']}: {answer.get('status')} (asset {answer.get('asset_id', '-')}, "
          f"{len(report.get('software', []))} packages, {len(report.get('nics', []))} NICs, {len(report.get('disks', []))} disks)")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
