"""A stop that hangs after the drain is logged with what it waits on and ends with status 70."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

from tests.daemon.proc import CONFIG
from tests.processes import DaemonProcess

LAUNCHER = [sys.executable, str(Path(__file__).with_name("stuck_stop.py"))]


def config(path: Path) -> Path:
    """tests/daemon/proc.py's center with no drain time and one second for the rest of a stop."""
    text = CONFIG.replace("DRAIN", "0").replace("HANDLE", "5")
    path.write_text(text.replace("{drain_seconds: 0}", "{drain_seconds: 0, stop_seconds: 1}"))
    return path


def test_a_stop_that_hangs_names_the_waiting_task_and_exits_70(tmp_path: Path) -> None:
    proc = DaemonProcess(config(tmp_path / "stuck.yaml"), tmp_path / "stuck.log", launcher=LAUNCHER)
    try:
        proc.signal(signal.SIGTERM)
        status = proc.p.wait(30)  # the watchdog fires 1 s after the drain; without it: forever
        log = proc.log()
        assert status == 70, log[-3000:]
        assert "not done 1s after the drain; exiting with status 70" in log, log[-3000:]
        assert "stop_core_that_hangs" in log, log[-3000:]  # the stuck await, with its stack
    finally:
        proc.kill()


def test_a_stop_that_ends_exits_0_before_the_watchdog(tmp_path: Path) -> None:
    proc = DaemonProcess(config(tmp_path / "quick.yaml"), tmp_path / "quick.log")
    try:
        proc.signal(signal.SIGTERM)
        assert proc.p.wait(30) == 0, proc.log()[-3000:]
        assert "not done" not in proc.log()
    finally:
        proc.kill()
