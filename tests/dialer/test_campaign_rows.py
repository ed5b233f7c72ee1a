"""Campaign interval rows: summed over the day they equal the day's figures, and both equal an
independent recount from the call records (each attempt counted in the interval it was
dialed in)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from acd.config.files import load_config
from acd.records import CallDetail
from acd.simulate import build

ROOT = Path(__file__).resolve().parents[2]


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
