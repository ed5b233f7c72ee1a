"""``acd-dialer audit export`` against a running daemon: CSV (formula-safe cells) and JSON."""

from __future__ import annotations

import asyncio
import csv
import json
from pathlib import Path

import pytest

from acd.cli import main
from tests.daemon.conftest import TOKENS, Api


async def export(api: Api, tmp_path: Path, fmt: str, token: str = TOKENS["supervisor"]) -> str:
    out = tmp_path / f"audit.{fmt}"
    argv = ["audit", "export", "--from", "2000-01-01", "--to", "9998-12-31", "--format", fmt]
    argv += ["--url", api.url("/"), "--token", token, "--output", str(out)]
    # The command blocks on HTTP: run it off the loop that serves the daemon.
    assert await asyncio.to_thread(main, argv) == 0
    return out.read_text()


async def test_export_as_csv_and_json(api: Api, tmp_path: Path) -> None:
    api.daemon.tokens.add("tok-evil", "=HYPERLINK(1)", "supervisor")
    headers = {"Authorization": "Bearer tok-evil"}
    async with api.session.post(
        api.url("/v1/agents/alice/state"), json={"state": "paused"}, headers=headers
    ) as r:
        assert r.status == 200
    await api.call("PUT", "/v1/agents/bob/skills", role="supervisor", json={"skills": {"x": 2}})
    rows = list(csv.reader((await export(api, tmp_path, "csv")).splitlines()))
    assert rows[0] == ["at", "who", "role", "action", "target", "details"]
    assert [r[1:5] for r in rows[1:]] == [
        ["'=HYPERLINK(1)", "supervisor", "agent.force_state", "alice"],
        ["sup", "supervisor", "agent.skills", "bob"],
    ]
    assert json.loads(rows[2][5]) == {"skills": {"x": 2}}
    entries = json.loads(await export(api, tmp_path, "json"))
    assert [e["who"] for e in entries] == ["=HYPERLINK(1)", "sup"]  # JSON keeps it as it is
    assert entries[0]["details"] == {"state": "paused"}


async def test_an_agent_token_is_refused(api: Api, tmp_path: Path) -> None:
    argv = ["audit", "export", "--from", "2000-01-01", "--to", "2000-01-02"]
    argv += ["--url", api.url("/"), "--token", TOKENS["agent"]]
    assert await asyncio.to_thread(main, argv) != 0


def test_without_a_source_it_says_what_to_give(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "export", "--from", "2026-01-01", "--to", "2026-01-02"]) != 0
    assert "--url" in capsys.readouterr().err
