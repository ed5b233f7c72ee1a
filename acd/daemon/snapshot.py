"""The one snapshot of a running core: what ``GET /v1/snapshot`` returns and, trimmed, what the
event stream pushes to wallboards once a second."""

from __future__ import annotations

from typing import Any

from acd.core import Core
from acd.states import AGENT_STATE_LABELS

# The states with their labels, in the order shown: pages take them from here, not a copy.
STATE_LABELS = {s.value: label for s, label in AGENT_STATE_LABELS.items()}


def build_snapshot(core: Core, now: float, *, push: bool = False) -> dict[str, Any]:
    """Queues, agents, agent states, calls and campaigns at ``now``.

    ``push``: the once-a-second message leaves out the live calls and each campaign's full
    report, which the wall does not show and which would multiply the stream's size.
    """
    snap = core.snapshot(now)
    campaigns = core.campaigns_view(now)
    if push:
        snap.pop("calls")
        campaigns = [{k: v for k, v in c.items() if k != "report"} for c in campaigns]
    return {"time": now, **snap, "agent_state_labels": STATE_LABELS, "campaigns": campaigns}


def snapshot_message(core: Core, now: float) -> dict[str, Any]:
    return {"type": "snapshot", **build_snapshot(core, now, push=True)}
