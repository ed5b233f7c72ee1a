"""The agent desktop (/agent) in headless Chromium against the real daemon: ``acd-dialer run``
as a process, simulated inbound traffic on the simulated trunk, alice a person at the desk and
bob simulated.

alice signs in through the page, logs in, answers the call that rings at her desk, holds,
resumes and hangs up, picks a wrap-up code and pauses for lunch; the API (with her own session
token, and a supervisor token for the CDR) must agree with the page at each step. A reload keeps
her signed in; five wrong passwords lock her id. Nothing is timed: every wait is on a page or
API condition, with a timeout.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from acd.daemon.auth import digest
from acd.passwords import hash_secret
from tests.processes import DaemonProcess
from tests.web.browser import Chromium, Page
from tests.web.test_wallboard import save_screenshot

SUPERVISOR = "desk-supervisor-token"
PASSWORD = "pw-alice"


def config() -> str:
    return f"""
name: desk-live
api:
  tokens:
    - {{name: sup, role: supervisor, sha256: {digest(SUPERVISOR)}}}
auth:
  people:
    - {{id: alice, password: "{hash_secret(PASSWORD)}"}}
queues:
  - name: support
    skills: {{support: 1}}
    wrap_up_seconds: 20
    dispositions: [resolved, escalated]
agents:
  - {{id: alice, name: Alice, skills: {{support: 5}}}}
  - {{id: bob, name: Bob, skills: {{support: 5}}}}
simulation:
  agents:
    people: [alice]
    login_at_start: true
  traffic:
    support:
      calls_per_hour: 1800  # a caller every 2 s on average: alice rings soon
      handle_time: {{distribution: fixed, mean: 600}}
"""


class Desk:
    """The daemon process and an API session as alice (her bearer token) or the supervisor."""

    def __init__(self, proc: DaemonProcess, session: aiohttp.ClientSession) -> None:
        self.proc = proc
        self.session = session
        self.token = ""

    async def api(
        self, method: str, path: str, body: Any = None, *, token: str | None = None
    ) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {token or self.token}"}
        async with self.session.request(
            method, self.proc.base + path, json=body, headers=headers
        ) as r:
            return r.status, await r.json()

    async def cdr(self, call_id: str, timeout: float = 10.0) -> dict[str, Any]:
        """The call's CDR, once the daemon has written it (it cannot tell us when)."""
        async with asyncio.timeout(timeout):
            while True:
                status, body = await self.api("GET", "/v1/cdr", token=SUPERVISOR)
                assert status == 200, body
                for r in _items(body):
                    if r.get("call_id", r.get("id")) == call_id:
                        return r
                await asyncio.sleep(0.05)  # a poll interval, not a timing assumption

    async def sign_in(self) -> None:
        async with self.session.post(
            self.proc.base + "/v1/session", json={"id": "alice", "password": PASSWORD}
        ) as r:
            assert r.status == 200, await r.text()
            self.token = (await r.json())["token"]


@pytest.fixture
async def desk(tmp_path: Path) -> AsyncIterator[Desk]:
    cfg = tmp_path / "center.yaml"
    cfg.write_text(config())
    proc = await DaemonProcess.astart(cfg, tmp_path / "daemon.log")
    try:
        # No cookie jar: the test's API calls carry alice's bearer token, never the page's cookie.
        async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as session:
            yield Desk(proc, session)
    finally:
        proc.kill()


def q(sel: str) -> str:
    return f"document.querySelector({json.dumps(sel)})"


async def click(page: Page, sel: str) -> None:
    """Click a real, visible, enabled button (as a keyboard or mouse user could)."""
    await page.wait_for(f"{q(sel)} && !{q(sel)}.disabled && {q(sel)}.offsetParent !== null")
    await page.evaluate(f"{q(sel)}.click()")


async def fill(page: Page, sel: str, value: str) -> None:
    await page.evaluate(f"{q(sel)}.value = {json.dumps(value)}")


async def sign_in_page(page: Page, password: str) -> None:
    await fill(page, "#sign-in-id", "alice")
    await fill(page, "#sign-in-password", password)
    await page.evaluate(f"{q('#sign-in-form')}.requestSubmit()")


async def state_is(page: Page, state: str, timeout: float = 10.0) -> None:
    await page.wait_for(f"{q('#state')}.dataset.state === {json.dumps(state)}", timeout=timeout)


