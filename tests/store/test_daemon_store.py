"""The daemon on Redis, as a real process: a restart brings back what a call center cannot lose,
and a Redis outage in the middle of a run loses and doubles no call record."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path
from typing import Any

from acd.store.redis import RedisStore
from tests.redis_server import RedisServer
from tests.store.daemon_proc import TOKENS, Daemon, leads_csv, wait_for

CONFIG = """
name: persisted
STORE
TOKENS
queues:
  - name: q
    skills: {service: 1}
campaigns:
  - name: c
    mode: progressive
    leads: leads.csv
    caller_id: "+12125550100"
    skills: {sales: 1}
    calling_window: {start: "00:00", end: "23:59"}
    retries:
      no_answer: {delay_seconds: 86400, max_attempts: 3}
      busy: {delay_seconds: 86400, max_attempts: 3}
      machine: {delay_seconds: 86400, max_attempts: 3}
      failed: {delay_seconds: 86400, max_attempts: 3}
agents:
  - {id: a1, skills: {service: 5, sales: 5}}
  - {id: a2, skills: {service: 5, sales: 5}}
  - {id: a3, skills: {service: 5, sales: 5}}
simulation:
  traffic:
    q:
      calls_per_hour: 3600
      handle_time: {distribution: fixed, mean: 0.5}
  agents:
    wrap_up: {distribution: fixed, mean: 0.1}
  outbound:
    human_probability: 0.5
    machine_probability: 0.2
    busy_probability: 0.3
    failed_probability: 0.0
    busy_after_seconds: 0.1
    ring_to_answer: {distribution: fixed, mean: 0.2}
    talk_time: {distribution: fixed, mean: 0.4}
"""


def write_config(tmp_path: Path, url: str, leads: int = 2000) -> Path:
    leads_csv(tmp_path / "leads.csv", leads)
    cfg = tmp_path / "center.yaml"
    store = f"store: {{url: '{url}', spool: spool.jsonl}}"
    cfg.write_text(CONFIG.replace("STORE", store).replace("TOKENS", TOKENS))
    return cfg


def stored(url: str) -> tuple[Any, list[dict[str, Any]]]:
    async def go() -> tuple[Any, list[dict[str, Any]]]:
        s = RedisStore(url, "acd:")
        await s.connect()
        try:
            return await s.load(), [r async for r in s.records(0.0, float("inf"))]
        finally:
            await s.close()

    return asyncio.run(go())


def records_done(d: Daemon, n: int) -> bool:
    return int(d.ready()["store"].get("records", 0)) >= n


def test_a_restart_brings_back_leads_dnc_sessions_and_abandonment(
    tmp_path: Path, own_redis: RedisServer
) -> None:
    cfg = write_config(tmp_path, own_redis.url)
    first = Daemon(cfg, tmp_path / "first.log")
    try:
        wait_for(lambda: first.ready()["ready"], what="first daemon ready")
        assert first.call("POST", "/v1/agents/a3/pause", {"reason": "training"})[0] == 200
        assert first.call("POST", "/v1/dnc", {"number": "+12125550007"})[0] in (200, 201)
        wait_for(lambda: records_done(first, 40), what="40 call records")
        _, before = first.call("GET", "/v1/campaigns")
        assert first.stop() == 0
    finally:
        first.kill()
    written = first.persisted()
    state, records = stored(own_redis.url)
    # Every record the daemon handed over is in Redis, once.
    assert len(records) == written["records"] > 0
    assert len({r["call_id"] for r in records}) == len(records)
    dialed = Counter(r["lead_id"] for r in records if r.get("campaign") == "c")
    attempted = {k for k, v in state.leads["c"].items() if v["state"]["attempts"]}
    assert set(dialed) == attempted and max(dialed.values()) == 1
    assert state.dnc["+12125550007"]["source"] == "api"
    assert state.sessions["a3"]["pause_reason"] == "training"
    assert state.abandon["c"]

    second = Daemon(cfg, tmp_path / "second.log")
    try:
        wait_for(lambda: second.ready()["ready"], what="second daemon ready")
        _, a3 = second.call("GET", "/v1/agents/a3")
        assert a3["state"] == "paused" and a3["pause_reason"] == "training"
        assert second.call("GET", "/v1/dnc/+12125550007")[0] == 200
        some = next(iter(attempted))
        _, lead = second.call("GET", f"/v1/campaigns/c/leads/{some}")
        assert lead["attempts"] == 1, lead
        _, after = second.call("GET", "/v1/campaigns")
        b, a = before["campaigns"][0], after["campaigns"][0]
        # The legal windows are rebuilt from the stored buckets: nothing was forgotten.
        assert a["report"]["live_answers_24h"] >= b["report"]["live_answers_24h"] > 0
        wait_for(lambda: records_done(second, 20), what="20 more call records")
        assert second.stop() == 0
    finally:
        second.kill()
    _, records = stored(own_redis.url)
    dialed = Counter(r["lead_id"] for r in records if r.get("campaign") == "c")
    assert max(dialed.values()) == 1  # no lead was dialed twice across the restart
    assert len({r["call_id"] for r in records}) == len(records)


def ended_at_trunk(tap: Path) -> list[str]:
    """The call ids the simulated trunk has seen end so far (whole lines only)."""
    text = tap.read_text() if tap.exists() else ""
    return text[: text.rfind("\n") + 1].split()


def test_redis_lost_mid_run_loses_and_doubles_no_record(
    tmp_path: Path, own_redis: RedisServer
) -> None:
    """Every call the trunk saw end, before, during and after the outage, has one record in
    Redis, and every record is such a call: counted id by id from the trunk's side."""
    cfg = write_config(tmp_path, own_redis.url)
    tap = tmp_path / "ended.txt"
    d = Daemon(cfg, tmp_path / "daemon.log", tap=tap)
    try:
        wait_for(lambda: d.ready()["ready"], what="daemon ready")
        wait_for(lambda: len(ended_at_trunk(tap)) >= 20, what="20 calls ended")
        own_redis.stop()
        wait_for(lambda: d.ready()["store"]["up"] is False, what="the daemon sees Redis gone")
        at_loss = len(ended_at_trunk(tap))
        # Calls are still routed from memory and their records spooled.
        wait_for(lambda: len(ended_at_trunk(tap)) >= at_loss + 20, what="calls while away")
        assert d.ready()["store"]["spooled"] > 0 and d.ready()["ready"]
        during = set(ended_at_trunk(tap)[at_loss:])
        own_redis.start()
        wait_for(lambda: d.ready()["store"]["up"] is True, what="the spool replayed")
        assert d.ready()["store"]["spooled"] == 0
        at_back = len(ended_at_trunk(tap))
        wait_for(lambda: len(ended_at_trunk(tap)) >= at_back + 20, what="calls after the outage")
        assert d.stop() == 0
    finally:
        d.kill()
    ended = set(ended_at_trunk(tap))
    _, records = stored(own_redis.url)
    ids = [r["call_id"] for r in records]
    doubled = sorted(i for i, n in Counter(ids).items() if n > 1)
    assert not doubled, f"records doubled: {doubled[:10]}"
    missing = sorted(ended - set(ids))
    assert not missing, f"{len(missing)} calls ended with no record, e.g. {missing[:10]}"
    assert len(during) >= 20 and during <= set(ids)  # the outage's own calls are all there
    unknown = sorted(set(ids) - ended)
    assert not unknown, f"records of calls the trunk never saw end: {unknown[:10]}"
    ended_times = [r["ended"] for r in records]
    assert ended_times == sorted(ended_times)


