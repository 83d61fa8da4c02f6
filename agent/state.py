"""The agent's persistent identity: its agent id and node key, kept in the state directory.

The node key file is created 0600 with an atomic rename, so a crash never leaves a
half-written key and no other local user can read it.
"""

from __future__ import annotations

import json
import os
from typing import NamedTuple

from agent.atomic import write_atomically

__all__ = ["AgentIdentity", "load_identity", "save_identity"]

IDENTITY_FILE = "identity.json"


class AgentIdentity(NamedTuple):
    agent_id: str
    node_key: str


def load_identity(state_dir: str | os.PathLike[str]) -> AgentIdentity | None:
    path = os.path.join(state_dir, IDENTITY_FILE)
    try:
        with open(path) as handle:
            data = json.loads(handle.read())
        return AgentIdentity(agent_id=data["agent_id"], node_key=data["node_key"])
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError):
        return None  # unreadable identity: enrol again rather than crash


def save_identity(state_dir: str | os.PathLike[str], identity: AgentIdentity) -> None:
    directory = os.fspath(state_dir)
    os.makedirs(directory, mode=0o700, exist_ok=True)  # the mode applies to the state directory, not to parents created
    write_atomically(os.path.join(directory, IDENTITY_FILE),
                     json.dumps({"agent_id": identity.agent_id, "node_key": identity.node_key}).encode())
