"""Call detail records over the API: the daemon's store (in memory here) serves a date range."""

from __future__ import annotations

import asyncio
from datetime import datetime

from acd import events as ev
from tests.daemon.conftest import Api


async def test_a_finished_call_is_served_by_the_cdr_endpoint(api: Api) -> None:
    assert (await api.call("POST", "/v1/agents/alice/login", json={"ready": True}))[0] == 200
    driver = api.daemon.driver
    assert driver is not None
    driver.submit(ev.CallArrived("c1", "sales", caller="+15551230000"))
    driver.submit(ev.AgentAnswered("c1", "alice"))
    driver.submit(ev.CallHungUp("c1", "caller"))
    driver.submit(ev.SetDisposition("alice", "sale"))
    driver.submit(ev.EndWrapUp("alice"))
    persistence = api.daemon.persistence
    assert persistence is not None
    async with asyncio.timeout(5):
        while persistence.records < 1:  # the writer task runs on this loop
            await asyncio.sleep(0.01)
    status, body = await api.call("GET", "/v1/cdr", role="supervisor")
    assert status == 200 and body["count"] == 1 and not body["truncated"]
    rec = body["records"][0]
    assert rec["call_id"] == "c1" and rec["agent_id"] == "alice" and rec["queue"] == "sales"
    assert rec["disposition"] == "sale" and rec["outcome"] == "answered"
    # Times as in the CSV export: ISO 8601 UTC to the millisecond, the same instant as stored.
    for key in ("arrived", "answered", "ended"):
        assert datetime.fromisoformat(rec[key]).tzinfo is not None, rec[key]
    assert datetime.fromisoformat(rec["ended"]) >= datetime.fromisoformat(rec["arrived"])
    status, body = await api.call("GET", "/v1/cdr?from=2000-01-01&to=2000-01-02", "supervisor")
    assert status == 200 and body["count"] == 0
    status, body = await api.call("GET", "/v1/cdr?from=yesterday", role="supervisor")
    assert status == 422 and body["error"]["code"] == "invalid_field"
    assert (await api.call("GET", "/v1/cdr", role="agent"))[0] == 403
