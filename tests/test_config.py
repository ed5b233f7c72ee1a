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
