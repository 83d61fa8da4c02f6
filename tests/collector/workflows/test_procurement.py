"""HAM procurement and tagging end to end: request, cost approval by policy, order, receive, tag
(the CI created in stock, its QR label), validated against the CMDB and reconciliation."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from sqlalchemy import func, select

from collector.access.audit_log import verify_chain
from collector.cmdb.labels import label_payload, qr_widget
from collector.errors import Conflict, Forbidden, InvalidInput
from collector.models import ConfigurationItem, WorkflowInstance
from collector.reconcile.service import run_full
from tests.collector.reconcile.fleet import _Builder
from tests.collector.test_cli import run_cli  # noqa: F401 - the fixture
from tests.collector.workflows.helpers import (act, ci_row, cmdb_changes, event_kinds, evidence_of, ready, snapshot,
                                               start)

REQUEST = {"item": "Laptop for the new analyst", "ci_class": "computer", "cost": 12_000, "supplier": "Acme IT",
           "justification": "replacement for a broken one"}
ORDER = {"po_number": "PO-2026-0042", "ordered_on": "2026-11-21"}
RECEIVE = {"serial": "5CG1234XYZ", "vendor": "HP", "model": "EliteBook 860 G10", "warranty_end": "2029-11-21"}


def _through_approval(database, templates, people, clock, request=REQUEST) -> int:
    wf = start(database, templates, "ham_procurement", people["alice"], clock())
    act(database, templates, wf, "request", people["alice"], request, clock())
    return wf


def _received(database, templates, people, clock) -> int:
    """A purchase of 300 (auto-approved), ordered and received: the tag task is next."""
    wf = _through_approval(database, templates, people, clock, {**REQUEST, "cost": 300})
    act(database, templates, wf, "order", people["bob"], ORDER, clock())
    act(database, templates, wf, "receive", people["bob"], RECEIVE, clock())
    return wf


def _ci_count(database) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(ConfigurationItem))


def test_purchase_with_two_approval_levels_ends_with_a_tagged_ci_in_stock(database, config, templates, people,
                                                                          clock):
    alice, bob, root = people["alice"], people["bob"], people["root"]
    wf = start(database, templates, "ham_procurement", alice, clock())  # subject "none": no CI yet
    assert ready(database, wf) == ["request"]
    act(database, templates, wf, "request", alice, REQUEST, clock())
    # 12,000 for a computer: the decision table wants an operator, then an admin.
    assert ready(database, wf) == ["approve_cost"]
    act(database, templates, wf, "approve_cost", root, {"decision": "approve"}, clock())  # an admin may do level 1
    assert ready(database, wf) == ["approve_cost_2"]
    with pytest.raises(Forbidden, match="needs the admin role"):
        act(database, templates, wf, "approve_cost_2", bob, {"decision": "approve"}, clock())
    with pytest.raises(Forbidden, match="each approval level needs another approver"):  # four eyes
        act(database, templates, wf, "approve_cost_2", root, {"decision": "approve"}, clock())
    act(database, templates, wf, "approve_cost_2", people["ada"], {"decision": "approve"}, clock())
    assert ready(database, wf) == ["order"]
    act(database, templates, wf, "order", bob, ORDER, clock())
    act(database, templates, wf, "receive", bob, RECEIVE, clock())
    act(database, templates, wf, "tag", bob, {"asset_tag": "LT-2026-0042", "location": "Store room B"}, clock())
    with database.session() as session:
        ci_id = session.get(WorkflowInstance, wf).ci_id
    assert ci_row(database, ci_id) == {
        "asset_tag": "LT-2026-0042", "serial": "5CG1234XYZ", "vendor": "HP", "model": "EliteBook 860 G10",
        "status": "in_stock", "assigned_user": None, "department": None, "location": "Store room B",
        "po_number": "PO-2026-0042", "supplier": "Acme IT", "cost": 12000}
    [change] = cmdb_changes(database, wf)
    assert (change["task"], change["actor"], change["ci_id"], change["before"]) == ("tag", "bob", ci_id, {})
    assert change["after"]["status"] == "in_stock" and change["after"]["serial"] == "5CG1234XYZ"
    act(database, templates, wf, "document", bob, {"delivery_note": "DN-778 / invoice 2026-1193"}, clock())
    act(database, templates, wf, "validate", bob, now=clock())
    assert evidence_of(database, wf) == {
        "check": "ci_in_stock", "passed": True,
        "evidence": f"CI LT-2026-0042 (id {ci_id}) is in_stock with serial 5CG1234XYZ; "
                    "no discovery report matches it yet"}
    act(database, templates, wf, "close", alice, now=clock())
    with database.session() as session:
        assert session.get(WorkflowInstance, wf).status == "closed"
        assert verify_chain(session).ok
    assert event_kinds(database, wf).count("approved") == 2


def test_a_received_machine_already_reporting_is_shown_as_evidence(database, config, templates, people, clock):
    bob = people["bob"]
    wf = _received(database, templates, people, clock)
    act(database, templates, wf, "tag", bob, {}, clock())
    # The machine is switched on in the store room: its agent reports the same serial.
    with database.write() as session:
        _Builder(session, 3).asset("new-analyst-lt", serial=RECEIVE["serial"])
    run_full(database, config, clock())
    act(database, templates, wf, "document", bob, {"delivery_note": "DN-779"}, clock())
    act(database, templates, wf, "validate", bob, now=clock())
    evidence = evidence_of(database, wf)["evidence"]
    assert evidence.startswith(f"CI ST-{wf:06d} (id ") and "reconciliation matched an agent report to it by" in evidence


def test_rejection_at_the_second_level_returns_to_the_initiator_and_small_purchases_are_auto_approved(
        database, templates, people, clock):
    alice, bob, root = people["alice"], people["bob"], people["root"]
    wf = _through_approval(database, templates, people, clock, {**REQUEST, "ci_class": "server", "cost": 4000})
    act(database, templates, wf, "approve_cost", bob, {"decision": "approve"}, clock())
    act(database, templates, wf, "approve_cost_2", root, {"decision": "reject", "reason": "buy through the framework"},
        clock())
    assert ready(database, wf) == ["resubmit"]
    with pytest.raises(Forbidden, match="only the initiator"):
        act(database, templates, wf, "resubmit", bob, {"cost": 800}, clock())
    act(database, templates, wf, "resubmit", alice, {"cost": 800, "supplier": "Framework Ltd"}, clock())
    assert ready(database, wf) == ["order"]  # below 1,000: no approval at all
    assert event_kinds(database, wf)[-4:] == ["rejected", "stage_entered", "resubmitted", "stage_entered"]


def test_a_duplicate_tag_or_serial_is_refused_and_nothing_changes(database, templates, people, laptop, clock):
    bob = people["bob"]
    wf = _through_approval(database, templates, people, clock, {**REQUEST, "cost": 300})
    act(database, templates, wf, "order", bob, ORDER, clock())
    existing = ci_row(database, laptop["ci_id"])
    act(database, templates, wf, "receive", bob, {**RECEIVE, "serial": existing["serial"]}, clock())
    before, cis = snapshot(database, wf), _ci_count(database)
    with pytest.raises(Conflict, match=f"asset tag 'lt-new-1' is already CI {laptop['ci_id']}'s; nothing was stored"):
        act(database, templates, wf, "tag", bob, {"asset_tag": "lt-new-1"}, clock())
    with pytest.raises(Conflict, match=f"serial '{existing['serial']}' is already CI {laptop['ci_id']}'s"):
        act(database, templates, wf, "tag", bob, {"asset_tag": "LT-FRESH"}, clock())
    assert snapshot(database, wf) == before and _ci_count(database) == cis


def test_a_placeholder_serial_is_refused_at_tagging(database, templates, people, clock):
    bob = people["bob"]
    wf = _through_approval(database, templates, people, clock, {**REQUEST, "cost": 300})
    act(database, templates, wf, "order", bob, ORDER, clock())
    act(database, templates, wf, "receive", bob, {**RECEIVE, "serial": "To Be Filled By O.E.M."}, clock())
    before, cis = snapshot(database, wf), _ci_count(database)
    with pytest.raises(InvalidInput) as refused:
        act(database, templates, wf, "tag", bob, {}, clock())
    assert [(f.field, f.message) for f in refused.value.fields] == [("serial", "is a placeholder, not a serial number")]
    assert snapshot(database, wf) == before and _ci_count(database) == cis


def test_started_through_the_api_with_no_ci(client, database, people):
    from collector.access.api_tokens import create_api_token

    with database.write() as session:
        alice = {"Authorization": f"Bearer {create_api_token(session, 'alice', 'operator').token}"}
    started = client.post("/api/v1/workflows", json={"template": "ham_procurement"}, headers=alice)
    assert started.status_code == 201, started.get_json()
    assert started.get_json()["ci_id"] is None and [t["id"] for t in started.get_json()["ready_tasks"]] == ["request"]
    wf = started.get_json()["id"]
    bad = client.post(f"/api/v1/workflows/{wf}/tasks/request", json={"data": {**REQUEST, "cost": "many"}},
                      headers=alice)
    assert bad.status_code == 422 and bad.get_json()["fields"] == [{"field": "cost", "message": "must be a whole number"}]
    done = client.post(f"/api/v1/workflows/{wf}/tasks/request", json={"data": {**REQUEST, "cost": 999}},
                       headers=alice)
    assert [t["id"] for t in done.get_json()["ready_tasks"]] == ["order"]


def test_illegal_moves_and_bad_input_change_nothing(database, templates, people, laptop, clock):
    alice, bob, audrey = people["alice"], people["bob"], people["audrey"]
    with pytest.raises(InvalidInput, match="unexpected subject") as given_a_ci:
        start(database, templates, "ham_procurement", alice, clock(), ci_id=laptop["ci_id"])
    assert given_a_ci.value.fields[0].field == "ci_id"  # procurement creates its CI
    wf = start(database, templates, "ham_procurement", alice, clock())
    before = snapshot(database, wf)
    with pytest.raises(Conflict, match=r"task 'tag' \(Execution\) is not ready: .* at stage Initiation"):
        act(database, templates, wf, "tag", bob, {}, clock())
    with pytest.raises(Forbidden, match="auditors"):
        act(database, templates, wf, "request", audrey, REQUEST, clock())
    with pytest.raises(InvalidInput) as refused:
        act(database, templates, wf, "request", alice,
            {"item": "", "ci_class": "spaceship", "cost": -5, "supplier": "x" * 256}, clock())
    assert sorted((f.field, f.message) for f in refused.value.fields) == [
        ("ci_class", "must be one of computer, server, virtual_machine, network_device, printer, phone, "
                     "peripheral, other"),
        ("cost", "must be at least 0"), ("item", "is required"), ("justification", "is required"),
        ("supplier", "must be at most 255 characters")]
    assert snapshot(database, wf) == before
    wf = _received(database, templates, people, clock)
    before = snapshot(database, wf)
    with pytest.raises(InvalidInput) as refused:
        act(database, templates, wf, "tag", bob, {"asset_tag": "T" * 65}, clock())
    assert [(f.field, f.message) for f in refused.value.fields] == [("asset_tag", "must be at most 64 characters")]
    assert snapshot(database, wf) == before


def _pdf_structure(pdf: bytes) -> None:
    """A well-formed PDF: header, one page of label size, an xref whose every offset is its object."""
    assert pdf.startswith(b"%PDF-1.") and pdf.rstrip().endswith(b"%%EOF")
    startxref = int(re.search(rb"startxref\s+(\d+)\s+%%EOF\s*$", pdf).group(1))
    assert pdf[startxref:startxref + 4] == b"xref"
    first, count = map(int, re.match(rb"xref\s+(\d+) (\d+)", pdf[startxref:]).groups())
    entries = re.findall(rb"(\d{10}) \d{5} n", pdf[startxref:])
    assert len(entries) == count - 1 and first == 0
    for number, offset in enumerate(entries, start=1):
        assert re.match(rb"%d 0 obj" % number, pdf[int(offset):])
    assert len(re.findall(rb"/Type /Page\b", pdf)) == 1
    assert re.search(rb"/MediaBox \[ 0 0 175\.748\d* 82\.2047\d* \]", pdf)


def _decoded(pdf: bytes, tmp_path) -> list[str]:
    """The QR code read back from the rendered page by zbar, as a scanner would."""
    if not (shutil.which("pdftoppm") and shutil.which("zbarimg")):
        pytest.skip("pdftoppm and zbarimg (poppler-utils, zbar-tools) are needed to decode the label")
    (tmp_path / "label.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "300", "-png", "-singlefile", str(tmp_path / "label.pdf"),
                    str(tmp_path / "label")], check=True, timeout=30)
    out = subprocess.run(["zbarimg", "-q", "--raw", str(tmp_path / "label.png")], capture_output=True, text=True,
                         timeout=30)
    return out.stdout.splitlines()


def test_the_asset_tag_label_is_served_as_a_pdf_whose_qr_code_holds_the_tag_and_the_ci_url(
        client, database, templates, people, clock, tmp_path):
    from collector.access.api_tokens import create_api_token

    with database.write() as session:
        token = {"Authorization": f"Bearer {create_api_token(session, 'audrey', 'auditor').token}"}
    wf = _received(database, templates, people, clock)
    early = client.get(f"/api/v1/workflows/{wf}/label.pdf", headers=token)
    assert early.status_code == 409 and "has no CI yet" in early.get_json()["error"]
    act(database, templates, wf, "tag", people["bob"], {"asset_tag": "LT-77"}, clock())
    with database.session() as session:
        ci = session.get(ConfigurationItem, session.get(WorkflowInstance, wf).ci_id)
        payload = label_payload(ci, "http://localhost/")
    assert payload == f"LT-77\nhttp://localhost/api/v1/cis/{ci.id}"
    assert qr_widget(payload).value == payload
    served = client.get(f"/api/v1/workflows/{wf}/label.pdf", headers=token)
    assert served.status_code == 200 and served.mimetype == "application/pdf"
    assert served.headers["Content-Disposition"] == f"inline; filename=label-ci-{ci.id}.pdf"
    _pdf_structure(served.data)
    assert client.get(f"/api/v1/cis/{ci.id}/label.pdf", headers=token).data == served.data
    assert _decoded(served.data, tmp_path) == ["LT-77", f"http://localhost/api/v1/cis/{ci.id}"]
    assert client.get("/api/v1/workflows/999999/label.pdf", headers=token).status_code == 404
    assert client.get(f"/api/v1/workflows/{wf}/label.pdf").status_code == 401


def test_the_cli_writes_the_label(run_cli, database, templates, people, clock, tmp_path):
    wf = _received(database, templates, people, clock)
    act(database, templates, wf, "tag", people["bob"], {}, clock())
    target = tmp_path / "tag.pdf"
    missing_url = run_cli("workflow", "label", str(wf), "-o", str(target), check=False)
    assert missing_url.returncode == 2 and "set public_url in the config or give --url" in missing_url.stderr
    done = run_cli("workflow", "label", str(wf), "-o", str(target), "--url", "https://stocktake.example")
    assert f"(ST-{wf:06d}) written to {target}" in done.stdout
    _pdf_structure(target.read_bytes())
    assert _decoded(target.read_bytes(), tmp_path)[0] == f"ST-{wf:06d}"
    nothing = run_cli("workflow", "label", "--ci", "999999", "-o", str(target), "--url", "https://x.example",
                      check=False)
    assert nothing.returncode == 1 and "no CI with id 999999" in nothing.stderr

