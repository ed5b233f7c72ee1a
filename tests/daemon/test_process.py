"""The daemon as a process: printed addresses, SIGHUP reload, SIGTERM drain with exit 0."""

from __future__ import annotations

import os
import re
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.daemon.proc import Proc


@pytest.fixture
def proc_factory(tmp_path: Path) -> Iterator:
    procs: list[Proc] = []

    def make(drain: float, handle: float) -> Proc:
        p = Proc(tmp_path / "center.yaml", drain, handle)
        procs.append(p)
        return p

    yield make
    for p in procs:
        if p.p.poll() is None:
            p.p.kill()
        p.p.communicate()  # reap and close the pipes


def test_sighup_reloads_and_refuses_a_bad_file(proc_factory) -> None:  # type: ignore[no-untyped-def]
    p = proc_factory(drain=5, handle=1)
    assert "wallboard" in p.banner and "OpenAPI" in p.banner
    assert p.get("/healthz")[0] == 200
    text = p.cfg.read_text()
    p.cfg.write_text(text.replace("  - name: q\n", "  - name: q\n  - name: extra\n", 1))
    os.kill(p.p.pid, signal.SIGHUP)
    p.wait_for(lambda: any(q["name"] == "extra" for q in p.get("/v1/queues")[1]["queues"]))
    p.cfg.write_text(text.replace("drain_seconds: 5", "drain_seconds: -1"))
    os.kill(p.p.pid, signal.SIGHUP)
    time.sleep(0.5)  # let the refused reload be logged; the daemon must still be up
    assert p.p.poll() is None
    assert any(q["name"] == "extra" for q in p.get("/v1/queues")[1]["queues"])
    p.p.send_signal(signal.SIGTERM)
    _, err = p.p.communicate(timeout=20)
    assert p.p.returncode == 0
    assert "reload refused, old config kept" in err and "daemon.drain_seconds" in err


def test_sigterm_lets_calls_in_progress_finish(proc_factory) -> None:  # type: ignore[no-untyped-def]
    p = proc_factory(drain=10, handle=2)
    p.wait_for(lambda: p.get("/v1/calls")[1]["calls"])
    t0 = time.monotonic()
    p.p.send_signal(signal.SIGTERM)
    _, err = p.p.communicate(timeout=20)
    took = time.monotonic() - t0
    assert p.p.returncode == 0
    assert "drained: 0 call(s) still in progress" in err
    assert took < 8


def test_sigterm_gives_up_after_the_drain_time(proc_factory) -> None:  # type: ignore[no-untyped-def]
    p = proc_factory(drain=0.5, handle=60)
    p.wait_for(lambda: p.get("/v1/calls")[1]["calls"])
    p.p.send_signal(signal.SIGTERM)
    _, err = p.p.communicate(timeout=20)
    assert p.p.returncode == 0
    m = re.search(r"drained: (\d+) call\(s\) still in progress", err)
    assert m and int(m.group(1)) > 0
