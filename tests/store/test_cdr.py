"""Call records out of the store: CSV and JSON Lines writers, the cdr commands, the config."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from acd.cli import main
from acd.config import config_from_text
from acd.errors import ConfigError
from acd.store import MemoryStore, node_name, open_store, spool_path
from acd.store.batch import Batch
from acd.store.cdr import FIELDS, parse_bound, write_csv, write_jsonl
from acd.store.redis import RedisStore
from tests.redis_server import RedisServer

NOV1 = 1_793_491_200.0  # 2026-11-01T00:00:00Z


async def aiter_of(records: list[dict[str, Any]]) -> AsyncIterator[dict[str, Any]]:
    for r in records:
        yield r


async def test_csv_has_the_fixed_columns_iso_times_and_empty_cells_for_missing_keys() -> None:
    out = io.StringIO()
    recs = [
        {"call_id": "c1", "ended": NOV1 + 61.5, "talk_seconds": 42.25, "abandoned_2s": False},
        {"call_id": "c2", "arrived": NOV1, "transfers": 2, "extra": "ignored"},
    ]
    assert await write_csv(aiter_of(recs), out) == 2
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[0] == list(FIELDS)
    row1 = dict(zip(FIELDS, rows[1], strict=True))
    assert row1["ended"] == "2026-11-01T00:01:01.500Z"
    assert (row1["talk_seconds"], row1["abandoned_2s"], row1["queue"]) == ("42.25", "false", "")
    row2 = dict(zip(FIELDS, rows[2], strict=True))
    assert (row2["arrived"], row2["ended"], row2["transfers"]) == (
        "2026-11-01T00:00:00.000Z",
        "",
        "2",
    )


async def test_csv_cells_a_spreadsheet_would_run_stay_text_and_durations_are_milliseconds() -> None:
    out = io.StringIO()
    rec = {
        "call_id": "c1",
        "lead_id": '=HYPERLINK("http://x","y")',
        "caller": "-2+3",
        "disposition": "@SUM(A1)",
        "queue": "+q",
        "agent_id": "\tx",
        "wait_seconds": 0.1 + 0.2,
        "talk_seconds": 90.0,
        "transfers": 1,
    }
    await write_csv(aiter_of([rec]), out)
    row = dict(zip(FIELDS, list(csv.reader(io.StringIO(out.getvalue())))[1], strict=True))
    for key in ("lead_id", "caller", "disposition", "queue", "agent_id"):
        assert row[key] == "'" + rec[key], key
    assert (row["wait_seconds"], row["talk_seconds"], row["transfers"]) == ("0.3", "90", "1")


async def test_jsonl_gives_times_as_the_csv_does_and_the_rest_as_stored() -> None:
    out = io.StringIO()
    legs = [{"queue": "q", "outcome": "answered", "entered": NOV1, "left": NOV1 + 5.25}]
    recs = [{"call_id": "c1", "ended": NOV1 + 0.123456, "answered": None, "x": [1], "legs": legs}]
    assert await write_jsonl(aiter_of(recs), out) == 1
    [got] = [json.loads(line) for line in out.getvalue().splitlines()]
    assert got == {
        "call_id": "c1",
        "ended": "2026-11-01T00:00:00.123Z",
        "answered": None,
        "x": [1],
        "legs": [
            {
                "queue": "q",
                "outcome": "answered",
                "entered": "2026-11-01T00:00:00.000Z",
                "left": "2026-11-01T00:00:05.250Z",
            }
        ],
    }
    csv_out = io.StringIO()
    await write_csv(aiter_of(recs), csv_out)
    row = next(csv.DictReader(io.StringIO(csv_out.getvalue())))
    assert row["ended"] == got["ended"]  # one format for times in every export


def test_date_bounds_are_utc_days_and_to_includes_its_day() -> None:
    assert parse_bound("2026-11-01") == NOV1
    assert parse_bound("2026-11-01", end=True) == NOV1 + 86400
    assert parse_bound("2026-11-01T06:00:00+01:00") == NOV1 + 5 * 3600
    with pytest.raises(ValueError, match="not a date"):
        parse_bound("yesterday")


def write_config(tmp_path: Path, url: str, prefix: str, retention: int = 1827) -> Path:
    path = tmp_path / "center.yaml"
    path.write_text(
        f"queues:\n  - name: q\nstore:\n  url: {url}\n  prefix: '{prefix}'\n"
        f"  retention_days: {retention}\n"
    )
    return path


def test_cdr_export_and_trim_commands(
    redis_server: RedisServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    now = time.time()
    nov1 = 1_604_188_800.0  # 2020-11-01T00:00:00Z: older than the 30-day retention below
    recs = [
        {"call_id": "oct31", "ended": nov1 - 0.001},
        {"call_id": "nov1", "ended": nov1, "queue": "sales"},
        {"call_id": "nov23", "ended": nov1 + 22 * 86400 + 86399.9},
        {"call_id": "nov24", "ended": nov1 + 23 * 86400},
        {"call_id": "recent", "ended": now - 86400},
    ]

    async def fill() -> None:
        store = RedisStore(redis_server.url, "cli:")
        await store.apply(Batch(seq=1, records=recs))
        await store.close()

    asyncio.run(fill())
    cfg = write_config(tmp_path, redis_server.url, "cli:", retention=30)
    base = ["cdr", "export", "--config", str(cfg), "--from", "2020-11-01", "--to", "2020-11-23"]
    assert main(base) == 0
    out, err = capsys.readouterr()
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["call_id"] for r in rows] == ["nov1", "nov23"]
    assert rows[0]["queue"] == "sales" and "2 records" in err
    target = tmp_path / "out.jsonl"
    assert main([*base, "--output", str(target)]) == 0
    got = [json.loads(line) for line in target.read_text().splitlines()]
    assert [g["call_id"] for g in got] == ["nov1", "nov23"]
    assert [g["ended"] for g in got] == ["2020-11-01T00:00:00.000Z", "2020-11-23T23:59:59.900Z"]

    assert main(["cdr", "trim", "--config", str(cfg)]) == 0
    assert "4 records" in capsys.readouterr().out
    assert main([*base[:4], "--from", "2000-01-01", "--to", "2100-01-01", "--format", "jsonl"]) == 0
    assert [json.loads(x)["call_id"] for x in capsys.readouterr().out.splitlines()] == ["recent"]


def test_cdr_export_without_a_store_url_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("queues:\n  - name: q\n")
    assert main(["cdr", "export", "--config", str(cfg), "--from", "2026-11-01", "--to", "x"]) == 2
    assert main(["cdr", "trim", "--config", str(cfg)]) == 2
    assert "store.url" in capsys.readouterr().err


def test_store_and_ha_sections_have_sane_defaults(tmp_path: Path) -> None:
    cfg = config_from_text("queues:\n  - name: q\n")
    assert cfg.store.url is None and cfg.store.prefix == "acd:"
    assert cfg.store.retention_days == 1827 and not cfg.ha.enabled
    assert isinstance(open_store(cfg), MemoryStore)
    assert spool_path(cfg, tmp_path / "center.yaml") == tmp_path.resolve() / "acd-spool.jsonl"
    assert node_name(cfg)
    full = config_from_text(
        "queues:\n  - name: q\nstore:\n  url: rediss://h:6380/1\n  spool: /var/lib/acd/s.jsonl\n"
        "ha:\n  enabled: true\n  lease_seconds: 2\n  node: east-1\n"
    )
    assert isinstance(open_store(full), RedisStore)
    assert spool_path(full, tmp_path / "c.yaml") == Path("/var/lib/acd/s.jsonl")
    assert node_name(full) == "east-1"


BAD = [
    ("store:\n  url: http://h:6379\n", 5, "store.url", "redis://"),
    ("store:\n  retention_days: 0\n", 5, "store.retention_days", "greater than"),
    ("store:\n  prefix: 'a b'\n", 5, "store.prefix", "pattern"),
    ("store:\n  colour: red\n", 5, "store.colour", "unknown key 'colour'"),
    ("ha:\n  lease_seconds: 0.1\n", 5, "ha.lease_seconds", "greater than"),
    ("ha:\n  node: 'bad node'\n", 5, "ha.node", "pattern"),
    ("ha:\n  enabled: true\n", 1, "", "store.url"),
]


@pytest.mark.parametrize(("tail", "line", "field", "words"), BAD)
def test_bad_store_config_names_file_line_and_field(
    tail: str, line: int, field: str, words: str
) -> None:
    text = "name: x\nqueues:\n  - name: q\n" + tail
    with pytest.raises(ConfigError) as exc:
        config_from_text(text, "center.yaml")
    err = exc.value
    assert (err.file, err.line, err.field) == ("center.yaml", line, field), err.message
    assert words in err.message
