"""The audit log over the API: supervisors' actions recorded once they succeeded, read back by
date range, and written to the store with the call records."""

from __future__ import annotations

from typing import Any

from acd import events as ev
from acd.daemon.app import stop_core
from tests.daemon.conftest import Api


def brief(entries: list[dict[str, Any]]) -> list[tuple[str, str, str, str]]:
    return [(e["who"], e["role"], e["action"], e["target"]) for e in entries]


async def audit(api: Api, query: str = "") -> list[dict[str, Any]]:
    status, body = await api.call("GET", "/v1/audit" + query, role="supervisor")
    assert status == 200, body
    assert body["count"] == len(body["entries"])
    return list(body["entries"])


async def test_supervisor_actions_are_audited_and_agents_own_are_not(api: Api) -> None:
    await api.call("POST", "/v1/agents/alice/login", role="agent")
    await api.call("POST", "/v1/agents/alice/pause", role="agent", json={"reason": "lunch"})
    status, _ = await api.call(
        "POST", "/v1/agents/alice/state", role="supervisor", json={"state": "ready"}
    )
    assert status == 200
    await api.call("PUT", "/v1/agents/bob/skills", role="supervisor", json={"skills": {"x": 3}})
    # Refused: nothing happened, nothing is recorded (no campaigns here, so no DNC list).
    status, _ = await api.call("POST", "/v1/agents/nobody/state", json={"state": "ready"})
    assert status == 404
    status, _ = await api.call("POST", "/v1/dnc", role="supervisor", json={"number": "+1202"})
    assert status == 404
    driver = api.daemon.driver
    assert driver is not None
    driver.submit(ev.CallArrived("c1", "sales"))
    driver.submit(ev.AgentAnswered("c1", "alice"))
    status, _ = await api.call(
        "POST", "/v1/calls/c1/transfer", role="agent", json={"queue": "support"}
    )
    assert status == 200  # an agent's transfer of its own call: not a supervisor's action
    await api.call("POST", "/v1/calls/c1/hangup", role="admin", json={"reason": "test"})
    status, _ = await api.call("POST", "/v1/admin/reload", role="admin")
    assert status == 200
    entries = await audit(api)
    assert brief(entries) == [
        ("sup", "supervisor", "agent.force_state", "alice"),
        ("sup", "supervisor", "agent.skills", "bob"),
        ("root", "admin", "call.hangup", "c1"),
        ("root", "admin", "admin.reload", ""),
    ]
    first = entries[0]
    assert first["details"] == {"state": "ready"}
    assert first["at"].endswith("Z") and first["at"][:2] == "20"
    assert entries[1]["details"] == {"skills": {"x": 3}}
    assert entries[2]["details"] == {"reason": "test"}


async def test_the_log_is_for_supervisors_and_filtered_by_date(api: Api) -> None:
    status, body = await api.call("GET", "/v1/audit", role="agent")
    assert (status, body["error"]["code"]) == (403, "forbidden")
    await api.call("POST", "/v1/agents/alice/state", role="supervisor", json={"state": "ready"})
    day = (await audit(api))[0]["at"][:10]
    assert len(await audit(api, f"?from={day}&to={day}")) == 1
    assert await audit(api, "?from=2000-01-01&to=2000-01-02") == []
    status, body = await api.call("GET", "/v1/audit?from=yesterday", role="supervisor")
    assert (status, body["error"]["code"]) == (422, "invalid_field")


async def test_entries_reach_the_store_with_the_call_records(api: Api) -> None:
    d = api.daemon
    await api.call("POST", "/v1/campaigns/none/pause", role="supervisor")  # 404: not recorded
    await api.call("POST", "/v1/agents/bob/state", role="supervisor", json={"state": "paused"})
    await stop_core(d)  # the persister writes what is left
    assert d.store is not None
    stored = [e async for e in d.store.audit(0.0, float("inf"))]
    assert brief(stored) == [("sup", "supervisor", "agent.force_state", "bob")]
    d.audit.entries.clear()  # what a restarted daemon would have in memory
    assert await audit(api) == stored
