"""SAM usage monitoring and reclaim: unused installs found from the agents' executable usage."""

from __future__ import annotations

import pytest

from collector.errors import Conflict, Forbidden, InvalidInput
from tests.collector.workflows.conftest import FIREFOX, FIREFOX_ESR
from tests.collector.workflows.helpers import act, agent_report, data_of, ready, snapshot, start

REQUEST = {"publisher": "Mozilla", "product": "Firefox", "unused_days": 90}


def test_reclaim_removes_unused_installs_and_closes_when_every_host_stops_reporting_it(database, reports, templates,
                                                                                       people, sam_fleet, clock):
    alice, bob = people["alice"], people["bob"]
    host1, host2, host3 = sam_fleet
    wf = start(database, templates, "sam_reclaim", alice, clock())
    act(database, templates, wf, "request", alice, {**REQUEST, "executable": "firefox"}, clock())
    # Host 1 ran firefox 5 days ago; host 2 200 days ago; host 3's agent never saw it run.
    candidates = data_of(database, wf)["candidates"]
    assert [(c["hostname"], c["ci_id"], c["version"]) for c in candidates] == [
        ("host-00002", host2["ci_id"], "128.0"), ("host-00003", host3["ci_id"], "115.0esr")]
    assert candidates[0]["last_run"].startswith("2026-05") and candidates[1]["last_run"] is None
    with pytest.raises(InvalidInput) as untold:
        act(database, templates, wf, "approve_removal", bob, {"decision": "approve"}, clock())
    assert [(f.field, f.message) for f in untold.value.fields] == [("owners_notified", "is required")]
    act(database, templates, wf, "approve_removal", bob, {"owners_notified": True, "decision": "approve"}, clock())
    act(database, templates, wf, "remove", bob, {"note": "apt purge firefox"}, clock())
    act(database, templates, wf, "document", bob, {"removal_record": "removed on host-2 and host-3"}, clock())
    with pytest.raises(Conflict, match="no agent report since the removal from host-00002, host-00003"):
        act(database, templates, wf, "validate", bob, now=clock())
    agent_report(database, reports, host2, clock(), [p for p in host2["packages"] if p is not FIREFOX])
    agent_report(database, reports, host3, clock(), host3["packages"])  # not removed there yet
    before = snapshot(database, wf)
    with pytest.raises(Conflict, match="validation fails: Firefox: still reported on host-00003$"):
        act(database, templates, wf, "validate", bob, now=clock())
    assert snapshot(database, wf) == before
    agent_report(database, reports, host3, clock(), [p for p in host3["packages"] if p is not FIREFOX_ESR])
    act(database, templates, wf, "validate", bob, now=clock())
    act(database, templates, wf, "close", alice, now=clock())
    assert ready(database, wf) == [] and host1["hostname"] not in {c["hostname"] for c in candidates}


def test_a_program_name_that_never_ran_makes_every_install_a_candidate(database, templates, people, sam_fleet, clock):
    alice = people["alice"]
    wf = start(database, templates, "sam_reclaim", alice, clock())
    act(database, templates, wf, "request", alice, {**REQUEST, "executable": "firefox-bin"}, clock())
    assert [c["hostname"] for c in data_of(database, wf)["candidates"]] == ["host-00001", "host-00002", "host-00003"]


def test_nothing_to_reclaim_and_bad_input_are_refused(database, templates, people, sam_fleet, clock):
    alice = people["alice"]
    wf = start(database, templates, "sam_reclaim", alice, clock(), ci_id=sam_fleet[0]["ci_id"])
    before = snapshot(database, wf)
    with pytest.raises(InvalidInput) as used:
        act(database, templates, wf, "request", alice, REQUEST, clock())
    assert [(f.field, f.message) for f in used.value.fields] == [
        ("unused_days", "Firefox is installed on 1 host(s), all run in the last 90 days")]
    with pytest.raises(InvalidInput) as bad:
        act(database, templates, wf, "request", alice, {**REQUEST, "unused_days": 0, "product": ""}, clock())
    assert sorted((f.field, f.message) for f in bad.value.fields) == [
        ("product", "is required"), ("unused_days", "must be at least 1")]
    assert snapshot(database, wf) == before


def test_illegal_moves_on_a_reclaim_change_nothing(database, templates, people, sam_fleet, clock):
    alice, bob, audrey = people["alice"], people["bob"], people["audrey"]
    wf = start(database, templates, "sam_reclaim", alice, clock())
    act(database, templates, wf, "request", alice, REQUEST, clock())
    before = snapshot(database, wf)
    with pytest.raises(Forbidden, match="nobody approves their own request"):
        act(database, templates, wf, "approve_removal", alice, {"owners_notified": True, "decision": "approve"},
            clock())
    with pytest.raises(Forbidden, match="auditors"):
        act(database, templates, wf, "remove", audrey, {}, clock())
    with pytest.raises(Conflict, match="task 'remove' \\(Execution\\) is not ready"):
        act(database, templates, wf, "remove", bob, {}, clock())
    assert snapshot(database, wf) == before
    act(database, templates, wf, "approve_removal", bob, {"owners_notified": True, "decision": "reject",
                                                          "reason": "host-2 runs it monthly"}, clock())
    # Resubmitting with a longer window finds the candidates again.
    act(database, templates, wf, "resubmit", alice, {"unused_days": 365}, clock())
    assert [c["hostname"] for c in data_of(database, wf)["candidates"]] == ["host-00003"]
