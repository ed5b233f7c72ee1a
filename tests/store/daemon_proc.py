"""Daemons as real processes on a Redis store (the restart, outage and failover tests)."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from acd.daemon.auth import digest

TOKEN = "store-test-token"
TOKENS = f"api:\n  tokens:\n    - {{name: ops, role: admin, sha256: {digest(TOKEN)}}}\n"


def leads_csv(path: Path, n: int, area: str = "212") -> list[str]:
    """``n`` New York leads; returns their E.164 numbers."""
    numbers = [f"+1{area}555{i:04d}" for i in range(n)]
    rows = ["lead_id,phone,name,time_zone"]
    rows += [f"L{i},{num},Lead {i},America/New_York" for i, num in enumerate(numbers)]
    path.write_text("\n".join(rows) + "\n")
    return numbers


class Daemon:
    """``acd-dialer run CONFIG --port 0``; stderr goes to ``log``. With ``tap``, the simulated
    trunk writes each call id it sees end to that file (``trunk_tap.py``)."""

    def __init__(self, cfg: Path, log: Path, tap: Path | None = None) -> None:
        self.log = log
        launcher = [sys.executable, "-m", "acd.cli"]
        if tap is not None:
            launcher = [sys.executable, str(Path(__file__).with_name("trunk_tap.py")), str(tap)]
        with log.open("a") as err:
            self.p = subprocess.Popen(
                [*launcher, "run", str(cfg), "--port", "0"],
                stdout=subprocess.PIPE,
                stderr=err,
                stdin=subprocess.DEVNULL,
                text=True,
            )
        assert self.p.stdout is not None
        banner = ""
        for _ in range(20):
            line = self.p.stdout.readline()
            banner += line
            m = re.search(r"API\s+(http://127\.0\.0\.1:\d+)/v1/", line)
            if m:
                self.base = m.group(1)
                return
            if not line:
                break
        self.kill()
        raise AssertionError(f"no address printed: {banner!r}\n{log.read_text()[-3000:]}")

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            self.base + path,
            data=data,
            method=method,
            headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, timeout=5) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    def ready(self) -> dict[str, Any]:
        return self.call("GET", "/readyz")[1]

    def stop(self, timeout: float = 30.0) -> int:
        self.p.send_signal(signal.SIGTERM)
        return self.p.wait(timeout)

    def kill(self) -> None:
        if self.p.poll() is None:
            self.p.kill()
        self.p.wait()
        if self.p.stdout is not None:
            self.p.stdout.close()

    def persisted(self) -> dict[str, Any]:
        """The figures the daemon logged when it stopped its persistence."""
        lines = re.findall(r"persisted: (\{.*\})", self.log.read_text())
        assert lines, self.log.read_text()[-3000:]
        return dict(json.loads(lines[-1]))


def wait_for(pred: Callable[[], Any], timeout: float = 20.0, what: str = "condition") -> Any:
    """Poll another process until ``pred`` holds (it cannot tell us; nothing is timed)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            got = pred()
        except (OSError, urllib.error.URLError):
            got = None
        if got:
            return got
        time.sleep(0.05)
    raise AssertionError(f"{what}: not met in {timeout}s")
