"""The leadership lease for hot standby, with a fencing token.

One Redis key ``<prefix>lease`` holds ``owner:token`` with a TTL. :meth:`Lease.acquire` takes it
only when it is free, and then draws a new token with INCR ``<prefix>fence``; every write of the
leader carries that token and the store refuses a stale one (:class:`~acd.errors.StaleLeader`), so
a paused old leader that wakes up after a take-over cannot write.

The holder also keeps ``valid_until`` on its *local* monotonic clock: the time the request that
took or renewed the lease was sent, plus the TTL, minus a safety margin for clock drift. Checking
:meth:`Lease.valid` needs no I/O. Renew every ``ttl / 3`` (:attr:`Lease.renew_every`); if the
renewals fail, the holder stops acting at ``valid_until``, before the key expires in Redis and a
standby can take over.
"""

from __future__ import annotations

import time

from acd.errors import StoreUnavailable
from acd.store import redis_client as rc

ACQUIRE = """
if redis.call('EXISTS', KEYS[1]) == 1 then return false end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1] .. ':' .. token, 'PX', ARGV[2])
return token
"""
RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class Lease:
    def __init__(
        self,
        redis_url: str,
        prefix: str = "acd:",
        owner: str = "node",
        ttl: float = 3.0,
        *,
        margin: float | None = None,
    ) -> None:
        if ttl <= 0:
            raise ValueError("ttl must be positive")
        self.url = redis_url
        self.prefix = prefix
        self.owner = owner
        self.ttl = ttl
        self.margin = min(ttl / 3, 0.25) if margin is None else margin
        self.token: int | None = None
        self.valid_until = float("-inf")
        self._client: rc.Client | None = None
        self.replication = rc.Replication(ttl / 6)  # within the socket timeout (ttl / 3)
        prefix = rc.key_prefix(prefix, redis_url)  # the store's: one slot on a cluster
        self._keys = [prefix + "lease", prefix + "fence"]

    @property
    def renew_every(self) -> float:
        return self.ttl / 3

    @property
    def client(self) -> rc.Client:
        if self._client is None:
            self._client = rc.make_client(self.url, self.ttl / 3)
        return self._client

    def valid(self, now_monotonic: float) -> bool:
        """May this node still act as the leader? Local, no I/O."""
        return self.token is not None and now_monotonic < self.valid_until

    async def _eval(self, script: str, *args: str) -> object:
        try:
            return await self.client.eval(script, 2, *self._keys, *args)
        except rc.UNAVAILABLE as exc:
            raise StoreUnavailable(self.url, str(exc) or type(exc).__name__) from exc

    @property
    def _ttl_ms(self) -> str:
        return str(max(1, round(self.ttl * 1000)))

    async def acquire(self) -> int | None:
        """Take the lease if it is free: the new fencing token, or None if someone holds it.
        When the master has replicas the token counts only once one has it (WAIT, as for
        batches): a fail-over must not hand the same token out again."""
        sent = time.monotonic()
        key = self._keys[0]
        try:
            waits = await self.replication.waits(self.client, key)
            async with self.client.pipeline(transaction=False) as pipe:
                pipe.execute_command("EVAL", ACQUIRE, 2, *self._keys, self.owner, self._ttl_ms)
                if waits:
                    self.replication.queue(pipe, self.client, key)
                results = await pipe.execute(raise_on_error=False)
        except rc.UNAVAILABLE as exc:
            raise StoreUnavailable(self.url, str(exc) or type(exc).__name__) from exc
        token = results[0]
        if isinstance(token, Exception):
            raise token
        if token is None:
            return None
        if waits:
            self.replication.check(results[1], self.url)
        self.token = int(token)
        self.valid_until = sent + self.ttl - self.margin
        return self.token

    async def expires_in(self) -> float | None:
        """Seconds until the lease lapses in Redis (0.0 when nobody holds it; None when it has
        no expiry): a standby polls again then rather than on its fixed cadence."""
        try:
            ms = int(await self.client.pttl(self._keys[0]))
        except rc.UNAVAILABLE as exc:
            raise StoreUnavailable(self.url, str(exc) or type(exc).__name__) from exc
        if ms == -1:
            return None
        return max(0.0, ms / 1000)

    async def renew(self) -> bool:
        """Extend the lease if it is still ours; False (and no longer valid) if it is not."""
        if self.token is None:
            return False
        sent = time.monotonic()
        ok = await self._eval(RENEW, f"{self.owner}:{self.token}", self._ttl_ms)
        if ok == 1:
            self.valid_until = sent + self.ttl - self.margin
            return True
        self.token = None
        self.valid_until = float("-inf")
        return False

    async def release(self) -> None:
        if self.token is not None:
            value = f"{self.owner}:{self.token}"
            self.token = None
            self.valid_until = float("-inf")
            await self._eval(RELEASE, value, self._ttl_ms)

    async def aclose(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            await rc.close_client(client)
