"""``acd-dialer run``: the daemon's process around the app: the start banner, signals, drain.

The banner is printed once start-up is complete (the engine running and every adapter
connected, or the node in standby, or ``STARTUP_WAIT_SECONDS`` gone by, in which case it says
what is missing); its wallboard line is repeated every ``WALLBOARD_REPEAT_SECONDS`` by a task
owned here. SIGTERM or SIGINT drains; a second SIGINT while draining exits at once, logging the
calls it cuts. What follows the drain is bounded by ``daemon.stop_seconds``
(:mod:`acd.daemon.stop_watchdog`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from pathlib import Path
from typing import Any

from aiohttp import web

from acd.config.schema import Config
from acd.daemon.app import build_app
from acd.daemon.auth import TokenStore, new_token
from acd.daemon.demo_people import demo_lines, demo_people
from acd.daemon.reload import reload_config
from acd.daemon.state import DAEMON, Daemon
from acd.daemon.stop_watchdog import StopWatchdog
from acd.daemon.version import package_version

log = logging.getLogger("acd.daemon")
events_log = logging.getLogger("acd.events")
STARTUP_WAIT_SECONDS = 5.0  # the banner waits this long at most for the engine and adapters
# The wallboard link again, for a terminal whose start has scrolled away; the environment
# variable overrides it (seconds; 0 turns the repeat off).
WALLBOARD_REPEAT_SECONDS = 300.0
REPEAT_ENV = "ACD_WALLBOARD_REPEAT_SECONDS"
LOG_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}


def _started(d: Daemon) -> bool:
    if d.role == "standby" or d.status.startswith("failed"):
        return True  # settled: waiting for the lease, or given up (the banner says why)
    return not d.not_ready()


async def wait_started(d: Daemon, seconds: float, stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not _started(d) and not stop.is_set() and loop.time() < deadline:
        await asyncio.sleep(0.05)  # polling start-up state for the banner, not engine timing


def banner(d: Daemon, base: str, what: str, token: str | None, *, demo: bool = False) -> list[str]:
    lines = [
        f"acd-dialer {package_version()} running {what}",
        wallboard_line(base, token),
        f"  API        {base}/v1/   (OpenAPI: {base}/v1/openapi.json)",
        f"  metrics    {base}/metrics",
    ]
    if token and not demo:
        lines.append(f"  token      {token}   (admin; generated at start, valid until exit)")
    reasons = d.not_ready()
    if reasons:
        lines.append(f"  not ready  {'; '.join(reasons)}   (see {base}/readyz)")
    return lines


def wallboard_line(base: str, token: str | None) -> str:
    return f"  wallboard  {base}/" + (f"#token={token}" if token else "")


def repeat_interval() -> float:
    env = os.environ.get(REPEAT_ENV)
    return float(env) if env else WALLBOARD_REPEAT_SECONDS


async def repeat_wallboard(line: str, interval: float) -> None:
    while True:
        await asyncio.sleep(interval)  # a reminder on the terminal, not engine timing
        print(line.strip(), flush=True)


def calls_in_progress(engine: Any) -> list[str]:
    """The ids of the calls still up: the engine's, and a dialer's dials still ringing."""
    ids = set(engine.calls)
    for rt in getattr(engine, "campaigns", {}).values():
        ids.update(getattr(rt, "inflight", ()))
    return sorted(ids)


async def drain(d: Daemon, seconds: float, cut: asyncio.Event) -> None:
    """Stop taking new calls; let calls in progress finish for up to ``seconds``, or until
    ``cut`` is set; log each call still up at the end as cut."""
    d.draining = True
    if d.trunk is not None:
        d.trunk.stop_arrivals()
    if d.driver is not None:
        d.driver.engine.stop_dialing = True  # dials still ringing finish like calls
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while d.driver is not None and d.driver.engine.in_progress() and loop.time() < deadline:
        with contextlib.suppress(TimeoutError):
            # Polling a count while shutting down, not engine timing; a second SIGINT ends it.
            await asyncio.wait_for(cut.wait(), 0.2)
        if cut.is_set():
            log.warning("second interrupt: exiting now, without waiting for calls")
            break
    left = calls_in_progress(d.driver.engine) if d.driver is not None else []
    for call_id in left:
        events_log.warning("call %s cut: still in progress at exit", call_id)
    log.info("drained: %d call(s) still in progress at exit", len(left))


async def serve(
    config: Config,
    config_path: Path | None,
    *,
    demo: bool,
    watchdog: StopWatchdog | None = None,
) -> int:
    tokens = TokenStore(config.api.tokens)
    printed_token = None
    password = None
    if demo:
        # The wall's link carries a supervisor's token, not an admin's.
        config, password = demo_people(config)
        printed_token = new_token()
        tokens.add(printed_token, "demo-wallboard", "supervisor")
    elif not config.api.tokens and not config.auth.people:
        printed_token = new_token()
        tokens.add(printed_token, "generated-admin", "admin")
    app = build_app(config, config_path=config_path, tokens=tokens, demo=demo)
    d = app[DAEMON]
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    stop, cut = asyncio.Event(), asyncio.Event()
    loop = asyncio.get_running_loop()
    reloads: set[asyncio.Task[None]] = set()

    async def hup_reload() -> None:
        try:
            result = await reload_config(d)
            log.info("SIGHUP: reloaded %s", result["changes"])
        except Exception as exc:  # an invalid file: keep the old config
            log.error("SIGHUP: reload refused, old config kept: %s", getattr(exc, "message", exc))

    def on_hup() -> None:
        task = asyncio.create_task(hup_reload())  # off the signal handler, off the loop's back
        reloads.add(task)
        task.add_done_callback(reloads.discard)

    def on_int() -> None:
        if stop.is_set():
            cut.set()  # the second Ctrl-C: no more waiting for calls
        stop.set()

    repeat: asyncio.Task[None] | None = None
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, on_int)
    loop.add_signal_handler(signal.SIGHUP, on_hup)
    try:
        await runner.setup()  # the cleanup contexts' start-up: store, engine, adapters
        site = web.TCPSite(runner, config.daemon.host, config.daemon.port)
        await site.start()
        host = config.daemon.host
        server = site._server
        port = server.sockets[0].getsockname()[1] if server else config.daemon.port  # type: ignore[union-attr]
        base = f"http://{host}:{port}"
        await wait_started(d, STARTUP_WAIT_SECONDS, stop)
        what = (
            "embedded demo (simulated trunk, simulated callers and agents)"
            if demo
            else str(config_path)
        )
        lines = banner(d, base, what, printed_token, demo=demo)
        if password is not None:
            lines[2:2] = demo_lines(base, password)
        print("\n".join(lines), flush=True)
        interval = repeat_interval()
        if interval > 0:
            line = wallboard_line(base, printed_token)
            repeat = asyncio.create_task(repeat_wallboard(line, interval), name="acd-banner")
        await stop.wait()
        log.info(
            "stopping: draining calls for up to %gs (Ctrl-C again to exit at once)",
            config.daemon.drain_seconds,
        )
        await drain(d, config.daemon.drain_seconds, cut)
    finally:
        if watchdog is not None:  # from here the stop is bounded (the process's, not a test's)
            watchdog.arm(loop)
        if repeat is not None:
            repeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await repeat
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            loop.remove_signal_handler(sig)
        await runner.cleanup()
    return 0


def run(config: Config, config_path: Path | None, *, demo: bool, log_level: str = "info") -> int:
    from acd.daemon import logs

    logs.setup(config.daemon.log_format, config.daemon.mask_numbers, LOG_LEVELS[log_level])
    # Armed after the drain and left armed: the process exits before it fires, unless the stop
    # or the loop's teardown hangs.
    watchdog = StopWatchdog(config.daemon.stop_seconds)
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency on Linux
        return asyncio.run(serve(config, config_path, demo=demo, watchdog=watchdog))
    return uvloop.run(serve(config, config_path, demo=demo, watchdog=watchdog))
