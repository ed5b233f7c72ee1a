"""Calls in progress as a store keeps them, so that a call a crash cuts still gets its one record.

With every batch the :class:`~acd.checkpoint.Collector` writes, for each call in progress that
changed (it arrived, was dialled, offered, answered, went to wrap-up), the record it would get if
it were cut now: ``{"record": ..., "over": False}``; for a call whose talk is over and whose
agent is in wrap-up, the record held for that wrap-up, ``"over": True`` (so too a dropped live
answer's record held for its safe-harbor message, :mod:`dialer.center.harbor`). A call that
got its real record is written ``None`` in the same batch, so the store holds a call either as
in progress or as recorded, never both (the batch is atomic). Cost: O(what changed), as for
sessions.

After a crash, :func:`acd.checkpoint.restore` hands those entries to the engine as ``orphans``.
A caller the adapter's resync finds still waiting comes back as a ``CallArrived`` of the same id
and is taken over (its orphan dropped: the call ends normally, with one record). When the PBX
link is up (``TrunkState(up=True)``, sent by the Asterisk adapter once it has resynchronised,
and by the daemon at start when there is no PBX to ask), the others get their records
(:meth:`acd.engine.Engine.settle_orphans`): outcome ``interrupted``, ``ended`` the time of
settling, the rest as known at the last write (arrival, offer, answer, agent, campaign and
lead); a call whose talk was over keeps its own outcome with its wrap-up cut.
"""

from __future__ import annotations

from typing import Any

from acd.core import Core
from acd.records import INTERRUPTED
from acd.states import AgentState


def changed_calls(
    core: Core, agents: set[str], records: list[dict[str, Any]], now: float
) -> dict[str, dict[str, Any] | None]:
    """The entries of :attr:`acd.store.batch.Batch.calls` for this collect: the calls that
    arrived or were dialled (the engine's ``dirty_calls``, drained here), those of the agents
    whose session changed (``agents``), and None for each call in ``records``."""
    engine = core.engine
    out: dict[str, dict[str, Any] | None] = {}
    ids = engine.dirty_calls
    if ids is None:
        return out
    for agent_id in agents:
        a = engine.agents.get(agent_id)
        if a is None:
            continue
        if a.call is not None:
            ids.add(a.call.id)
        elif a.state is AgentState.WRAP_UP:
            held = core.held_record(agent_id)
            if held is not None:
                out[held.call_id] = {"record": held.as_dict(), "over": True}
    for call_id in ids:
        if call_id in out:
            continue
        c = engine.calls.get(call_id)
        if c is not None and c.callback is not None and not c.callback.connected:
            out[call_id] = None  # its caller hung up: the store keeps it as a callback
            continue
        cdr = core.call_in_progress(call_id, now)
        # A record with its real outcome (one held for a safe-harbor message) is over already.
        over = cdr is not None and cdr.outcome != INTERRUPTED
        out[call_id] = None if cdr is None else {"record": cdr.as_dict(), "over": over}
    ids.clear()
    for rec in records:
        out[rec["call_id"]] = None
    return out


def adopt(core: Core, calls: dict[str, dict[str, Any]]) -> int:
    """Hand the calls a store held as in progress to the engine, to settle (see the module
    docstring); returns how many."""
    core.engine.orphans = {k: v for k, v in calls.items() if isinstance(v, dict) and "record" in v}
    return len(core.engine.orphans)
