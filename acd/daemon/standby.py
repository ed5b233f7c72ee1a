"""The warm standby in the daemon: a core built once, kept current from the leader's batch stream.

While another node holds the lease, :func:`stand_by` loads the store once (a cold load, timed in
the log), builds the core from it (:class:`~acd.standby.WarmCore`) and then follows the stream
of batches (acd/store/stream.py) with XREAD BLOCK from the last seq it applied, between two polls
of the lease (with crash detection, also looks at the leader's connections: acd/store/lease.py):
one task, so no read is ever cancelled half-way. An entry that does not follow the last one
applied (the stream was trimmed past it) or that stands for a batch too large to stream means a
cold load again. When the lease is taken (which fences the old leader: its writes are refused
from then on), the rest of the stream is read without blocking and applied, and the daemon
starts with that core: no load, no rebuild of the lead books.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from redis.exceptions import RedisError

from acd.core import Core
from acd.errors import AcdError
from acd.standby import WarmCore
from acd.store import stream
from acd.store.batch import StoredState
from acd.store.lease import Lease
from acd.store.redis import RedisStore

FAILURES = (AcdError, RedisError, OSError)  # XREAD is not mapped by the store

log = logging.getLogger("acd.daemon")
READ_COUNT = 500  # stream entries per XREAD


@dataclass
class Standing:
    """What a standby hands over when it takes the lease."""

    warm: WarmCore
    prefix: str  # the call id prefix its core was built with
    caught_up: int  # batches applied after the lease was taken


class Follower:
    def __init__(
        self,
        store: RedisStore,
        build: Callable[[], tuple[Core, str]],
        load: Callable[[], Awaitable[StoredState]],
    ) -> None:
        self.store = store
        self.build = build  # a fresh core and its call id prefix
        self.load = load  # the store's state, retried while Redis is away
        self.key = store.prefix + stream.STREAM
        self.warm: WarmCore | None = None
        self.prefix = ""
        self.loads = 0  # cold loads (the first, and any after a gap in the stream)

    async def cold(self) -> None:
        t0 = time.perf_counter()
        gc.unfreeze()  # an earlier core (frozen when built) can be collected with its cycles
        self.warm = None  # the old core goes before the new one is built
        gc.collect()
        state = await self.load()
        t1 = time.perf_counter()
        core, self.prefix = self.build()
        now = time.time()
        for a in core.engine.agents.values():
            a.since = now
        self.warm = WarmCore(core, state, now)
        gc.collect()
        gc.freeze()  # the books live long: keep full collections from walking them
        self.loads += 1
        c = self.warm.counts
        log.info(
            "standby: cold load in %.2fs (store %.2fs, core %.2fs): %d leads, %d sessions, seq %d",
            time.perf_counter() - t0,
            t1 - t0,
            time.perf_counter() - t1,
            c["leads"],
            len(state.sessions),
            state.last_seq,
        )

    async def step(self, block_ms: int | None) -> int:
        """Read and apply what follows the last batch applied (waiting up to ``block_ms`` for
        it; None: not at all); returns how many batches were applied."""
        if self.warm is None:
            await self.cold()
        assert self.warm is not None
        after = f"{self.warm.seq}-0"
        got = await self.store.client.xread({self.key: after}, count=READ_COUNT, block=block_ms)
        n = 0
        for _, entries in got or ():
            for raw_id, fields in entries:
                seq = int(raw_id.split(b"-")[0])
                payload = fields.get(b"b", b"")
                if int(fields.get(b"p", b"0")) != self.warm.seq or not payload:
                    why = "a batch too large to stream" if payload == b"" else "a gap"
                    log.info("standby: %s at seq %d: loading the store again", why, seq)
                    await self.cold()
                    return n
                n += self.warm.apply(stream.decode(seq, payload), time.time())
        return n

    async def catch_up(self) -> int:
        """Apply what is left of the stream (after the lease was taken: nothing more comes)."""
        n = 0
        while k := await self.step(None):
            n += k
        return n


async def stand_by(follower: Follower, lease: Lease, poll: float) -> Standing:
    """Follow the stream until the lease is taken; then catch up and hand the core over."""
    delay = 0.1
    next_poll = 0.0
    while True:
        loop_now = time.monotonic()
        try:
            if follower.warm is None:
                await follower.cold()  # before the lease: a load does not renew it
            elif loop_now >= next_poll:
                if await lease.acquire() is not None:
                    break
                # A leader whose connections Redis dropped (it died): no need to wait for the TTL.
                crashed = await lease.crashed_holder()
                if crashed is not None and await lease.acquire(crashed) is not None:
                    log.info("standby: the leader %s has no connection to Redis", crashed)
                    break
                # Again when it lapses if that is sooner (the leader died: no more renewals).
                left = await lease.expires_in()
                soon = min(poll, lease.check_every)
                soon = soon if left is None else min(soon, left + 0.002)
                next_poll = time.monotonic() + soon
            wait = max(1, int((next_poll - time.monotonic()) * 1000))
            await follower.step(wait)
            delay = 0.1
        except FAILURES as exc:
            log.warning("standby: %s; retrying in %.1fs", exc, delay)
            await asyncio.sleep(delay)  # back-off while Redis is away, not engine time
            delay = min(delay * 2, 5.0)
    log.info("leader: lease taken with fencing token %s", lease.token)
    # Renewed meanwhile: a catch-up that must load the store again can outlast the lease.
    renewing = asyncio.create_task(_renew(lease), name="acd-takeover-renew")
    try:
        while True:
            try:
                caught_up = await follower.catch_up()
                break
            except FAILURES as exc:  # the lease is ours; the stream must be read to its end
                log.warning("take-over: reading the stream: %s", exc)
                await asyncio.sleep(0.1)  # back-off while Redis is away, not engine time
    finally:
        renewing.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await renewing
    assert follower.warm is not None
    warm, follower.warm = follower.warm, None
    return Standing(warm, follower.prefix, caught_up)


async def _renew(lease: Lease) -> None:
    while True:
        await asyncio.sleep(lease.renew_every)  # the lease's renewal cadence, not engine time
        with contextlib.suppress(*FAILURES):
            if not await lease.renew():
                return
