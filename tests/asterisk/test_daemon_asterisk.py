"""The daemon as a process (``acd-dialer run CONFIG``) against the AMI emulator in this test.

Readiness and metrics follow the connection: ready while connected; the emulator stopped, the
daemon stays up but is not ready and ``acd_adapter_up{adapter="asterisk"}`` is 0; the emulator
back on the same port, the adapter reconnects and ``acd_adapter_reconnects_total`` counts it.
"""

from __future__ import annotations

import asyncio
import re
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from random import Random

import pytest
from aiohttp import ClientError, ClientSession

from telephony_adapters.asterisk import CHANNEL_VARS
from telephony_adapters.testing import AmiEmulator
from tests.processes import DaemonProcess

CONFIG = """
name: pbx
queues:
  - name: q
agents:
  - {id: a1}
adapter:
  type: asterisk
  asterisk:
    port: PORT
    username: acd
    secret: acdsecret
    reconnect: {initial: 0.05, maximum: 0.2, jitter: 0}
    health_interval: 0.05
"""
UP = 'acd_adapter_up{adapter="asterisk"}'
RECONNECTS = 'acd_adapter_reconnects_total{adapter="asterisk"}'


@dataclass
class Daemon:
    proc: DaemonProcess
    base: str
    http: ClientSession

    async def get(self, path: str) -> tuple[int, str]:
        async with self.http.get(self.base + path) as r:
            return r.status, await r.text()

    async def metric(self, name: str) -> float | None:
        _, text = await self.get("/metrics")
        m = re.search(rf"^{re.escape(name)} (\S+)$", text, re.M)
        return float(m.group(1)) if m else None

    async def until(self, check: Callable[[], Awaitable[bool]], timeout: float = 10.0) -> None:
        """Poll the other process until ``check`` holds (it cannot tell us; nothing is timed)."""
        async with asyncio.timeout(timeout):
            while not await check():
                await asyncio.sleep(0.05)


def emulator(port: int = 0) -> AmiEmulator:
    return AmiEmulator(
        port=port, users={"acd": "acdsecret"}, manager_vars=CHANNEL_VARS, rng=Random(1)
    )


@pytest.fixture
async def pbx_daemon(tmp_path: Path) -> AsyncIterator[tuple[Daemon, AmiEmulator]]:
    emu = emulator()
    await emu.start()
    cfg = tmp_path / "pbx.yaml"
    cfg.write_text(CONFIG.replace("PORT", str(emu.port)))
    try:
        proc = await DaemonProcess.astart(cfg, tmp_path / "daemon.log")
    except BaseException:
        await emu.stop()
        raise
    try:
        async with ClientSession() as http:
            yield Daemon(proc, proc.base, http), emu
    finally:
        proc.kill()
        await emu.stop()


async def test_readiness_and_metrics_follow_the_pbx(pbx_daemon: tuple[Daemon, AmiEmulator]) -> None:
    d, emu = pbx_daemon
    port = emu.port

    async def ready(status: int) -> bool:
        try:
            return (await d.get("/readyz"))[0] == status
        except ClientError:
            return False

    await d.until(lambda: ready(200))
    assert await d.metric(UP) == 1.0
    assert await d.metric(RECONNECTS) == 0.0
    assert emu.logged_in == 1
    assert [r.action.name for r in emu.actions[:4]] == [
        "Challenge",
        "Login",
        "CoreShowChannels",
        "DeviceStateList",
    ]

    await emu.stop()  # the PBX goes away: the daemon stays up, not ready
    await d.until(lambda: ready(503))
    assert await d.metric(UP) == 0.0
    _, body = await d.get("/readyz")
    assert '"asterisk": false' in body and '"reasons": ["adapter asterisk not connected"]' in body
    assert (await d.get("/healthz"))[0] == 200 and d.proc.running()

    back = emulator(port)  # the PBX returns on the same port
    await back.start()
    try:
        await d.until(lambda: ready(200))
        assert await d.metric(UP) == 1.0
        reconnects = await d.metric(RECONNECTS)
        assert reconnects is not None and reconnects >= 1
        assert back.actions_named("CoreShowChannels")  # resynchronised on reconnection
        d.proc.signal(signal.SIGTERM)
        assert await d.proc.exited(timeout=15) == 0
    finally:
        await back.stop()
