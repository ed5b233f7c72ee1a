"""A daemon on a real loopback socket, with tokens of each role."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer

from acd.config.files import load_config
from acd.daemon.app import build_app
from acd.daemon.auth import TokenStore
from acd.daemon.state import DAEMON, Daemon

CONFIG = """
name: test-center
queues:
  - name: sales
    skills: {sales: 1}
    wrap_up_seconds: 30
  - name: support
    skills: {support: 1}
    callback: {retries: 1, retry_seconds: 60, calling_hours: {start: "00:00", end: "24:00"}}
agents:
  - {id: alice, name: Alice, skills: {sales: 5}}
  - {id: bob, name: Bob, skills: {support: 5, sales: 2}}
simulation:
  agents: {login_at_start: false}
"""

TOKENS = {"agent": "tok-alice", "supervisor": "tok-sup", "admin": "tok-admin"}


class Api:
    def __init__(self, server: TestServer, session: ClientSession, config_path: Path) -> None:
        self.server = server
        self.session = session
        self.config_path = config_path

    @property
    def daemon(self) -> Daemon:
        return self.server.app[DAEMON]

    def url(self, path: str) -> str:
        return str(self.server.make_url(path))

    async def call(
        self,
        method: str,
        path: str,
        role: str | None = "admin",
        json: Any = None,
        data: str | None = None,
    ) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {TOKENS[role]}"} if role else {}
        async with self.session.request(
            method, self.url(path), headers=headers, json=json, data=data
        ) as r:
            body = await r.json() if r.content_type == "application/json" else await r.text()
            return r.status, body


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    path = tmp_path / "center.yaml"
    path.write_text(CONFIG)
    cfg = load_config(path)
    tokens = TokenStore([])
    tokens.add(TOKENS["agent"], "alice", "agent", "alice")
    tokens.add(TOKENS["supervisor"], "sup", "supervisor")
    tokens.add(TOKENS["admin"], "root", "admin")
    app = build_app(cfg, config_path=path, tokens=tokens)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    async with ClientSession() as session:
        yield Api(server, session, path)
    await server.close()
