"""Reports from interval rows: buckets of the asked length, counts summed (never rates), KPIs of
the sums, CSV that a spreadsheet cannot run."""

from __future__ import annotations

import csv
import io
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from acd.reporting.formats import table, write_csv
from acd.reporting.report import ReportError, day_report, fold, interval_report, select

NY = ZoneInfo("America/New_York")


def qrow(start: datetime, name: str = "sales", minutes: int = 15, **counts: Any) -> dict[str, Any]:
    base = {
        "offered": 0,
        "answered": 0,
        "abandoned": 0,
        "short_abandoned": 0,
        "answered_within": [0],
        "abandoned_within": [0],
        "thresholds": [20.0],
        "wait_answered_sum": 0.0,
        "max_wait": 0.0,
    }
    return {
        "group": "queue",
        "name": name,
        "date": start.date().isoformat(),
        "start": start.timestamp(),
        "local": start.isoformat(timespec="seconds"),
        "minutes": minutes,
        "counts": base | counts,
        "waiting": 0,
    }


def quarter(h: int, m: int, day: int = 2) -> datetime:
    return datetime(2026, 3, day, h, m, tzinfo=NY)


def test_quarter_hours_make_hours_by_summing_counts_not_averaging_rates() -> None:
    rows = [
        # A quiet quarter with a perfect service level, and a busy one with a poor one.
        qrow(quarter(9, 0), offered=2, answered=2, answered_within=[2], wait_answered_sum=4.0),
        qrow(quarter(9, 15), offered=18, answered=18, answered_within=[9], max_wait=70.0),
        qrow(quarter(9, 30), offered=0),
        qrow(quarter(9, 45), offered=0),
        qrow(quarter(10, 0), offered=5, abandoned=5, short_abandoned=5),
    ]
    hours = interval_report(rows, minutes=60, targets={"sales": 0.8})
    assert [(r["local"], r["minutes"]) for r in hours] == [
        ("2026-03-02T09:00:00-05:00", 60),
        ("2026-03-02T10:00:00-05:00", 60),
    ]
    nine = hours[0]
    assert nine["counts"]["offered"] == 20 and nine["counts"]["answered_within"] == [11]
    k = nine["kpis"]
    # 11 of 20 within 20 s (not the mean of 100% and 50%), the hour's longest wait, its ASA.
    assert k["service_level"] == 11 / 20 and k["max_wait_seconds"] == 70.0
    assert k["asa_seconds"] == 4.0 / 20 and k["service_level_target"] == 0.8
    assert hours[1]["kpis"]["service_level"] is None  # only short abandons: nothing to judge
    halves = interval_report(rows, minutes=30)
    assert [r["counts"]["offered"] for r in halves] == [20, 0, 5]


def test_an_interval_shorter_than_the_rows_is_refused_naming_the_parameter() -> None:
    rows = [qrow(quarter(9, 0), minutes=30, offered=1)]
    with pytest.raises(ReportError) as err:
        interval_report(rows, minutes=15)
    assert err.value.param == "interval" and "30-minute" in err.value.message
    with pytest.raises(ReportError):
        interval_report(rows, minutes=45)
    assert interval_report(rows)[0]["minutes"] == 30  # by default: as kept


def test_hours_count_from_the_business_day_start_and_fall_back_hours_stay_apart() -> None:
    # The day starts at 06:30: the report's hours are 06:30-07:30, 07:30-08:30...
    rows = [qrow(quarter(6, 30), offered=1), qrow(quarter(7, 15), offered=2)]
    rows.append(qrow(quarter(7, 30), offered=4))
    got = interval_report(rows, minutes=60, day_starts=time(6, 30))
    assert [(r["local"][11:16], r["counts"]["offered"]) for r in got] == [
        ("06:30", 3),
        ("07:30", 4),
    ]
    # 1 November 2026: 01:00-02:00 happens twice in New York (EDT, then EST).
    utc = datetime(2026, 11, 1, 5, 0, tzinfo=ZoneInfo("UTC"))  # 01:00 EDT
    times = [(utc + timedelta(minutes=15 * i)).astimezone(NY) for i in range(8)]
    assert times[0].hour == times[4].hour == 1
    rows = [qrow(t, offered=1) for t in times]
    got = interval_report(rows, minutes=60)
    assert [(r["local"], r["counts"]["offered"]) for r in got] == [
        ("2026-11-01T01:00:00-04:00", 4),
        ("2026-11-01T01:00:00-05:00", 4),
    ]


def test_day_totals_are_the_sum_of_a_days_rows() -> None:
    rows = [qrow(quarter(9, 0), offered=3), qrow(quarter(23, 45), offered=4)]
    rows += [qrow(quarter(0, 0, day=3), offered=5), qrow(quarter(9, 0), name="tech", offered=1)]
    got = day_report(rows)
    assert [(r["date"], r["name"], r["intervals"], r["kpis"]["offered"]) for r in got] == [
        ("2026-03-02", "sales", 2, 7),
        ("2026-03-02", "tech", 1, 1),
        ("2026-03-03", "sales", 1, 5),
    ]


