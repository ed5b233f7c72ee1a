"""A real Prometheus server scrapes the running daemon; a metric is read back through its API."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.daemon.proc import Proc


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def query(port: int, promql: str) -> list[dict[str, Any]]:
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return json.loads(r.read())["data"]["result"]
    except OSError:
        return []


def test_prometheus_scrapes_the_daemon(tmp_path: Path) -> None:
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.fail("Prometheus is not installed: apt-get install -y prometheus (.ci/run does)")
    daemon = Proc(tmp_path / "center.yaml", drain=1, handle=5)
    prom = None
    try:
        target = daemon.base.removeprefix("http://")
        (tmp_path / "prometheus.yml").write_text(
            "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
            "scrape_configs:\n"
            f"  - job_name: acd\n    static_configs: [{{targets: ['{target}']}}]\n"
        )
        port = free_port()
        prom = subprocess.Popen(
            [
                binary,
                f"--config.file={tmp_path / 'prometheus.yml'}",
                f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        result: list[dict[str, Any]] = []
        while time.monotonic() < deadline and not result:
            result = query(port, 'acd_agents{job="acd",state="logged_out"}')
            time.sleep(0.25)  # waiting on another process's scrape cycle
        assert result, "Prometheus never scraped acd_agents"
        assert float(result[0]["value"][1]) == 0.0  # both agents logged in by the demo trunk
        assert query(port, 'up{job="acd"}')[0]["value"][1] == "1"
        assert query(port, "acd_build_info")[0]["metric"]["version"]
    finally:
        if prom is not None:
            prom.terminate()
            prom.communicate(timeout=20)
        daemon.stop(timeout=20)
        daemon.kill()
