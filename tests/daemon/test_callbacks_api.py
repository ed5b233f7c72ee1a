"""The callback API on a real daemon: a waiting caller's callback is asked for, listed with its
place, refused where a queue takes none or the input is bad, placed through the simulated trunk
when bob is free, and cancelled by a supervisor (the audit log says who)."""

from __future__ import annotations

from acd import events as ev
from tests.daemon.conftest import Api


async def test_ask_list_and_cancel_callbacks(api: Api) -> None:
    driver = api.daemon.driver
    assert driver is not None
    driver.submit(ev.CallArrived("w1", "support", caller="+12125550101"))  # nobody logged in
    driver.submit(ev.CallArrived("w2", "support", caller="+12125550102"))
    driver.submit(ev.CallArrived("s1", "sales", caller="+12125550103"))
    status, body = await api.call("POST", "/v1/calls/w1/callback", role="supervisor", json={})
    assert status == 200 and body["number"] == "+12125550101" and body["state"] == "waiting"
    status, body = await api.call(
        "POST", "/v1/calls/w2/callback", role="supervisor", json={"number": "+12125550199"}
    )
    assert status == 200 and body["number"] == "+12125550199"
    for path, payload, want in (
        ("/v1/calls/s1/callback", {}, 400),  # sales takes no callbacks
        ("/v1/calls/w1/callback", {}, 409),  # asked already
        ("/v1/calls/nope/callback", {}, 404),
        ("/v1/calls/s1/callback", {"number": "12ab"}, 422),
    ):
        status, body = await api.call("POST", path, role="supervisor", json=payload)
        assert status == want, (path, payload, body)
        assert body["error"]["code"], body
    status, _ = await api.call("POST", "/v1/calls/s1/callback", role="agent", json={})
    assert status == 403
    status, body = await api.call("GET", "/v1/callbacks", role="supervisor")
    assert status == 200 and [c["id"] for c in body["callbacks"]] == ["w1", "w2"]
    queue = next(q for q in driver.engine.queues_view(driver.now()) if q["name"] == "support")
    assert (queue["waiting"], queue["callbacks_pending"]) == (0, 2)

    driver.submit(ev.AgentLogin("bob"))  # w1 first: bob is reserved and w1 dialed
    assert driver.engine.agents["bob"].state.value == "dialing"
    status, body = await api.call("GET", "/v1/callbacks", role="supervisor")
    assert [(c["id"], c["state"], c["agent_id"]) for c in body["callbacks"]] == [
        ("w1", "dialing", "bob"),
        ("w2", "waiting", None),
    ]
    status, body = await api.call("DELETE", "/v1/callbacks/w1", role="supervisor")
    assert status == 409  # being dialed
    status, body = await api.call("DELETE", "/v1/callbacks/w2", role="supervisor")
    assert status == 200
    status, body = await api.call("GET", "/v1/callbacks", role="supervisor")
    assert [(c["id"], c["state"]) for c in body["callbacks"]] == [("w1", "dialing")]
    status, body = await api.call("GET", "/v1/audit", role="supervisor")
    actions = [e["action"] for e in body["entries"]]
    assert actions.count("call.callback") == 2 and "callback.cancel" in actions
    status, text = await api.call("GET", "/metrics", role=None)
    assert status == 200
    lines = set(text.splitlines())
    for want in (
        'acd_callbacks_total{event="requested",queue="support"} 2.0',
        'acd_callbacks_total{event="cancelled",queue="support"} 1.0',
        'acd_callbacks_total{event="connected",queue="support"} 0.0',
        'acd_callbacks_total{event="requested",queue="sales"} 0.0',  # declared at 0
        'acd_callbacks_pending{queue="support"} 1.0',
        'acd_calls_answered_total{queue="support"} 0.0',
    ):
        assert want in lines, want
