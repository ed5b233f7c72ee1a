"""The daemon on Redis, as a real process, restarted on the same business day: today's figures
and interval rows carry on from where the first run left them, counted against an independent
recount from the call records both runs wrote."""

from __future__ import annotations

import asyncio
import csv
import io
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from acd.reporting.calendar import BusinessCalendar
from acd.store.batch import StoredState
from acd.store.redis import RedisStore
from tests.redis_server import RedisServer
from tests.store.daemon_proc import TOKENS, Daemon, wait_for
from tests.test_cli import run

CONFIG = """
name: restarted
center: {time_zone: UTC, day_starts: "DAY_STARTS"}
STORE
TOKENS
queues:
  - name: q
    skills: {service: 1}
    wrap_up_seconds: 1
agents:
  - {id: a1, skills: {service: 5}}
  - {id: a2, skills: {service: 5}}
simulation:
  traffic:
    q:
      calls_per_hour: 36000
      handle_time: {distribution: fixed, mean: 0.3}
  agents:
    wrap_up: {distribution: fixed, mean: 0.05}
"""


def far_from_the_day_start() -> str:
    """A day start twelve hours from now: both runs fall in one business day, whenever the
    test runs."""
    return f"{(datetime.now(UTC).hour + 12) % 24:02d}:00"


def stored(url: str, day: str) -> tuple[StoredState, list[dict[str, Any]], list[dict[str, Any]]]:
    async def go() -> tuple[StoredState, list[dict[str, Any]], list[dict[str, Any]]]:
        s = RedisStore(url, "acd:")
        await s.connect()
        try:
            records = [r async for r in s.records(0.0, float("inf"))]
            return await s.load(), await s.load_intervals(day, day), records
        finally:
            await s.close()

    return asyncio.run(go())


def recount(records: list[dict[str, Any]], cal: BusinessCalendar, day: str) -> Counter[str]:
    """Offered and answered of queue q on ``day``, from the records' legs: each stay counts on
    the business date it entered the queue."""
    out: Counter[str] = Counter()
    for r in records:
        for leg in r["legs"]:
            if leg["queue"] == "q" and cal.day(leg["entered"]) == day:
                out["offered"] += 1
                out["answered"] += leg["outcome"] == "answered"
    return out


def queue_figures(d: Daemon) -> dict[str, Any]:
    status, body = d.call("GET", "/v1/queues/q")
    assert status == 200, body
    return dict(body)


def test_a_restart_on_the_same_business_day_keeps_todays_figures_and_intervals(
    tmp_path: Path, own_redis: RedisServer
) -> None:
    starts = far_from_the_day_start()
    cfg = tmp_path / "center.yaml"
    store = f"store: {{url: '{own_redis.url}', spool: spool.jsonl}}"
    text = CONFIG.replace("STORE", store).replace("TOKENS", TOKENS)
    cfg.write_text(text.replace("DAY_STARTS", starts))
    h, m = int(starts[:2]), 0
    cal = BusinessCalendar("UTC", day_starts=datetime(2000, 1, 1, h, m).time())
    day = cal.day(datetime.now(UTC).timestamp())

    first = Daemon(cfg, tmp_path / "first.log")
    try:
        wait_for(lambda: first.ready()["ready"], what="first daemon ready")
        wait_for(lambda: first.ready()["store"].get("records", 0) >= 30, what="30 records")
        assert first.stop() == 0
    finally:
        first.kill()
    assert f"business day in UTC, starts {starts}, intervals of 15 min" in first.log()
    state, rows, records = stored(own_redis.url, day)
    before = recount(records, cal, day)
    assert before["offered"] >= 30
    # What the first run left: rows and day figures that agree with its records.
    assert sum(r["counts"]["offered"] for r in rows if r["group"] == "queue") == before["offered"]
    assert state.kpis is not None and state.kpis["day"] == day
    assert state.kpis["queues"]["q"]["offered"] == before["offered"]

    second = Daemon(cfg, tmp_path / "second.log")
    try:
        wait_for(lambda: second.ready()["ready"], what="second daemon ready")
        # Today's figures came back: they start from the first run's, not from nothing.
        assert queue_figures(second)["offered"] >= before["offered"]
        status, report = second.call("GET", f"/v1/reports/intervals?from={day}")
        assert status == 200
        assert sum(r["kpis"]["offered"] for r in report["rows"]) >= before["offered"]
        wait_for(lambda: second.ready()["store"].get("records", 0) >= 30, what="30 more records")
        last = queue_figures(second)
        assert second.stop() == 0
    finally:
        second.kill()
    state, rows, records = stored(own_redis.url, day)
    both = recount(records, cal, day)
    assert both["offered"] >= before["offered"] + 30
    # The day and its intervals count both runs' calls, each once.
    queue_rows = [r for r in rows if r["group"] == "queue"]
    for key in ("offered", "answered"):
        assert sum(r["counts"][key] for r in queue_rows) == both[key], key
        assert state.kpis is not None and state.kpis["queues"]["q"][key] == both[key], key
    assert last["offered"] <= both["offered"]
    # One row per interval, however many runs wrote to it.
    starts_seen = Counter(r["start"] for r in queue_rows)
    assert max(starts_seen.values()) == 1

    # The report command reads the same rows from Redis.
    p = run("report", "intervals", "--config", str(cfg), "--from", day, "--format", "csv")
    assert p.returncode == 0, p.stderr
    lines = list(csv.DictReader(io.StringIO(p.stdout)))
    assert sum(int(x["offered"]) for x in lines) == both["offered"]
