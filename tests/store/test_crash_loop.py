"""``kill -9`` of the daemon at random moments of a campaign, many times over, on one real Redis,
with the AMI emulator as the PBX (it outlives every daemon).

Counted from the emulator's own log of the Originates it received, independently of the daemon's
figures: after the last restart every call the PBX saw has exactly one record; the only other
records are of dials a kill caught between their write and their Originate. No lead's number
reached the PBX more often than the store counts attempts of that lead; no lead reads "dialing"
in the store once nothing is in flight; the campaign's ``dialed`` figure counts every dial the
store knew of.
"""

from __future__ import annotations

import asyncio
import math
import signal
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from random import Random
from typing import Any

from aiohttp import ClientError, ClientSession

from acd.records import INTERRUPTED
from acd.store.redis import RedisStore
from telephony_adapters.ami.messages import Action
from telephony_adapters.asterisk import CHANNEL_VARS
from telephony_adapters.testing import AmiEmulator, OriginateOutcome, OriginatePlan
from tests.processes import DaemonProcess
from tests.redis_server import RedisServer
from tests.store.daemon_proc import TOKEN, TOKENS, leads_csv

CRASHES = 20
UNSENT_WINDOW = 0.25  # seconds from a dial to the kill that caught it between write and send
CONFIG = """
name: crashes
daemon: {drain_seconds: 5}
store: {url: 'URL', spool: spool.jsonl}
TOKENS
adapter:
  type: asterisk
  asterisk:
    port: PORT
    username: acd
    secret: acdsecret
    events: system,call,user,dialplan
    reconnect: {initial: 0.05, maximum: 0.2, jitter: 0}
    health_interval: 0.05
queues: []
campaigns:
  - name: c
    mode: progressive
    leads: leads.csv
    caller_id: "+12125550100"
    wrap_up_seconds: 0
    calling_window: {start: "00:00", end: "23:59"}
    retries:
      no_answer: {delay_seconds: 86400, max_attempts: 3}
      busy: {delay_seconds: 86400, max_attempts: 3}
      machine: {delay_seconds: 86400, max_attempts: 3}
      failed: {delay_seconds: 86400, max_attempts: 3}
      abandoned: {delay_seconds: 86400, max_attempts: 3}
agents:
  - {id: a1}
  - {id: a2}
  - {id: a3}
  - {id: a4}
  - {id: a5}
"""
AGENT = OriginatePlan(OriginateOutcome.HUMAN, ring_seconds=0.05, amd=False)


def pbx_rule(rng: Random) -> Callable[[Action], OriginatePlan]:
    """Agents answer at once; called parties answer and talk, or ring out, or are busy."""

    def rule(action: Action) -> OriginatePlan:
        if not (action.get("Channel") or "").endswith("@trunk"):
            return AGENT
        roll = rng.random()
        if roll < 0.6:
            return OriginatePlan(
                OriginateOutcome.HUMAN, rng.uniform(0.05, 0.3), rng.uniform(0.2, 1)
            )
        if roll < 0.85:
            return OriginatePlan(OriginateOutcome.NO_ANSWER, ring_seconds=rng.uniform(0.1, 0.5))
        return OriginatePlan(OriginateOutcome.BUSY, ring_seconds=0.05)

    return rule


def trunk_calls(emu: AmiEmulator) -> list[tuple[str, str]]:
    """(call id, number) of every Originate to the trunk the PBX received, in order."""
    out = []
    for r in emu.actions:
        channel = r.action.get("Channel") or ""
        if r.action.name == "Originate" and channel.endswith("@trunk"):
            number = channel.split("/", 1)[1].split("@", 1)[0]
            tags = dict(v.partition("=")[::2] for v in r.action.get_all("Variable"))
            out.append((tags["ACD_CALL_ID"], number))
    return out


async def until(check: Callable[[], Awaitable[bool]], timeout: float, what: str) -> None:
    """Poll the other processes until ``check`` holds (nothing is timed)."""
    try:
        async with asyncio.timeout(timeout):
            while not await check():
                await asyncio.sleep(0.01)
    except TimeoutError:
        raise AssertionError(f"{what}: not within {timeout}s") from None


def at_least(count: Callable[[], int], n: int) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return count() >= n

    return check


class Api:
    def __init__(self, http: ClientSession, base: str) -> None:
        self.http, self.base = http, base

    async def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        async with self.http.request(method, self.base + path, json=body, headers=headers) as r:
            return r.status, await r.json()

    async def ready(self) -> bool:
        try:
            return bool((await self.call("GET", "/readyz"))[1].get("ready"))
        except ClientError:
            return False

    async def campaign(self) -> dict[str, Any]:
        return dict((await self.call("GET", "/v1/campaigns"))[1]["campaigns"][0])


