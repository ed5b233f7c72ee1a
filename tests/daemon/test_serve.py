"""``acd-dialer run`` around the app: the banner once start-up is complete, the wallboard line
repeated, ``--log-level``, and a second SIGINT while draining."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import signal
import socket
from collections.abc import Callable
from pathlib import Path
from random import Random
from typing import Any

import pytest

from acd import cli
from acd.config.files import load_config
from acd.daemon import serve as serve_mod
from acd.daemon.state import DAEMON, Daemon
from telephony_adapters.asterisk import CHANNEL_VARS
from telephony_adapters.testing import AmiEmulator
from tests.daemon.proc import Proc

SIMULATED = """
name: banner
queues:
  - name: q
agents:
  - {id: a1}
"""
ASTERISK = """
name: banner
queues:
  - name: q
agents:
  - {id: a1}
adapter:
  type: asterisk
  asterisk:
    port: PORT
    username: acd
    secret: acdsecret
    reconnect: {initial: 0.05, maximum: 0.2, jitter: 0}
"""


class Served:
    """``serve`` on this test's loop; what it prints, with the daemon's state at each print."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.daemon: Daemon | None = None
        self.printed: list[tuple[str, dict[str, Any]]] = []
        build = serve_mod.build_app

        def build_app(*args: Any, **kwargs: Any) -> Any:
            app = build(*args, **kwargs)
            self.daemon = app[DAEMON]
            return app

        def record(text: str, **_: Any) -> None:
            d = self.daemon
            assert d is not None
            self.printed.append((text, {"adapters": dict(d.adapters), "driver": d.driver}))

        monkeypatch.setattr(serve_mod, "build_app", build_app)
        monkeypatch.setattr(serve_mod, "print", record, raising=False)

    def start(self, path: Path) -> None:
        cfg = load_config(path)
        cfg = cfg.model_copy(update={"daemon": cfg.daemon.model_copy(update={"port": 0})})
        self.task = asyncio.create_task(serve_mod.serve(cfg, path, demo=False))

    async def until(self, pred: Callable[[], Any], timeout: float = 15.0) -> None:
        async with asyncio.timeout(timeout):
            while not pred():
                assert not self.task.done(), self.task
                await asyncio.sleep(0.01)

    async def stop(self) -> int:
        os.kill(os.getpid(), signal.SIGTERM)  # the loop's handler takes it: serve drains
        async with asyncio.timeout(15):
            return await self.task


@pytest.fixture
async def served(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.delenv(serve_mod.REPEAT_ENV, raising=False)
    s = Served(monkeypatch)
    yield s
    if hasattr(s, "task") and not s.task.done():
        s.task.cancel()
        await asyncio.gather(s.task, return_exceptions=True)


async def test_the_banner_waits_for_the_adapter(served: Served, tmp_path: Path) -> None:
    emu = AmiEmulator(port=0, users={"acd": "acdsecret"}, manager_vars=CHANNEL_VARS, rng=Random(1))
    await emu.start()
    try:
        path = tmp_path / "pbx.yaml"
        path.write_text(ASTERISK.replace("PORT", str(emu.port)))
        served.start(path)
        await served.until(lambda: served.printed)
        text, state = served.printed[0]
        assert "wallboard" in text and "not ready" not in text
        assert state["driver"] is not None and state["adapters"] == {"asterisk": True}
        assert await served.stop() == 0
    finally:
        await emu.stop()


async def test_the_banner_says_why_when_start_up_does_not_complete(
    served: Served, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(serve_mod, "STARTUP_WAIT_SECONDS", 0.05)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing answers there
    path = tmp_path / "pbx.yaml"
    path.write_text(ASTERISK.replace("PORT", str(port)))
    served.start(path)
    await served.until(lambda: served.printed)
    assert "not ready  adapter asterisk not connected" in served.printed[0][0]
    assert await served.stop() == 0


async def test_the_wallboard_line_is_repeated_until_shutdown(
    served: Served, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(serve_mod, "WALLBOARD_REPEAT_SECONDS", 0.02)
    path = tmp_path / "center.yaml"
    path.write_text(SIMULATED)
    served.start(path)
    await served.until(lambda: len(served.printed) >= 3)
    banner = served.printed[0][0]
    link = re.search(r"wallboard  (\S+)", banner)
    assert link is not None
    assert all(text == f"wallboard  {link.group(1)}" for text, _ in served.printed[1:])
    assert await served.stop() == 0
    assert not [t for t in asyncio.all_tasks() if t.get_name() == "acd-banner"]


def test_log_level_is_passed_to_the_logs(monkeypatch: pytest.MonkeyPatch) -> None:
    async def fake_serve(*args: Any, **kwargs: Any) -> int:
        return 0

    monkeypatch.setattr(serve_mod, "serve", fake_serve)
    try:
        assert cli.main(["run", "--log-level", "warning"]) == 0
        assert logging.getLogger().level == logging.WARNING
        assert cli.main(["run"]) == 0
        assert logging.getLogger().level == logging.INFO
    finally:
        logging.getLogger().handlers.clear()
        logging.getLogger().setLevel(logging.WARNING)
    with pytest.raises(SystemExit) as exc:
        cli.main(["run", "--log-level", "loud"])
    assert exc.value.code == 2


def test_a_second_sigint_while_draining_exits_at_once(tmp_path: Path) -> None:
    p = Proc(tmp_path / "center.yaml", drain=3600, handle=600)
    try:
        calls = p.wait_for(lambda: p.get("/v1/calls")[1]["calls"])
        p.signal(signal.SIGINT)
        p.wait_for(lambda: "draining calls for up to 3600s" in p.log())
        p.signal(signal.SIGINT)
        assert p.p.wait(timeout=30) == 0  # an hour of drain time otherwise
        log = p.log()
        assert "second interrupt: exiting now" in log
        for c in calls:
            assert re.search(rf"call {re.escape(c['id'])} cut\b", log), c
        m = re.search(r"drained: (\d+) call\(s\) still in progress", log)
        assert m and int(m.group(1)) >= len(calls)
    finally:
        p.kill()


async def test_dials_still_ringing_are_logged_as_cut_too(caplog) -> None:  # type: ignore[no-untyped-def]
    """A dialer's dials in flight are calls in progress (Center.in_progress counts them)."""
    from types import SimpleNamespace

    campaign = SimpleNamespace(inflight={"d1": ("lead", "+15550000001", 0.0)})
    engine = SimpleNamespace(
        calls={"c2": object()},
        campaigns={"renewals": campaign},
        in_progress=lambda: True,
        stop_dialing=False,
    )
    d: Any = SimpleNamespace(draining=False, trunk=None, driver=SimpleNamespace(engine=engine))
    cut = asyncio.Event()
    cut.set()  # the second Ctrl-C came already
    caplog.set_level(logging.INFO)
    await serve_mod.drain(d, 3600, cut)
    msgs = [r.getMessage() for r in caplog.records]
    assert "call c2 cut: still in progress at exit" in msgs
    assert "call d1 cut: still in progress at exit" in msgs
    assert "drained: 2 call(s) still in progress at exit" in msgs
    assert d.draining and engine.stop_dialing
