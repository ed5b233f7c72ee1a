"""The REST API end to end over HTTP: roles, state changes, stable errors that change nothing."""

from __future__ import annotations

from acd import events as ev
from tests.daemon.conftest import TOKENS, Api


async def test_health_is_open_and_ready(api: Api) -> None:
    assert await api.call("GET", "/healthz", role=None) == (200, {"status": "ok"})
    status, body = await api.call("GET", "/readyz", role=None)
    assert status == 200 and body["ready"] is True and body["reasons"] == []


async def test_readiness_says_why_not(api: Api) -> None:
    d = api.daemon
    driver = d.driver

    async def reasons() -> list[str]:
        status, body = await api.call("GET", "/readyz", role=None)
        assert (status == 200) is body["ready"] is (body["reasons"] == [])
        return body["reasons"]

    d.adapters["asterisk"] = False
    assert await reasons() == ["adapter asterisk not connected"]
    d.adapters["asterisk"] = True
    assert await reasons() == []
    d.draining = True
    assert await reasons() == ["draining"]
    d.draining = False
    d.driver, d.status = None, "store unavailable: refused"
    try:
        assert await reasons() == ["engine not running (store unavailable: refused)"]
        d.role = "standby"
        assert await reasons() == ["standby"]
    finally:
        d.driver, d.role, d.status = driver, "active", ""
        del d.adapters["asterisk"]
    assert await reasons() == []


async def test_tokens_and_roles(api: Api) -> None:
    status, body = await api.call("GET", "/v1/queues", role=None)
    assert status == 401 and body["error"]["code"] == "unauthorized"
    async with api.session.get(
        api.url("/v1/queues"), headers={"Authorization": "Bearer nope"}
    ) as r:
        assert r.status == 401
    status, body = await api.call("GET", "/v1/agents", role="agent")
    assert status == 403 and body["error"]["code"] == "forbidden"
    status, body = await api.call("POST", "/v1/agents/bob/login", role="agent")
    assert status == 403  # an agent token acts only on its own agent
    status, _ = await api.call("POST", "/v1/agents/alice/login", role="agent")
    assert status == 200
    status, _ = await api.call("POST", "/v1/admin/reload", role="supervisor")
    assert status == 403


async def test_agent_lifecycle_over_the_api(api: Api) -> None:
    status, a = await api.call(
        "POST", "/v1/agents/alice/login", role="agent", json={"ready": False}
    )
    assert (status, a["state"]) == (200, "paused")
    status, a = await api.call("POST", "/v1/agents/alice/ready", role="agent")
    assert a["state"] == "ready"
    status, a = await api.call(
        "POST", "/v1/agents/alice/pause", role="agent", json={"reason": "lunch"}
    )
    assert (a["state"], a["pause_reason"]) == ("paused", "lunch")
    status, a = await api.call("GET", "/v1/agents/alice", role="agent")
    assert a["kpis"]["answered"] == 0 and a["skills"] == {"sales": 5}
    status, a = await api.call(
        "POST", "/v1/agents/alice/state", role="supervisor", json={"state": "logged_out"}
    )
    assert a["state"] == "logged_out"


async def test_errors_are_json_with_stable_codes_and_change_nothing(api: Api) -> None:
    await api.call("POST", "/v1/agents/alice/login")
    before = await api.call("GET", "/v1/agents/alice")
    cases = [
        ("POST", "/v1/agents/alice/login", None, None, 409, "illegal_transition"),
        ("POST", "/v1/agents/nobody/ready", None, None, 404, "unknown_agent"),
        ("POST", "/v1/agents/alice/pause", None, "{not json", 400, "invalid_json"),
        ("POST", "/v1/agents/alice/pause", {"reason": 5}, None, 422, "invalid_field"),
        ("POST", "/v1/agents/alice/pause", {"colour": "red"}, None, 422, "invalid_field"),
        ("POST", "/v1/agents/alice/pause", [1, 2], None, 422, "invalid_body"),
        ("PUT", "/v1/agents/alice/skills", {"skills": {"sales": 11}}, None, 422, "invalid_field"),
        ("POST", "/v1/calls/zzz/hangup", None, None, 404, "unknown_call"),
        ("GET", "/v1/nothing-here", None, None, 404, "not_found"),
        ("DELETE", "/v1/queues", None, None, 405, "method_not_allowed"),
        ("GET", "/v1/queues/nope", None, None, 404, "unknown_queue"),
    ]
    for method, path, js, data, status, code in cases:
        got_status, body = await api.call(method, path, json=js, data=data)
        assert (got_status, body["error"]["code"]) == (status, code), (method, path, body)
        assert body["error"]["message"]
    after = await api.call("GET", "/v1/agents/alice")
    before[1].pop("state_seconds"), after[1].pop("state_seconds")
    assert after == before


