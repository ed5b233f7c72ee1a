"""Why callers wait while agents are ready: each queue's ready agents that its waiting calls
cannot go to, and when an escalation step lets them.

A call waits in the pools of its current escalation level (``acd.engine.base.requirement_levels``:
the queue's skills, the call's extra skills, and each step reached so far). A ready agent that
meets one of those alternatives is offered the call at once, so while a call waits, every ready
agent is one of:

- ``awaiting_escalation``: meets a later step's requirements (it is offered the call when the
  step is reached; ``next_escalation_seconds`` says when the first of them is);
- ``below_level``: has every skill of some final requirement, at too low a level;
- ``missing_skill``: lacks a skill that every final requirement names;
- ``missed_offer``: meets the requirements but let this call ring out (offered again after the
  queue's retry delay).

Only agents holding at least one skill the queue's requirements name are counted (the others
work other queues); for a queue without skills every agent is. ``ready_not_eligible`` is the
sum of the first three. The function reads the engine and changes nothing; it costs
O(calls + waiting-call groups x ready agents) and runs once per snapshot, not per event.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from acd.engine.base import requirement_levels
from acd.entities import AgentRt, CallRt
from acd.states import AgentState, CallState
from routing.members import Alternative

if TYPE_CHECKING:
    from acd.engine import Engine

REASONS = ("awaiting_escalation", "below_level", "missing_skill", "missed_offer")


def empty_reasons() -> dict[str, Any]:
    """A queue with no caller waiting, or none waiting with an agent ready."""
    return {"ready_not_eligible": 0, **dict.fromkeys(REASONS, 0), "next_escalation_seconds": None}


def why_waiting(engine: Engine, now: float) -> dict[str, dict[str, Any]]:
    """Per queue with calls waiting: the reasons above (``empty_reasons`` for other queues)."""
    # Waiting calls by queue, then by what they require: (extra skills, escalation level).
    groups: dict[str, dict[tuple[tuple[tuple[str, int], ...], int], list[CallRt]]] = {}
    for c in engine.calls.values():
        if c.state is CallState.WAITING:
            by_req = groups.setdefault(c.queue.name, {})
            by_req.setdefault((tuple(sorted(c.extra.items())), c.esc_level), []).append(c)
    out = {name: empty_reasons() for name in engine.queues}
    if not groups:
        return out
    ready = [a for a in engine.agents.values() if a.state is AgentState.READY]
    if not ready:
        return out
    for name, by_req in groups.items():
        out[name] = _queue_reasons(engine.queues[name].cfg, by_req, ready, now)
    return out


def _queue_reasons(
    cfg: Any,
    by_req: dict[tuple[tuple[tuple[str, int], ...], int], list[CallRt]],
    ready: list[AgentRt],
    now: float,
) -> dict[str, Any]:
    steps = cfg.escalation
    plans = []  # (level, alternatives per level, calls)
    named: set[str] = set()
    for (extra, level), calls in by_req.items():
        base = dict(cfg.skills)
        for s, lvl in extra:
            base[s] = max(base.get(s, 0), lvl)
        levels = [alts for alts, _ in requirement_levels(base, steps)]
        for alts in levels:
            for alt in alts:
                named.update(s for s, _ in alt)
        plans.append((level, levels, calls))
    res = empty_reasons()
    first_step: float | None = None
    for a in ready:
        if named and not any(a.skills.get(s, 0) > 0 for s in named):
            continue  # works other queues
        reason, at = _agent_reason(a, plans, steps)
        if reason is None:
            continue  # eligible and not yet offered (routing runs at the next input)
        res[reason] += 1
        if at is not None and (first_step is None or at < first_step):
            first_step = at
    res["ready_not_eligible"] = res["awaiting_escalation"] + res["below_level"]
    res["ready_not_eligible"] += res["missing_skill"]
    if first_step is not None:
        res["next_escalation_seconds"] = max(0.0, first_step - now)
    return res


def _agent_reason(
    a: AgentRt, plans: list[tuple[int, list[list[Alternative]], list[CallRt]]], steps: Any
) -> tuple[str | None, float | None]:
    """The agent's reason for not taking any of the queue's waiting calls, and (awaiting an
    escalation) when the first step that lets it comes."""
    declined = False
    at: float | None = None
    for level, levels, calls in plans:
        if any(a.meets(alt) for alt in levels[level]):
            if any(a.ix not in c.declined for c in calls):
                return None, None
            declined = True
            continue
        for later in range(level + 1, len(levels)):
            if any(a.meets(alt) for alt in levels[later]):
                due = min(c.entered for c in calls) + steps[later - 1].after_seconds
                at = due if at is None else min(at, due)
                break
    if at is not None:
        return "awaiting_escalation", at
    if declined:
        return "missed_offer", None
    final = [alt for _, levels, _ in plans for alt in levels[-1]]
    if any(all(a.skills.get(s, 0) > 0 for s, _ in alt) for alt in final):
        return "below_level", None
    return "missing_skill", None
