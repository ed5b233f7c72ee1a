"""Replicated Redis for tests and benchmarks, on free 127.0.0.1 ports: a Redis Cluster (masters
with a replica each, built by ``redis-cli --cluster create``) and a Sentinel set-up (a master,
replicas and three sentinels). Each waits until it is whole (cluster state ok with every replica
in sync; sentinels that see the replicas and one another), and each can kill a master and wait
for the promotion, so that tests start from and go on after a known state.
"""

from __future__ import annotations

import itertools
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.redis_server import RedisServer, RedisServerMissing, free_port

READY_SECONDS = 30.0


def _need(exe: str) -> str:
    path = shutil.which(exe)
    if path is None:
        raise RedisServerMissing(f"{exe} is missing: apt-get install redis-server (tests/run)")
    return path


def command(port: int, *args: str, timeout: float = 2.0) -> str:
    """One command by redis-cli; its reply as text ("" when the server does not answer)."""
    try:
        out = subprocess.run(
            [_need("redis-cli"), "-p", str(port), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return ""
    return out.stdout if out.returncode == 0 else ""


def info(port: int, *section: str) -> dict[str, str]:
    """``INFO <section>`` (or ``CLUSTER INFO``) as a dict."""
    lines = command(port, *(section if len(section) > 1 else ("INFO", *section))).splitlines()
    return dict(line.split(":", 1) for line in lines if ":" in line and not line.startswith("#"))


def until(check: Callable[[], Any], what: str, timeout: float = READY_SECONDS) -> Any:
    deadline = time.monotonic() + timeout
    while not (got := check()):
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: not within {timeout}s")
        time.sleep(0.05)
    return got


class Node(RedisServer):
    """A redis-server that can also die without a goodbye."""

    def kill(self) -> None:
        """SIGKILL: no AOF flush, no goodbye to the replicas."""
        if self.proc is not None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
            if self.proc.stderr is not None:
                self.proc.stderr.close()
            self.proc = None


class RedisCluster:
    """``masters`` masters with one replica each, ``cluster-node-timeout`` ``node_timeout_ms``;
    ``cluster-require-full-coverage no``, so the other centers go on while one slot fails over."""

    def __init__(self, directory: Path, masters: int = 3, node_timeout_ms: int = 1000) -> None:
        _need("redis-cli")
        self.dir = Path(directory)
        self.nodes: list[Node] = []
        for i in range(masters * 2):
            extra = [
                "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                "--cluster-node-timeout", str(node_timeout_ms),
                "--cluster-port", str(free_port()),  # the default (port + 10000) may not exist
                "--cluster-require-full-coverage", "no",
                "--cluster-replica-validity-factor", "0",  # a replica may always be promoted
            ]  # fmt: skip
            self.nodes.append(Node(self.dir / f"n{i}", extra=extra))

    @property
    def url(self) -> str:
        return "redis+cluster://" + ",".join(f"127.0.0.1:{n.port}" for n in self.nodes[:3])

    def start(self) -> RedisCluster:
        for n in self.nodes:
            n.start()
        hosts = [f"127.0.0.1:{n.port}" for n in self.nodes]
        create = ["--cluster", "create", *hosts, "--cluster-replicas", "1", "--cluster-yes"]
        out = subprocess.run(
            [_need("redis-cli"), *create],
            capture_output=True,
            text=True,
            timeout=60,
        )
        if out.returncode != 0:
            raise RuntimeError(f"redis-cli --cluster create failed: {out.stdout}{out.stderr}")
        self.wait_whole()
        return self

    def alive(self) -> list[Node]:
        return [n for n in self.nodes if n.proc is not None]

    def _whole(self) -> bool:
        for n in self.alive():
            if info(n.port, "CLUSTER", "INFO").get("cluster_state") != "ok":
                return False
            if "fail" in command(n.port, "CLUSTER", "NODES").replace("nofailover", ""):
                return False
            rep = info(n.port, "replication")
            if rep.get("role") == "slave" and rep.get("master_link_status") != "up":
                return False
        return True

    def wait_whole(self) -> None:
        until(self._whole, "the cluster is whole (state ok, replicas in sync)")

    def master_of(self, key: str) -> Node:
        """The node that serves ``key``'s slot now."""
        slot = int(command(self.alive()[0].port, "CLUSTER", "KEYSLOT", key).strip())
        for line in command(self.alive()[0].port, "CLUSTER", "NODES").splitlines():
            fields = line.split()
            if "master" not in fields[2] or "fail" in fields[2]:
                continue
            for r in fields[8:]:
                lo, _, hi = r.partition("-")
                if lo.isdigit() and int(lo) <= slot <= int(hi or lo):
                    port = int(fields[1].split("@")[0].rsplit(":", 1)[1])
                    return next(n for n in self.nodes if n.port == port)
        raise RuntimeError(f"no master serves slot {slot}")

    def kill_master_of(self, key: str) -> Node:
        """SIGKILL the master of ``key``'s slot; returns the replica promoted in its place (not
        waited for here: the caller decides what must go on meanwhile)."""
        old = self.master_of(key)
        old.kill()
        return old

    def wait_promoted(self, key: str, old: Node) -> Node:
        def promoted() -> Node | None:
            try:
                new = self.master_of(key)
            except RuntimeError:
                return None
            ok = info(new.port, "CLUSTER", "INFO").get("cluster_state") == "ok"
            return new if new is not old and ok and new.proc is not None else None

        return until(promoted, "a replica promoted in place of the killed master")

    def stop(self) -> None:
        for n in self.nodes:
            n.stop()

    def __enter__(self) -> RedisCluster:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc: object) -> None:
        self.stop()


SENTINEL_CONF = """port {port}
bind 127.0.0.1
dir {dir}
logfile sentinel.log
sentinel monitor {name} 127.0.0.1 {master} 2
sentinel down-after-milliseconds {name} 1000
sentinel failover-timeout {name} 10000
sentinel parallel-syncs {name} 1
"""


class Sentinels:
    """One master, ``replicas`` replicas and three sentinels (quorum 2, down after 1 s)."""

    def __init__(self, directory: Path, replicas: int = 1, name: str = "acdmaster") -> None:
        self.dir = Path(directory)
        self.name = name
        self.master = Node(self.dir / "m")
        self.replicas = [
            Node(self.dir / f"r{i}", extra=["--replicaof", "127.0.0.1", str(self.master.port)])
            for i in range(replicas)
        ]
        self.sentinel_ports = [free_port() for _ in range(3)]
        self.sentinels: list[subprocess.Popen[bytes]] = []

    @property
    def nodes(self) -> list[Node]:
        return [self.master, *self.replicas]

    @property
    def url(self) -> str:
        hosts = ",".join(f"127.0.0.1:{p}" for p in self.sentinel_ports)
        return f"redis+sentinel://{hosts}/{self.name}"

    def start(self) -> Sentinels:
        for n in self.nodes:
            n.start()
        until(
            lambda: all(
                info(r.port, "replication").get("master_link_status") == "up" for r in self.replicas
            ),
            "the replicas are in sync with the master",
        )
        for i, port in enumerate(self.sentinel_ports):
            d = self.dir / f"s{i}"
            d.mkdir(parents=True, exist_ok=True)
            conf = d / "sentinel.conf"
            text = SENTINEL_CONF.format(port=port, dir=d, name=self.name, master=self.master.port)
            conf.write_text(text)
            args = [_need("redis-server"), str(conf), "--sentinel"]
            self.sentinels.append(subprocess.Popen(args, stdout=subprocess.DEVNULL))
        self.wait_whole()
        return self

    def _sentinel_sees_all(self, port: int) -> bool:
        def flagged(reply: str, flag: str) -> int:
            lines = reply.splitlines()
            return sum(a == "flags" and b == flag for a, b in itertools.pairwise(lines))

        replicas = flagged(command(port, "SENTINEL", "REPLICAS", self.name), "slave")
        peers = flagged(command(port, "SENTINEL", "SENTINELS", self.name), "sentinel")
        alive = sum(n.proc is not None for n in self.nodes)
        return replicas >= alive - 1 and peers >= 2

    def wait_whole(self) -> None:
        until(
            lambda: all(self._sentinel_sees_all(p) for p in self.sentinel_ports),
            "the sentinels see the replicas and one another",
        )

    def current_master(self) -> Node | None:
        out = command(self.sentinel_ports[0], "SENTINEL", "GET-MASTER-ADDR-BY-NAME", self.name)
        parts = out.split()
        if len(parts) < 2:
            return None
        return next((n for n in self.nodes if n.port == int(parts[1])), None)

    def kill_master(self) -> Node:
        old = self.current_master()
        assert old is not None
        old.kill()
        return old

    def wait_promoted(self, old: Node) -> Node:
        def promoted() -> Node | None:
            new = self.current_master()
            if new is None or new is old or new.proc is None:
                return None
            return new if info(new.port, "replication").get("role") == "master" else None

        return until(promoted, "Sentinel promotes a replica")

    def stop(self) -> None:
        for s in self.sentinels:
            s.terminate()
        for s in self.sentinels:
            try:
                s.wait(timeout=10)
            except subprocess.TimeoutExpired:
                s.kill()
                s.wait()
        self.sentinels = []
        for n in self.nodes:
            n.stop()

    def __enter__(self) -> Sentinels:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc: object) -> None:
        self.stop()
