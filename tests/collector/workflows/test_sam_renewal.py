"""SAM renewal and retirement: a later term, or (cancel) no installs left in the agents' reports."""

from __future__ import annotations

import pytest

from collector.errors import Conflict, Forbidden, InvalidInput
from tests.collector.workflows.conftest import VISIO
from tests.collector.workflows.helpers import act, agent_report, event_kinds, ready, snapshot, start

RENEW = {"publisher": "Mozilla", "product": "Firefox", "choice": "renew", "term_end": "2026-12-31", "cost": 12_000,
         "quantity": 50}
CANCEL = {"publisher": "Microsoft Corporation", "product": "Visio", "choice": "cancel", "term_end": "2026-12-31",
          "cost": 0}


def test_a_renewal_needs_a_term_ending_after_the_old_one(database, templates, people, sam_fleet, clock):
    alice, bob, root = people["alice"], people["bob"], people["root"]
    wf = start(database, templates, "sam_renewal", alice, clock())
    act(database, templates, wf, "request", alice, RENEW, clock())
    with pytest.raises(Forbidden, match="needs the admin role"):  # 12,000: the decision table names admins
        act(database, templates, wf, "approve_cost", bob, {"decision": "approve"}, clock())
    act(database, templates, wf, "approve_cost", root, {"decision": "approve"}, clock())
    act(database, templates, wf, "execute", bob, {"po_number": "PO-77", "new_term_end": "2026-06-30"}, clock())
    act(database, templates, wf, "document", bob, {"record": "renewed with SoftwareOne"}, clock())
    before = snapshot(database, wf)
    with pytest.raises(Conflict, match="validation fails: the new term ends 2026-06-30, not after the old one "
                                       "\\(2026-12-31\\)"):
        act(database, templates, wf, "validate", bob, now=clock())
    with pytest.raises(Conflict, match="task 'close' \\(Closure\\) is not ready"):
        act(database, templates, wf, "close", bob, now=clock())
    assert snapshot(database, wf) == before
    act(database, templates, wf, "validate", root, now=clock(), override_reason="term date typo; contract says 2027")
    act(database, templates, wf, "close", bob, now=clock())
    assert event_kinds(database, wf)[-1] == "closed" and "override" in event_kinds(database, wf)


def test_a_renewal_with_a_later_term_and_a_po_validates(database, templates, people, sam_fleet, clock):
    alice, bob = people["alice"], people["bob"]
    wf = start(database, templates, "sam_renewal", alice, clock())
    act(database, templates, wf, "request", alice, {**RENEW, "choice": "true_up", "cost": 3000}, clock())
    act(database, templates, wf, "approve_cost", bob, {"decision": "approve"}, clock())
    act(database, templates, wf, "execute", bob, {"new_term_end": "2027-12-31"}, clock())
    act(database, templates, wf, "document", bob, {"record": "true-up of 10"}, clock())
    with pytest.raises(Conflict, match="validation fails: no purchase order recorded for the true_up"):
        act(database, templates, wf, "validate", bob, now=clock())


def test_a_cancellation_validates_once_no_agent_reports_the_product(database, reports, templates, people,
                                                                     sam_fleet, clock):
    alice, bob = people["alice"], people["bob"]
    wf = start(database, templates, "sam_renewal", alice, clock())
    act(database, templates, wf, "request", alice, CANCEL, clock())
    assert ready(database, wf) == ["execute"]  # cost 0: approved automatically
    act(database, templates, wf, "execute", bob, {"note": "notice given"}, clock())
    act(database, templates, wf, "document", bob, {"record": "Visio cancelled, uninstalled from host-1"}, clock())
    with pytest.raises(Conflict, match="validation fails: cancelled, but Visio is still installed on 1 host\\(s\\)"):
        act(database, templates, wf, "validate", bob, now=clock())
    host1 = sam_fleet[0]
    agent_report(database, reports, host1, clock(), [p for p in host1["packages"] if p is not VISIO])
    act(database, templates, wf, "validate", bob, now=clock())
    act(database, templates, wf, "close", bob, now=clock())
    assert event_kinds(database, wf)[-1] == "closed"


def test_bad_renewal_input_changes_nothing(database, templates, people, sam_fleet, clock):
    alice = people["alice"]
    wf = start(database, templates, "sam_renewal", alice, clock())
    before = snapshot(database, wf)
    with pytest.raises(InvalidInput) as bad:
        act(database, templates, wf, "request", alice, {**RENEW, "choice": "extend", "cost": -5}, clock())
    assert sorted((f.field, f.message) for f in bad.value.fields) == [
        ("choice", "must be one of renew, true_up, cancel"), ("cost", "must be at least 0")]
    with pytest.raises(InvalidInput) as publisher:
        act(database, templates, wf, "request", alice, {**RENEW, "publisher": "Microsoft Corporation"}, clock())
    assert publisher.value.fields[0].field == "publisher"
    assert snapshot(database, wf) == before