async def test_alice_works_a_call_from_the_desktop(
    browser: Chromium, desk: Desk, tmp_path: Path
) -> None:
    await desk.sign_in()
    page = await browser.new_page(width=1280, height=900)
    try:
        await page.goto(desk.proc.base + "/agent")
        await page.wait_for("document.body.dataset.view === 'sign-in'")
        # Labelled inputs.
        assert await page.evaluate(
            "[...document.querySelectorAll('#sign-in-form input')]"
            ".every(i => document.querySelector(`label[for='${i.id}']`))"
        )
        await sign_in_page(page, PASSWORD)
        await page.wait_for("document.body.dataset.status === 'connected'")
        assert await page.evaluate("document.body.dataset.view") == "desk"
        # The simulation does not log a person in: alice does.
        await state_is(page, "logged_out")
        await click(page, "#btn-login")
        # Her queues, with who waits and the wait a caller joining now should expect.
        await page.wait_for(f"!!{q('#my-queues')}.querySelector('tr[data-queue=support]')")
        cells = await page.evaluate(
            f"[...{q('#my-queues')}.querySelector('tr[data-queue=support]').cells]"
            ".map(td => td.textContent)"
        )
        assert cells[0] == "support" and cells[1].isdigit() and cells[2].isdigit(), cells
        assert cells[3] == "\u2013" or re.search(r"\d", cells[3]), cells

        # The trunk rings alice (bob takes the first caller and keeps him for 10 minutes).
        await page.wait_for(f"{q('#call-card')}.dataset.offered === 'true'", timeout=25)
        call_id = await page.evaluate(f"{q('#call-card')}.dataset.callId")
        assert await page.evaluate(f"{q('#call-queue')}.textContent") == "support"
        # The caller's number, unmasked for the agent (the trunk's fictional 555-01xx).
        status, calls = await desk.api("GET", "/v1/calls", token=SUPERVISOR)
        caller = next(c for c in _items(calls) if c["id"] == call_id)["caller"]
        assert re.fullmatch(r"\+1\d{3}55501\d{2}", caller), caller
        assert await page.evaluate(f"{q('#call-caller')}.textContent") == caller
        await click(page, "#btn-answer")
        await state_is(page, "on_call")
        await page.wait_for(f"{q('#call-card')}.dataset.offered === 'false'")
        status, me = await desk.api("GET", "/v1/agents/alice")
        assert status == 200 and me["state"] == "on_call", me
        # The disposition form is there during the call.
        await page.wait_for(f"!{q('#dispo-card')}.hidden")

        await click(page, "#btn-hold")
        await page.wait_for(f"{q('#call-card')}.dataset.onHold === 'true'")
        status, calls = await desk.api("GET", "/v1/calls", token=SUPERVISOR)
        assert status == 200
        call = next(c for c in _items(calls) if c["id"] == call_id)
        assert call["on_hold"] is True, call

        await click(page, "#btn-resume")
        await page.wait_for(f"{q('#call-card')}.dataset.onHold === 'false'")
        status, calls = await desk.api("GET", "/v1/calls", token=SUPERVISOR)
        call = next(c for c in _items(calls) if c["id"] == call_id)
        assert call["on_hold"] is False, call

        await click(page, "#btn-hangup")
        await state_is(page, "wrap_up")
        await page.wait_for(f"!{q('#wrap-card')}.hidden && !{q('#dispo-card')}.hidden")
        await page.wait_for(f"/\\d\\d:\\d\\d/.test({q('#wrap-left')}.textContent)")
        await page.evaluate(
            f"{q('#dispo-code')}.value = 'resolved';"
            f"{q('#dispo-code')}.dispatchEvent(new Event('change'))"
        )
        assert await page.evaluate(f"{q('#dispo-callback-box')}.hidden") is True
        await click(page, "#btn-dispo")
        await page.wait_for(f"{q('#dispo-done')}.textContent === 'Saved: resolved'")
        await save_screenshot(page, tmp_path / "agent-desk-wrap-up.png")

        # Lunch: the page offers the daemon's pause reasons.
        await page.evaluate(f"{q('#pause-reason-select')}.value = 'lunch'")
        assert await page.evaluate(f"{q('#pause-reason-select')}.value") == "lunch"
        await click(page, "#btn-pause")
        await state_is(page, "paused", timeout=25)
        await page.wait_for(f"{q('#pause-reason')}.textContent === 'lunch'")
        status, me = await desk.api("GET", "/v1/agents/alice")
        assert me["state"] == "paused" and me["pause_reason"] == "lunch", me

        # The CDR has the code she picked.
        rec = await desk.cdr(call_id)
        assert rec["disposition"] == "resolved", rec
        assert page.errors == []

        # A reload keeps the session (the HttpOnly cookie).
        await page.goto(desk.proc.base + "/agent")
        await page.wait_for("document.body.dataset.status === 'connected'")
        assert await page.evaluate("document.body.dataset.view") == "desk"
        await state_is(page, "paused")
        assert await page.evaluate("document.cookie") == ""  # HttpOnly: the page cannot read it

        # Sign out, then five wrong passwords lock the id.
        await click(page, "#btn-sign-out")
        await page.wait_for("document.body.dataset.view === 'sign-in'")
        for _ in range(5):
            await sign_in_page(page, "wrong")
            await page.wait_for(f"{q('#sign-in-error')}.dataset.code")
            await page.wait_for(f"!{q('#btn-sign-in')}.disabled")
        await sign_in_page(page, "wrong")
        await page.wait_for(f"{q('#sign-in-error')}.dataset.code === 'locked'")
        assert "Locked" in await page.evaluate(f"{q('#sign-in-error')}.textContent")
        assert page.errors == []
    finally:
        await page.close()


def _items(body: Any) -> list[dict[str, Any]]:
    if isinstance(body, list):
        return body
    for key in ("calls", "records", "cdr", "items"):
        if isinstance(body.get(key), list):
            return body[key]
    raise AssertionError(f"no list in {body!r}")