async def records(url: str) -> list[dict[str, Any]]:
    store = RedisStore(url)
    try:
        return [r async for r in store.records(-math.inf, math.inf)]
    finally:
        await store.close()


async def test_kill_9_at_random_moments_leaves_one_record_per_call_and_no_lead_dialed_twice(
    tmp_path: Path, own_redis: RedisServer
) -> None:
    rng = Random(16)
    emu = AmiEmulator(users={"acd": "acdsecret"}, manager_vars=CHANNEL_VARS, rng=Random(5))
    emu.originate_rule = pbx_rule(Random(17))
    await emu.start()
    numbers = leads_csv(tmp_path / "leads.csv", 600)
    text = CONFIG.replace("URL", own_redis.url).replace("TOKENS", TOKENS)
    cfg = tmp_path / "crashes.yaml"
    cfg.write_text(text.replace("PORT", str(emu.port)))
    proc: DaemonProcess | None = None
    kills: list[float] = []  # when each SIGKILL was sent (Unix time, as the records' times)
    try:
        async with ClientSession() as http:
            for run in range(CRASHES + 1):
                t0 = time.monotonic()
                proc = await DaemonProcess.astart(cfg, tmp_path / f"run{run}.log")
                api = Api(http, proc.base)
                await until(api.ready, 20, f"run {run}: ready")
                t1 = time.monotonic()
                _, agents = await api.call("GET", "/v1/agents")
                for a in agents["agents"]:  # logged in at first; paused "recovered" after
                    if a["state"] in ("logged_out", "paused"):
                        await api.call("POST", f"/v1/agents/{a['id']}/login", {"ready": True})
                        await api.call("POST", f"/v1/agents/{a['id']}/ready")
                if run == CRASHES:
                    break
                # A random moment: after a few more dials and a few more of any AMI action.
                seen = len(trunk_calls(emu)) + rng.randint(1, 3)
                await until(at_least(lambda: len(trunk_calls(emu)), seen), 20, "dials")
                more = len(emu.actions) + rng.randint(0, 8)
                await until(at_least(lambda: len(emu.actions), more), 20, "actions")
                proc.signal(signal.SIGKILL)  # no drain, no goodbye
                kills.append(time.time())
                await proc.exited()
                proc.kill()  # reaped: its pipe closed
                print(
                    f"run {run}: ready in {t1 - t0:.2f}s, killed {time.monotonic() - t1:.2f}s later"
                )
            assert proc is not None
            await api.call("POST", "/v1/campaigns/c/pause")

            async def idle() -> bool:
                c = await api.campaign()
                calls = (await api.call("GET", "/v1/calls"))[1]["calls"]
                return c["in_flight"] == 0 and not calls

            await until(idle, 20, "the last calls end")
            figures = await api.campaign()
            proc.signal(signal.SIGTERM)
            assert await proc.exited() == 0
    finally:
        if proc is not None:
            proc.kill()
        await emu.stop()

    seen_calls = trunk_calls(emu)
    recs = await records(own_redis.url)
    got = Counter(r["call_id"] for r in recs)
    pbx = Counter(call_id for call_id, _ in seen_calls)
    assert max(pbx.values()) == 1, "the emulator should see each call id once"
    twice = [k for k, n in got.items() if n > 1]
    missing = set(pbx) - set(got)
    assert not twice and not missing, f"twice: {twice[:5]}, calls without a record: {missing}"
    # A record for a call the PBX never saw: only a dial written to the store that the kill
    # caught before its Originate left (the write comes first, so the store never misses a
    # dial); it must say interrupted and have been dialled right before a kill.
    for r in recs:
        if r["call_id"] not in pbx:
            gap = min((k - r["dialed"] for k in kills if k >= r["dialed"]), default=math.inf)
            assert r["outcome"] == INTERRUPTED and gap < UNSENT_WINDOW, (r, gap)
    unsent = len(got) - len(pbx)
    outcomes = Counter(r["outcome"] for r in recs)
    assert outcomes[INTERRUPTED] - unsent > 0, outcomes  # the crashes did cut calls
    print(f"{CRASHES} crashes, {len(pbx)} calls, {unsent} unsent, outcomes {dict(outcomes)}")

    store = RedisStore(own_redis.url)
    try:
        leads = (await store.load()).leads["c"]
    finally:
        await store.close()
    lead_of = {num: f"L{i}" for i, num in enumerate(numbers)}
    for number, n in Counter(num for _, num in seen_calls).items():
        state = leads[lead_of[number]]["state"]
        assert n <= state["attempts"] and n == 1, (number, n, state)
    dialing = [k for k, e in leads.items() if e.get("state", {}).get("dialing")]
    assert not dialing, f"leads still read dialing with nothing in flight: {dialing[:5]}"
    assert figures["dialed"] == len(seen_calls) + unsent, figures  # every dial the store knew
