"""The daemon's shared objects, under typed application keys."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web

from acd.audit import AuditLog
from acd.config.people import Auth
from acd.config.schema import Config
from acd.daemon.auth import TokenStore
from acd.daemon.hub import Hub
from acd.daemon.metrics import Metrics
from acd.daemon.monitors import Monitors
from acd.daemon.sessions import People

if TYPE_CHECKING:
    from acd.daemon.durable_steps import Persistence
    from acd.drivers.live import LiveDriver
    from acd.store.base import Store
    from acd.store.batch import Batch
    from acd.store.lease import Lease
    from acd.store.writer import Persister
    from telephony_adapters.simulated import SimulatedTrunk


@dataclass
class Daemon:
    config: Config
    config_path: Path | None
    tokens: TokenStore
    metrics: Metrics
    # Who may sign in (build_app passes the config's; nobody by default).
    people: People = field(default_factory=lambda: People(Auth()))
    hub: Hub = field(default_factory=Hub)
    demo: bool = False  # the embedded demo: its files beside it, campaigns on its clock
    driver: LiveDriver | None = None
    trunk: SimulatedTrunk | None = None
    adapter: Any = None
    draining: bool = False
    reloads: int = 0
    adapters: dict[str, bool] = field(default_factory=dict)
    audit: AuditLog = field(default_factory=AuditLog)  # supervisors' actions (GET /v1/audit)
    monitors: Monitors = field(default_factory=Monitors)  # supervisors listening to calls
    # Persistence and leadership.
    store: Store | None = None
    persister: Persister | None = None  # Redis with the local spool; None for the memory store
    write: Callable[[Batch, int | None], Awaitable[None]] | None = None
    persistence: Persistence | None = None
    lease: Lease | None = None
    store_connected: bool = False  # the first connection to the store succeeded
    role: str = "starting"  # starting | standby | active
    status: str = ""  # why the daemon is not ready, when it is not
    step_down: asyncio.Event = field(default_factory=asyncio.Event)

    def config_campaign(self, name: str) -> Any:
        return next((c for c in self.config.campaigns if c.name == name), None)

    def config_agents(self) -> set[str]:
        return {a.id for a in self.config.agents}

    def not_ready(self) -> list[str]:
        """Why the daemon is not ready; empty when it is."""
        reasons = []
        if self.draining:
            reasons.append("draining")
        if self.role == "standby":
            reasons.append("standby")
        elif self.driver is None or self.role != "active":
            reasons.append("engine not running" + (f" ({self.status})" if self.status else ""))
        reasons += [f"adapter {name} not connected" for name, up in self.adapters.items() if not up]
        return reasons

    def store_health(self) -> dict[str, Any]:
        url = self.config.store.url
        out: dict[str, Any] = {"kind": "redis" if url else "memory"}
        if url is not None:
            out["up"] = self.store_connected  # not yet reached at start: down, not "up"
        if self.persister is not None:
            # Up: Redis answered recently (a write, a replay or the idle health check); the
            # batches waiting in the spool are a separate figure.
            out["up"] = self.store_connected and self.persister.store_up()
            out["spooled"] = len(self.persister.spool)
        if self.persistence is not None:
            out |= self.persistence.stats()
        if self.lease is not None:
            out["fencing_token"] = self.lease.token
        return out


DAEMON = web.AppKey("daemon", Daemon)
