"""``acd-dialer report`` and ``simulate --interval`` as a user runs them: real processes."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from tests.test_cli import run

SCENARIO = """
name: small
reporting: {interval_minutes: 30}
queues:
  - name: q
    skills: {s: 1}
    service_level: {threshold_seconds: 20, target: 0.8}
agents:
  - {id: a1, skills: {s: 1}}
  - {id: a2, skills: {s: 1}}
simulation:
  hours: 2
  start: "09:00"
  traffic:
    q:
      calls_per_hour: 60
      handle_time: {distribution: exponential, mean: 100}
      patience: {distribution: exponential, mean: 60}
"""


def last_json(text: str) -> Any:
    return json.loads(text.strip().splitlines()[-1])


def test_simulate_json_intervals_add_up_to_the_totals() -> None:
    p = run("simulate", "examples/demo.yaml", "--json", "--hours", "2", "--interval", "30")
    assert p.returncode == 0, p.stderr
    r = last_json(p.stdout)
    rows = r["intervals"]
    assert {x["minutes"] for x in rows} == {30}
    assert {x["name"] for x in rows if x["group"] == "queue"} == set(r["queues"])
    for name, k in r["queues"].items():
        mine = [x for x in rows if x["group"] == "queue" and x["name"] == name]
        for key in ("offered", "answered", "abandoned", "timed_out", "overflowed", "handled"):
            assert sum(x["counts"][key] for x in mine) == k[key], (name, key)
    for agent, k in r["agents"].items():
        mine = [x for x in rows if x["group"] == "agent" and x["name"] == agent]
        assert sum(x["kpis"]["answered"] for x in mine) == k["answered"], agent
    p = run("simulate", "examples/demo.yaml", "--json", "--hours", "1")
    assert "intervals" not in last_json(p.stdout)  # only when asked


def test_report_of_a_scenario_simulates_it_and_sums_to_its_day(tmp_path: Path) -> None:
    path = tmp_path / "small.yaml"
    path.write_text(SCENARIO)
    p = run("report", "intervals", "--config", str(path), "--format", "json", "--interval", "60")
    assert p.returncode == 0, p.stderr
    hours = json.loads(p.stdout)["rows"]
    assert [x["local"][11:16] for x in hours] == ["09:00", "10:00", "11:00"][: len(hours)]
    day = run("report", "day", "--config", str(path), "--format", "json")
    assert day.returncode == 0, day.stderr
    (q,) = [x for x in json.loads(day.stdout)["rows"] if x["group"] == "queue"]
    sim = last_json(run("simulate", str(path), "--json").stdout)["queues"]["q"]
    assert q["kpis"]["offered"] == sim["offered"] == sum(x["kpis"]["offered"] for x in hours)
    assert q["kpis"]["answered"] == sim["answered"]
    p = run("report", "agents", "--config", str(path), "--format", "csv", "--name", "a1")
    assert p.returncode == 0, p.stderr
    lines = list(csv.DictReader(io.StringIO(p.stdout)))
    assert lines and {x["name"] for x in lines} == {"a1"} and lines[0]["minutes"] == "30"


def test_report_png_draws_the_queues(tmp_path: Path) -> None:
    path = tmp_path / "small.yaml"
    path.write_text(SCENARIO)
    out = tmp_path / "chart.png"
    p = run("report", "intervals", "--config", str(path), "--format", "png", "--output", str(out))
    assert p.returncode == 0, p.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 10_000
    assert "1 queue(s)" in p.stderr


def test_report_refusals_name_what_is_wrong(tmp_path: Path) -> None:
    path = tmp_path / "small.yaml"
    path.write_text(SCENARIO)
    p = run("report", "intervals", "--config", str(path), "--interval", "15")
    assert p.returncode == 2 and "30-minute" in p.stderr and "--interval" in p.stderr, p.stderr
    p = run("simulate", str(path), "--json", "--interval", "15")
    assert p.returncode == 2 and "--interval" in p.stderr, p.stderr
    p = run("report", "day", "--config", str(path), "--format", "png")
    assert p.returncode == 2 and "--format" in p.stderr
    p = run("report", "day", "--config", str(path), "--from", "03/02/2026")
    assert p.returncode == 2 and "--from" in p.stderr
    plain = tmp_path / "plain.yaml"
    plain.write_text("queues: [{name: q, skills: {s: 1}}]\nagents: []\n")
    p = run("report", "day", "--config", str(plain))
    assert p.returncode == 2 and "store.url" in p.stderr, p.stderr
