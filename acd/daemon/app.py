"""The daemon: the engine behind an aiohttp server, with the adapter the config names.

Long-lived resources live in cleanup contexts added in dependency order (engine and driver,
then the snapshot ticker); the ticker task is owned and cancelled on shutdown. The process
around the app (start banner, signals, drain) is :mod:`acd.daemon.serve`.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path
from random import Random
from typing import Any

from aiohttp import web

from acd import events as ev
from acd.audit import WithAudit
from acd.checkpoint import Collector, restore
from acd.config.files import demo_path
from acd.config.schema import Config
from acd.core import Core
from acd.daemon import api
from acd.daemon.auth import TokenStore
from acd.daemon.days import calendar_line, daemon_calendar
from acd.daemon.durable_steps import Persistence
from acd.daemon.logs import notice_line
from acd.daemon.metrics import Metrics
from acd.daemon.sessions import People
from acd.daemon.simtrunk import live_simulation, simulated_trunk, start_simulated_agents
from acd.daemon.snapshot import snapshot_message
from acd.daemon.standby import Follower, Standing, stand_by
from acd.daemon.state import DAEMON, Daemon
from acd.daemon.version import package_version
from acd.drivers.live import LiveDriver
from acd.engine import Engine
from acd.errors import AcdError
from acd.simulate import campaign_leads, scenario_clock
from acd.store import MemoryStore, node_name, open_store, spool_path
from acd.store.batch import Batch, StoredState
from acd.store.lease import Lease
from acd.store.redis import RedisStore
from dialer.center import Center
from dialer.hours import callback_hours

log = logging.getLogger("acd.daemon")
events_log = logging.getLogger("acd.events")  # one line per engine event
MAX_BODY_BYTES = 16 * 1024 * 1024  # a request body (lead imports are the large ones); else 413
MEMORY_RECORDS = 100_000  # call records the in-memory store keeps (the embedded demo)
STORE_BACKOFF_MAX = 5.0  # seconds between attempts to reach the store, at most


def call_prefix() -> str:
    """A prefix for the call ids this start makes: ids never repeat across restarts or across
    the two nodes of a hot-standby pair (records, channels still up on the PBX)."""
    ms = int(time.time() * 1000)
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while ms:
        ms, r = divmod(ms, 36)
        out = digits[r] + out
    return f"{out}{os.getpid() % 1296:03x}."


BOOK_DAYS = 2.0  # interval rows the engine keeps in memory (the store keeps them all)


def build_core(d: Daemon, prefix: str) -> Core:
    cfg = d.config
    cal = daemon_calendar(cfg)
    log.info("%s", calendar_line(cal))
    if cfg.campaigns:
        base = d.config_path.parent if d.config_path is not None else Path.cwd()
        if d.demo:
            base = demo_path().parent
        # Live: engine time is Unix time. The embedded demo's lead books run on its simulated
        # clock (its day starts at 10:00): calling hours follow the day it plays.
        shift = scenario_clock(live_simulation(cfg, demo=True), time.time()) if d.demo else 0.0
        leads, dnc = campaign_leads(cfg, base, shift, d.config_path)
        center = Center(
            cfg,
            rng=Random(),
            leads=leads,
            dnc=dnc,
            call_prefix=prefix,
            calendar=cal,
            lead_epoch=shift,
        )
        center.engine.book.keep_days = BOOK_DAYS
        center.engine.callback_hours = callback_hours(shift, (str(cal.zone),))
        return center
    engine = Engine(cfg, rng=Random(), calendar=cal, keep_days=BOOK_DAYS)
    engine.callback_hours = callback_hours(0.0, (str(cal.zone),))
    return engine


def fresh_core(d: Daemon) -> tuple[Core, str]:
    """A core built from the config and files, nobody logged in, and its call id prefix."""
    prefix = call_prefix()
    engine = build_core(d, prefix)
    start = time.time()
    for a in engine.agents.values():
        a.since = start  # logged out since the daemon started, not since 1970
    return engine, prefix


async def start_core(
    d: Daemon, state: StoredState | None, lease: Lease | None, standing: Standing | None = None
) -> None:
    """Build the core (or take the warm standby's), restore what the store holds, connect the
    adapter, start the driver."""
    cfg = d.config
    restored: dict[str, int] = {}
    t0 = time.perf_counter()
    if standing is not None:
        engine, prefix = standing.warm.core, standing.prefix
        restored = standing.warm.take_over(time.time())
        last_seq = standing.warm.seq
        log.info(
            "take-over with the warm core in %.3fs: %d batches followed, %d at the take-over; %s",
            time.perf_counter() - t0,
            standing.warm.applied - standing.caught_up,
            standing.caught_up,
            restored,
        )
    else:
        engine, prefix = fresh_core(d)
        last_seq = state.last_seq if state is not None else 0
        if state is not None:
            restored = restore(engine, state, time.time())
            log.info("restored from the store: %s", restored)
            log.info("cold start: core built and restored in %.2fs", time.perf_counter() - t0)
    trunk = None
    if cfg.adapter.type == "simulated":
        trunk = simulated_trunk(cfg, demo=d.config_path is None, prefix=prefix, now=time.time())
        d.adapters["simulated"] = True
    adapter = None
    if cfg.adapter.type == "asterisk":
        from telephony_adapters.asterisk.adapter import AsteriskAdapter

        def asterisk_up(up: bool) -> None:
            d.adapters["asterisk"] = up  # /readyz and acd_adapter_up follow the connection
            if d.driver is not None:
                d.driver.submit(ev.TrunkState(up))  # the dialer holds its dials while down

        assert cfg.adapter.asterisk is not None  # the schema requires it for this type
        d.adapters["asterisk"] = False
        reconnects = d.metrics.reconnects.labels("asterisk")
        adapter = AsteriskAdapter(
            cfg.adapter.asterisk,
            on_state=asterisk_up,
            on_reconnect=reconnects.inc,
            surveys={q.name: q.survey.scale for q in cfg.queues if q.survey is not None},
            callbacks=frozenset(q.name for q in cfg.queues if q.callback is not None),
        )

    def on_notices(notices: list[dict[str, Any]]) -> None:
        d.metrics.observe(notices)
        for n in notices:
            caller = n.pop("caller", None) if n["type"] == "call" else None  # the log's only
            events_log.info("%s", notice_line(n, caller))
            d.hub.publish(n)

    persistence = None
    if d.write is not None:
        d.audit.prefix = prefix
        persistence = Persistence(
            WithAudit(Collector(engine), d.audit),
            d.write,
            seq=last_seq,
            lease=lease,
            on_lost=lambda why: d.step_down.set(),
        )
    driver = LiveDriver(
        engine,
        trunk=trunk,
        execute=adapter.execute if adapter is not None else None,
        on_notices=on_notices,
        on_latency=d.metrics.latency.observe,
        persistence=persistence,
    )
    d.driver, d.trunk, d.adapter, d.persistence = driver, trunk, adapter, persistence
    d.metrics.declare_queues(engine.queues)
    d.metrics.declare_campaigns(engine.campaigns)
    if adapter is not None:
        driver.submit(ev.TrunkState(False))  # until the adapter has connected and resynced
    if persistence is not None:
        persistence.start(driver.now, driver.rearm)
    if adapter is not None:
        if persistence is not None:
            adapter.may_act = persistence.may_act  # a fenced-off node sends no action at all
        adapter.attach(driver)
        await adapter.start()  # connects in the background; the daemon runs while it is down
    sessions = restored.get("sessions", 0)
    login = cfg.simulation is None or cfg.simulation.agents.login_at_start
    if trunk is not None:
        start_simulated_agents(cfg, trunk, engine, driver, login=login and not sessions)
    driver.start()
    if adapter is None and engine.engine.orphans:
        driver.submit(ev.TrunkState(True))  # no PBX to resync with: the cut calls are over
    d.role = "active"
    # The core as built and restored (lead books, agents) lives as long as the process: keep
    # the cyclic collector from walking it on every full collection (a pause on the loop).
    gc.freeze()


async def stop_core(d: Daemon) -> None:
    """Stop the driver and the adapter; what the last steps changed is written first."""
    driver, adapter, persistence = d.driver, d.adapter, d.persistence
    d.driver = d.adapter = d.persistence = d.trunk = None
    if driver is not None:
        if persistence is not None and not persistence.lost:
            driver.engine.flush_records(driver.now())  # agents still in wrap-up
            persistence.touch()
        driver.close()
    if persistence is not None:
        await persistence.aclose()
        log.info("persisted: %s", json.dumps(persistence.stats()))
    if adapter is not None:
        await adapter.close()
    d.adapters.pop("simulated", None)
    d.adapters.pop("asterisk", None)


async def connect_store(d: Daemon) -> None:
    """Connect to the store, retrying with back-off; not ready until then."""
    url = d.config.store.url
    delay = 0.1
    while True:
        try:
            await d.store.connect()
        except AcdError as exc:
            d.status = f"store unavailable: {exc}"
            log.error("%s; retrying in %.1fs", d.status, delay)
            await asyncio.sleep(delay * (0.8 + 0.4 * Random().random()))
            delay = min(delay * 2, STORE_BACKOFF_MAX)
            continue
        log.info("store connected: %s", url)
        d.store_connected = True
        if d.persister is not None:
            await d.persister.check()  # it answered: up now, not at the next health check
        return


async def lifecycle(d: Daemon) -> None:
    """Connect the store; with hot standby, wait for the lease; then run until it is lost."""
    try:
        await _lifecycle(d)
    except Exception as exc:  # the daemon stays up, not ready, and says why
        log.exception("the engine could not start")
        d.status = f"failed: {exc}"
        raise


async def _lifecycle(d: Daemon) -> None:
    ha = d.config.ha
    await connect_store(d)
    while True:
        lease = None
        standing = None
        if ha.enabled:
            assert d.config.store.url is not None  # the schema requires a Redis store for HA
            assert isinstance(d.store, RedisStore)
            node = f"{node_name(d.config)}-{os.getpid()}"
            lease = Lease(
                d.config.store.url,
                d.config.store.prefix,
                node,
                ttl=ha.lease_seconds,
                crash_detection=ha.crash_detection,
            )
            d.role, d.status = "standby", "standby: another daemon holds the lease"
            log.info("standby: following the leader's batches, waiting for the lease")
            follower = Follower(d.store, lambda: fresh_core(d), lambda: _load(d))
            standing = await stand_by(follower, lease, ha.lease_seconds / 6)
            d.lease = lease
            if d.persister is not None and lease.token is not None:
                await d.persister.new_leadership(lease.token)
        if d.persister is not None and not ha.enabled:
            await _replay_spool(d)  # what an earlier run spooled goes in before we read
        d.status = ""
        state = None
        if standing is None:
            t0 = time.perf_counter()
            state = await _load(d)
            log.info("cold start: store loaded in %.2fs", time.perf_counter() - t0)
        await _load_people(d)
        d.step_down.clear()
        await start_core(d, state, lease, standing)
        if lease is None:
            await asyncio.Event().wait()  # no standby: run until the daemon stops
            return
        await _hold_lease(d, lease)  # returns when the lease is lost
        log.error("stepping down: leadership lost; back to standby")
        await stop_core(d)
        await lease.aclose()
        d.lease = None


async def _load_people(d: Daemon) -> None:
    """Sessions and the admin API's people from the store: a restart signs no one out."""
    if d.store is None or d.config.store.url is None:
        return
    try:
        kept = d.people.restore(
            await d.store.load_map("sessions"), await d.store.load_map("people")
        )
    except AcdError as exc:
        log.error("could not read sign-in sessions from the store: %s", exc)
        return
    d.people.save = d.store.put_in_map
    log.info("sign-in: %d session(s) restored", kept)


async def _replay_spool(d: Daemon) -> None:
    assert d.persister is not None
    delay = 0.1
    while not await d.persister.recover():
        d.status = "store unavailable: replaying the spool"
        await asyncio.sleep(delay)  # back-off while Redis is away, not engine time
        delay = min(delay * 2, STORE_BACKOFF_MAX)


async def _load(d: Daemon) -> StoredState:
    """Everything the store holds, retried with back-off while Redis is away."""
    delay = 0.1
    while True:
        try:
            return await d.store.load()
        except AcdError as exc:
            d.status = f"store unavailable: {exc}"
            log.error("loading the store: %s; retrying in %.1fs", exc, delay)
            await asyncio.sleep(delay)  # back-off while Redis is away, not engine time
            delay = min(delay * 2, STORE_BACKOFF_MAX)


async def _hold_lease(d: Daemon, lease: Lease) -> None:
    period = lease.renew_every
    while not d.step_down.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(d.step_down.wait(), period)  # renew cadence, not engine time
        if d.step_down.is_set():
            return
        try:
            if not await lease.renew():
                return
        except AcdError as exc:
            log.warning("lease renewal failed: %s", exc)
            if not lease.valid(time.monotonic()):
                return


async def engine_ctx(app: web.Application) -> AsyncIterator[None]:
    d = app[DAEMON]
    cfg = d.config.store
    task = None
    if cfg.url is None:
        # The embedded default: the same path as Redis (records, leads, sessions are collected
        # and applied), but nothing outlives the process.
        d.store = MemoryStore(max_records=MEMORY_RECORDS)
        await d.store.connect()
        d.write = d.store.apply
        await start_core(d, None, None)
    else:
        from acd.store.writer import Persister

        d.store = open_store(d.config)
        persister = d.persister = Persister(d.store, spool_path(d.config, d.config_path))

        async def write(batch: Batch, token: int | None) -> None:
            persister.token = token  # the fencing token of this node's lease, if any
            await persister.submit(batch)

        d.write = write
        persister.start()
        task = asyncio.create_task(lifecycle(d), name="acd-lifecycle")
    yield
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    await stop_core(d)
    if d.persister is not None:
        await d.persister.aclose()
    if d.lease is not None:
        with contextlib.suppress(AcdError):
            await d.lease.release()
        await d.lease.aclose()
    await d.store.close()


async def ticker_ctx(app: web.Application) -> AsyncIterator[None]:
    """Publish a snapshot once a second for the wallboard."""
    d = app[DAEMON]

    async def tick() -> None:
        while True:
            await asyncio.sleep(1.0)  # presentation cadence only; engine time never sleeps
            if d.hub.clients and d.driver is not None:
                d.hub.publish(snapshot_message(d.driver.engine, d.driver.now()))

    task = asyncio.create_task(tick())
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    await d.hub.close_all()


def build_app(
    config: Config,
    *,
    config_path: Path | None = None,
    tokens: TokenStore | None = None,
    demo: bool = False,
) -> web.Application:
    app = web.Application(middlewares=[api.errors_and_auth], client_max_size=MAX_BODY_BYTES)
    metrics = Metrics(package_version())
    d = Daemon(
        config=config,
        config_path=config_path,
        tokens=tokens or TokenStore(config.api.tokens),
        metrics=metrics,
        people=People(config.auth),
        demo=demo,
    )
    app[DAEMON] = d

    def campaigns() -> list[dict[str, Any]]:
        return d.driver.engine.campaigns_view(d.driver.now()) if d.driver else []

    def figures() -> dict[str, Any]:
        if d.driver is None:
            return {}
        fig = d.driver.engine.engine.interval_figures(d.driver.now())
        inbound = {q.name for q in d.config.queues}  # not the campaigns' internal queues
        fig["queues"] = {k: v for k, v in fig["queues"].items() if k in inbound}
        return fig

    metrics.attach(
        lambda: d.driver.engine.snapshot(d.driver.now()) if d.driver else _empty_snapshot(),
        lambda: dict(d.adapters),
        campaigns,
        lambda: {"role": d.role, **d.store_health()},
        figures,
    )
    api.add_routes(app, config.daemon)
    app.cleanup_ctx.append(engine_ctx)
    app.cleanup_ctx.append(ticker_ctx)
    app.on_shutdown.append(_close_websockets)
    return app


async def _close_websockets(app: web.Application) -> None:
    # Before aiohttp waits for open connections: a wallboard must not hold up shutdown.
    await app[DAEMON].hub.close_all()


def _empty_snapshot() -> dict[str, Any]:
    return {"queues": [], "agents": [], "agent_states": {}, "calls": []}
