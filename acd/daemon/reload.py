"""Reloading the config file in a running daemon (``POST /v1/admin/reload`` and SIGHUP)."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from acd.config.files import load_config
from acd.config.schema import Config
from acd.daemon.state import Daemon
from acd.errors import LocalError

log = logging.getLogger("acd.api")
RESTART_SECTIONS = ("store", "ha")  # what a running daemon cannot change under itself


class ReloadRefused(LocalError):
    """Nothing to reload, or the change needs a restart; the old config stays."""

    def __init__(self, code: str, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.code = code
        self.http_status = status


async def reload_config(d: Daemon) -> dict[str, Any]:
    """Load the config file again; an invalid file is refused and the old config stays.

    Reading and validating run in a thread (a large file takes seconds), applying it on the
    loop. Raises :class:`ConfigError` (file, line and field) for an invalid file and
    :class:`ReloadRefused` when there is no file, no running core, or a section needs a restart.
    """
    if d.config_path is None:
        raise ReloadRefused(
            "no_config_file", "the daemon runs the embedded demo: nothing to reload"
        )
    new = await asyncio.to_thread(load_config, d.config_path)
    return apply_config(d, new)


def apply_config(d: Daemon, new: Config) -> dict[str, Any]:
    """Apply a validated config to the running core."""
    for section in RESTART_SECTIONS:
        if getattr(new, section) != getattr(d.config, section):
            raise ReloadRefused(
                "restart_required",
                f"the {section}: section changed; restart the daemon to apply it",
            )
    # The engine's calendar (business days, interval length) is built at start.
    if new.center != d.config.center or (
        new.reporting.interval_minutes != d.config.reporting.interval_minutes
    ):
        raise ReloadRefused(
            "restart_required",
            "center: or reporting.interval_minutes changed; restart the daemon to apply it",
        )
    if d.driver is None:
        raise ReloadRefused("not_ready", "the engine is not running", 503)
    changes = d.driver.engine.reconfigure(new, d.driver.now())
    d.config = new
    d.people.reload(new.auth)
    d.reloads += 1
    d.metrics.declare_queues(d.driver.engine.queues)  # a queue added by the reload
    d.metrics.declare_campaigns(d.driver.engine.campaigns)
    d.driver.rearm()  # the new config may move the next deadline
    log.info("config reloaded: %s", json.dumps(changes))
    return {"reloaded": True, "changes": changes}
