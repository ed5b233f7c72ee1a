"""``acd-dialer report compliance``: the figures worked out by hand from a few records (days, the
rolling 30-day window, outside hours with the zone, safe harbor, ring time, dead air), CSV cells
that stay text in a spreadsheet, and a simulated scenario checked against its own input files."""

from __future__ import annotations

import csv
import io
import json
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers
import pytest

from acd.cli import main
from acd.compliance_cli import render
from dialer.compliance import compliance_report
from dialer.hours import CallingWindow, zones_for

ROOT = Path(__file__).resolve().parents[1]
NY = ZoneInfo("America/New_York")
WINDOW = CallingWindow("08:00", "21:00")


def ny(day: str, hhmm: str) -> float:
    h, m = map(int, hhmm.split(":"))
    d = datetime.fromisoformat(day)
    return datetime(d.year, d.month, d.day, h, m, tzinfo=NY).timestamp()


def day_of(t: float) -> str:
    return datetime.fromtimestamp(t, NY).date().isoformat()


def rec(call_id: str, dialed: float, **kw: Any) -> dict[str, Any]:
    """A campaign record: unanswered unless given a queue (a live answer)."""
    out = {
        "call_id": call_id,
        "campaign": "c",
        "caller": kw.pop("caller", "+12125550100"),  # New York
        "dialed": dialed,
        "arrived": kw.pop("arrived", dialed),
        "ended": kw.pop("ended", dialed + 30.0),
        "queue": None,
        "outcome": "no_answer",
        "abandoned_2s": False,
        "connected_to_agent_at": None,
    }
    out.update(kw)
    return out


def live(
    call_id: str,
    dialed: float,
    *,
    dead_air: float | None,
    dropped: str | None = None,
    played: bool = False,
) -> Any:
    """A live answer; ``played``: the PBX confirmed the safe-harbor message (a dropped one)."""
    answer = dialed + 10.0
    return rec(
        call_id,
        dialed,
        queue="campaign:c",
        arrived=answer,
        outcome=dropped or "answered",
        abandoned_2s=dropped is not None,
        connected_to_agent_at=None if dead_air is None else answer + dead_air,
        ended=answer + 60.0,
        safe_harbor_played_at=answer + 7.0 if played else None,
    )


RECORDS = [
    # 20 days before the report: in the 30-day window of both days, not a day of the report
    live("old1", ny("2026-03-10", "10:00"), dead_air=None, dropped="timed_out", played=True),
    *[live(f"old{i}", ny("2026-03-10", "11:00"), dead_air=0.5) for i in range(2, 6)],
    # 40 days before: outside every window
    live("ancient", ny("2026-02-18", "10:00"), dead_air=None, dropped="timed_out"),
    # day 1, 2026-03-30
    live("a", ny("2026-03-30", "09:00"), dead_air=0.4),
    live("b", ny("2026-03-30", "09:05"), dead_air=1.2),
    live("c", ny("2026-03-30", "09:10"), dead_air=None, dropped="timed_out", played=True),
    live("d", ny("2026-03-30", "09:15"), dead_air=None, dropped="abandoned"),  # hung up first
    rec("e", ny("2026-03-30", "09:20"), ended=ny("2026-03-30", "09:20") + 12.0),  # short ring
    rec("f", ny("2026-03-30", "21:30")),  # 21:30 in New York: outside
    rec("g", ny("2026-03-30", "10:30"), caller="+13105550100"),  # 07:30 in Los Angeles: outside
    rec("h", ny("2026-03-30", "12:00"), outcome="busy", ended=ny("2026-03-30", "12:00") + 3.0),
    rec("other", ny("2026-03-30", "12:00"), campaign="z"),  # another campaign
    # day 2, 2026-03-31
    live("i", ny("2026-03-31", "10:00"), dead_air=2.0),
    # dropped, and the PBX never confirmed the message (the person hung up during it)
    live("j", ny("2026-03-31", "11:00"), dead_air=None, dropped="timed_out"),
]


def report() -> dict[str, Any]:
    return compliance_report(
        RECORDS,
        campaign="c",
        first="2026-03-30",
        last="2026-03-31",
        day_of=day_of,
        window=WINDOW,
        zones_of=lambda r: zones_for(r["caller"]),
        dnc_by_day={"2026-03-31": 2},
    )


