"""Configuration: the examples validate; bad files name file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from acd.config import config_from_text
from acd.config.files import load_config
from acd.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("name", ["demo.yaml", "mmn.yaml"])
def test_examples_validate(name: str) -> None:
    cfg = load_config(ROOT / "examples" / name)
    assert cfg.simulation is not None


def test_demo_is_three_queues_twenty_agents_with_escalation() -> None:
    cfg = load_config(ROOT / "examples" / "demo.yaml")
    assert len(cfg.queues) == 3 and len(cfg.agents) == 20
    assert any(q.escalation for q in cfg.queues)
    assert len({tuple(sorted(a.skills)) for a in cfg.agents}) > 2
    embedded = ROOT / "acd" / "data" / "demo.yaml"
    assert embedded.read_text() == (ROOT / "examples" / "demo.yaml").read_text()
    # A blended campaign: some inbound agents also serve it; its lead file lies beside both.
    (camp,) = cfg.campaigns
    serving = [a for a in cfg.agents if set(camp.skills) <= set(a.skills)]
    assert serving and all(len(a.skills) > 1 for a in serving)
    leads = ROOT / "acd" / "data" / str(camp.leads)
    assert leads.read_text() == (ROOT / "examples" / str(camp.leads)).read_text()


def test_mmn_is_the_erlang_c_case() -> None:
    cfg = load_config(ROOT / "examples" / "mmn.yaml")
    q = cfg.queues[0]
    assert len(cfg.agents) == 14 and q.strategy.value == "longest-idle"
    t = cfg.simulation.traffic["main"]  # type: ignore[union-attr]
    assert t.calls_per_hour == 200 and t.patience is None
    assert (t.handle_time.distribution, t.handle_time.mean) == ("exponential", 180)


BAD = [
    ("queues:\n  - name: q\n    strategy: fastest\n", 3, "queues[0].strategy"),
    ("queues:\n  - name: q\nagents:\n  - id: a\n    skills: {x: 0}\n", 5, "agents[0].skills.x"),
    ("queues:\n  - name: q\n    ring_timeout_seconds: -1\n", 3, "queues[0].ring_timeout_seconds"),
    ("queues:\n  - name: q\n    colour: red\n", 3, "queues[0].colour"),
    ("queues:\n  - name: q\n    overflow_queue: nowhere\n", 3, "queues[0].overflow_queue"),
    ("queues:\n  - name: q\n  - name: q\n", 3, "queues[1].name"),
    ("queues:\n  - name: q\n    wrap_up_seconds: .inf\n", 3, "queues[0].wrap_up_seconds"),
    ("queues:\n  - name: q\n    max_wait_seconds: 1e12\n", 3, "queues[0].max_wait_seconds"),
    ("daemon:\n  drain_seconds: .nan\nqueues: [{name: q}]\n", 2, "daemon.drain_seconds"),
    ("queues:\n  - name: q\n    name: r\n", 3, "queues[0].name"),
    ("queues: [\n", 2, ""),
    (
        "queues:\n  - name: q\n    escalation:\n      - after_seconds: 10\n",
        4,
        "queues[0].escalation[0]",
    ),
    (
        "queues:\n  - name: q\n    announce:\n      ewt: true\n      every_seconds: 0\n",
        5,
        "queues[0].announce.every_seconds",
    ),
    ("queues:\n  - name: q\n    announce: {language: Klingon}\n", 3, "queues[0].announce.language"),
    (
        "queues:\n  - name: q\nsimulation:\n  traffic:\n    q:\n      calls_per_hour: 5\n",
        6,
        "simulation.traffic.q.handle_time",
    ),
]


@pytest.mark.parametrize(("text", "line", "field"), BAD)
def test_bad_config_names_file_line_and_field(text: str, line: int, field: str) -> None:
    with pytest.raises(ConfigError) as exc:
        config_from_text(text, "center.yaml")
    err = exc.value
    assert err.file == "center.yaml"
    assert err.line == line, err.message
    assert err.field == field, err.message
    assert err.message.startswith(f"center.yaml:{line}: ")


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as exc:
        load_config(tmp_path / "nope.yaml")
    assert "nope.yaml" in exc.value.message


def test_docs_state_diagram_is_the_transition_table() -> None:
    from acd.states import mermaid

    assert mermaid() in (ROOT / "docs" / "agents-and-supervisors.md").read_text()


CAMPAIGN = """
queues: [{name: q, service_level: {threshold_seconds: 20, target: TARGET}}]
campaigns:
  - name: c
    mode: predictive
    leads: leads.csv
    caller_id: "+12125550100"
    abandonment_target: ABANDON
    safe_harbor_message: "Acme calling; call us back at 212 555 0100."
    calling_window: {start: "09:00", end: END}
