"""Sessions and the admin API's people survive a daemon restart on a real Redis."""

from __future__ import annotations

import asyncio
from pathlib import Path

from aiohttp import ClientSession
from aiohttp.test_utils import TestServer

from acd.config.files import load_config
from acd.daemon.app import build_app
from acd.daemon.auth import TokenStore
from acd.daemon.state import DAEMON
from acd.passwords import hash_secret
from tests.redis_server import RedisServer

ADMIN = "tok-admin"


def _config(tmp_path: Path, url: str, prefix: str) -> Path:
    path = tmp_path / "center.yaml"
    path.write_text(
        f"""
queues: [{{name: q, skills: {{s: 1}}}}]
agents: [{{id: alice, skills: {{s: 5}}}}, {{id: bob, skills: {{s: 5}}}}]
auth:
  people: [{{id: alice, password: "{hash_secret("pw-alice")}"}}]
store: {{url: "{url}", prefix: "{prefix}", spool: "{tmp_path / "spool.jsonl"}"}}
simulation: {{agents: {{login_at_start: false}}}}
"""
    )
    return path


async def _daemon(path: Path) -> TestServer:
    tokens = TokenStore([])
    tokens.add(ADMIN, "root", "admin")
    server = TestServer(build_app(load_config(path), config_path=path, tokens=tokens))
    await server.start_server()
    d = server.app[DAEMON]
    for _ in range(400):  # the store connects and the core starts in the background
        if d.driver is not None:
            break
        await asyncio.sleep(0.025)  # waiting for start-up, not timing the engine
    assert d.driver is not None, d.status
    return server


async def test_a_restart_keeps_sessions_and_people_set_through_the_api(
    tmp_path: Path, redis_server: RedisServer, prefix: str
) -> None:
    path = _config(tmp_path, redis_server.url, prefix)
    server = await _daemon(path)
    async with ClientSession() as s:
        async with s.post(
            server.make_url("/v1/session"), json={"id": "alice", "password": "pw-alice"}
        ) as r:
            token = (await r.json())["token"]
        async with s.put(
            server.make_url("/v1/admin/people/bob"),
            json={"password": "pw-bob"},
            headers={"Authorization": f"Bearer {ADMIN}"},
        ) as r:
            assert r.status == 200
        await server.app[DAEMON].people.flush()
    await server.close()

    server = await _daemon(path)
    try:
        async with ClientSession() as s:
            auth = {"Authorization": f"Bearer {token}"}
            async with s.get(server.make_url("/v1/session"), headers=auth) as r:
                assert r.status == 200 and (await r.json())["id"] == "alice"
            async with s.post(
                server.make_url("/v1/session"), json={"id": "bob", "password": "pw-bob"}
            ) as r:
                assert r.status == 200
            async with s.delete(server.make_url("/v1/session"), headers=auth) as r:
                assert r.status == 200
            await server.app[DAEMON].people.flush()
    finally:
        await server.close()
    server = await _daemon(path)  # signed out before this restart: stays signed out
    try:
        async with ClientSession() as s:
            auth = {"Authorization": f"Bearer {token}"}
            async with s.get(server.make_url("/v1/session"), headers=auth) as r:
                assert r.status == 401
    finally:
        await server.close()
