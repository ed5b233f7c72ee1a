"""A daemon started as a real process on a free loopback port."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from acd.daemon.auth import digest
from tests.processes import DaemonProcess, wait_for

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


class Proc(DaemonProcess):
    """The daemon on ``cfg``; its stderr (the log) goes to ``cfg`` with the suffix ``.log``."""

    def __init__(self, cfg: Path, drain: float, handle: float) -> None:
        cfg.write_text(CONFIG.replace("DRAIN", str(drain)).replace("HANDLE", str(handle)))
        super().__init__(cfg, cfg.with_suffix(".log"))

    def get(self, path: str) -> tuple[int, Any]:
        req = urllib.request.Request(self.base + path, headers={"Authorization": f"Bearer {TOKEN}"})
        try:
            with urllib.request.urlopen(req, timeout=5) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    def wait_for(self, pred: Callable[[], Any], timeout: float = 10.0) -> Any:
        return wait_for(pred, timeout)
