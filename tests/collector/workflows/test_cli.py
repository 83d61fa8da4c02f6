"""stocktake-collector workflow start|list|show|act, run as a user would (subprocess, real database)."""

from __future__ import annotations

import json

from tests.collector.test_cli import run_cli  # noqa: F401 - the fixture


def test_workflow_commands(run_cli, people, laptop):
    templates = run_cli("workflow", "templates")
    assert "ham_deployment" in templates.stdout and "exception_resolution" in templates.stdout
    started = json.loads(run_cli("workflow", "start", "ham_deployment", "--as", "alice", "--ci",
                                 str(laptop["ci_id"]), "--json").stdout)
    wf = str(started["id"])
    bad = run_cli("workflow", "act", wf, "request", "--as", "alice", "-d", "user=newhire", "-d", "cost=lots",
                  check=False)
    assert bad.returncode == 1
    assert "invalid form input; nothing was stored" in bad.stderr and "cost: must be a whole number" in bad.stderr
    # Below 500 the approval is automatic: on to the deployment.
    run_cli("workflow", "act", wf, "request", "--as", "alice", "-d", "user=007", "-d", "department=Sales",
            "-d", "location=HQ", "-d", "need_by=2026-12-01", "-d", "cost=300")
    shown = run_cli("workflow", "show", wf).stdout
    assert "stage Execution, version 2, need by 2026-12-01" in shown
    assert "ready: deploy (Execution, role operator)" in shown
    auditor = run_cli("workflow", "act", wf, "deploy", "--as", "audrey", check=False)
    assert auditor.returncode == 1 and "auditors read workflows and act on none" in auditor.stderr
    skipped = run_cli("workflow", "act", wf, "close", "--as", "bob", check=False)
    assert skipped.returncode == 1 and "task 'close' (Closure) is not ready" in skipped.stderr
    run_cli("workflow", "act", wf, "deploy", "--as", "bob", "--json-data", '{"note": "boxed"}')
    listed = run_cli("workflow", "list", "--status", "running").stdout
    assert f"{wf:<7} ham_deployment" in listed and "Documentation" in listed and "1 workflows" in listed
    nobody = run_cli("workflow", "start", "ham_deployment", "--as", "mallory", "--ci", "1", check=False)
    assert nobody.returncode == 1 and "no active user named 'mallory'" in nobody.stderr
