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


def test_a_sam_workflow_from_the_cli_needs_no_ci_and_names_close_matches(run_cli, people, sam_fleet):
    started = json.loads(run_cli("workflow", "start", "sam_acquisition", "--as", "alice", "--json").stdout)
    assert started["ci_id"] is None and [t["id"] for t in started["ready_tasks"]] == ["request"]
    typo = run_cli("workflow", "act", str(started["id"]), "request", "--as", "alice", "-d", "publisher=Mozilla",
                   "-d", "product=FireFocks", "-d", "quantity=5", "-d", "metric=device", "-d", "cost=100",
                   "-d", "vendor=Mozilla", "-d", "term_start=2026-12-01", "-d", "term_end=2027-11-30", check=False)
    assert typo.returncode == 1 and "product: no agent reports a product named 'FireFocks'" in typo.stderr
    assert "close matches: Firefox" in typo.stderr
