"""Hostile or broken config files: every one is a ConfigError naming the file (and line where
there is one), never another exception, a hang or a process eating its memory."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acd.config.files import load_config
from acd.config.loader import MAX_ALIAS_VISITS, parse_config_text
from acd.config.schema import Config
from acd.errors import ConfigError


def bomb(levels: int, width: int) -> str:
    """Each level lists the previous one ``width`` times: width**levels leaves from a few
    lines."""
    lines = ["l0: &l0 [x, x]"]
    for i in range(1, levels + 1):
        lines.append(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * width) + "]")
    return "\n".join(lines) + "\nqueues: [{name: q}]\n"


def test_alias_expansion_is_bounded() -> None:
    # About 2 * MAX_ALIAS_VISITS collections reached again: harmless to expand, but over the
    # limit, so refused; a real bomb (more levels) is refused the same way, long before memory.
    text = bomb(2, int((2 * MAX_ALIAS_VISITS) ** 0.5) + 1)
    with pytest.raises(ConfigError, match="alias expansions") as exc:
        parse_config_text(Config, text, "bomb.yaml")
    assert exc.value.message.startswith("bomb.yaml:")
    with pytest.raises(ConfigError, match="alias expansions"):
        parse_config_text(Config, bomb(12, 10), "bomb.yaml")


def test_a_few_aliases_are_fine() -> None:
    text = "queues: [{name: q}]\nagents:\n  - {id: a0, skills: &s {sales: 3}}\n" + "".join(
        f"  - {{id: a{i}, skills: *s}}\n" for i in range(1, 50)
    )
    assert len(parse_config_text(Config, text, "ok.yaml").agents) == 50


def test_not_utf8_names_file_and_line(tmp_path: Path) -> None:
    p = tmp_path / "latin1.yaml"
    p.write_bytes(b"name: x\nqueues:\n  - name: caf\xe9\n")
    with pytest.raises(ConfigError) as exc:
        load_config(p)
    assert exc.value.message.startswith(f"{p}:3: not UTF-8")


@pytest.mark.parametrize("depth", [900, 5000])
def test_deep_nesting_is_a_config_error(depth: int) -> None:
    # 5000: libyaml's own limit; 900: within it, deep enough for Python's recursion limit.
    with pytest.raises(ConfigError):
        parse_config_text(Config, "queues: " + "[" * depth + "]" * depth + "\n", "deep.yaml")


def test_duplicate_agent_points_at_the_second_one() -> None:
    text = "queues: [{name: q}]\nagents:\n" + "".join(f"  - {{id: a{i}}}\n" for i in range(500))
    text += "  - {id: a7}\n"
    with pytest.raises(ConfigError) as exc:
        parse_config_text(Config, text, "c.yaml")
    assert exc.value.message == "c.yaml:503: agents[500].id: duplicate agent id 'a7'"


values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                ["queues", "agents", "name", "skills", "id", "wrap_up_seconds", "daemon", "x"]
            ),
            inner,
            max_size=4,
        )
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values)
def test_any_document_is_valid_or_a_config_error(doc: object) -> None:
    text = yaml.safe_dump(doc)
    try:
        parse_config_text(Config, text, "fuzz.yaml")
    except ConfigError as exc:
        assert exc.message.startswith("fuzz.yaml")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_any_text_is_valid_or_a_config_error(text: str) -> None:
    try:
        parse_config_text(Config, text, "fuzz.yaml")
    except ConfigError as exc:
        assert exc.message.startswith("fuzz.yaml")
