"""Campaign interval rows: summed over the day they equal the day's figures, and both equal an
independent recount from the call records (each attempt counted in the interval it was
dialed in)."""

from __future__ import annotations

import asyncio
import csv
from collections import Counter
from datetime import datetime
from pathlib import Path
from random import Random
from zoneinfo import ZoneInfo

import pytest
import yaml

from acd import events as ev
from acd.checkpoint import Collector, restore
from acd.commands import Originate
from acd.config.files import load_config
from acd.config.schema import Config
from acd.records import CallDetail
from acd.reporting.calendar import calendar_for
from acd.simulate import build, sim_epoch
from acd.store.memory import MemoryStore
from dialer.center import Center
from dialer.dnc import DoNotCallList
from dialer.leads import Lead
from dialer.leadsource import book_leads
from tests.helpers import Clock

ROOT = Path(__file__).resolve().parents[2]
PHONE = "+12125550101"


@pytest.mark.parametrize("seed", [1, 7])
def test_campaign_rows_add_up_to_the_day_and_to_a_recount_of_the_records(seed: int) -> None:
    cfg = load_config(ROOT / "examples" / "outbound.yaml")
    core, _, driver = build(cfg, seed=seed, base_dir=ROOT / "examples")
    records: list[CallDetail] = []
    core.cdr_sink = records.append
    driver.run(cfg.simulation.hours * 3600.0)  # type: ignore[union-attr]
    book = core.engine.book
    cal = book.cal
    outbound = [r for r in records if r.campaign == "renewals"]
    assert outbound and len({r.call_id for r in outbound}) == len(outbound)
    # Recount: by the interval of the dial; a live answer is one the engine held.
    want: dict[float, Counter[str]] = {}
    for r in outbound:
        assert r.dialed is not None
        n = want.setdefault(cal.interval(r.dialed), Counter())
        n["dials"] += 1
        if r.queue is not None:
            n["human"] += 1
            n["connected" if r.outcome == "answered" else "abandoned"] += 1
        else:
            n[r.outcome] += 1
    rows = {start: row for (start, name), row in book.campaign_rows.items() if name == "renewals"}
    keys = ("dials", "human", "machine", "no_answer", "busy", "failed", "connected", "abandoned")
    for start, n in want.items():
        got = rows[start].to_dict()
        assert {k: got[k] for k in keys} == {k: n[k] for k in keys}, cal.label(start)
    assert all(start in want for start, row in rows.items() if row.dials)
    day = core.campaign_report(driver.now)["renewals"]["today"]
    for k in keys:
        assert day[k] == sum(n[k] for n in want.values()), k
    assert day["hit_rate"] == day["human"] / day["dials"]


