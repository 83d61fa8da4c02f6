"""Check-in: what the agent tells the collector about its spools."""

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

from agent.checkin import check_in
from agent.config import AgentConfig
from agent.cycle import discovery_spool_for, run_cycle, spool_for
from agent.delivery import Backoff
from agent.scan_cycle import deliver_discovery
from agent.state import AgentIdentity, save_identity
from agent.transport import CollectorClient
from tests.agent.stubs import HostProbe

ROOT = Path(__file__).resolve().parents[2]
NO_WAIT = dict(backoff=Backoff(base_s=0.001, cap_s=0.001), sleep=lambda s: None)


def test_reports_failed_on_too_often_in_either_spool_are_rejected_and_counted_in_check_in_and_status(
        tmp_path, scripted):
    save_identity(str(tmp_path), AgentIdentity("a1", "stkn_key"))
    inventory_poison, discovery_poison = str(uuid.uuid4()), str(uuid.uuid4())
    server = scripted(fail={inventory_poison: 500, discovery_poison: 500})
    client = CollectorClient(server.url)
    config = AgentConfig(state_dir=str(tmp_path), server_url=server.url, delivery_budget_s=1,
                         spool_max_failures=2).validated()
    spool_for(config).put({"report_id": inventory_poison})
    discovery_spool_for(config).put({"report_id": discovery_poison})
    check_in(config, client)
    for _ in range(2):  # each round: a new report behind the bad one, delivered past it
        run_cycle(config, [HostProbe()], client, **NO_WAIT)
        discovery_spool_for(config).put({"report_id": str(uuid.uuid4())})
        deliver_discovery(config, client)
    check_in(config, client)
    checkins = [body for path, body in server.reports if path == "/api/v1/checkin"]
    assert "spool_rejected" not in checkins[0]  # none yet: a collector older than the field still accepts it
    assert (checkins[1]["spool_rejected"], checkins[1]["spool_depth"]) == (2, 0)
    assert server.received("/api/v1/discovery").count(discovery_poison) == 2
    env = {**os.environ, "STOCKTAKE_AGENT_CONFIG": os.devnull, "STOCKTAKE_AGENT_STATE_DIR": str(tmp_path)}
    status = subprocess.run([sys.executable, "-m", "agent.cli", "status", "--json"], env=env, cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert json.loads(status.stdout)["spool_rejected"] == 2, status.stderr
    text = subprocess.run([sys.executable, "-m", "agent.cli", "status"], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert "rejected:     2" in text.stdout
