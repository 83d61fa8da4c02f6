"""stocktake-collector scan-profile, run as an admin would (subprocess, real database)."""

import json

from sqlalchemy import select

from collector.models import ScanProfile
from tests.collector.test_cli import run_cli  # noqa: F401 - the fixture

CREDENTIALS = """
[[credential]]
version = "2c"
community = "cli-c0mmunity-55"

[[credential]]
version = "3"
user = "scanner"
auth_key = "cli-auth-pass"
priv_key = "cli-priv-pass"
"""


def test_create_list_assign_delete(run_cli, database, make_agent, tmp_path):
    agent, other = make_agent(), make_agent()
    credentials = tmp_path / "snmp.toml"
    credentials.write_text(CREDENTIALS)
    created = run_cli("scan-profile", "create", "--name", "lab", "--range", "198.18.0.0/24", "--range",
                      "198.18.1.0/25", "--interface", "eth0", "--interval", "900", "--credentials-file",
                      str(credentials), "--agent", agent.agent_id)
    assert "scan profile 'lab' created" in created.stdout and "2 credential(s), 1 agent(s)" in created.stdout
    listing = run_cli("scan-profile", "list")
    assert "lab" in listing.stdout and "198.18.0.0/24, 198.18.1.0/25" in listing.stdout and "never" in listing.stdout
    as_json = json.loads(run_cli("scan-profile", "list", "--json").stdout)["items"][0]
    assert as_json["agents"] == [agent.agent_id] and as_json["credentials"][1]["user"] == "scanner"
    assert "cli-c0mmunity" not in listing.stdout + json.dumps(as_json)
    run_cli("scan-profile", "assign", "lab", "--agent", other.agent_id)
    assert json.loads(run_cli("scan-profile", "list", "--json").stdout)["items"][0]["agents"] == [other.agent_id]
    assert "deleted" in run_cli("scan-profile", "delete", "lab").stdout
    with database.session() as session:
        assert session.scalars(select(ScanProfile)).all() == []


def test_bad_input_exits_2_naming_each_problem(run_cli, database, tmp_path):
    bad = run_cli("scan-profile", "create", "--name", "wan", "--range", "8.8.8.0/24", "--range", "198.18.0.0/15",
                  "--interface", "eth0", "--interval", "10", check=False)
    assert bad.returncode == 2
    assert "ranges[0]: 8.8.8.0/24 is public address space" in bad.stderr
    assert "ranges[1]: 198.18.0.0/15 has 131072 addresses" in bad.stderr and "interval_s:" in bad.stderr
    weak = tmp_path / "weak.toml"
    weak.write_text('[[credential]]\nversion = "3"\nuser = "u"\nauth_key = "short"\n')
    refused = run_cli("scan-profile", "create", "--name", "v3", "--range", "198.18.0.0/24", "--interface", "eth0",
                      "--credentials-file", str(weak), check=False)
    assert refused.returncode == 2 and "credentials[0].auth_key: must be at least 8 characters" in refused.stderr
    unknown = run_cli("scan-profile", "create", "--name", "x", "--range", "198.18.0.0/24", "--interface", "eth0",
                      "--agent", "ghost", check=False)
    assert unknown.returncode == 2 and "unknown agent 'ghost'" in unknown.stderr
    assert run_cli("scan-profile", "assign", "nope", "--agent", "a", check=False).returncode == 2
    with database.session() as session:
        assert session.scalars(select(ScanProfile)).all() == []
