"""A launcher for ``acd-dialer run`` whose stop never ends: the core's stop waits forever.

It stands for any await in the stop that hangs (a peer that never answers, a task that will not
end), so the stop watchdog can be seen to name it and end the process.
"""

from __future__ import annotations

import asyncio
import runpy
import sys

import acd.daemon.app as app


async def stop_core_that_hangs(d: object) -> None:
    await asyncio.Event().wait()


app.stop_core = stop_core_that_hangs  # type: ignore[assignment]
sys.argv = ["acd-dialer", *sys.argv[1:]]
runpy.run_module("acd.cli", run_name="__main__")
