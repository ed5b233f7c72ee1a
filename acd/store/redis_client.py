"""Redis clients built from ``store.url``, and the key prefix that goes with each set-up.

One URL per set-up, each served by redis-py's own client::

    redis://[user:password@]host:port/db       one server (also rediss:// and unix://)
    redis+sentinel://[user:password@]host:port,host:port/master-name[/db]
                                               the master that Sentinel names; fails over with it
    redis+cluster://[user:password@]host:port,host:port[/]
                                               a Redis Cluster, from any of its seed nodes

**Keys on a cluster.** The batch script and the lease touch many keys at once, so all of one
center's keys must sit in one hash slot: their prefix carries a hash tag (``{acd:paris}:``).
A prefix that has one is used as given with any URL. On a cluster an untagged prefix is tagged
whole (``acd:`` becomes ``{acd}:``); on one server or Sentinel an untagged prefix is kept as
it is, so an existing store keeps its key names and nothing needs migrating.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

import redis.asyncio as redis
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.asyncio.sentinel import Sentinel
from redis.exceptions import ClusterError, RedisClusterException, TryAgainError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from acd.errors import StoreUnavailable

REPLICA_WAIT_SECONDS = 0.5
SCHEMES = ("redis://", "rediss://", "unix://", "redis+sentinel://", "redis+cluster://")
DEFAULT_PORTS = {"sentinel": 26379, "cluster": 6379}

Client = redis.Redis | RedisCluster
# What "the store is away" looks like from each client (mapped to StoreUnavailable).
UNAVAILABLE = (
    RedisConnectionError,  # also Sentinel's MasterNotFoundError
    RedisTimeoutError,
    OSError,
    ClusterError,  # CLUSTERDOWN while a replica is promoted
    TryAgainError,
    RedisClusterException,  # no seed node answered
)


@dataclass(frozen=True, slots=True)
class StoreUrl:
    kind: Literal["single", "sentinel", "cluster"]
    url: str
    nodes: tuple[tuple[str, int], ...] = ()  # sentinels or cluster seed nodes
    master: str | None = None  # the Sentinel master name
    db: int = 0
    username: str | None = None
    password: str | None = None


def _nodes(netloc: str, default_port: int, url: str) -> tuple[tuple[str, int], ...]:
    out = []
    for part in netloc.rpartition("@")[2].split(","):
        host, sep, port = part.strip().rpartition(":")
        if not sep:
            host, port = port, str(default_port)
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"bad host:port {part!r} in {url!r}")
        out.append((host.strip("[]"), int(port)))
    return tuple(out)


def parse_url(url: str) -> StoreUrl:
    """What ``url`` names; ValueError saying what is wrong with it."""
    if not url.startswith(SCHEMES):
        raise ValueError(f"url must start with one of {', '.join(SCHEMES)}, got {url!r}")
    if not url.startswith("redis+"):
        return StoreUrl("single", url)
    kind: Literal["sentinel", "cluster"] = "sentinel" if url.startswith("redis+s") else "cluster"
    parts = urlsplit(url)
    auth = parts.netloc.rpartition("@")[0]
    username, _, password = auth.partition(":") if auth else ("", "", "")
    nodes = _nodes(parts.netloc, DEFAULT_PORTS[kind], url)
    path = [p for p in parts.path.split("/") if p]
    master, db = None, 0
    if kind == "sentinel":
        if not path:
            raise ValueError(f"a redis+sentinel:// url names the master after the hosts: {url!r}")
        master = unquote(path[0])
        if len(path) > 1:
            if len(path) > 2 or not path[1].isdigit():
                raise ValueError(f"after the master name only a database number: {url!r}")
            db = int(path[1])
    elif path and path != ["0"]:
        raise ValueError(f"a Redis Cluster has only database 0: {url!r}")
    return StoreUrl(
        kind,
        url,
        nodes,
        master,
        db,
        unquote(username) or None,
        unquote(password) or None,
    )


def make_client(url: str, timeout: float, name: str | None = None) -> Client:
    """A client for ``url``; it connects on first use. Close it with :func:`close_client`.
    ``name``: CLIENT SETNAME on each of its connections to the data nodes (not to sentinels)."""
    u = parse_url(url)
    conn: dict[str, Any] = {"socket_connect_timeout": timeout, "socket_timeout": timeout}
    sentinel_kwargs = dict(conn)
    if name is not None:
        conn["client_name"] = name
    if u.kind == "single":
        return redis.from_url(url, **conn)
    auth = {"username": u.username, "password": u.password}
    if u.kind == "cluster":
        seeds = [ClusterNode(h, p) for h, p in u.nodes]
        return RedisCluster(startup_nodes=seeds, **auth, **conn)
    # Sentinels themselves often run without a password; the master's is given to the master.
    sentinel = Sentinel(list(u.nodes), sentinel_kwargs=sentinel_kwargs, **conn)
    assert u.master is not None
    return sentinel.master_for(u.master, db=u.db, **auth, **conn)


async def close_client(client: Client) -> None:
    await client.aclose()
    manager = (
        getattr(client.connection_pool, "sentinel_manager", None)
        if isinstance(client, redis.Redis)
        else None
    )
    if manager is not None:
        for s in manager.sentinels:
            await s.aclose()


def has_hash_tag(prefix: str) -> bool:
    """Does ``prefix`` fix the hash slot of every key it starts (Redis's rule: the text between
    the first ``{`` and the next ``}``, when not empty)?"""
    i = prefix.find("{")
    return i >= 0 and prefix.find("}", i + 1) > i + 1


def key_prefix(prefix: str, url: str) -> str:
    """The prefix keys are named with for ``url`` (see the module's docstring)."""
    if has_hash_tag(prefix) or parse_url(url).kind != "cluster":
        return prefix
    core = prefix.rstrip(":")
    if not core or "{" in core or "}" in core:
        raise ValueError(
            f"store.prefix {prefix!r} cannot be tagged for a Redis Cluster: "
            "give one with a hash tag, such as '{acd:center}:'"
        )
    return "{" + core + "}" + prefix[len(core) :]


class Replication:
    """``WAIT 1 <seconds>`` after each round trip of batches, on the connection that wrote (on a
    cluster, the master of the center's slot): WAIT waits for its own connection's writes. Only
    when that master has replicas (INFO replication, asked again every CHECK_SECONDS and after
    a failed WAIT); with none there is nothing to wait for. A WAIT that no replica answers in
    time makes the round trip count as not written (:class:`StoreUnavailable`): the batches are
    on the master only, so the persister spools them and replays them, exactly once by seq."""

    CHECK_SECONDS = 5.0

    def __init__(self, seconds: float = REPLICA_WAIT_SECONDS) -> None:
        self.seconds = seconds
        self.replicas = 0  # replicas the master reported at the last check
        self.unreplicated = 0  # round trips that no replica acknowledged in time
        self._checked = float("-inf")

    async def waits(self, client: Client, key: str) -> bool:
        now = time.monotonic()
        if now - self._checked >= self.CHECK_SECONDS:
            self.replicas = await replica_count(client, key)
            self._checked = now
        return self.replicas > 0

    def queue(self, pipe: Any, client: Client, key: str) -> None:
        args = ("WAIT", 1, max(1, round(self.seconds * 1000)))
        if isinstance(client, RedisCluster):
            pipe.execute_command(*args, target_nodes=client.get_node_from_key(key))
        else:
            pipe.execute_command(*args)

    def check(self, acked: object, url: str) -> None:
        if isinstance(acked, int) and acked >= 1:
            return
        self.unreplicated += 1
        self._checked = float("-inf")  # the replica may have gone: ask again
        raise StoreUnavailable(url, f"no replica acknowledged the write within {self.seconds}s")


async def replica_count(client: Client, key: str) -> int:
    """Replicas connected to the master that holds ``key`` (INFO replication)."""
    if isinstance(client, RedisCluster):
        await client.initialize()  # the slot map (a no-op once known)
        node = client.get_node_from_key(key)
        info = await client.execute_command("INFO", "replication", target_nodes=node)
    else:
        info = await client.execute_command("INFO", "replication")
    return int(info.get("connected_slaves", 0))
