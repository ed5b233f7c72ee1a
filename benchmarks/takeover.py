"""Take-over by a warm standby, from ``kill -9`` of the leader to the first call routed (used by
``benchmarks/store.py``; each role is a process of its own, started as
``python benchmarks/takeover.py leader|standby URL PREFIX AGENTS LEADS TTL DETECT``).

The store is filled beforehand (leads of campaign "camp", a session per agent). The **leader**
takes the lease and writes a batch every 20 ms through the batch script, with its fencing token
(a few leads' states and an agent's session each), renewing the lease as the daemon does, until
it is killed. The **standby** runs the daemon's standby loop (acd/daemon/standby.py): one cold
load, then it follows the stream, polls the lease and (DETECT 1, the daemon's default
``ha.crash_detection``) the leader's connections, takes it once the leader's connection is gone
or the lease has lapsed, catches up,
restores the small parts (:meth:`~acd.standby.WarmCore.take_over`) and routes an inbound call
(the core's OfferCall). It prints its times (``time.monotonic``, one clock for every process on
Linux) and its memory as one JSON line. The daemon's AMI connection is not part of it (the
process test in tests/store/test_warm_standby.py covers the daemon end to end).
"""

from __future__ import annotations

import asyncio
import gc
import json
import subprocess
import sys
import time
from pathlib import Path
from random import Random
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from acd import events as ev
from acd.commands import OfferCall
from acd.config.schema import Config
from acd.core import Core
from acd.daemon.standby import Follower, stand_by
from acd.store.batch import Batch
from acd.store.lease import Lease
from acd.store.redis import RedisStore
from dialer.center import Center
from dialer.dnc import DoNotCallList
from dialer.hours import CallingWindow
from dialer.leadbook import LeadBook
from dialer.leadsource import BookLeads

T0 = 1_793_520_000.0
EVERY = 0.02  # the leader's flush cadence


def center(agents: int) -> Center:
    """``agents`` agents, the inbound queue "sales" and the campaign "camp" dialing a book."""
    config = Config.model_validate(
        {
            "agents": [{"id": f"agent{i}", "skills": {"sales": 5}} for i in range(agents)],
            "queues": [{"name": "sales", "skills": {"sales": 1}}],
            "campaigns": [{"name": "camp", "mode": "progressive", "skills": {"sales": 1}}],
        }
    )
    dnc = DoNotCallList()
    leads = {"camp": BookLeads(LeadBook(), CallingWindow(), dnc)}
    return Center(config, rng=Random(1), leads=leads, dnc=dnc)  # type: ignore[dict-item]


def rss_mb() -> tuple[float, float]:
    """(resident, peak resident) MB of this process."""
    got = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            got[key] = int(value.split()[0]) / 1024
    return got.get("VmRSS", 0.0), got.get("VmHWM", 0.0)


async def leader(url: str, prefix: str, agents: int, leads: int, ttl: float) -> None:
    store = RedisStore(url, prefix, streamed=True)
    await store.connect()
    lease = Lease(url, prefix, "leader", ttl)
    while await lease.acquire() is None:
        await asyncio.sleep(ttl / 6)  # a lease left by an earlier run lapses
    seq = int(await store.client.get(prefix + "seq") or 0)
    rng = Random(11)
    print("leading", flush=True)
    renewed = time.monotonic()
    while True:
        seq += 1
        changed = {}
        for _ in range(5):
            i = rng.randrange(leads)
            nxt = T0 + rng.uniform(0, 86400)
            changed[f"L{i}"] = {"state": {"attempts": 1, "next_attempt_at": nxt, "done": False}}
        a = f"agent{rng.randrange(agents)}"
        session = {"state": "paused", "pause_reason": "break", "skills": {"sales": 5}, "since": T0}
        await store.apply(
            Batch(seq, leads={"camp": changed}, sessions={a: session}), token=lease.token
        )
        if time.monotonic() - renewed > lease.renew_every:
            await lease.renew()
            renewed = time.monotonic()
        await asyncio.sleep(EVERY)  # the daemon's flush cadence


async def standby(url: str, prefix: str, agents: int, ttl: float, detect: bool) -> dict[str, Any]:
    store = RedisStore(url, prefix, timeout=60.0)
    await store.connect()
    built: list[Core] = []

    def build() -> tuple[Core, str]:
        built.append(center(agents))
        return built[-1], "p."

    follower = Follower(store, build, store.load)
    t = time.perf_counter()
    await follower.cold()
    cold_s = time.perf_counter() - t
    gc.collect()
    rss, peak = rss_mb()
    print(json.dumps({"following": True}), flush=True)
    lease = Lease(url, prefix, "standby", ttl, crash_detection=detect)
    standing = await stand_by(follower, lease, ttl / 6)
    fenced = time.monotonic()  # the lease taken and the stream read to its end
    core = standing.warm.core
    now = time.time()
    counts = standing.warm.take_over(now)
    restored = time.monotonic()
    cmds = core.handle(ev.CallArrived("first", "sales"), now)
    routed = time.monotonic()
    assert any(isinstance(c, OfferCall) for c in cmds), cmds
    assert counts["sessions"] == agents, counts
    await lease.release()
    await lease.aclose()
    await store.close()
    return {
        "cold_load_s": cold_s,
        "fenced": fenced,
        "restored": restored,
        "routed": routed,
        "followed": standing.warm.applied - standing.caught_up,
        "caught_up": standing.caught_up,
        "rss_mb": rss,
        "peak_rss_mb": peak,
    }


def run_takeover(
    url: str, prefix: str, agents: int, leads: int, ttl: float, detect: bool = True
) -> dict[str, float]:
    """One take-over on a filled store: figures in seconds from the kill, and the standby's
    memory. ``detect``: crash detection (else the standby waits for the lease to lapse)."""
    me = str(Path(__file__).resolve())
    args = [url, prefix, str(agents), str(leads), str(ttl), str(int(detect))]
    out = subprocess.PIPE
    lead = subprocess.Popen([sys.executable, me, "leader", *args], stdout=out, text=True)
    sb = None
    try:
        assert lead.stdout is not None and lead.stdout.readline().strip() == "leading"
        sb = subprocess.Popen([sys.executable, me, "standby", *args], stdout=out, text=True)
        assert sb.stdout is not None
        assert json.loads(sb.stdout.readline()) == {"following": True}
        time.sleep(3.0)  # the standby follows the leader's batches for a while
        killed = time.monotonic()
        lead.kill()  # SIGKILL: no release of the lease
        got = json.loads(sb.stdout.readline())
        assert sb.wait(60) == 0
    finally:
        for p in (lead, sb):
            if p is not None and p.poll() is None:
                p.kill()
            if p is not None:
                p.wait()
                if p.stdout is not None:
                    p.stdout.close()
    return {
        "fenced_s": got["fenced"] - killed,
        "routed_s": got["routed"] - killed,
        "takeover_work_s": got["routed"] - got["fenced"],
        "cold_load_s": got["cold_load_s"],
        "followed": got["followed"],
        "rss_mb": got["rss_mb"],
        "peak_rss_mb": got["peak_rss_mb"],
    }


def main() -> None:
    role, url, prefix, agents, leads, ttl, detect = sys.argv[1:8]
    if role == "leader":
        asyncio.run(leader(url, prefix, int(agents), int(leads), float(ttl)))
    else:
        got = asyncio.run(standby(url, prefix, int(agents), float(ttl), detect == "1"))
        print(json.dumps(got), flush=True)


if __name__ == "__main__":
    main()
