"""Between the live driver and the store: what each engine step changed is written before the
step's dials leave.

After every step the driver hands its commands here. A step that dials (an ``Originate``) is held
until the batch holding its lead's "dialing" state is applied (to Redis, or to the fsync'd local
spool while Redis is away): a daemon that dies right after can never have dialed a lead the store
does not know about, so the standby that takes over cannot dial it again. Other steps go out at
once; what they changed is collected every ``FLUSH_SECONDS`` into one batch. Commands always leave
in the order the engine gave them: once a step is held, later steps queue behind it.

With a leadership lease (hot standby), every command is checked against the lease first (a local
check of a monotonic deadline, no I/O) and every batch carries the fencing token, so a leader that
was paused and lost its lease can neither dial nor route again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from acd.commands import Command, Originate
from acd.errors import StaleLeader
from acd.store.batch import Batch

log = logging.getLogger("acd.persistence")

FLUSH_SECONDS = 0.02  # records reach the store (or the spool) within this long
KPI_SECONDS = 5.0  # the day's KPIs are written this often


class Collects(Protocol):
    def collect(self, seq: int, now: float, *, kpis: bool) -> Batch: ...


class LeaseCheck(Protocol):
    token: int | None

    def valid(self, now: float) -> bool: ...


class Persistence:
    def __init__(
        self,
        collector: Collects,
        write: Callable[[Batch, int | None], Awaitable[None]],
        *,
        seq: int,
        lease: LeaseCheck | None = None,
        on_lost: Callable[[str], None] | None = None,
    ) -> None:
        self.collector = collector
        self.write = write  # the store's apply, or the persister (spool while Redis is away)
        self.seq = seq
        self.lease = lease
        self.on_lost = on_lost  # leadership lost: the daemon steps down
        self.lost = False
        self._queue: deque[tuple[Batch | None, list[Command], Callable[[Command], None]]] = deque()
        self._wake = asyncio.Event()
        self._dirty = False
        self._next_kpis = 0.0
        self._now: Callable[[], float] = time.time
        self.rearm: Callable[[], None] = lambda: None
        self._closing = False
        self._task: asyncio.Task[None] | None = None
        self.held = 0  # steps held for a write (they dialed)
        self.batches = 0
        self.records = 0  # call records handed to the store (or the spool)

    # --- the driver's side (synchronous) -----------------------------------------------------
    def run(self, commands: list[Command], now: float, execute: Callable[[Command], None]) -> None:
        """Carry out one step's commands, after the write they depend on."""
        if self.lost:
            return
        dials = any(isinstance(c, Originate) for c in commands)
        if dials or self._queue:
            batch = self._collect(now)
            self.held += dials
            self._queue.append((batch, commands, execute))
            self._wake.set()
            return
        if not self._may_act():
            return
        for cmd in commands:
            execute(cmd)
        self._dirty = True
        self._wake.set()

    def _collect(self, now: float) -> Batch | None:
        kpis = now >= self._next_kpis
        if kpis:
            self._next_kpis = now + KPI_SECONDS
        batch = self.collector.collect(self.seq + 1, now, kpis=kpis)
        self._dirty = False
        if batch.empty():
            return None
        self.seq += 1
        return batch

    def may_act(self) -> bool:
        """This node may still send commands (its lease holds on its own clock); the adapter
        asks before an action of its own, such as hanging up a leg it does not know."""
        return self._may_act()

    def _may_act(self) -> bool:
        if self.lost:
            return False
        if self.lease is None:
            return True
        if self.lease.valid(time.monotonic()):
            return True
        self._lose("the leadership lease ran out")
        return False

    def _lose(self, why: str) -> None:
        if not self.lost:
            self.lost = True
            log.error("leadership lost (%s): no more commands leave this daemon", why)
            self._queue.clear()
            if self.on_lost is not None:
                self.on_lost(why)

    # --- the writer (one owned task) ---------------------------------------------------------
    def start(self, now: Callable[[], float], rearm: Callable[[], None]) -> None:
        """``rearm`` is called after held commands leave (a trunk may have new deadlines)."""
        self._now = now
        self.rearm = rearm
        self._task = asyncio.create_task(self._writer(), name="acd-persistence")

    async def aclose(self) -> None:
        """Write what is left, then stop."""
        if self._task is None:
            return
        self._closing = True
        self._next_kpis = 0.0  # the last batch carries the day's KPIs as they end
        self._wake.set()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def _write(self, batch: Batch) -> bool:
        token = self.lease.token if self.lease is not None else None
        try:
            await self.write(batch, token)
        except StaleLeader as exc:
            self._lose(str(exc))
            return False
        self.batches += 1
        self.records += len(batch.records)
        return True

    async def _writer(self) -> None:
        while True:
            if not self._queue and not self._dirty:
                if self._closing:
                    return
                self._wake.clear()
                await self._wake.wait()
                continue
            if not self._queue:  # only steps that went out at once: flush them together
                if not self._closing:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wait_for_dial(), FLUSH_SECONDS)
                if not self._queue and self._dirty:
                    batch = self._collect(self._now())
                    if batch is not None and not await self._write(batch):
                        return
                continue
            batch, commands, execute = self._queue[0]
            if batch is not None and not await self._write(batch):
                return
            self._queue.popleft()
            if not self._may_act():
                return
            for cmd in commands:
                execute(cmd)
            self.rearm()
            if self._closing and not self._queue and not self._dirty:
                return

    async def _wait_for_dial(self) -> None:
        while not self._queue:
            self._wake.clear()
            await self._wake.wait()
            if self._closing:
                return

    def touch(self) -> None:
        """Something changed outside a step (an API edit of leads or the DNC list)."""
        self._dirty = True
        self._wake.set()

    def stats(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "batches": self.batches,
            "records": self.records,
            "held_steps": self.held,
        }