agents: [{id: a}]
"""


def campaign(target: str = "0.8", abandon: str = "0.03", end: str = '"21:00"') -> str:
    return CAMPAIGN.replace("TARGET", target).replace("ABANDON", abandon).replace("END", end)


def test_ratios_take_percentages_as_the_command_line_does() -> None:
    cfg = config_from_text(campaign(target="80%", abandon="2.5%"), "center.yaml")
    assert cfg.queues[0].service_level.target == 0.8
    assert cfg.campaigns[0].abandonment_target == 0.025
    sim = "simulation:\n  outbound: {human_probability: 30%, machine_probability: '15 %'}\n"
    out = config_from_text("queues: [{name: q}]\n" + sim, "s.yaml").simulation.outbound  # type: ignore[union-attr]
    assert (out.human_probability, out.machine_probability) == (0.3, 0.15)
    for bad, message in [("150%", "less than or equal to 1"), ("lots%", "not a percentage")]:
        with pytest.raises(ConfigError) as exc:
            config_from_text(campaign(target=bad), "center.yaml")
        assert exc.value.field == "queues[0].service_level.target" and message in exc.value.message
    with pytest.raises(ConfigError) as exc:  # the legal maximum holds for a percentage too
        config_from_text(campaign(abandon="5%"), "center.yaml")
    assert exc.value.field == "campaigns[0].abandonment_target"


def test_a_campaign_aims_at_2_5_percent_unless_told() -> None:
    text = campaign().replace("    abandonment_target: 0.03\n", "")
    assert "abandonment_target" not in text
    assert config_from_text(text, "center.yaml").campaigns[0].abandonment_target == 0.025


def test_a_calling_window_may_end_at_24_00() -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from dialer.hours import may_call
    from dialer.leadsource import calling_window

    cfg = config_from_text(campaign(end='"24:00"'), "center.yaml")
    window = calling_window(cfg.campaigns[0])
    ny = "America/New_York"

    def at(*args: int) -> float:
        return datetime(*args, tzinfo=ZoneInfo(ny)).timestamp()

    assert may_call((ny,), at(2026, 7, 1, 23, 59, 59), window)
    assert not may_call((ny,), at(2026, 7, 2, 0, 0, 0), window)  # midnight ends the day
    assert not may_call((ny,), at(2026, 7, 2, 8, 59, 59), window)
    bad = campaign(end='"24:00"').replace('start: "09:00"', 'start: "24:00"')
    with pytest.raises(ConfigError) as exc:
        config_from_text(bad, "center.yaml")
    assert "campaigns[0].calling_window" in exc.value.message


def test_an_unknown_key_names_the_known_key_it_is_close_to() -> None:
    cases = [
        (
            "queues:\n  - name: q\n    servce_level: {target: 0.8}\n",
            "servce_level",
            "service_level",
        ),
        ("daemon: {drain_secs: 3}\nqueues: [{name: q}]\n", "drain_secs", "drain_seconds"),
        (
            campaign().replace("abandonment_target", "abandon_target"),
            "abandon_target",
            "abandonment_target",
        ),
        (campaign().replace("end:", "ned:"), "ned", "end"),
        (
            "queues: [{name: q}]\nsimulation:\n  traffic:\n    q:\n      calls_per_hour: 5\n"
            "      handle_time: {distribution: fixed, mean: 3, sdd: 1}\n",
            "sdd",
            "sd",
        ),
        ("queues:\n  - name: q\n    colour: red\n", "colour", ""),
        (
            "queues: [{name: q}]\nadapter:\n  type: asterisk\n  asterisk:\n    secret: s\n"
            "    agent_devise: SIP/x\n",
            "agent_devise",
            "agent_device",
        ),
    ]
    for text, key, close in cases:
        with pytest.raises(ConfigError) as exc:
            config_from_text(text, "center.yaml")
        msg = exc.value.message
        assert f"unknown key {key!r}" in msg, msg
        if close:
            assert msg.endswith(f"did you mean {close!r}?"), msg
        elif close == "":
            assert "did you mean" not in msg, msg
