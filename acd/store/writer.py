"""The persister: hands batches to the store, and to the local spool while the store is away.

Order is the invariant: a batch reaches the store only after every batch submitted before it.
So once one batch has gone to the spool (the store raised :class:`StoreUnavailable`), every later
batch goes there too, until :meth:`Persister.recover` has replayed the whole spool, in order,
with :meth:`Store.apply_many`, and emptied it. Replay is exactly once because the store skips a
batch whose ``seq`` it has already applied (a batch whose reply was lost with the connection may
well have been applied). A spool left non-empty by a previous run is replayed the same way.

Recovery runs in a task owned by the persister (:meth:`start` / :meth:`aclose`), retrying with
exponential back-off and jitter up to ``max_backoff`` seconds; or the owner calls
:meth:`recover` itself. Submissions wait while a replay runs (one lock), so nothing overtakes it.

Health: :meth:`Persister.store_up` is true while the store answered within ``STALE_SECONDS``
and its last answer was not a failure; an idle persister asks it (``ping``) every
``HEALTH_SECONDS`` so that a Redis gone while nothing is written is noticed too. How many
batches wait in the spool is a separate figure (``len(persister.spool)``): Redis may be back and
answering while a long spool is still being replayed.

A :class:`StaleLeader` from the store is not spooled: this node must stop writing. It propagates
from :meth:`submit`; if it happens during a background replay it is kept in :attr:`failed` and
raised by the next :meth:`submit`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from pathlib import Path
from random import Random

from acd.errors import StaleLeader, StoreUnavailable
from acd.store.base import Store
from acd.store.batch import Batch
from acd.store.spool import Spool

log = logging.getLogger(__name__)
HEALTH_SECONDS = 1.0  # an idle persister asks the store this often
STALE_SECONDS = 3.0  # the store is up if it answered within this long


class Persister:
    def __init__(
        self,
        store: Store,
        spool_path: str | Path,
        *,
        token: int | None = None,
        min_backoff: float = 0.05,
        max_backoff: float = 5.0,
        rng: Random | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.spool = Spool(spool_path)
        self.token = token  # the fencing token to write with (hot standby), or None
        self.min_backoff = min_backoff
        self.max_backoff = max_backoff
        self.rng = rng or Random()
        self.applied = 0  # batches the store took directly
        self.spooled = 0  # batches written to the spool
        self.replayed = 0  # spooled batches replayed into the store
        self.failed: StaleLeader | None = None
        self.clock = clock
        self.answered_at: float | None = None  # when the store last answered (clock)
        self.failing = False  # the last exchange with the store failed
        self._lock = asyncio.Lock()
        self._degraded = len(self.spool) > 0
        self._wake = asyncio.Event()
        if self._degraded:
            self._wake.set()
        self._task: asyncio.Task[None] | None = None

    @property
    def up(self) -> bool:
        """True while batches go straight to the store (the spool is empty)."""
        return not self._degraded

    def store_up(self) -> bool:
        """The store answered recently, and its last answer was not a failure."""
        t = self.answered_at
        return not self.failing and t is not None and self.clock() - t <= STALE_SECONDS

    def _answered(self, ok: bool) -> None:
        self.failing = not ok
        if ok:
            self.answered_at = self.clock()

    async def check(self) -> bool:
        """Ask the store if it is there (between writes); returns :meth:`store_up`."""
        async with self._lock:
            try:
                await self.store.ping()
            except StoreUnavailable as exc:
                if not self.failing:
                    log.warning("store not answering: %s", exc)
                self._answered(False)
            else:
                self._answered(True)
        return self.store_up()

    async def submit(self, batch: Batch) -> None:
        if self.failed is not None:
            raise self.failed
        async with self._lock:
            if not self._degraded:
                try:
                    await self.store.apply(batch, self.token)
                    self.applied += 1
                    self._answered(True)
                    return
                except StoreUnavailable as exc:
                    self._answered(False)
                    log.warning("store unavailable, spooling to %s: %s", self.spool.path, exc)
                    self._degraded = True
                    self._wake.set()
            self.spool.append(batch)
            self.spooled += 1

    async def recover(self) -> bool:
        """Replay the spool into the store; True when it is empty and batches go straight again."""
        async with self._lock:
            if not len(self.spool):
                self._degraded = False
                return True
            batches = self.spool.read()
            try:
                await self.store.apply_many(batches, self.token)
            except StoreUnavailable as exc:
                log.debug("store still unavailable: %s", exc)
                self._answered(False)
                return False
            self._answered(True)
            self.spool.clear()
            self.replayed += len(batches)
            self._degraded = False
            log.info("store back: %d spooled batches replayed", len(batches))
            return True

    async def new_leadership(self, token: int) -> int:
        """This node took the lease (hot standby). Batches still in the spool were written under
        an earlier lease and may be older than what the other node wrote since: they are set
        aside (the file renamed, nothing deleted) rather than replayed. Returns how many."""
        async with self._lock:
            n = len(self.spool)
            if n:
                path = self.spool.path
                aside = path.with_name(f"{path.name}.stale-{token}")
                path.rename(aside)
                self.spool = Spool(path)
                log.warning("%d spooled batches from an earlier lease set aside in %s", n, aside)
            self.token, self.failed, self._degraded = token, None, False
            return n

    # --- the owned recovery task --------------------------------------------------------------
    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._recovering(), name="persister-recovery")

    async def aclose(self) -> None:
        """Stop the recovery task (the spool keeps what it holds; the store is the owner's)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def backoff(self, attempt: int) -> float:
        """Delay before retry ``attempt`` (0, 1, ...): exponential, capped, with full jitter
        over its upper half."""
        cap = min(self.max_backoff, self.min_backoff * 2 ** min(attempt, 32))
        return cap / 2 + self.rng.random() * cap / 2

    async def _recovering(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self._wake.wait(), HEALTH_SECONDS)  # health cadence
            except TimeoutError:
                if self.answered_at is None or self.clock() - self.answered_at >= HEALTH_SECONDS:
                    await self.check()  # nothing written for a while: is the store there?
                continue
            self._wake.clear()
            attempt = 0
            while self._degraded:
                await asyncio.sleep(self.backoff(attempt))
                try:
                    if await self.recover():
                        break
                except StaleLeader as exc:
                    log.error("replay refused, this node is no longer the leader: %s", exc)
                    self.failed = exc
                    return
                attempt += 1
