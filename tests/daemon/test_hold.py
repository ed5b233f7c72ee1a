"""REST: an agent marks its caller on hold and off hold; hold time counts apart from talk."""

from __future__ import annotations

from acd import events as ev
from tests.daemon.conftest import Api


async def test_hold_and_resume_a_call(api: Api) -> None:
    await api.call("POST", "/v1/agents/alice/login")
    driver = api.daemon.driver
    assert driver is not None
    driver.submit(ev.CallArrived("c1", "sales"))
    status, body = await api.call("POST", "/v1/calls/c1/hold", role="supervisor")
    assert status == 409 and body["error"]["code"] == "illegal_transition"  # not yet answered
    driver.submit(ev.AgentAnswered("c1", "alice"))
    status, call = await api.call("POST", "/v1/calls/c1/hold", role="agent")
    assert (status, call["on_hold"]) == (200, True)
    status, _ = await api.call("POST", "/v1/calls/c1/hold", role="agent")
    assert status == 409
    status, call = await api.call("POST", "/v1/calls/c1/resume", role="agent")
    assert (status, call["on_hold"]) == (200, False)
    status, _ = await api.call("POST", "/v1/calls/zzz/hold", role="agent")
    assert status == 404
