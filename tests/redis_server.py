"""A real redis-server for tests and benchmarks, on a free 127.0.0.1 port in a temporary directory.

Append-only file on (``appendfsync everysec``; a SIGTERM shutdown syncs it), RDB snapshots off, so
the data survives :meth:`RedisServer.stop` and :meth:`RedisServer.start` as it would in production.
No test is skipped when redis-server is missing: it fails, saying how to install it.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

START_SECONDS = 10.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RedisServerMissing(RuntimeError):
    pass


class RedisServer:
    def __init__(
        self, directory: str | Path, *, port: int | None = None, extra: Sequence[str] = ()
    ) -> None:
        exe = shutil.which("redis-server")
        if exe is None:
            raise RedisServerMissing(
                "redis-server is not installed; the store tests need a real one: "
                "apt-get install redis-server (tests/run does this when it can)"
            )
        self.exe = exe
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.extra = list(extra)  # more redis-server arguments (cluster mode, replica of ...)
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        if self.proc is not None:
            return
        # fmt: off
        args = [
            self.exe, "--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(self.dir),
            "--save", "", "--appendonly", "yes", "--appendfsync", "everysec",
            "--daemonize", "no", "--protected-mode", "yes", "--logfile", "redis.log",
            *self.extra,
        ]
        # fmt: on
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + START_SECONDS
        while not self.ping():
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode() if self.proc.stderr else ""
                log = self.dir / "redis.log"
                self.proc = None
                raise RuntimeError(
                    f"redis-server exited at start: {err}"
                    + (log.read_text()[-2000:] if log.exists() else "")
                )
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"redis-server did not answer on port {self.port}")
            time.sleep(0.01)

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stderr is not None:
            proc.stderr.close()

    def __enter__(self) -> RedisServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
