"""The daemon's shared objects, under typed application keys."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from aiohttp import web

from acd.config.schema import Config
from acd.daemon.auth import TokenStore
from acd.daemon.hub import Hub
from acd.daemon.metrics import Metrics

if TYPE_CHECKING:
    from acd.daemon.live import LiveDriver
    from telephony_adapters.simulated import SimulatedTrunk


@dataclass
class Daemon:
    config: Config
    config_path: Path | None
    tokens: TokenStore
    metrics: Metrics
    hub: Hub = field(default_factory=Hub)
    driver: LiveDriver | None = None
    trunk: SimulatedTrunk | None = None
    draining: bool = False
    reloads: int = 0
    adapters: dict[str, bool] = field(default_factory=dict)


DAEMON = web.AppKey("daemon", Daemon)
