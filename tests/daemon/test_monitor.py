"""Supervisor monitors over the API, carried out by the simulated trunk (which records them)."""

from __future__ import annotations

from acd import events as ev
from tests.daemon.conftest import Api


async def connect_alice(api: Api, call_id: str = "c1") -> None:
    driver = api.daemon.driver
    assert driver is not None
    driver.submit(ev.CallArrived(call_id, "sales"))
    driver.submit(ev.AgentAnswered(call_id, "alice"))


async def test_listen_then_stop_is_recorded_by_the_trunk_and_audited(api: Api) -> None:
    await api.call("POST", "/v1/agents/alice/login")
    await connect_alice(api)
    status, m = await api.call(
        "POST",
        "/v1/agents/alice/monitor",
        role="supervisor",
        json={"mode": "listen", "device": "SIP/sup1"},
    )
    assert status == 201, m
    assert (m["agent_id"], m["call_id"], m["mode"], m["device"], m["who"]) == (
        "alice",
        "c1",
        "listen",
        "SIP/sup1",
        "sup",
    )
    status, body = await api.call("GET", "/v1/agents/alice/monitor", role="supervisor")
    assert [x["monitor_id"] for x in body["monitors"]] == [m["monitor_id"]]
    trunk = api.daemon.trunk
    assert trunk is not None
    rec = trunk.monitors[m["monitor_id"]]
    assert (rec.device, rec.mode, rec.call_id, rec.ended) == ("SIP/sup1", "listen", "c1", None)
    status, body = await api.call("DELETE", "/v1/agents/alice/monitor", role="supervisor")
    assert status == 200 and [x["monitor_id"] for x in body["stopped"]] == [m["monitor_id"]]
    assert rec.ended is not None and rec.ended >= rec.started and rec.reason == "stopped"
    assert (await api.call("GET", "/v1/agents/alice/monitor", role="supervisor"))[1] == {
        "monitors": []
    }
    status, body = await api.call("DELETE", "/v1/agents/alice/monitor", role="supervisor")
    assert (status, body["error"]["code"]) == (404, "no_monitor")
    _, log = await api.call("GET", "/v1/audit", role="supervisor")
    actions = [(e["action"], e["target"]) for e in log["entries"]]
    assert actions == [("monitor.start", "alice"), ("monitor.stop", "alice")]
    assert log["entries"][0]["details"] == {"mode": "listen", "device": "SIP/sup1"}


async def test_the_monitor_ends_with_the_agents_call(api: Api) -> None:
    await api.call("POST", "/v1/agents/alice/login")
    await connect_alice(api)
    _, m = await api.call(
        "POST", "/v1/agents/alice/monitor", json={"mode": "barge", "device": "boss"}
    )
    assert m["device"] == "sim/boss"  # a name, on the simulated trunk
    status, _ = await api.call("POST", "/v1/calls/c1/hangup", json={"reason": "test"})
    assert status == 200
    trunk = api.daemon.trunk
    assert trunk is not None
    rec = trunk.monitors[m["monitor_id"]]
    assert rec.reason == "call_ended" and rec.ended is not None
    assert (await api.call("GET", "/v1/agents/alice/monitor"))[1] == {"monitors": []}


async def test_no_call_bad_mode_and_roles(api: Api) -> None:
    await api.call("POST", "/v1/agents/alice/login")
    body = {"mode": "whisper", "device": "SIP/sup1"}
    status, err = await api.call("POST", "/v1/agents/alice/monitor", json=body)
    assert (status, err["error"]["code"]) == (409, "no_call")
    await connect_alice(api)
    for bad in ({"mode": "spy", "device": "SIP/sup1"}, {"mode": "listen", "device": "a,b"}):
        status, err = await api.call("POST", "/v1/agents/alice/monitor", json=bad)
        assert (status, err["error"]["code"]) == (422, "invalid_field"), bad
    status, err = await api.call("POST", "/v1/agents/alice/monitor", role="agent", json=body)
    assert (status, err["error"]["code"]) == (403, "forbidden")
    status, err = await api.call("POST", "/v1/agents/nobody/monitor", json=body)
    assert (status, err["error"]["code"]) == (404, "unknown_agent")
    trunk = api.daemon.trunk
    assert trunk is not None and trunk.monitors == {}
