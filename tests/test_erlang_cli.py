"""``acd-dialer erlang`` and ``erlang plan``: output formats and one-line errors (exit 2)."""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
from pathlib import Path

import pytest

from acd.erlang.cli import main, register
from tests import erlang_ref as ref

ROOT = Path(__file__).resolve().parent.parent
BASE = ["erlang", "--calls", "100", "--interval", "1800", "--aht", "180", "--answer-within", "20"]


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def run_json(argv: list[str], capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    code, out, err = run([*argv, "--json"], capsys)
    assert code == 0 and err == ""
    lines = out.strip().splitlines()
    assert len(lines) == 1
    doc: dict[str, object] = json.loads(lines[0])
    return doc


def test_solve_the_worked_example(capsys: pytest.CaptureFixture[str]) -> None:
    doc = run_json([*BASE, "--target-sl", "0.8"], capsys)
    assert doc["model"] == "erlang_c" and doc["mode"] == "solve"
    assert doc["offered_load_erlangs"] == 10.0 and doc["agents"] == 14
    assert doc["service_level"] == pytest.approx(0.8883500192, rel=1e-9)
    assert doc["p_wait"] == pytest.approx(0.1741319336, rel=1e-9)
    assert doc["asa_seconds"] == pytest.approx(7.835937012, rel=1e-9)
    assert doc["occupancy"] == pytest.approx(10 / 14)
    assert "p_abandon" not in doc and "agents_scheduled" not in doc


def test_percent_targets_and_shrinkage(capsys: pytest.CaptureFixture[str]) -> None:
    doc = run_json([*BASE, "--target-sl", "80%", "--shrinkage", "0.3"], capsys)
    assert doc["agents"] == 14 and doc["agents_scheduled"] == 20 and doc["shrinkage"] == 0.3


def test_patience_switches_to_erlang_a(capsys: pytest.CaptureFixture[str]) -> None:
    doc = run_json([*BASE, "--target-sl", "0.8", "--patience", "120"], capsys)
    assert doc["model"] == "erlang_a" and doc["agents"] == 12
    assert 0 < doc["p_abandon"] < 0.1  # type: ignore[operator]
    with_abandon = run_json(
        [*BASE, "--target-sl", "0.8", "--patience", "120", "--target-abandon", "0.02"], capsys
    )
    assert with_abandon["agents"] > 12  # type: ignore[operator]
    assert with_abandon["p_abandon"] <= 0.02  # type: ignore[operator]


def test_evaluate_agents(capsys: pytest.CaptureFixture[str]) -> None:
    doc = run_json([*BASE, "--agents", "14"], capsys)
    assert doc["mode"] == "evaluate" and doc["agents"] == 14
    assert doc["service_level"] == pytest.approx(0.8883500192, rel=1e-9)
    unstable = run_json([*BASE, "--agents", "9"], capsys)
    assert unstable["asa_seconds"] is None and unstable["service_level"] == 0.0


def test_evaluate_against_targets(capsys: pytest.CaptureFixture[str]) -> None:
    ok = run_json([*BASE, "--agents", "14", "--target-asa", "8"], capsys)
    assert ok["meets_targets"] is True and ok["targets"] == {"asa_seconds": 8.0}
    short = run_json([*BASE, "--agents", "13", "--target-asa", "8"], capsys)
    assert short["meets_targets"] is False
    code, out, _ = run([*BASE, "--agents", "13", "--max-occupancy", "0.9"], capsys)
    assert code == 0 and re.search(r"meets targets +yes", out)


def table_figures(out: str) -> dict[str, str]:
    """Each ``  name   value  note`` line of the table: name -> value."""
    rows = re.findall(r"^  (\S.*?\S) {2,}(\S+(?: s)?)(?:   .*)?$", out, re.M)
    return dict(rows)


def test_table_output(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run([*BASE, "--target-sl", "0.8", "--shrinkage", "0.3"], capsys)
    assert code == 0
    a, aht, t = 100 / 1800 * 180, 180.0, 20.0  # the worked example: 10 Erlangs
    n = ref.agents_for(a, aht, t, 0.8)
    assert f"{a:.2f} Erlangs" in out
    assert table_figures(out) == {
        "agents needed": str(n),
        "service level": f"{100 * ref.service_level(n, a, aht, t):.1f}%",
        "P(wait)": f"{100 * ref.p_wait(n, a):.1f}%",
        "ASA": f"{ref.asa(n, a, aht):.1f} s",
        "occupancy": f"{100 * a / n:.1f}%",
        "mean queue length": f"{ref.queue_length(n, a):.2f}",
        "agents scheduled": str(ref.scheduled(n, "0.3")),
    }
    code, out, _ = run([*BASE, "--agents", "10"], capsys)
    assert code == 0 and "inf" in out and "unstable" in out


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        (["--calls", "-5", "--target-sl", "0.8"], "--calls"),
        (["--calls", "lots", "--target-sl", "0.8"], "--calls"),
        (["--target-sl", "1.5"], "--target-sl"),
        (["--target-sl", "0.8", "--shrinkage", "1"], "--shrinkage"),
        (["--target-sl", "0.8", "--aht", "0"], "--aht"),
        (["--target-sl", "0.8", "--interval", "-1800"], "--interval"),
        (["--target-sl", "0.8", "--target-abandon", "0.05"], "--target-abandon"),
        (["--target-sl", "0.8", "--patience", "-1"], "--patience"),
        (["--target-sl", "0.8", "--agents", "12"], "--agents"),
        (["--agents", "2.5"], "--agents"),
        (["--agents", "0"], "--agents"),
        ([], "--target-sl"),
    ],
)
def test_bad_input_is_one_line_naming_the_option(
    extra: list[str], field: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run([*BASE, *extra], capsys)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1
    assert err.startswith(f"error: {field}")


def test_missing_required_options(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["erlang", "--aht", "180", "--answer-within", "20", "--agents", "3"], capsys)
    assert code == 2 and err.startswith("error: --calls")
    argv = ["erlang", "--calls", "5", "--interval", "1800", "--aht", "180", "--agents", "3"]
    code, _, err = run(argv, capsys)
    assert code == 2 and err.startswith("error: --answer-within")


def test_calls_need_an_interval(capsys: pytest.CaptureFixture[str]) -> None:
    """ "600 calls" is read per hour as often as per half hour: --calls alone is refused."""
    argv = ["erlang", "--calls", "600", "--aht", "180", "--answer-within", "20"]
    code, out, err = run([*argv, "--target-sl", "0.8"], capsys)
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert err.startswith("error: --calls: needs --interval") and "--calls-per-hour" in err


def test_calls_per_hour_sets_an_hour(capsys: pytest.CaptureFixture[str]) -> None:
    rest = ["--aht", "180", "--answer-within", "20", "--target-sl", "0.8"]
    hourly = run_json(["erlang", "--calls-per-hour", "200", *rest], capsys)
    assert hourly["interval_seconds"] == 3600 and hourly["calls"] == 200
    assert hourly["offered_load_erlangs"] == 10.0 and hourly["agents"] == 14
    same = run_json(["erlang", "--calls", "200", "--interval", "3600", *rest], capsys)
    assert same == hourly
    code, _, err = run(["erlang", "--calls-per-hour", "200", "--calls", "100", *rest], capsys)
    assert code == 2 and err.startswith("error: --calls-per-hour: give either")
    code, _, err = run(["erlang", "--calls-per-hour", "200", "--interval", "1800", *rest], capsys)
    assert code == 2 and err.startswith("error: --interval: not used with calls_per_hour")
    code, _, err = run(["erlang", "--calls-per-hour", "-1", *rest], capsys)
    assert code == 2 and err.startswith("error: --calls-per-hour: must be >= 0")


def test_register_into_another_parser(capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser(prog="acd-dialer")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("simulate")
    register(sub)
    args = parser.parse_args([*BASE, "--target-sl", "0.8", "--json"])
    assert args.func(args) == 0
    assert json.loads(capsys.readouterr().out)["agents"] == 14
    args = parser.parse_args(["erlang", "plan", str(ROOT / "examples" / "forecast.csv"), "--csv"])
    assert args.func(args) == 0


# ------------------------------------------------------------------------------ plan

FORECAST = """interval_start,queue,calls,aht_seconds
08:00,sales,100,180
08:30,sales,200,180
08:00,support,0,300
08:30,support,60,300
"""


def forecast(tmp_path: Path, text: str = FORECAST) -> str:
    path = tmp_path / "forecast.csv"
    path.write_text(text)
    return str(path)


def test_plan_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = run_json(["erlang", "plan", forecast(tmp_path), "--target-sl", "0.8",
                    "--answer-within", "20"], capsys)  # fmt: skip
    rows = doc["intervals"]
    assert isinstance(rows, list) and len(rows) == 4
    assert rows[0]["queue"] == "sales" and rows[0]["start"] == "08:00"
    assert rows[0]["agents"] == 14 and rows[0]["offered_load_erlangs"] == 10.0
    assert rows[2]["agents"] == 0 and rows[2]["calls"] == 0  # no calls, no agents
    assert doc["peak_agents"] == {"sales": rows[1]["agents"], "support": rows[3]["agents"]}
    assert doc["model"] == "erlang_c"


def test_plan_defaults_to_80_20_and_prints_a_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(["erlang", "plan", forecast(tmp_path)], capsys)
    assert code == 0 and err == ""
    assert "80.0% answered within 20 s" in out
    assert "sales" in out and "support" in out and "peak:" in out


def test_plan_csv_with_patience_and_shrinkage(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(["erlang", "plan", forecast(tmp_path), "--patience", "120",
                        "--shrinkage", "0.25", "--csv"], capsys)  # fmt: skip
    assert code == 0
    table = list(csv.DictReader(io.StringIO(out)))
    assert len(table) == 4
    assert {"interval_start", "queue", "agents", "agents_scheduled", "p_abandon"} <= set(table[0])
    first = table[0]
    assert int(first["agents_scheduled"]) == -(-int(first["agents"]) * 4 // 3)


def test_plan_interval_column_and_option(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = "start,calls,aht_seconds,interval_seconds\n2026-03-02T08:00,50,180,900\n"
    doc = run_json(["erlang", "plan", forecast(tmp_path, text)], capsys)
    assert doc["intervals"][0]["offered_load_erlangs"] == 10.0  # type: ignore[index]
    text = "start,calls,aht_seconds\n08:00,50,180\n"
    doc = run_json(["erlang", "plan", forecast(tmp_path, text), "--interval", "900"], capsys)
    assert doc["intervals"][0]["agents"] == 14  # type: ignore[index]


def test_plan_plot(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    png = tmp_path / "plan.png"
    code, _, _ = run(["erlang", "plan", str(ROOT / "examples" / "forecast.csv"), "--plot",
                      str(png)], capsys)  # fmt: skip
    assert code == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000


H = "interval_start,calls,aht_seconds\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (H + "08:00,10,180\n08:30,ten,180\n", "forecast.csv:3: calls: not a number: 'ten'"),
        (H + "08:00,10,180\n08:30,-4,180\n", "forecast.csv:3: calls: must be >= 0"),
        (H + "08:00,10,0\n", "forecast.csv:2: aht_seconds: must be > 0"),
        (H + "08:00,10\n", "forecast.csv:2: expected 3 fields, got 2"),
        (H + "25:00,10,180\n", "forecast.csv:2: interval_start: not a time"),
        (
            H + "08:00,10,180\n08:00,12,180\n",
            "forecast.csv:3: interval_start: 08:00 repeats line 2",
        ),
        ("q,interval_start,calls,aht_seconds,queue\nx,08:00,1,180,\n", "forecast.csv:2: queue:"),
        ("start,calls\n08:00,10\n", "forecast.csv:1: header lacks aht_seconds"),
        ("08:00,10,180\n", "header lacks interval_start, calls, aht_seconds"),
        (H, "forecast.csv: no intervals"),
        ("", "forecast.csv: empty file"),
    ],
)
def test_plan_bad_csv_names_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, expected: str
) -> None:
    code, out, err = run(["erlang", "plan", forecast(tmp_path, text)], capsys)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1
    assert expected in err


def test_plan_bad_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["erlang", "plan", forecast(tmp_path), "--target-sl", "2"], capsys)
    assert code == 2 and err.startswith("error: --target-sl")
    code, _, err = run(["erlang", "plan", str(tmp_path / "missing.csv")], capsys)
    assert code == 2 and "missing.csv" in err and len(err.strip().splitlines()) == 1


def test_example_forecast_plans(capsys: pytest.CaptureFixture[str]) -> None:
    doc = run_json(["erlang", "plan", str(ROOT / "examples" / "forecast.csv")], capsys)
    rows = doc["intervals"]
    assert isinstance(rows, list) and len(rows) == 48
    assert all(r["service_level"] >= 0.8 for r in rows)