async def test_calls_transfer_and_hangup(api: Api) -> None:
    await api.call("POST", "/v1/agents/alice/login")
    driver = api.daemon.driver
    assert driver is not None
    driver.submit(ev.CallArrived("c1", "sales", caller="+15551234567"))
    driver.submit(ev.AgentAnswered("c1", "alice"))
    status, calls = await api.call("GET", "/v1/calls", role="supervisor")
    assert [(c["id"], c["state"], c["agent_id"]) for c in calls["calls"]] == [
        ("c1", "connected", "alice")
    ]
    status, call = await api.call(
        "POST", "/v1/calls/c1/transfer", role="agent", json={"queue": "support"}
    )
    assert (status, call["queue"], call["state"]) == (200, "support", "waiting")
    # No longer alice's call: the same answer as for a call that does not exist.
    status, body = await api.call("POST", "/v1/calls/c1/hangup", role="agent")
    assert (status, body["error"]["message"]) == (404, "no call 'c1' of yours")
    status, body = await api.call("POST", "/v1/calls/c9/hangup", role="agent")
    assert (status, body["error"]["message"]) == (404, "no call 'c9' of yours")
    status, _ = await api.call("POST", "/v1/calls/c1/hangup", role="supervisor")
    assert status == 200
    status, q = await api.call("GET", "/v1/queues/sales", role="agent")
    assert (q["offered"], q["answered"]) == (1, 1)


async def test_skills_change_live(api: Api) -> None:
    _, a = await api.call(
        "PUT", "/v1/agents/bob/skills", role="supervisor", json={"skills": {"support": 9}}
    )
    assert a["skills"] == {"support": 9}


async def test_reload_applies_a_valid_file_and_refuses_a_bad_one(api: Api) -> None:
    text = api.config_path.read_text()
    api.config_path.write_text(
        text.replace("  - name: support\n", "  - name: support\n  - name: vip\n", 1)
    )
    status, body = await api.call("POST", "/v1/admin/reload")
    assert status == 200 and "queue vip" in body["changes"]["added"]
    api.config_path.write_text(text.replace("wrap_up_seconds: 30", "wrap_up_seconds: soon"))
    status, body = await api.call("POST", "/v1/admin/reload")
    assert status == 422 and body["error"]["code"] == "invalid_config"
    assert "center.yaml:6: queues[0].wrap_up_seconds" in body["error"]["message"]
    status, _ = await api.call("GET", "/v1/queues/vip", role="agent")
    assert status == 200  # the old (last good) config stays


async def test_openapi_lists_every_route(api: Api) -> None:
    status, doc = await api.call("GET", "/v1/openapi.json", role=None)
    assert status == 200 and doc["openapi"].startswith("3.")
    assert "/v1/agents/{agent_id}/pause" in doc["paths"]
    assert "requestBody" in doc["paths"]["/v1/agents/{agent_id}/pause"]["post"]


async def test_erlang_endpoint_matches_the_calculator(api: Api) -> None:
    q = "calls=100&interval=1800&aht=180&answer_within=20&target_sl=0.8"
    status, body = await api.call("GET", f"/v1/erlang?{q}", role="agent")
    assert status == 200
    assert (body["model"], body["agents"]) == ("erlang_c", 14)
    assert abs(body["service_level"] - 0.8883500192) < 1e-9
    status, body = await api.call("GET", f"/v1/erlang?{q}&patience=120", role="agent")
    assert body["model"] == "erlang_a" and "p_abandon" in body
    hourly = "calls_per_hour=200&aht=180&answer_within=20&target_sl=0.8"
    status, body = await api.call("GET", f"/v1/erlang?{hourly}", role="agent")
    assert status == 200 and (body["interval_seconds"], body["agents"]) == (3600, 14)
    status, body = await api.call("GET", f"/v1/erlang?{hourly}&calls=5", role="agent")
    assert status == 422 and body["error"]["message"].startswith("calls_per_hour: give either")
    status, body = await api.call("GET", "/v1/erlang?calls=-5&aht=180&agents=3", role="agent")
    assert status == 422 and body["error"]["message"].startswith("calls: ")
    status, body = await api.call("GET", "/v1/erlang?calls=5&aht=180&agents=3&colour=1")
    assert status == 422 and body["error"]["message"].startswith("colour: unknown parameter")
    status, body = await api.call("GET", f"/v1/erlang?{q}&access_token={TOKENS['agent']}", None)
    assert status == 200 and body["agents"] == 14  # the token in the query is not an input


