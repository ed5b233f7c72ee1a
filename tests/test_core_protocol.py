"""Engine and Center are one interface (acd.core.Core): every member, with the same parameters."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
import yaml

from acd.config.files import load_config
from acd.core import Core
from acd.engine import Engine
from dialer.center import Center

ROOT = Path(__file__).resolve().parent.parent

ATTRIBUTES = set(Core.__annotations__)
METHODS = {
    n: v
    for n, v in vars(Core).items()
    if not n.startswith("_") and (inspect.isfunction(v) or isinstance(v, property))
}


def test_the_protocol_names_what_the_drivers_use() -> None:
    assert {"handle", "on_timer", "next_deadline", "engine", "snapshot", "campaigns"} <= set(
        METHODS
    )
    assert {"notices", "cdr_sink", "config", "stop_dialing"} <= ATTRIBUTES


@pytest.mark.parametrize("cls", [Engine, Center])
def test_both_cores_have_every_member_with_the_same_parameters(cls: type) -> None:
    for name, proto in METHODS.items():
        if isinstance(proto, property):
            continue  # an attribute set in __init__ or a property: checked on instances below
        impl = inspect.getattr_static(cls, name, None)
        assert impl is not None, f"{cls.__name__} lacks {name}"
        params = list(inspect.signature(proto).parameters)
        assert list(inspect.signature(impl).parameters) == params, (cls.__name__, name)
    assert not hasattr(cls, "__getattr__"), "members are explicit, never delegated"


@pytest.mark.parametrize("path", ["examples/demo.yaml", "examples/outbound.yaml"])
def test_built_cores_answer_every_member(path: str) -> None:
    cfg = load_config(ROOT / path)
    core: Core = Center(cfg) if cfg.campaigns else Engine(cfg)
    for name in ATTRIBUTES | set(METHODS):
        assert hasattr(core, name), name
    assert core.engine.engine is core.engine
    assert (len(core.campaigns) > 0) == bool(cfg.campaigns)
    assert isinstance(core.snapshot(0.0)["agents"], list)

    # The campaigns as the file names them, read from the YAML itself, not from the loader.
    raw = yaml.safe_load((ROOT / path).read_text())
    configured = [(c["name"], c.get("mode", "predictive")) for c in raw.get("campaigns") or []]
    view = core.campaigns_view(0.0)
    if isinstance(core, Center):
        assert configured, "a Center is built only for a file with campaigns"
        assert [(v["name"], v["mode"]) for v in view] == configured
    else:
        assert configured == [] and view == []
