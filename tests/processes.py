"""The one launcher of daemon processes in the tests: ``acd-dialer run CONFIG --port 0``.

Its log (stderr) goes to a file, so a test can poll it while the process runs; the API address
is read from the banner it prints. Async tests start it with :meth:`DaemonProcess.astart` (the
banner is read in a thread: a PBX emulator on the test's own loop must keep serving meanwhile)
and wait for its exit with :meth:`DaemonProcess.exited`.
"""

from __future__ import annotations

import asyncio
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

BANNER_API = re.compile(r"API\s+(http://127\.0\.0\.1:\d+)/v1/")


class DaemonProcess:
    """A daemon on ``cfg``, logging to ``log``. ``launcher`` replaces ``python -m acd.cli``
    (a wrapper script that instruments the process, say)."""

    def __init__(
        self,
        cfg: Path,
        log: Path,
        *,
        launcher: Sequence[str] | None = None,
        banner_timeout: float = 30.0,
        port: int = 0,
    ) -> None:
        self.cfg = cfg
        self.log_path = log
        argv = [
            *(launcher or (sys.executable, "-m", "acd.cli")),
            "run",
            str(cfg),
            "--port",
            str(port),
        ]
        with log.open("a") as err:
            self.p = subprocess.Popen(
                argv,
                stdout=subprocess.PIPE,
                stderr=err,
                stdin=subprocess.DEVNULL,
                text=True,
            )
        self.banner = ""
        self.base = ""
        reader = threading.Thread(target=self._read_banner, daemon=True)
        reader.start()
        reader.join(banner_timeout)  # a daemon that never prints its address must not hang us
        if not self.base:
            self.kill(reader)
            raise AssertionError(f"no address printed: {self.banner!r}\n{self.log()[-3000:]}")

    def _read_banner(self) -> None:
        assert self.p.stdout is not None
        while line := self.p.stdout.readline():  # EOF: the daemon exited (or was killed)
            self.banner += line
            m = BANNER_API.search(line)
            if m:
                self.base = m.group(1)
                return

    @classmethod
    async def astart(
        cls, cfg: Path, log: Path, *, launcher: Sequence[str] | None = None, port: int = 0
    ) -> DaemonProcess:
        return await asyncio.to_thread(cls, cfg, log, launcher=launcher, port=port)

    def log(self) -> str:
        return self.log_path.read_text()

    def running(self) -> bool:
        return self.p.poll() is None

    def signal(self, sig: int) -> None:
        if self.running():
            self.p.send_signal(sig)

    def stop(self, timeout: float = 30.0) -> int:
        """SIGTERM (drain, then exit); the exit status."""
        self.p.send_signal(signal.SIGTERM)
        return self.p.wait(timeout)

    async def exited(self, timeout: float = 30.0) -> int:
        """Wait for the exit without blocking the test's loop; the exit status (a process still
        running after ``timeout`` fails the test with its log's end)."""
        try:
            return await asyncio.to_thread(self.p.wait, timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"still running after {timeout}s:\n{self.log()[-4000:]}") from None

    def kill(self, reader: threading.Thread | None = None) -> None:
        """Make sure it is gone (SIGKILL if still running; a stopped process too) and reaped."""
        if self.running():
            self.p.send_signal(signal.SIGCONT)
            self.p.kill()
        self.p.wait()
        if reader is not None:
            reader.join()  # at EOF now: the pipe is the reader's until it returns
        if self.p.stdout is not None:
            self.p.stdout.close()


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
