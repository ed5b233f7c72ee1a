"""Hot standby, as two daemon processes on one Redis and the AMI emulator (the PBX outlives both).

The active daemon is killed with SIGKILL: the standby takes the lease (a higher fencing token)
within 5 s, restores agents and campaigns from the store, picks up the caller still waiting on the
PBX, and goes on dialing; no lead is dialed twice. A leader frozen with SIGSTOP and thawed after
the take-over never sends another command: its lease ran out on its own clock.
"""

from __future__ import annotations

import asyncio
import json
import signal
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from random import Random
from typing import Any

import pytest
from aiohttp import ClientError, ClientSession

from telephony_adapters.ami.messages import Action
from telephony_adapters.asterisk import CHANNEL_VARS
from telephony_adapters.testing import AmiEmulator, OriginateOutcome, OriginatePlan
from tests.processes import DaemonProcess
from tests.redis_server import RedisServer
from tests.store.daemon_proc import TOKEN, TOKENS, leads_csv

CONFIG = """
name: pair
daemon: {drain_seconds: 1}
STORE
ha: {enabled: true, lease_seconds: LEASE}
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
queues:
  - name: wait
    skills: {nobody: 1}
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
"""
AGENT = OriginatePlan(OriginateOutcome.HUMAN, ring_seconds=0.05, amd=False)
PERSON = OriginatePlan(OriginateOutcome.HUMAN, ring_seconds=0.2, talk_seconds=0.6)


def rule(action: Action) -> OriginatePlan:
    return PERSON if (action.get("Channel") or "").endswith("@trunk") else AGENT


def dialed(emu: AmiEmulator) -> list[str]:
    """Numbers of the outbound Originates the PBX received, in order."""
    out = []
    for r in emu.actions:
        channel = r.action.get("Channel") or ""
        if r.action.name == "Originate" and channel.endswith("@trunk"):
            out.append(channel.split("/", 1)[1].split("@", 1)[0])
    return out


class Node:
    def __init__(self, proc: DaemonProcess, base: str, http: ClientSession) -> None:
        self.proc, self.base, self.http = proc, base, http

    async def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        async with self.http.request(method, self.base + path, json=body, headers=headers) as r:
            return r.status, await r.json()

    async def ready(self) -> dict[str, Any]:
        try:
            return (await self.call("GET", "/readyz"))[1]
        except ClientError:
            return {}


async def until(check: Callable[[], Awaitable[bool]], timeout: float, what: str) -> None:
    """Poll the other processes until ``check`` holds (they cannot tell us; nothing is timed)."""
    try:
        async with asyncio.timeout(timeout):
            while not await check():
                await asyncio.sleep(0.02)
    except TimeoutError:
        raise AssertionError(f"{what}: not within {timeout}s") from None


@pytest.fixture
def lease_seconds() -> float:
    """Short, for the frozen leader: it is replaced once its lease lapses (a module may
    override this fixture)."""
    return 1.5


@pytest.fixture
async def pair(
    tmp_path: Path, own_redis: RedisServer, lease_seconds: float
) -> AsyncIterator[tuple[AmiEmulator, Callable[[str], Awaitable[Node]], ClientSession]]:
    emu = AmiEmulator(users={"acd": "acdsecret"}, manager_vars=CHANNEL_VARS, rng=Random(5))
    emu.originate_rule = rule
    await emu.start()
    leads_csv(tmp_path / "leads.csv", 3000)
    procs: list[DaemonProcess] = []

    def config(name: str) -> Path:
        store = f"store: {{url: '{own_redis.url}', spool: {name}-spool.jsonl}}"
        text = CONFIG.replace("STORE", store).replace("TOKENS", TOKENS)
        text = text.replace("LEASE", str(lease_seconds))
        path = tmp_path / f"{name}.yaml"
        path.write_text(text.replace("PORT", str(emu.port)))
        return path

    async with ClientSession() as http:

        async def start(name: str) -> Node:
            proc = await DaemonProcess.astart(config(name), tmp_path / f"{name}.log")
            procs.append(proc)
            return Node(proc, proc.base, http)

        try:
            yield emu, start, http
        finally:
            for p in procs:
                p.kill()  # a frozen one is thawed first
            await emu.stop()


async def active(node: Node) -> bool:
    r = await node.ready()
    return bool(r.get("ready")) and r.get("role") == "active"


