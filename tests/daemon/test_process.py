"""The daemon as a process: printed addresses, SIGHUP reload, SIGTERM drain with exit 0."""

from __future__ import annotations

import re
import signal
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
        p.kill()


def test_sighup_reloads_and_refuses_a_bad_file(proc_factory) -> None:  # type: ignore[no-untyped-def]
    p = proc_factory(drain=5, handle=1)
    assert "wallboard" in p.banner and "OpenAPI" in p.banner
    assert p.get("/healthz")[0] == 200
    text = p.cfg.read_text()
    p.cfg.write_text(text.replace("  - name: q\n", "  - name: q\n  - name: extra\n", 1))
    p.signal(signal.SIGHUP)
    p.wait_for(lambda: any(q["name"] == "extra" for q in p.get("/v1/queues")[1]["queues"]))
    p.cfg.write_text(text.replace("drain_seconds: 5", "drain_seconds: -1"))
    p.signal(signal.SIGHUP)
    p.wait_for(lambda: "reload refused, old config kept" in p.log())
    assert "daemon.drain_seconds" in p.log()
    assert any(q["name"] == "extra" for q in p.get("/v1/queues")[1]["queues"])  # old one kept
    # Still up and still reloading after the refusal: a good file again is taken.
    p.cfg.write_text(text.replace("  - name: q\n", "  - name: q\n  - name: later\n", 1))
    p.signal(signal.SIGHUP)
    p.wait_for(lambda: any(q["name"] == "later" for q in p.get("/v1/queues")[1]["queues"]))
    assert p.stop(timeout=20) == 0


def test_sigterm_lets_calls_in_progress_finish(proc_factory) -> None:  # type: ignore[no-untyped-def]
    """Calls of 2 s and an hour of drain time: the daemon exits once the calls it had at SIGTERM
    have ended (each logged as ended), long before the drain time is up."""
    p = proc_factory(drain=3600, handle=2)
    calls = p.wait_for(lambda: p.get("/v1/calls")[1]["calls"])
    assert p.stop(timeout=60) == 0  # the exit is what we wait for: an hour's drain would time out
    log = p.log()
    assert "drained: 0 call(s) still in progress" in log
    for c in calls:
        assert re.search(rf"call {re.escape(c['id'])} ended\b", log), c


def test_sigterm_gives_up_after_the_drain_time(proc_factory) -> None:  # type: ignore[no-untyped-def]
    p = proc_factory(drain=0.5, handle=60)
    p.wait_for(lambda: p.get("/v1/calls")[1]["calls"])
    assert p.stop(timeout=20) == 0
    m = re.search(r"drained: (\d+) call\(s\) still in progress", p.log())
    assert m and int(m.group(1)) > 0
