"""What the IVR learnt about a caller travels with the call to the agent's screen, and bad
attributes are refused at the edge of the core."""

from __future__ import annotations

import pytest

from acd import events as ev
from acd.errors import InvalidEvent
from tests.helpers import Center, config


def test_attributes_follow_the_call_into_its_view() -> None:
    c = Center(config([{"name": "q"}], [{"id": "a1"}]))
    c.arrive("c1", "q", attributes={"account": "A-1001", "reason": "billing"})
    c.arrive("c2", "q")
    view = c.engine.call_view(c.engine.calls["c1"], c.now)
    assert view["attributes"] == {"account": "A-1001", "reason": "billing"}
    assert "attributes" not in c.engine.call_view(c.engine.calls["c2"], c.now)


@pytest.mark.parametrize(
    "attrs",
    [
        {f"k{i}": "v" for i in range(ev.MAX_ATTRIBUTES + 1)},
        {"": "v"},
        {"k": "x" * (ev.MAX_ATTRIBUTE_CHARS + 1)},
        {"k": 3},
    ],
)
def test_bad_attributes_are_refused(attrs: dict[str, object]) -> None:
    with pytest.raises(InvalidEvent):
        ev.CallArrived("c1", "q", attributes=attrs)  # type: ignore[arg-type]
