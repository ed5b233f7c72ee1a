"""The leadership lease for hot standby, with a fencing token.

One Redis key ``<prefix>lease`` holds ``owner:token`` with a TTL. :meth:`Lease.acquire` takes it
only when it is free, and then draws a new token with INCR ``<prefix>fence``; every write of the
leader carries that token and the store refuses a stale one (:class:`~acd.errors.StaleLeader`), so
a paused old leader that wakes up after a take-over cannot write.

The holder also keeps ``valid_until`` on its *local* monotonic clock: the time the request that
took or renewed the lease was sent, plus the TTL, minus a safety margin for clock drift. Checking
:meth:`Lease.valid` needs no I/O. Renew every ``ttl / 3`` or every second, whichever is sooner
(:attr:`Lease.renew_every`); if the renewals fail, the holder stops acting at ``valid_until``,
before the key expires in Redis and a standby can take over.

**A crashed holder is replaced at once.** The holder's lease client names its connections
``acd-lease:<owner>`` (CLIENT SETNAME) and keeps one open: it renews at least every second over
the pool, so after a Redis restart or fail-over its connection is back within a second. When a
process dies (kill -9, segfault, OOM kill) its kernel closes its sockets and Redis drops them. A
standby with ``crash_detection`` looks at CLIENT LIST on the server that holds the key
(:meth:`Lease.crashed_holder`). When the holder has no connection at two looks CONFIRM_SECONDS
apart (a pool reconnecting gets through), and the standby's own connection to that server is
RECONNECT_SECONDS old (the server may have just come back, or been promoted), it takes the lease
over with a script that replaces the key only if it still holds the same ``owner:token``, and
draws a new token as :meth:`Lease.acquire` does. A holder that is alive but lost its connections
is replaced the same way; the new token fences it. A host that vanishes without closing its
sockets leaves its connections to Redis's keepalive: the TTL is what lets a standby in then.
Where CLIENT LIST or SETNAME is not permitted (ACL, a renamed command), that is logged once and
the standby waits for the TTL.
"""

from __future__ import annotations

import logging
import time

from redis.asyncio.cluster import RedisCluster
from redis.exceptions import ResponseError

from acd.errors import StoreUnavailable
from acd.store import redis_client as rc

log = logging.getLogger("acd.store")

CHECK_SECONDS = 0.15  # a standby's look at the holder's connections, while it is held
CONFIRM_SECONDS = 0.1  # the second look, after one that found none
RENEW_MAX_SECONDS = 1.0  # a holder renews at least this often: a dropped connection returns
RECONNECT_SECONDS = 2  # a standby's own connection is this old (CLIENT LIST age, whole seconds)
NAME_PREFIX = "acd-lease:"