def test_rows_count_distinct_leads_and_accounts_and_conversions_as_a_recount_does(
    tmp_path: Path,
) -> None:
    """Every figure of a campaign row against a recount from the records alone: outcomes,
    contacts, conversions (the codes' kinds in the config), first-call close, talk, distinct
    leads and accounts per interval and first dialed that day (a lead's account from the lead
    file, or its number where it has none); the day's rows summed against the day's report."""
    with (ROOT / "examples" / "demo-leads.csv").open() as fh:
        rows = list(csv.DictReader(fh))[:400]
    for i, r in enumerate(rows):
        if i % 4 == 0:
            r["account"] = ""  # no account: the number stands for it
    leads = tmp_path / "leads.csv"
    with leads.open("w", newline="") as fh:
        w = csv.DictWriter(fh, list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    account = {r["lead_id"]: r["account"] for r in rows}
    data = yaml.safe_load((ROOT / "examples" / "outbound.yaml").read_text())
    data["campaigns"][0]["leads"] = str(leads)
    data["simulation"]["agents"]["dispositions"] = {
        "renewals": {"sale": 2, "not_interested": 4, "no_contact": 1}
    }
    cfg = Config.model_validate(data)
    core, _, driver = build(cfg, seed=5, base_dir=tmp_path)
    records: list[CallDetail] = []
    core.cdr_sink = records.append
    driver.run(cfg.simulation.hours * 3600.0)  # type: ignore[union-attr]
    kinds = {d.name: d.kind for d in cfg.campaigns[0].dispositions}
    sim = cfg.simulation
    assert sim is not None
    zone, epoch = ZoneInfo(sim.time_zone), sim_epoch(sim)

    def where(t: float) -> tuple[str, str]:
        """(interval start, local ISO; business date) of engine time t, by zoneinfo."""
        local = datetime.fromtimestamp(t + epoch, zone)
        start = local.replace(minute=local.minute - local.minute % 15, second=0, microsecond=0)
        return start.isoformat(timespec="seconds"), local.date().isoformat()

    want: dict[str, Counter[str]] = {}
    talk: dict[str, float] = {}
    seen_row: set[tuple[str, str, str]] = set()  # (interval, kind, lead or account)
    seen_day: set[tuple[str, str, str]] = set()
    outbound = sorted((r for r in records if r.campaign), key=lambda r: r.dialed or 0.0)
    attempts: Counter[str] = Counter()
    for r in outbound:
        assert r.dialed is not None and r.lead_id is not None
        at, day = where(r.dialed)
        n = want.setdefault(at, Counter())
        attempts[r.lead_id] += 1
        n["dials"] += 1
        if r.queue is None:
            n[r.outcome] += 1
        else:
            n["human"] += 1
            if r.outcome == "answered":
                n["connected"] += 1
                n["contacts"] += 1
                talk[at] = talk.get(at, 0.0) + r.talk_seconds
                if kinds.get(r.disposition or "") == "success":
                    n["success"] += 1
                    n["first_call_close"] += attempts[r.lead_id] == 1
            else:
                n["abandoned"] += 1
        acct = account[r.lead_id] or r.caller
        for kind, key in (("leads", r.lead_id), ("accounts", acct)):
            if (at, kind, key) not in seen_row:
                seen_row.add((at, kind, key))
                n[kind] += 1
            if (day, kind, key) not in seen_day:
                seen_day.add((day, kind, key))
                n[f"day_{kind}"] += 1
    assert sum(n["success"] for n in want.values()) > 0
    book = core.engine.book
    got = {
        book.cal.label(start): row.to_dict()
        for (start, name), row in book.campaign_rows.items()
        if name == "renewals" and row.dials
    }
    assert set(got) == set(want)
    keys = sorted({k for n in want.values() for k in n} | {"leads", "accounts"})
    for at, n in want.items():
        assert {k: got[at][k] for k in keys} == {k: n[k] for k in keys}, at
        assert got[at]["talk_seconds"] == pytest.approx(talk.get(at, 0.0)), at
    # Fewer accounts than leads: several numbers share an account in the file.
    assert sum(n["day_accounts"] for n in want.values()) < len({r.lead_id for r in outbound})
    day = core.campaign_report(driver.now)["renewals"]["today"]
    for k in keys:
        if k in ("leads", "accounts"):
            continue
        assert day[k] == sum(n[k] for n in want.values()), k
    assert day["leads"] == day["leads_dialed"] == len({r.lead_id for r in outbound})
    distinct_accounts = {account[r.lead_id] or r.caller for r in outbound}
    assert day["accounts"] == day["accounts_dialed"] == len(distinct_accounts)
    assert day["contacts_per_account"] == day["contacts"] / len(distinct_accounts)


def test_a_daemon_restarted_today_counts_a_lead_it_dials_again_once_in_the_day() -> None:
    """Rows come back from the store; the lead book knows the lead was tried today, so its
    redial after the restart is a lead of its interval but not a new lead of the day."""
    cfg = Config.model_validate(
        {
            "center": {"time_zone": "America/New_York"},
            "campaigns": [
                {"name": "c", "mode": "progressive", "skills": {"c": 1}, "wrap_up_seconds": 5}
            ],
            "agents": [{"id": "a1", "skills": {"c": 1}}],
        }
    )
    t0 = datetime(2026, 3, 2, 10, 6, tzinfo=ZoneInfo("America/New_York")).timestamp()

    def start(now: float) -> Clock:
        leads = {"c": book_leads(cfg.campaigns[0], DoNotCallList(), 0.0, [Lead("L1", PHONE)])}
        core = Center(cfg, rng=Random(1), leads=leads, calendar=calendar_for(cfg))
        clock = Clock(core, now)
        clock.advance(0.0)
        return clock

    def dial(clock: Clock) -> str:
        clock.advance(1.0)
        (call,) = [c for c in clock.out if isinstance(c, Originate)]
        clock.out.clear()
        return call.call_id

    first = start(t0)
    collector = Collector(first.core)
    first.do(ev.AgentLogin("a1"))
    call = dial(first)
    first.advance(5.0)
    first.do(ev.OutboundFailed(call, "busy"))  # retried ten minutes later
    store = MemoryStore()
    asyncio.run(store.apply(collector.collect(1, first.now, kpis=True)))

    second = start(first.now + 30.0)  # the restart
    restore(second.core, asyncio.run(store.load()), second.now)
    second.advance_to(t0 + 16 * 60)  # past the retry, in the next quarter hour
    dial(second)
    rows = sorted(second.core.engine.book.campaign_rows.items())
    got = [
        (second.core.engine.book.cal.label(s), r.dials, r.leads, r.day_leads)
        for (s, _), r in rows
        if r.dials
    ]
    assert got == [("2026-03-02T10:00:00-05:00", 1, 1, 1), ("2026-03-02T10:15:00-05:00", 1, 1, 0)]
    day = second.core.campaign_report(second.now)["c"]["today"]
    assert (day["dials"], day["leads_dialed"]) == (2, 1)
