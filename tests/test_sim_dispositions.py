"""Simulated agents code their calls (simulation.agents.dispositions): conversions are no longer
0 in simulation, and the campaign's figures agree with a recount of the codes set."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from acd import events as ev
from acd.config.schema import Config
from acd.errors import ConfigError
from acd.records import CallDetail
from acd.simulate import build

ROOT = Path(__file__).resolve().parents[1]


def scenario(codes: dict[str, Any]) -> Config:
    data = yaml.safe_load((ROOT / "examples" / "outbound.yaml").read_text())
    data["simulation"]["agents"]["dispositions"] = codes
    return Config.model_validate(data)


def test_simulated_agents_code_inbound_and_campaign_calls() -> None:
    cfg = scenario(
        {"renewals": {"sale": 1, "not_interested": 3}, "service": {"solved": 4, "escalated": 1}}
    )
    core, _, driver = build(cfg, seed=3, base_dir=ROOT / "examples")
    set_codes: list[ev.SetDisposition] = []
    handle = core.handle

    def spy(event: ev.Event, now: float) -> Any:
        if isinstance(event, ev.SetDisposition):
            set_codes.append(event)
        return handle(event, now)

    core.handle = spy  # type: ignore[method-assign]
    driver.engine.handle = spy  # type: ignore[method-assign]
    records: list[CallDetail] = []
    core.cdr_sink = records.append
    driver.run(cfg.simulation.hours * 3600.0)  # type: ignore[union-attr]
    assert set_codes, "simulated agents set no codes"
    inbound = [r for r in records if r.queue == "service" and r.outcome == "answered"]
    assert inbound and all(r.disposition in ("solved", "escalated") for r in inbound)
    report = core.campaign_report(driver.now)["renewals"]
    sales = sum(1 for e in set_codes if e.disposition == "sale")
    assert report["today"]["success"] == sales > 0
    assert report["conversion_rate"] == sales / report["today"]["contacts"]


@pytest.mark.parametrize(
    ("codes", "message"),
    [
        ({"renewals": {"bonus": 1}}, "has no disposition 'bonus'"),
        ({"renewals": {"callback": 1}}, "is a callback"),
        ({"nowhere": {"x": 1}}, "neither a queue nor a campaign"),
    ],
)
def test_simulated_codes_are_checked_against_the_config(
    codes: dict[str, Any], message: str
) -> None:
    with pytest.raises((ConfigError, ValueError), match=message):
        scenario(codes)
