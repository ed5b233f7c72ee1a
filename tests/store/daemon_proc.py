"""Daemons as real processes on a Redis store (the restart, outage and failover tests)."""

from __future__ import annotations

import json
import re
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from acd.daemon.auth import digest
from tests.processes import DaemonProcess, wait_for

__all__ = ["TOKEN", "TOKENS", "Daemon", "leads_csv", "wait_for"]

TOKEN = "store-test-token"
TOKENS = f"api:\n  tokens:\n    - {{name: ops, role: admin, sha256: {digest(TOKEN)}}}\n"


def leads_csv(path: Path, n: int, area: str = "212") -> list[str]:
    """``n`` New York leads; returns their E.164 numbers."""
    numbers = [f"+1{area}555{i:04d}" for i in range(n)]
    rows = ["lead_id,phone,name,time_zone"]
    rows += [f"L{i},{num},Lead {i},America/New_York" for i, num in enumerate(numbers)]
    path.write_text("\n".join(rows) + "\n")
    return numbers


class Daemon(DaemonProcess):
    """``acd-dialer run CONFIG --port 0``; stderr goes to ``log``. With ``tap``, the simulated
    trunk writes each call id it sees end to that file (``trunk_tap.py``)."""

    def __init__(self, cfg: Path, log: Path, tap: Path | None = None) -> None:
        launcher = None
        if tap is not None:
            launcher = [sys.executable, str(Path(__file__).with_name("trunk_tap.py")), str(tap)]
        super().__init__(cfg, log, launcher=launcher)

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

    def text(self, path: str) -> tuple[int, str]:
        req = urllib.request.Request(self.base + path, headers={"Authorization": f"Bearer {TOKEN}"})
        try:
            with urllib.request.urlopen(req, timeout=5) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def ready(self) -> dict[str, Any]:
        return self.call("GET", "/readyz")[1]

    def persisted(self) -> dict[str, Any]:
        """The figures the daemon logged when it stopped its persistence."""
        lines = re.findall(r"persisted: (\{.*\})", self.log())
        assert lines, self.log()[-3000:]
        return dict(json.loads(lines[-1]))