def test_days_and_the_rolling_window_by_hand() -> None:
    d1, d2 = report()["days"]
    assert (d1["date"], d1["dials"], d1["live_answers"], d1["abandoned"]) == ("2026-03-30", 8, 4, 2)
    assert d1["abandonment_rate"] == 2 / 4
    # 30 days ending 03-30 reach back to 03-01: the five of 03-10 (one dropped) and the day's 4.
    assert (d1["live_answers_30d"], d1["abandoned_30d"]) == (9, 3)
    assert d1["abandonment_rate_30d"] == 3 / 9
    assert (d2["live_answers"], d2["abandoned"], d2["abandonment_rate"]) == (2, 1, 0.5)
    assert (d2["live_answers_30d"], d2["abandoned_30d"]) == (11, 4)
    # Counted from the records the PBX confirmed: c (old1 is before the report); d hung up
    # before the message began and j during it: both listed for the auditor.
    assert (d1["safe_harbor_played"], d2["safe_harbor_played"]) == (1, 0)
    assert (d1["abandoned_without_message"], d2["abandoned_without_message"]) == (1, 1)
    r = report()
    missing = [(a["call_id"], a["outcome"]) for a in r["abandoned_without_message"]]
    assert missing == [("d", "abandoned"), ("j", "timed_out")]
    assert (r["totals"]["safe_harbor_played"], r["totals"]["abandoned_without_message"]) == (1, 2)
    assert (d1["dnc_blocked"], d2["dnc_blocked"]) == (0, 2)
    # unanswered: e (12 s), f and g (30 s); the busy h is not unanswered
    assert (d1["unanswered"], d1["ring_min_seconds"], d1["short_rings"]) == (3, 12.0, 1)
    assert d1["dead_air_avg_seconds"] == pytest.approx((0.4 + 1.2) / 2)
    assert (d1["dead_air_max_seconds"], d2["dead_air_avg_seconds"]) == (pytest.approx(1.2), 2.0)


def test_calls_outside_the_called_partys_hours_name_the_zone() -> None:
    r = report()
    got = {o["call_id"]: o["zones"] for o in r["outside_hours"]}
    assert got == {"f": "America/New_York", "g": "America/Los_Angeles"}
    assert r["totals"]["outside_hours"] == 2 and r["days"][0]["outside_hours"] == 2
    assert [s["call_id"] for s in r["short_rings"]] == ["e"]
    assert r["totals"]["worst_abandonment_rate_30d"] == 4 / 11  # 03-31: j joins the window


def test_csv_cells_stay_text_and_json_is_strict() -> None:
    r = report()
    r["outside_hours"][0]["call_id"] = "=HYPERLINK(1)"
    rows = list(csv.DictReader(io.StringIO(render("csv", r))))
    outside = [x for x in rows if x["record"] == "outside_hours"]
    assert {x["number"] for x in outside} == {"'+12125550100", "'+13105550100"}
    assert "'=HYPERLINK(1)" in {x["call_id"] for x in outside}
    day = next(x for x in rows if x["record"] == "day")
    assert (day["date"], day["live_answers"], day["abandonment_rate"]) == ("2026-03-30", "4", "0.5")
    assert json.loads(render("json", r))["totals"]["live_answers"] == 6
    assert "outside hours: =HYPERLINK(1)" in render("table", r)
    gaps = [(x["call_id"], x["outcome"]) for x in rows if x["record"] == "no_safe_harbor"]
    assert gaps == [("d", "abandoned"), ("j", "timed_out")]
    assert "abandoned, no safe-harbor message: j +12125550100" in render("table", r)


# --- a simulated scenario, against its own files -----------------------------------------------
def _e164(text: str) -> str | None:
    try:
        n = phonenumbers.parse(text, "US")
    except phonenumbers.NumberParseException:
        return None
    return phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.E164)


def test_a_scenario_with_a_dnc_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("leads.csv", "dnc.txt"):
        shutil.copy(ROOT / "examples" / name, tmp_path / name)
    text = (ROOT / "examples" / "outbound.yaml").read_text()
    text = text.replace(
        "    leads: leads.csv\n", "    leads: leads.csv\n    dnc_files: [dnc.txt]\n"
    )
    (tmp_path / "s.yaml").write_text(text)
    assert main(["report", "compliance", "--config", str(tmp_path / "s.yaml"),
                 "--campaign", "renewals", "--format", "json"]) == 0  # fmt: skip
    r = json.loads(capsys.readouterr().out)
    listed = {
        _e164(line.split("#")[0].strip())
        for line in (tmp_path / "dnc.txt").read_text().splitlines()
        if line.split("#")[0].strip()
    }
    with (tmp_path / "leads.csv").open() as f:
        on_list = [row["lead_id"] for row in csv.DictReader(f) if _e164(row["phone"]) in listed]
    assert on_list, "the example's leads include do-not-call numbers"
    assert r["totals"]["dnc_blocked"] == len(on_list)
    (day,) = r["days"]
    assert day["date"] == "2026-03-02" and r["totals"]["outside_hours"] == 0
    assert day["unanswered"] >= 1 and day["ring_min_seconds"] >= 15.0
    assert day["live_answers"] >= 1 and day["abandoned"] <= day["live_answers"]
    zones = r["totals"]["zones"]
    assert "America/New_York" in zones and "Europe/London" in zones


def test_bad_requests_are_clear_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = str(ROOT / "examples" / "outbound.yaml")
    assert main(["report", "compliance", "--config", cfg, "--campaign", "nope"]) != 0
    assert "no campaign 'nope'" in capsys.readouterr().err
    assert main(["report", "compliance", "--config", cfg]) != 0
    assert "needs --campaign" in capsys.readouterr().err
