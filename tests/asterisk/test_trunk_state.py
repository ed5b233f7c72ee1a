"""The daemon tells the dialer when the PBX link goes down and comes back: the core's view of
the link follows the real AMI connection (the dialer's own tests show what it does with it)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from aiohttp.test_utils import TestServer

from acd.config.files import load_config
from acd.daemon.app import build_app
from acd.daemon.auth import TokenStore
from acd.daemon.state import DAEMON
from tests.asterisk.test_daemon_asterisk import emulator

CONFIG = """
name: trunk
queues: [{name: q}]
agents: [{id: a1, skills: {out: 1}}]
campaigns:
  - {name: c, mode: progressive, skills: {out: 1}}
adapter:
  type: asterisk
  asterisk:
    port: PORT
    username: acd
    secret: acdsecret
    reconnect: {initial: 0.05, maximum: 0.2, jitter: 0}
    health_interval: 0.05
"""


async def until(check: object, timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not check():  # type: ignore[operator]
            await asyncio.sleep(0.02)


async def test_the_dialer_hears_when_the_pbx_link_goes_and_comes_back(tmp_path: Path) -> None:
    emu = emulator()
    await emu.start()
    path = tmp_path / "c.yaml"
    path.write_text(CONFIG.replace("PORT", str(emu.port)))
    server = TestServer(build_app(load_config(path), config_path=path, tokens=TokenStore([])))
    await server.start_server()
    back = None
    try:
        d = server.app[DAEMON]
        await until(lambda: d.driver is not None and d.adapters.get("asterisk"))
        assert d.driver is not None
        core = d.driver.engine
        await until(lambda: core.trunk_up)  # type: ignore[attr-defined]
        port = emu.port
        await emu.stop()
        await until(lambda: not d.adapters.get("asterisk"))
        assert core.trunk_up is False  # type: ignore[attr-defined]
        back = emulator(port)
        await back.start()
        await until(lambda: core.trunk_up)  # type: ignore[attr-defined]
    finally:
        await server.close()
        if back is not None:
            await back.stop()