async def standby(node: Node) -> bool:
    return (await node.ready()).get("role") == "standby"


async def leader_and_standby(start: Callable[[str], Awaitable[Node]]) -> tuple[Node, Node]:
    """Node a active with the three agents logged in, node b standing by."""
    a = await start("a")
    await until(lambda: active(a), 20, "the first node leads")
    b = await start("b")
    await until(lambda: standby(b), 20, "the second node stands by")
    for agent in ("a1", "a2", "a3"):
        assert (await a.call("POST", f"/v1/agents/{agent}/login", {"ready": True}))[0] == 200
    return a, b


async def test_the_standby_takes_over_within_5s_and_no_lead_is_dialed_twice(pair: Any) -> None:
    emu, start, _ = pair
    a, b = await leader_and_standby(start)
    await until(lambda: asyncio.sleep(0, len(dialed(emu)) >= 15), 30, "15 dials by the leader")
    # A caller waits on the PBX (no agent has the queue's skill) when the leader dies.
    caller = await emu.inbound_call("+15550001111", variables={"ACD_QUEUE": "wait"})
    await emu.answer(caller)
    await emu.emit(
        [
            ("Event", "UserEvent"),
            ("Privilege", "user,all"),
            *caller.snapshot(CHANNEL_VARS),
            ("UserEvent", "AcdEnqueue"),
            ("AcdQueue", "wait"),
            ("AcdPriority", "0"),
        ]
    )

    async def caller_waits(node: Node) -> bool:
        calls = (await node.call("GET", "/v1/calls"))[1]["calls"]
        return any(c["queue"] == "wait" for c in calls)

    await until(lambda: caller_waits(a), 10, "the leader queues the caller")
    token_a = (await a.ready())["store"]["fencing_token"]
    before = len(dialed(emu))

    a.proc.signal(signal.SIGKILL)  # no drain, no goodbye
    t0 = time.monotonic()
    await until(lambda: active(b), 10, "the standby takes over")
    took = time.monotonic() - t0
    assert took < 5.0, f"take-over took {took:.2f}s"
    print(f"take-over in {took:.2f}s")
    assert (await b.ready())["store"]["fencing_token"] > token_a
    _, agents = await b.call("GET", "/v1/agents")
    states = {x["id"]: x["state"] for x in agents["agents"]}
    assert all(s != "logged_out" for s in states.values()), states
    await until(lambda: caller_waits(b), 10, "the new leader picks up the waiting caller")
    # Agents who were on a call come back paused "recovered"; make them ready to dial on.
    for agent_id, state in states.items():
        if state == "paused":
            await b.call("POST", f"/v1/agents/{agent_id}/ready")
    await until(
        lambda: asyncio.sleep(0, len(dialed(emu)) >= before + 15), 30, "the new leader dials"
    )
    numbers = Counter(dialed(emu))
    twice = [n for n, k in numbers.items() if k > 1]
    assert not twice, f"dialed twice across the fail-over: {twice}"
    b.proc.signal(signal.SIGTERM)
    assert await b.proc.exited(timeout=30) == 0


async def test_a_frozen_leader_thawed_after_the_take_over_sends_nothing(pair: Any) -> None:
    emu, start, _ = pair
    a, b = await leader_and_standby(start)
    await until(lambda: asyncio.sleep(0, len(dialed(emu)) >= 5), 30, "dials by the leader")
    sessions = {r.session for r in emu.actions if r.action.name == "Login"}
    a.proc.signal(signal.SIGSTOP)  # a long GC pause, a VM migration...
    await until(lambda: active(b), 10, "the standby takes over")
    new_sessions = {r.session for r in emu.actions if r.action.name == "Login"} - sessions
    n_before = len(emu.actions)
    a.proc.signal(signal.SIGCONT)
    await until(lambda: standby(a), 10, "the thawed node steps down")
    await until(lambda: asyncio.sleep(0, len(dialed(emu)) >= 10), 30, "the new leader dials")
    # After the thaw, actions come only from the new leader's connection(s).
    later = {r.session for r in emu.actions[n_before:] if r.action.name == "Originate"}
    assert later <= new_sessions, f"the old leader acted: sessions {later - new_sessions}"
    numbers = Counter(dialed(emu))
    assert max(numbers.values()) == 1
    log = json.dumps((await a.ready()).get("status", ""))
    assert "standby" in log
