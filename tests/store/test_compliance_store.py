"""``report compliance`` from a real Redis store: the hand-worked records of
tests/test_compliance_report.py written as a daemon writes them (call records and the campaign's
interval rows), read back by the command, and the same figures come out."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from acd.cli import main
from acd.store.batch import Batch
from acd.store.redis import RedisStore
from tests.redis_server import RedisServer
from tests.test_compliance_report import RECORDS

CONFIG = """name: audit
center: {time_zone: America/New_York}
store: {url: URL, prefix: "PREFIX"}
queues: [{name: q}]
agents: [{id: a}]
campaigns:
  - name: c
    mode: progressive
    calling_window: {start: "08:00", end: "21:00"}
"""


def test_the_stored_report_has_the_hand_worked_figures(
    tmp_path: Path, redis_server: RedisServer, prefix: str, capsys: pytest.CaptureFixture[str]
) -> None:
    row = {
        "group": "campaign",
        "name": "c",
        "date": "2026-03-31",
        "start": 0.0,
        "local": "2026-03-31T09:00:00-04:00",
        "minutes": 15,
        "counts": {"dnc_blocked": 2},
    }

    async def write() -> None:
        store = RedisStore(redis_server.url, prefix)
        await store.connect()
        try:
            await store.apply(Batch(seq=1, records=RECORDS, intervals=[row]))
        finally:
            await store.close()

    asyncio.run(write())
    cfg = tmp_path / "c.yaml"
    cfg.write_text(CONFIG.replace("URL", redis_server.url).replace("PREFIX", prefix))
    args = ["report", "compliance", "--config", str(cfg), "--campaign", "c"]
    assert main([*args, "--from", "2026-03-30", "--to", "2026-03-31", "--format", "json"]) == 0
    r = json.loads(capsys.readouterr().out)
    d1, d2 = r["days"]
    assert (d1["live_answers"], d1["abandoned"], d1["live_answers_30d"], d1["abandoned_30d"]) == (
        4,
        2,
        9,
        3,
    )
    assert (d2["live_answers_30d"], d2["dnc_blocked"], d1["safe_harbor_played"]) == (11, 2, 1)
    # The PBX's confirmation survives the store: d and j are listed without one.
    assert [a["call_id"] for a in r["abandoned_without_message"]] == ["d", "j"]
    assert {o["call_id"]: o["zones"] for o in r["outside_hours"]} == {
        "f": "America/New_York",
        "g": "America/Los_Angeles",
    }
    assert [s["call_id"] for s in r["short_rings"]] == ["e"]