# Taken when free, or (ARGV[3] not empty) when it still holds that owner:token.
ACQUIRE = """
local held = redis.call('GET', KEYS[1])
if held and held ~= ARGV[3] then return false end
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


IDLE_TIMEOUT_MIN = 2  # Redis 'timeout' at or under this (seconds) closes the lease connection


class Lease:
    def __init__(
        self,
        redis_url: str,
        prefix: str = "acd:",
        owner: str = "node",
        ttl: float = 3.0,
        *,
        margin: float | None = None,
        crash_detection: bool = True,
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
        # Redis refuses names with spaces or other characters outside '!'..'~'.
        self.name: str | None = client_name(owner)
        if self.name is None:
            log.warning(
                "lease: owner %r cannot name a Redis connection: no crash detection of it", owner
            )
        self.crash_detection = crash_detection
        self._suspect: tuple[str, float] | None = None  # a holder seen with no connection, when

    @property
    def renew_every(self) -> float:
        return min(self.ttl / 3, RENEW_MAX_SECONDS)

    @property
    def client(self) -> rc.Client:
        if self._client is None:
            self._client = rc.make_client(self.url, self.ttl / 3, self.name)
        return self._client

    async def _connect(self) -> None:
        """The client, named if the server lets it (an ACL may refuse CLIENT SETNAME: then
        unnamed, and no standby can see this holder's connections)."""
        if self._client is not None or self.name is None:
            return
        try:
            await self.client.ping()
        except ResponseError as exc:
            log.warning("lease: CLIENT SETNAME refused (%s): no crash detection", exc)
            await self.aclose()
            self.name = None
            return
        except rc.UNAVAILABLE as exc:
            await self.aclose()
            raise self._unavailable(exc) from exc
        await self._check_idle_timeout()

    async def _check_idle_timeout(self) -> None:
        """Warn once if Redis closes idle clients within 2 s (``timeout``): the lease connection
        is used at most every second, so a standby could see a live leader's name vanish and
        take over (fenced: safe, but a needless fail-over). CONFIG may be refused (an ACL, a
        managed Redis): then nothing is said."""
        try:
            got = await self.client.config_get("timeout")
            idle = int(next(iter(got.values()), 0)) if isinstance(got, dict) else 0
        except (ResponseError, ValueError, TypeError, *rc.UNAVAILABLE):
            return
        if 0 < idle <= IDLE_TIMEOUT_MIN:
            log.warning(
                "lease: Redis closes idle clients after %d s (its 'timeout'): with crash "
                "detection a standby may take over a live leader; set timeout 0 or above %d s",
                idle,
                IDLE_TIMEOUT_MIN,
            )

    def _unavailable(self, exc: BaseException) -> StoreUnavailable:
        return StoreUnavailable(self.url, str(exc) or type(exc).__name__)

    def valid(self, now_monotonic: float) -> bool:
        """May this node still act as the leader? Local, no I/O."""
        return self.token is not None and now_monotonic < self.valid_until

    async def _eval(self, script: str, *args: str) -> object:
        try:
            return await self.client.eval(script, 2, *self._keys, *args)
        except rc.UNAVAILABLE as exc:
            raise self._unavailable(exc) from exc

    @property
    def _ttl_ms(self) -> str:
        return str(max(1, round(self.ttl * 1000)))

    async def acquire(self, replacing: str = "") -> int | None:
        """Take the lease if it is free (or still holds ``replacing``, an ``owner:token`` from
        :meth:`crashed_holder`): the new fencing token, or None if someone holds it.
        When the master has replicas the token counts only once one has it (WAIT, as for
        batches): a fail-over must not hand the same token out again."""
        await self._connect()
        sent = time.monotonic()
        key = self._keys[0]
        try:
            waits = await self.replication.waits(self.client, key)
            async with self.client.pipeline(transaction=False) as pipe:
                pipe.execute_command(
                    "EVAL", ACQUIRE, 2, *self._keys, self.owner, self._ttl_ms, replacing
                )
                if waits:
                    self.replication.queue(pipe, self.client, key)
                results = await pipe.execute(raise_on_error=False)
        except rc.UNAVAILABLE as exc:
            raise self._unavailable(exc) from exc
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

    @property
    def check_every(self) -> float:
        """Seconds until a standby should call :meth:`crashed_holder` again."""
        if not self.crash_detection:
            return float("inf")
        return CONFIRM_SECONDS if self._suspect is not None else CHECK_SECONDS

    async def crashed_holder(self) -> str | None:
        """The holder's ``owner:token`` when it has had no connection to Redis at two looks
        CONFIRM_SECONDS apart (give it to :meth:`acquire`); None while it has one, when the
        lease is free, or without crash detection."""
        if not self.crash_detection:
            return None
        await self._connect()
        try:
            held = await self.client.get(self._keys[0])
            if held is None:
                self._suspect = None
                return None
            value = held.decode()
            name = client_name(value.rpartition(":")[0])
            if name is None or self.name is None:
                return None  # a holder that cannot name its connections, or we cannot
            ages = await self._connection_ages()
        except rc.UNAVAILABLE as exc:
            raise self._unavailable(exc) from exc
        if ages is None or name in ages or ages.get(self.name, 0) < RECONNECT_SECONDS:
            self._suspect = None  # present, or we have just (re)connected: it may be on its way
            return None
        now = time.monotonic()
        if self._suspect is None or self._suspect[0] != value:
            self._suspect = (value, now)
            return None
        if now - self._suspect[1] < CONFIRM_SECONDS:
            return None
        self._suspect = None
        return value

    async def _connection_ages(self) -> dict[str, int] | None:
        """The normal clients of the server holding the key: the oldest connection's age for
        each name; None (and no crash detection from then on) when it does not list them."""
        client = self.client
        try:
            if isinstance(client, RedisCluster):
                await client.initialize()
                node = client.get_node_from_key(self._keys[0])
                clients = await client.client_list(_type="normal", target_nodes=node)
            else:
                clients = await client.client_list(_type="normal")
        except ResponseError as exc:  # NOPERM from an ACL, or CLIENT renamed away
            log.warning(
                "lease: CLIENT LIST refused (%s): a crashed leader waits out the lease", exc
            )
            self.crash_detection = False
            return None
        ages: dict[str, int] = {}
        for c in clients:
            name = c.get("name", "")
            ages[name] = max(ages.get(name, 0), int(c.get("age", 0)))
        return ages

    async def expires_in(self) -> float | None:
        """Seconds until the lease lapses in Redis (0.0 when nobody holds it; None when it has
        no expiry): a standby polls again then rather than on its fixed cadence."""
        try:
            ms = int(await self.client.pttl(self._keys[0]))
        except rc.UNAVAILABLE as exc:
            raise self._unavailable(exc) from exc
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


def client_name(owner: str) -> str | None:
    """The name a holder's lease connections carry; None if Redis would refuse it."""
    name = NAME_PREFIX + owner
    return name if owner and all("!" <= ch <= "~" for ch in name) else None
