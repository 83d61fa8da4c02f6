"""The web UI's "run reconciliation" button goes through the facts step like every full run."""

from collector.facts import FactSource, register_consumer, unregister_consumer


def test_the_run_button_reaches_the_facts_consumers(client, database, users, login):
    csrf = login("operator")
    changes = []
    register_consumer("test-web", lambda _db, _config, change: changes.append(change))
    try:
        response = client.post("/reconciliation/run", data={"csrf_token": csrf})
    finally:
        unregister_consumer("test-web")
    assert response.status_code == 303 and "notice=ran" in response.headers["Location"]
    [change] = changes
    assert (change.source, change.full) == (FactSource.FULL_RUN, True)
    assert change.reconciliation is not None and change.reconciliation.mode == "full"
