"""Reports over the API: interval rows the daemon wrote to its store (in memory here), summed
and served as JSON or CSV; bad parameters are named."""

from __future__ import annotations

import asyncio
import csv
import io
from typing import Any

import pytest

from acd import events as ev
from acd.daemon.days import today
from tests.daemon.conftest import TOKENS, Api


async def calls_in_store(api: Api) -> str:
    """Three sales calls, one answered and ended; returns the business date once the store has
    the rows."""
    for agent in ("alice", "bob"):
        assert (await api.call("POST", f"/v1/agents/{agent}/login", json={"ready": True}))[0] == 200
    driver = api.daemon.driver
    assert driver is not None
    for cid in ("c1", "c2", "c3"):
        driver.submit(ev.CallArrived(cid, "sales"))
    offers = driver.engine.calls["c1"].ringing, driver.engine.calls["c2"].ringing
    assert offers[0] and offers[1]  # alice and bob ring; c3 waits
    for cid in ("c1", "c2"):
        (agent,) = driver.engine.calls[cid].ringing.values()
        driver.submit(ev.AgentAnswered(cid, agent.id))
    driver.submit(ev.CallHungUp("c1", "caller"))
    day = today(api.daemon)
    store = api.daemon.store
    assert store is not None
    async with asyncio.timeout(5):
        while True:  # the writer task runs on this loop: wait for what it wrote
            rows = await store.load_intervals(day, day, group="queue", name="sales")
            if rows and rows[0]["counts"]["handled"] == 1:
                return day
            await asyncio.sleep(0.01)


async def get(api: Api, path: str, accept: str = "application/json") -> tuple[int, str, Any]:
    headers = {"Authorization": f"Bearer {TOKENS['supervisor']}", "Accept": accept}
    async with api.session.get(api.url(path), headers=headers) as r:
        body = await r.json() if r.content_type == "application/json" else await r.text()
        return r.status, r.content_type, body


async def test_interval_and_day_reports_sum_the_rows_the_daemon_wrote(api: Api) -> None:
    day = await calls_in_store(api)
    status, _, body = await get(api, "/v1/reports/intervals")
    assert status == 200 and body["from"] == body["to"] == day and body["group"] == "queue"
    (row,) = [r for r in body["rows"] if r["name"] == "sales"]
    assert row["minutes"] == 15 and row["waiting"] == 1  # c3
    k = row["kpis"]
    assert (k["offered"], k["answered"], k["handled"], k["waiting"]) == (3, 2, 1, 1)
    assert k["service_level_target"] == 0.8  # the queue's own target, from the config
    status, _, hourly = await get(api, "/v1/reports/intervals?interval=60&name=sales")
    assert status == 200 and [r["kpis"]["offered"] for r in hourly["rows"]] == [3]
    assert hourly["interval"] == 60
    status, _, agents = await get(api, f"/v1/reports/intervals?group=agent&from={day}&to={day}")
    assert status == 200 and {r["name"] for r in agents["rows"]} >= {"alice", "bob"}
    assert sum(r["kpis"]["answered"] for r in agents["rows"]) == 1  # one call ended
    status, _, whole = await get(api, f"/v1/reports/day?date={day}")
    assert status == 200 and whole["date"] == day
    by = {(r["group"], r["name"]): r for r in whole["rows"]}
    assert by[("queue", "sales")]["kpis"]["offered"] == 3
    assert by[("queue", "sales")]["counts"] == row["counts"]
    status, _, empty = await get(api, "/v1/reports/day?date=2000-01-01")
    assert status == 200 and empty["rows"] == []


async def test_reports_answer_csv_when_asked(api: Api) -> None:
    await calls_in_store(api)
    status, ctype, text = await get(api, "/v1/reports/intervals?name=sales", accept="text/csv")
    assert status == 200 and ctype == "text/csv"
    (line,) = list(csv.DictReader(io.StringIO(text)))
    assert (line["group"], line["name"], line["offered"], line["waiting"]) == (
        "queue",
        "sales",
        "3",
        "1",
    )
    status, ctype, text = await get(api, "/v1/reports/day", accept="text/csv")
    assert status == 200 and ctype == "text/csv" and text.startswith("group,name,date,")


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("from=2026-13-01", "from"),
        ("from=20260302", "from"),
        ("from=2026-03-02&to=2026-03-01", "to"),
        ("from=2026-01-01&to=2026-12-31", "to"),
        ("group=team", "group"),
        ("interval=5", "interval"),
        ("interval=x", "interval"),
    ],
)
async def test_a_bad_report_parameter_is_a_400_naming_it(api: Api, query: str, param: str) -> None:
    status, _, body = await get(api, f"/v1/reports/intervals?{query}")
    assert status == 400 and body["error"]["code"] == "invalid_field", body
    assert body["error"]["message"].startswith(f"{param}: "), body


async def test_reports_need_a_supervisor(api: Api) -> None:
    assert (await api.call("GET", "/v1/reports/intervals", role="agent"))[0] == 403
    assert (await api.call("GET", "/v1/reports/day", role="agent"))[0] == 403
    assert (await api.call("GET", "/v1/reports/day", role="admin"))[0] == 200
    status, body = await api.call("GET", "/v1/reports/day?date=2026-03-02x", role="admin")
    assert status == 400 and body["error"]["message"].startswith("date: ")


async def test_a_reload_that_moves_the_business_day_needs_a_restart(api: Api) -> None:
    text = api.config_path.read_text()
    api.config_path.write_text("center: {day_starts: '06:00'}\n" + text)
    status, body = await api.call("POST", "/v1/admin/reload")
    assert status == 409 and body["error"]["code"] == "restart_required", body
    api.config_path.write_text("reporting: {interval_minutes: 30}\n" + text)
    status, body = await api.call("POST", "/v1/admin/reload")
    assert status == 409 and "interval_minutes" in body["error"]["message"]
    api.config_path.write_text("reporting: {retention_days: 30}\n" + text)
    assert (await api.call("POST", "/v1/admin/reload"))[0] == 200  # applies live