def test_redis_unavailable_at_start_is_named_retried_and_not_ready(tmp_path: Path) -> None:
    server = RedisServer(tmp_path / "redis")  # not started yet: its port refuses connections
    cfg = write_config(tmp_path, server.url, leads=50)
    d = Daemon(cfg, tmp_path / "daemon.log")
    try:
        status, body = wait_for(
            lambda: (r := d.call("GET", "/readyz"))[1].get("status") and r,
            what="a readiness answer naming the store",
        )
        assert status == 503 and not body["ready"]
        assert f"127.0.0.1:{server.port}" in body["status"], body
        assert body["store"]["up"] is False, body  # not reached yet: down, whatever the spool
        status, metrics = d.text("/metrics")
        assert status == 200 and "\nacd_store_up 0.0\n" in metrics, metrics[-2000:]
        assert d.call("GET", "/healthz")[0] == 200  # alive, only not ready
        assert "store unavailable" in (tmp_path / "daemon.log").read_text()
        server.start()  # Redis comes up: the daemon connects on its next attempt
        wait_for(lambda: d.ready()["ready"], what="ready once Redis answers")
        assert d.ready()["store"]["up"] is True
        assert "\nacd_store_up 1.0\n" in d.text("/metrics")[1]
        assert d.stop() == 0
    finally:
        d.kill()
        server.stop()


def test_store_up_follows_redis_while_idle_and_the_spool_is_its_own_figure(
    tmp_path: Path, own_redis: RedisServer
) -> None:
    """No call at all, so nothing is written: ``up`` still drops when Redis stops and comes
    back when it returns, in /readyz and in acd_store_up, with nothing spooled meanwhile."""
    cfg = tmp_path / "idle.yaml"
    store = f"store: {{url: '{own_redis.url}', spool: spool.jsonl}}"
    queue = "queues:\n  - {name: q, skills: {s: 1}}\nagents:\n  - {id: a1, skills: {s: 1}}\n"
    cfg.write_text(f"name: idle\n{store}\n{TOKENS}{queue}")
    d = Daemon(cfg, tmp_path / "daemon.log")

    def metric(name: str) -> str:
        return next(ln for ln in d.text("/metrics")[1].splitlines() if ln.startswith(name + " "))

    try:
        wait_for(lambda: d.ready()["ready"], what="daemon ready")
        assert d.ready()["store"]["up"] is True and metric("acd_store_up") == "acd_store_up 1.0"
        own_redis.stop()
        wait_for(lambda: d.ready()["store"]["up"] is False, what="Redis gone, nothing written")
        assert d.ready()["store"]["spooled"] == 0
        assert metric("acd_store_up") == "acd_store_up 0.0"
        assert metric("acd_store_spooled_batches") == "acd_store_spooled_batches 0.0"
        own_redis.start()
        wait_for(lambda: d.ready()["store"]["up"] is True, what="Redis answers again")
        assert metric("acd_store_up") == "acd_store_up 1.0"
        assert d.stop() == 0
    finally:
        d.kill()
