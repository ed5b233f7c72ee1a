"""Sign-in for people against the daemon on a loopback socket: sessions as cookie and bearer
token, sign-out, lock-out, Origin checks for the cookie, an agent session kept to its agent,
and the admin API's people."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientSession, CookieJar, WSServerHandshakeError
from aiohttp.test_utils import TestServer

from acd import events as ev
from acd.config.files import load_config
from acd.daemon.app import build_app
from acd.daemon.auth import TokenStore
from acd.daemon.state import DAEMON
from acd.passwords import hash_secret, verify

HASH = hash_secret("pw-alice")
CONFIG = f"""
queues:
  - name: support
    skills: {{support: 1}}
agents:
  - {{id: alice, skills: {{support: 5}}}}
  - {{id: bob, skills: {{support: 5}}}}
auth:
  people:
    - {{id: alice, password: "{HASH}"}}
    - {{id: bob, password: "{HASH}"}}
    - {{id: maria, role: supervisor, password: "{HASH}"}}
  lockout: {{failures: 3, seconds: 600}}
simulation:
  agents: {{login_at_start: false}}
"""
ADMIN = "tok-admin"


class Client:
    def __init__(self, server: TestServer, session: ClientSession) -> None:
        self.server, self.session = server, session
        self.origin = f"http://{server.host}:{server.port}"

    def url(self, path: str) -> str:
        return str(self.server.make_url(path))

    async def req(
        self,
        method: str,
        path: str,
        json: Any = None,
        *,
        token: str | None = None,
        origin: str | None = "same",
    ) -> tuple[int, Any]:
        headers = {}
        if token is not None:
            headers["Authorization"] = f"bearer {token}"  # lower case: the scheme is any case
        if origin is not None:
            headers["Origin"] = self.origin if origin == "same" else origin
        async with self.session.request(method, self.url(path), json=json, headers=headers) as r:
            return r.status, await r.json()


@pytest.fixture
async def web(tmp_path: Path) -> AsyncIterator[Client]:
    path = tmp_path / "center.yaml"
    path.write_text(CONFIG)
    tokens = TokenStore([])
    tokens.add(ADMIN, "root", "admin")
    app = build_app(load_config(path), config_path=path, tokens=tokens)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    # Keeps the cookie, as a browser does (unsafe: the jar takes cookies of an IP address).
    async with ClientSession(cookie_jar=CookieJar(unsafe=True)) as session:
        yield Client(server, session)
    await server.close()


async def test_sign_in_sets_an_httponly_samesite_cookie_that_authenticates(web: Client) -> None:
    async with web.session.post(
        web.url("/v1/session"), json={"id": "alice", "password": "pw-alice"}
    ) as r:
        assert r.status == 200
        cookie = r.cookies["acd_session"]
        assert cookie["httponly"] and cookie["samesite"] == "Strict"
        body = await r.json()
    assert body["role"] == "agent" and body["agent_id"] == "alice"
    assert await web.req("GET", "/v1/session") == (
        200,
        {"id": "alice", "role": "agent", "agent_id": "alice", "device": ""},
    )
    status, view = await web.req("POST", "/v1/agents/alice/login", {"ready": True})
    assert status == 200 and view["state"] == "ready"


async def test_the_session_works_as_a_bearer_token_and_sign_out_revokes_it(web: Client) -> None:
    _, body = await web.req("POST", "/v1/session", {"id": "bob", "password": "pw-alice"})
    token = body["token"]
    web.session.cookie_jar.clear()
    assert (await web.req("GET", "/v1/agents/bob", token=token, origin=None))[0] == 200
    assert (await web.req("DELETE", "/v1/session", token=token, origin=None))[0] == 200
    status, err = await web.req("GET", "/v1/agents/bob", token=token, origin=None)
    assert status == 401 and err["error"]["code"] == "unauthorized"


async def test_a_wrong_password_and_an_unknown_id_get_the_same_answer(web: Client) -> None:
    wrong = await web.req("POST", "/v1/session", {"id": "alice", "password": "nope"})
    unknown = await web.req("POST", "/v1/session", {"id": "nobody", "password": "nope"})
    assert wrong[0] == unknown[0] == 401
    assert wrong[1] == unknown[1]


async def test_failures_in_a_row_lock_the_id_and_only_that_id(
    web: Client, caplog: pytest.LogCaptureFixture
) -> None:
    for _ in range(3):
        assert (await web.req("POST", "/v1/session", {"id": "alice", "password": "x"}))[0] == 401
    status, err = await web.req("POST", "/v1/session", {"id": "alice", "password": "pw-alice"})
    assert status == 429 and err["error"]["code"] == "locked"  # even the right password
    assert (await web.req("POST", "/v1/session", {"id": "bob", "password": "pw-alice"}))[0] == 200
    assert "locked for 600 s" in caplog.text


async def test_a_success_resets_the_count_of_failures(web: Client) -> None:
    for _ in range(2):
        await web.req("POST", "/v1/session", {"id": "alice", "password": "x"})
    assert (await web.req("POST", "/v1/session", {"id": "alice", "password": "pw-alice"}))[0] == 200
    for _ in range(2):
        await web.req("POST", "/v1/session", {"id": "alice", "password": "x"})
    assert (await web.req("POST", "/v1/session", {"id": "alice", "password": "pw-alice"}))[0] == 200


async def test_cookie_requests_from_another_site_or_without_origin_are_refused(
    web: Client,
) -> None:
    await web.req("POST", "/v1/session", {"id": "alice", "password": "pw-alice"})
    for origin in ("http://evil.example", None):
        status, err = await web.req("POST", "/v1/agents/alice/login", {}, origin=origin)
        assert status == 403 and err["error"]["code"] == "cross_site"
        assert web.server.app[DAEMON].driver.engine.agents["alice"].state.value == "logged_out"
    assert (await web.req("GET", "/v1/agents/alice", origin="http://evil.example"))[0] == 200
    login = {"id": "alice", "password": "pw-alice"}
    status, err = await web.req("POST", "/v1/session", login, origin="http://evil.example")
    assert status == 403 and err["error"]["code"] == "cross_site"


async def test_an_agent_session_acts_only_on_its_own_agent(web: Client) -> None:
    await web.req("POST", "/v1/session", {"id": "alice", "password": "pw-alice"})
    for method, path, body in [
        ("GET", "/v1/agents/bob", None),
        ("POST", "/v1/agents/bob/login", {}),
        ("POST", "/v1/agents/bob/pause", {"reason": "lunch"}),
        ("POST", "/v1/agents/bob/ready", None),
        ("POST", "/v1/agents/bob/logout", None),
        ("POST", "/v1/agents/bob/disposition", {"disposition": "x"}),
        ("GET", "/v1/agents/bob/preview", None),
        ("POST", "/v1/agents/bob/state", {"state": "ready"}),
        ("GET", "/v1/agents", None),
        ("GET", "/v1/calls", None),
        ("GET", "/v1/cdr", None),
        ("GET", "/v1/admin/people", None),
    ]:
        status, err = await web.req(method, path, body)
        assert status == 403, (method, path, status, err)
    assert web.server.app[DAEMON].driver.engine.agents["bob"].state.value == "logged_out"
    with pytest.raises(WSServerHandshakeError) as refused:
        await web.session.ws_connect(web.url("/v1/agents/bob/desk"), headers={"Origin": web.origin})
    assert refused.value.status == 403


async def test_the_desk_socket_carries_the_agents_own_view(web: Client) -> None:
    await web.req("POST", "/v1/session", {"id": "alice", "password": "pw-alice"})
    await web.req("POST", "/v1/agents/alice/login", {"ready": False})
    async with web.session.ws_connect(
        web.url("/v1/agents/alice/desk"), headers={"Origin": web.origin}
    ) as ws:
        view = await ws.receive_json(timeout=5)
    assert view["type"] == "desk" and view["agent"]["id"] == "alice"
    assert view["agent"]["state"] == "paused"
    assert view["pause_reasons"] == ["break", "lunch", "training", "meeting"]
    assert "bob" not in str(view)


async def test_the_desk_socket_refuses_another_sites_page(web: Client) -> None:
    await web.req("POST", "/v1/session", {"id": "alice", "password": "pw-alice"})
    async with web.session.get(
        web.url("/v1/agents/alice/desk"),
        headers={
            "Origin": "http://evil.example",
            "Connection": "Upgrade",
            "Upgrade": "websocket",
            "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        },
    ) as r:
        assert r.status == 403


async def test_admin_sets_a_password_hashed_and_it_signs_out_the_person(web: Client) -> None:
    _, body = await web.req("POST", "/v1/session", {"id": "bob", "password": "pw-alice"})
    old = body["token"]
    status, person = await web.req(
        "PUT", "/v1/admin/people/bob", {"password": "new-pw-bob"}, token=ADMIN, origin=None
    )
    assert status == 200 and "password" not in person
    stored = web.server.app[DAEMON].people.people["bob"].password
    assert stored.startswith("scrypt$") and "new-pw-bob" not in stored
    assert verify("new-pw-bob", stored)
    assert (await web.req("GET", "/v1/session", token=old, origin=None))[0] == 401
    assert (await web.req("POST", "/v1/session", {"id": "bob", "password": "new-pw-bob"}))[0] == 200
    status, err = await web.req(
        "PUT", "/v1/admin/people/zed", {"role": "agent"}, token=ADMIN, origin=None
    )
    assert status == 422 and "password" in err["error"]["message"]
    status, err = await web.req(
        "PUT",
        "/v1/admin/people/zed",
        {"password": "pw-zed", "agent_id": "nobody"},
        token=ADMIN,
        origin=None,
    )
    assert status == 422 and "nobody" in err["error"]["message"]
    assert (await web.req("DELETE", "/v1/admin/people/bob", token=ADMIN, origin=None))[0] == 200
    assert (await web.req("POST", "/v1/session", {"id": "bob", "password": "new-pw-bob"}))[0] == 401


async def test_bad_sign_in_bodies_get_a_json_4xx(web: Client) -> None:
    for body in [{}, {"id": "alice"}, {"id": "alice", "password": ""}, {"id": 3, "password": "x"}]:
        status, err = await web.req("POST", "/v1/session", body)
        assert status == 422 and err["error"]["code"] == "invalid_field", body


async def test_an_agent_session_cannot_touch_another_agents_call(web: Client) -> None:
    d = web.server.app[DAEMON]
    assert d.driver is not None
    d.driver.submit(ev.AgentLogin("bob"))
    d.driver.submit(ev.CallArrived("cb", "support", caller="+12125550123"))
    d.driver.submit(ev.AgentAnswered("cb", "bob"))
    await web.req("POST", "/v1/session", {"id": "alice", "password": "pw-alice"})
    for path, body in [
        ("/v1/calls/cb/hold", None),
        ("/v1/calls/cb/resume", None),
        ("/v1/calls/cb/transfer", {"queue": "support"}),
        ("/v1/calls/cb/hangup", {}),
        ("/v1/calls/cb/answer", None),
        ("/v1/calls/nope/hold", None),  # the same answer as for a call that is not there
    ]:
        status, err = await web.req("POST", path, body)
        assert status == 404 and err["error"]["code"] == "unknown_call", (path, status, err)
    call = d.driver.engine.calls["cb"]
    assert call.agent is not None and call.agent.id == "bob" and call.held_at is None
    async with web.session.ws_connect(
        web.url("/v1/agents/alice/desk"), headers={"Origin": web.origin}
    ) as ws:
        view = await ws.receive_json(timeout=5)
    assert "12125550123" not in str(view) and "cb" not in str(view.get("call"))