def test_a_campaigns_own_queue_is_not_listed_as_a_queue() -> None:
    rows = [qrow(quarter(9, 0)), qrow(quarter(9, 0), name="campaign:renewals")]
    assert [r["name"] for r in select(rows, group="queue")] == ["sales"]
    assert [r["name"] for r in select(rows, name="campaign:renewals")] == ["campaign:renewals"]
    # A configured inbound queue may have such a name: it is kept.
    assert len(select(rows, group="queue", inbound=["campaign:renewals"])) == 2


def crow(start: datetime, **counts: Any) -> dict[str, Any]:
    return {**qrow(start), "group": "campaign", "name": "renewals", "counts": counts}


def test_campaign_rows_sum_into_kpis_and_a_days_distinct_leads_are_its_first_dials() -> None:
    # Lead L1 dialed at 09:05 and 09:20, L2 at 09:20, L3 at 10:10; L1 and L2 one account.
    rows = [
        crow(quarter(9, 0), dials=1, human=1, contacts=1, success=1, leads=1, day_leads=1,
             accounts=1, day_accounts=1, agent_seconds=1800.0),
        crow(quarter(9, 15), dials=2, human=1, contacts=1, leads=2, day_leads=1, accounts=1,
             day_accounts=0, agent_seconds=1800.0),
        crow(quarter(10, 0), dials=1, leads=1, day_leads=1, accounts=1, day_accounts=1),
    ]  # fmt: skip
    (day,) = day_report(rows)
    k = day["kpis"]
    assert (k["dials"], k["leads"], k["accounts"], k["contacts"]) == (4, 3, 2, 2)
    assert k["contacts_per_lead"] == 2 / 3 and k["contacts_per_account"] == 1.0
    assert k["hit_rate"] == 0.5 and k["conversion_rate"] == 0.5
    assert k["connects_per_agent_hour"] == 0.0  # an agent-hour, no call connected
    quarters = interval_report(rows)
    assert [r["kpis"]["leads"] for r in quarters] == [1, 2, 1]  # each row's own
    hours = interval_report(rows, minutes=60)
    # 09:00-10:00 holds L1 twice: its distinct leads are not the sum of its quarters'.
    assert [r["kpis"]["leads"] for r in hours] == [None, 1]
    assert [r["kpis"]["dials"] for r in hours] == [3, 1]
    assert "c/lead" in table(hours)


def test_rows_of_a_group_without_kpis_have_their_counts_summed_field_by_field() -> None:
    parts = [
        {"dials": 10, "max_dead_air": 1.5, "by": {"sale": 1}, "hist": [1, 2], "mode": "p"},
        {"dials": 5, "max_dead_air": 0.5, "by": {"sale": 2, "no": 1}, "hist": [0, 1]},
    ]
    got = fold("survey", parts)  # no KPI function for this group
    assert got["kpis"] == {}
    assert got["counts"] == {
        "dials": 15,
        "max_dead_air": 1.5,
        "by": {"sale": 3, "no": 1},
        "hist": [1, 3],
        "mode": "p",
    }


def test_agent_rows_sum_time_and_calls() -> None:
    def arow(h: int, m: int, answered: int, ready: float, on_call: float) -> dict[str, Any]:
        start = quarter(h, m)
        return {
            "group": "agent",
            "name": "ann",
            "date": "2026-03-02",
            "start": start.timestamp(),
            "local": start.isoformat(timespec="seconds"),
            "minutes": 15,
            "counts": {
                "answered": answered,
                "talk_seconds": on_call,
                "time_in": {"ready": ready, "on_call": on_call},
                "paused_by": {"lunch": 900.0 - ready - on_call},
            },
        }

    (hour,) = interval_report([arow(9, 0, 2, 300, 600), arow(9, 15, 1, 600, 300)], minutes=60)
    k = hour["kpis"]
    assert k["answered"] == 3 and k["talk_seconds"] == 900.0
    assert k["occupancy"] == 900 / 1800 and k["paused_by_reason"] == {"lunch": 0.0}


def test_csv_cells_a_spreadsheet_would_run_are_made_text() -> None:
    rows = [qrow(quarter(9, 0), name=name, offered=1) for name in ("=1+1", "+cmd", "-2", "@SUM")]
    buf = io.StringIO()
    assert write_csv(rows, buf) == 4
    got = list(csv.DictReader(io.StringIO(buf.getvalue())))
    assert [r["name"] for r in got] == ["'=1+1", "'+cmd", "'-2", "'@SUM"]
    assert [r["offered"] for r in got] == ["1"] * 4  # counts stay numbers
    assert got[0]["start"] == "2026-03-02T09:00:00-05:00"
    assert "=1+1" in table(rows)  # the text table is not a spreadsheet
