"""Two approvers complete the same approval at the same moment: exactly one wins."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from collector.errors import Conflict
from collector.models import WorkflowEvent, WorkflowInstance
from collector.workflows.service import complete_task, start_workflow
from tests.collector.workflows.test_deployment import REQUEST


def test_two_approvers_racing_exactly_one_wins(database, templates, people, laptop):
    alice = people["alice"]
    with database.write() as session:
        wf = start_workflow(session, templates, "ham_deployment", alice, ci_id=laptop["ci_id"]).id
    with database.write() as session:
        complete_task(session, templates, wf, "request", alice, REQUEST)
    for round_ in range(3):  # bounded: three races, each on a fresh approval
        barrier, outcomes = threading.Barrier(2, timeout=30), []

        def approve(actor, decision):
            barrier.wait()
            try:
                with database.write() as session:
                    complete_task(session, templates, wf, "approve_cost", actor, decision)
                outcomes.append(("won", actor.username))
            except Conflict as exc:
                outcomes.append(("lost", str(exc)))

        rejection = {"decision": "reject", "reason": f"round {round_}"}
        threads = [threading.Thread(target=approve, args=(people["bob"], rejection)),
                   threading.Thread(target=approve, args=(people["fiona"], rejection))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert not any(t.is_alive() for t in threads)
        assert sorted(kind for kind, _ in outcomes) == ["lost", "won"], outcomes
        assert "is not ready" in next(text for kind, text in outcomes if kind == "lost")
        with database.write() as session:
            complete_task(session, templates, wf, "resubmit", alice, {"cost": 1200})
    with database.session() as session:
        rejected = session.scalar(select(func.count()).select_from(WorkflowEvent)
                                  .where(WorkflowEvent.kind == "rejected"))
        assert rejected == 3
        assert session.get(WorkflowInstance, wf).version == 2 + 3 * 2
