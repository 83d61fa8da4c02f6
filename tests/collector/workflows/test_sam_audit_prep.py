"""SAM compliance and audit preparation: an evidence pack from stored agent data, kept current."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from collector.errors import Conflict, Forbidden, InvalidInput
from collector.models import WorkflowEvent, WorkflowInstance
from tests.collector.workflows.conftest import FIREFOX
from tests.collector.workflows.helpers import act, agent_report, data_of, event_kinds, ready, snapshot, start

SCOPE = {"publisher": "Mozilla", "product": "Firefox", "audit_reference": "MOZ-2027-01", "auditor": "KPMG"}


def _gathered(database, templates, people, clock):
    alice, bob = people["alice"], people["bob"]
    wf = start(database, templates, "sam_audit_prep", alice, clock())
    act(database, templates, wf, "request", alice, SCOPE, clock())
    act(database, templates, wf, "approve_scope", bob, {"decision": "approve"}, clock())
    act(database, templates, wf, "gather", bob, {}, clock())
    return wf


def test_audit_prep_gathers_install_counts_per_version_and_signs_off(database, templates, people, sam_fleet,
                                                                      clock):
    bob, root = people["bob"], people["root"]
    wf = _gathered(database, templates, people, clock)
    pack = data_of(database, wf)["evidence_pack"]
    assert pack["rows"] == [{"publisher": "Mozilla", "product": "Firefox", "version": "115.0esr", "installs": 1},
                            {"publisher": "Mozilla", "product": "Firefox", "version": "128.0", "installs": 2}]
    with pytest.raises(Forbidden, match="needs the admin role"):
        act(database, templates, wf, "review", bob, {"decision": "approve"}, clock())
    act(database, templates, wf, "review", root, {"decision": "approve"}, clock())
    act(database, templates, wf, "validate", bob, {"outcome": "confirm"}, clock())
    with pytest.raises(Forbidden, match="needs the admin role"):
        act(database, templates, wf, "sign_off", bob, {}, clock())
    act(database, templates, wf, "sign_off", root, {"note": "sent to KPMG"}, clock())
    with database.session() as session:
        assert session.get(WorkflowInstance, wf).status == "closed"
        evidence = session.scalars(select(WorkflowEvent.detail).where(
            WorkflowEvent.instance_id == wf, WorkflowEvent.task == "validate")).one()["evidence"]["evidence"]
    assert evidence.startswith("evidence pack of 3 install(s) gathered ")


def test_a_pack_older_than_the_latest_report_of_its_scope_is_re_gathered(database, reports, templates, people,
                                                                          sam_fleet, clock):
    bob, root = people["bob"], people["root"]
    wf = _gathered(database, templates, people, clock)
    act(database, templates, wf, "review", root, {"decision": "approve"}, clock())
    host2 = sam_fleet[1]
    agent_report(database, reports, host2, clock(), [p for p in host2["packages"] if p is not FIREFOX])
    before = snapshot(database, wf)
    with pytest.raises(Conflict, match="validation fails: the evidence pack \\(gathered .*\\) is older than the "
                                       "latest agent report of its scope \\(.*\\): re-gather it"):
        act(database, templates, wf, "validate", bob, {"outcome": "confirm"}, clock())
    assert snapshot(database, wf) == before
    act(database, templates, wf, "validate", bob, {"outcome": "regather"}, clock())
    assert ready(database, wf) == ["gather"]
    act(database, templates, wf, "gather", bob, {"note": "after host-2 dropped it"}, clock())
    assert [(r["version"], r["installs"]) for r in data_of(database, wf)["evidence_pack"]["rows"]] == [
        ("115.0esr", 1), ("128.0", 1)]
    # The reviewer rejects this pack: back to gathering, then accepted.
    act(database, templates, wf, "review", root, {"decision": "reject", "reason": "add the ESR note"}, clock())
    assert ready(database, wf) == ["gather"]
    act(database, templates, wf, "gather", bob, {}, clock())
    act(database, templates, wf, "review", root, {"decision": "approve"}, clock())
    act(database, templates, wf, "validate", bob, {"outcome": "confirm"}, clock())
    assert ready(database, wf) == ["sign_off"]
    assert event_kinds(database, wf).count("rejected") == 1


def test_bad_scope_and_illegal_moves_change_nothing(database, templates, people, sam_fleet, clock):
    alice, bob, audrey = people["alice"], people["bob"], people["audrey"]
    wf = start(database, templates, "sam_audit_prep", alice, clock())
    before = snapshot(database, wf)
    with pytest.raises(InvalidInput) as bad:
        act(database, templates, wf, "request", alice, {**SCOPE, "audit_reference": "", "due": "31/12/2026"},
            clock())
    assert sorted((f.field, f.message) for f in bad.value.fields) == [
        ("audit_reference", "is required"), ("due", "must be a date, YYYY-MM-DD")]
    with pytest.raises(InvalidInput, match="unknown software product"):
        act(database, templates, wf, "request", alice, {**SCOPE, "product": "Thunderbird"}, clock())
    with pytest.raises(Conflict, match="task 'gather' \\(Execution\\) is not ready"):
        act(database, templates, wf, "gather", bob, {}, clock())
    with pytest.raises(Forbidden, match="auditors"):
        act(database, templates, wf, "request", audrey, SCOPE, clock())
    assert snapshot(database, wf) == before
