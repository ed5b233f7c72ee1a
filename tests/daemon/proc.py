"""A daemon started as a real process on a free loopback port."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from acd.daemon.auth import digest

TOKEN = "process-test-token"
CONFIG = f"""
name: proc
daemon: {{drain_seconds: DRAIN}}
api:
  tokens:
    - {{name: ops, role: admin, sha256: {digest(TOKEN)}}}
queues:
  - name: q
agents:
  - {{id: a1}}
  - {{id: a2}}
simulation:
  traffic:
    q:
      calls_per_hour: 7200
      handle_time: {{distribution: fixed, mean: HANDLE}}
"""


class Proc:
    """The daemon on ``cfg``; its stderr (the log) goes to ``cfg`` with the suffix ``.log``."""

    def __init__(self, cfg: Path, drain: float, handle: float) -> None:
        cfg.write_text(CONFIG.replace("DRAIN", str(drain)).replace("HANDLE", str(handle)))
        self.cfg = cfg
        self.log_path = cfg.with_suffix(".log")
        with self.log_path.open("a") as err:
            self.p = subprocess.Popen(
                [sys.executable, "-m", "acd.cli", "run", str(cfg), "--port", "0"],
                stdout=subprocess.PIPE,
                stderr=err,
                text=True,
                stdin=subprocess.DEVNULL,
            )
        assert self.p.stdout is not None
        self.banner = ""
        for _ in range(10):
            line = self.p.stdout.readline()
            self.banner += line
            m = re.search(r"API\s+(http://127\.0\.0\.1:\d+)/v1/", line)
            if m:
                self.base = m.group(1)
                return
        raise AssertionError(f"no address printed: {self.banner!r}")

    def log(self) -> str:
        return self.log_path.read_text()

    def get(self, path: str) -> tuple[int, Any]:
        req = urllib.request.Request(self.base + path, headers={"Authorization": f"Bearer {TOKEN}"})
        try:
            with urllib.request.urlopen(req, timeout=5) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    def wait_for(self, pred: Callable[[], Any], timeout: float = 10.0) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = pred()
            if got:
                return got
            time.sleep(0.05)  # polling a separate process, not timing the engine
        raise AssertionError("condition not met in time")
