"""A stop that hangs is named and ended: after the drain, the rest of the stop (store flush,
lease release, adapters logging off, the loop's own teardown) gets ``daemon.stop_seconds``.

Past that, the log gets every pending asyncio task with its stack and every thread's traceback,
and the process exits with status 70 (EX_SOFTWARE) instead of waiting for a supervisor's SIGKILL.
It leaves what a ``kill -9`` would: each step was written to the store (or the spool) as it
happened, and a restart recovers the rest as after a crash. The timer is a daemon thread, so it
outlives the event loop (a hang in the loop's teardown or in a thread join is caught too) and
never holds up a normal exit.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import faulthandler
import io
import logging
import os
import sys
import threading
import types
from typing import Any

log = logging.getLogger("acd.daemon")
EXIT_STUCK = 70  # EX_SOFTWARE (sysexits.h)
MAX_DEPTH = 40  # coroutines listed per task
LOOP_ANSWER_SECONDS = 1.0  # how long the dump waits for the loop to list its tasks


def awaits(coro: Any) -> list[str]:
    """Where a task waits: each coroutine of its await chain, outermost first (a task's own
    stack shows only the outermost one)."""
    out = []
    while coro is not None and len(out) < MAX_DEPTH:
        frame = getattr(coro, "cr_frame", None) or getattr(coro, "ag_frame", None)
        frame = frame or getattr(coro, "gi_frame", None)
        if frame is not None:
            code = frame.f_code
            out.append(f"  {code.co_filename}:{frame.f_lineno} in {code.co_name}")
        nxt = getattr(coro, "cr_await", None) or getattr(coro, "ag_await", None)
        nxt = nxt or getattr(coro, "gi_yieldfrom", None)
        if nxt is not None and type(nxt).__name__ == "async_generator_asend" and frame:
            nxt = _running_generator(frame)  # the step of an async generator hides it
        coro = nxt
    return out


def _running_generator(frame: types.FrameType) -> types.AsyncGeneratorType[Any, Any] | None:
    """The async generator a frame is stepping (contextlib's ``self.gen``, say)."""
    for value in frame.f_locals.values():
        for candidate in (value, getattr(value, "gen", None)):
            if isinstance(candidate, types.AsyncGeneratorType) and candidate.ag_running:
                return candidate
    return None


def pending_tasks() -> str:
    """Every task of the running loop that has not finished, with where it waits."""
    lines = []
    for task in asyncio.all_tasks():
        lines.append(f"task {task.get_name()}:")
        lines += awaits(task.get_coro())
    return "\n".join(lines) if lines else "no pending task"


def _ask_loop(loop: asyncio.AbstractEventLoop) -> str:
    answer: concurrent.futures.Future[str] = concurrent.futures.Future()

    def on_loop() -> None:
        try:
            answer.set_result(pending_tasks())
        except Exception as exc:  # a dump that fails must still let the exit happen
            answer.set_result(f"could not list tasks: {exc!r}")

    try:
        loop.call_soon_threadsafe(on_loop)
        return answer.result(LOOP_ANSWER_SECONDS)
    except (RuntimeError, concurrent.futures.TimeoutError):
        return "the event loop did not answer (closed, or blocked in a call)"


class StopWatchdog:
    def __init__(self, seconds: float) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.seconds = seconds
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True
        self._timer.name = "acd-stop-watchdog"

    def arm(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._timer.start()

    def _fire(self) -> None:
        log.error(
            "stopping: not done %gs after the drain; exiting with status %d. Still waiting:\n%s",
            self.seconds,
            EXIT_STUCK,
            _ask_loop(self.loop) if self.loop is not None else "",
        )
        for handler in logging.getLogger().handlers:
            handler.flush()
        try:
            faulthandler.dump_traceback(file=sys.stderr, all_threads=True)
            sys.stderr.flush()
        except (OSError, ValueError, io.UnsupportedOperation):
            pass  # no file descriptor behind stderr: the task list above is what there is
        os._exit(EXIT_STUCK)
