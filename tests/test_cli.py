"""The command line as a user runs it: real processes, real exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "acd.cli", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )


def test_simulate_embedded_demo_prints_a_kpi_table() -> None:
    p = run("simulate")
    assert p.returncode == 0, p.stderr
    for word in ("billing", "tech", "general", "TOTAL", "ASA", "occupancy"):
        assert word in p.stdout


def test_simulate_json_has_the_documented_keys() -> None:
    p = run("simulate", "examples/demo.yaml", "--json", "--seed", "3", "--hours", "2")
    assert p.returncode == 0, p.stderr
    r = json.loads(p.stdout.strip().splitlines()[-1])
    for q in r["queues"].values():
        for k in (
            "offered",
            "answered",
            "abandoned",
            "service_level",
            "asa_seconds",
            "aht_seconds",
            "p_wait",
            "max_wait_seconds",
        ):
            assert k in q
    for a in r["agents"].values():
        for k in ("answered", "talk_seconds", "occupancy"):
            assert k in a
    assert r["totals"]["offered"] == sum(q["offered"] for q in r["queues"].values())
    for k in ("simulated_seconds", "wall_seconds", "events"):
        assert r["sim"][k] > 0
    assert r["sim"]["seed"] == 3 and r["sim"]["hours"] == 2


def test_same_seed_same_result_bit_for_bit() -> None:
    # Two simulated hours, the campaign dialing from 09:00 (its pacing is the dearest part).
    a = json.loads(run("simulate", "--json", "--seed", "9", "--hours", "2").stdout)
    b = json.loads(run("simulate", "--json", "--seed", "9", "--hours", "2").stdout)
    c = json.loads(run("simulate", "--json", "--seed", "10", "--hours", "2").stdout)
    for r in (a, b, c):
        del r["sim"]["wall_seconds"], r["sim"]["speedup"]
    assert a == b
    assert a != c


def test_check_config_ok_and_bad_file_exit_2(tmp_path: Path) -> None:
    p = run("check-config", "examples/demo.yaml")
    assert p.returncode == 0 and "OK" in p.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text("queues:\n  - name: q\n    wrap_up_seconds: lots\n")
    p = run("check-config", str(bad))
    assert p.returncode == 2
    assert f"{bad}:3: queues[0].wrap_up_seconds:" in p.stderr
    assert "Traceback" not in p.stderr


def test_simulate_refuses_a_config_without_simulation(tmp_path: Path) -> None:
    f = tmp_path / "c.yaml"
    f.write_text("queues:\n  - name: q\n")
    p = run("simulate", str(f))
    assert p.returncode == 2 and "simulation" in p.stderr