async def test_disposition_during_call_or_wrap_up(api: Api) -> None:
    await api.call("POST", "/v1/agents/alice/login")
    status, body = await api.call(
        "POST", "/v1/agents/alice/disposition", role="agent", json={"disposition": "sale"}
    )
    assert status == 409 and body["error"]["code"] == "illegal_transition"  # no call yet
    driver = api.daemon.driver
    assert driver is not None
    driver.submit(ev.CallArrived("c7", "sales"))
    driver.submit(ev.AgentAnswered("c7", "alice"))
    driver.submit(ev.CallHungUp("c7"))  # alice is in wrap-up (30 s)
    status, body = await api.call(
        "POST", "/v1/agents/alice/disposition", role="agent", json={"disposition": "sale"}
    )
    assert status == 200 and body == {"agent_id": "alice", "call_id": "c7", "disposition": "sale"}
    assert driver.engine.dispositions["c7"] == "sale"


async def test_a_queue_that_lists_its_codes_takes_only_those(api: Api) -> None:
    new = api.daemon.config.model_copy(
        update={
            "queues": [
                q.model_copy(update={"dispositions": ["resolved", "escalated"]})
                if q.name == "sales"
                else q
                for q in api.daemon.config.queues
            ]
        }
    )
    api.daemon.config = new
    await api.call("POST", "/v1/agents/alice/login")
    driver = api.daemon.driver
    assert driver is not None
    driver.submit(ev.CallArrived("c8", "sales"))
    driver.submit(ev.AgentAnswered("c8", "alice"))
    status, body = await api.call(
        "POST", "/v1/agents/alice/disposition", role="agent", json={"disposition": "sale"}
    )
    assert status == 422 and "resolved" in body["error"]["message"]
    assert "c8" not in driver.engine.dispositions
    status, _ = await api.call(
        "POST", "/v1/agents/alice/disposition", role="agent", json={"disposition": "resolved"}
    )
    assert status == 200 and driver.engine.dispositions["c8"] == "resolved"


async def test_scores_of_a_finished_call_through_the_api(api: Api) -> None:
    await api.call("POST", "/v1/agents/alice/login")
    driver = api.daemon.driver
    assert driver is not None
    driver.submit(ev.CallArrived("c9", "sales"))
    driver.submit(ev.AgentAnswered("c9", "alice"))
    driver.submit(ev.CallHungUp("c9"))
    status, body = await api.call("POST", "/v1/calls/c9/csat", json={"score": 4, "scale": 5})
    assert status == 200 and body == {"id": "c9", "score": 4, "scale": 5}
    status, body = await api.call("POST", "/v1/calls/c9/quality", json={"score": 75, "form": "qa1"})
    assert status == 200
    sales = driver.engine.report(driver.now())["queues"]["sales"]
    assert (sales["csat_responses"], sales["csat"]) == (1, 1.0)  # 4 of 5 is a top-two box
    alice = driver.engine.report(driver.now())["agents"]["alice"]
    assert (alice["quality_scores"], alice["quality_avg"]) == (1, 75)
    for path, bad in (
        ("csat", {"score": 6, "scale": 5}),
        ("csat", {"score": True}),
        ("quality", {"score": 101}),
    ):
        status, body = await api.call("POST", f"/v1/calls/c9/{path}", json=bad)
        assert status == 422, (path, bad, body)
    status, body = await api.call("POST", "/v1/calls/nope/csat", json={"score": 3})
    assert status == 404, body
    status, _ = await api.call("POST", "/v1/calls/c9/csat", role="agent", json={"score": 3})
    assert status == 403
    assert driver.engine.report(driver.now())["queues"]["sales"]["csat_responses"] == 1
