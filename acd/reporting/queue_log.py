"""Asterisk-compatible ``queue_log`` lines from call detail records: records in, lines out.

A line is ``epoch|callid|queue|agent|event|data1|data2|...`` with the event parameters
Asterisk's queue log documentation gives (docs/reports.md, "queue_log export", says what each
field holds here and what our records cannot give). Times are whole Unix seconds and every
duration is the difference of two such times, as Asterisk's seconds clock writes them.

Each stay in a queue (a record's ``legs``) becomes an ``ENTERQUEUE`` line and the line of how
it ended:

* answered: ``CONNECT``, then ``TRANSFER`` if the call went on to another queue, else
  ``COMPLETEAGENT`` (the agent hung up) or ``COMPLETECALLER``;
* abandoned, or hung up by a supervisor or the API while waiting: ``ABANDON``;
* timed out, or overflowed on its wait limit: ``EXITWITHTIMEOUT``;
* the last agent left while it waited: ``EXITEMPTY``;
* moved to another queue while waiting: ``TRANSFER`` with agent ``NONE``.

A call turned away at the door (queue full, nobody logged in) never joined, and a dial that
never reached a person has no queue: neither gives a line.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

NONE = "NONE"  # what Asterisk writes in the agent field of a line no member is part of
UNKNOWN_POSITION = "0"  # our records keep no queue positions
UNKNOWN_RINGTIME = "0"  # nor when the answering agent's phone started ringing

# The leg outcomes (acd.states.Outcome values) that end a stay without an agent, and their event.
EXIT_EVENTS: dict[str, str] = {
    "abandoned": "ABANDON",
    "hung_up_by_system": "ABANDON",
    "timed_out": "EXITWITHTIMEOUT",
    "overflowed": "EXITWITHTIMEOUT",
    "left_empty": "EXITEMPTY",
}
NOT_JOINED = frozenset({"rejected_full", "rejected_empty"})


class QueueLogLine(NamedTuple):
    """One queue_log line, its fields as Asterisk orders them."""

    time: int
    call_id: str
    queue: str
    agent: str
    event: str
    data: tuple[str, ...]

    def text(self) -> str:
        return "|".join(
            (str(self.time), self.call_id, self.queue, self.agent, self.event, *self.data)
        )


def _sec(t: Any) -> int:
    return math.floor(float(t))


def _field(value: Any) -> str:
    """A text field that cannot break the line: no ``|`` and no line break."""
    text = "" if value is None else str(value)
    return text.replace("|", " ").replace("\r", " ").replace("\n", " ")


def _leg(raw: Any) -> Mapping[str, Any]:
    """A leg as stored (a JSON object) or as built (``acd.records.Leg``)."""
    return raw._asdict() if hasattr(raw, "_asdict") else raw  # type: ignore[no-any-return]


def record_lines(record: Mapping[str, Any]) -> list[QueueLogLine]:
    """The lines of one record (``CallDetail.as_dict()`` or a record as stored), in order."""
    call_id = _field(record.get("call_id"))
    caller = _field(record.get("caller"))
    legs = [_leg(x) for x in record.get("legs") or ()]
    out: list[QueueLogLine] = []
    for i, leg in enumerate(legs):
        outcome = str(leg.get("outcome", ""))
        if outcome in NOT_JOINED:
            continue
        queue = _field(leg.get("queue"))
        entered, left = _sec(leg["entered"]), _sec(leg["left"])
        wait = str(left - entered)
        nxt = legs[i + 1] if i + 1 < len(legs) else None

        def line(t: int, agent: str, event: str, *data: str, q: str = queue) -> None:
            out.append(QueueLogLine(t, call_id, q, agent, event, data))

        line(entered, NONE, "ENTERQUEUE", "", caller)
        pos = UNKNOWN_POSITION
        if outcome == "answered":
            agent = _field(leg.get("agent_id")) or NONE
            line(left, agent, "CONNECT", wait, "", UNKNOWN_RINGTIME)
            if nxt is not None:
                end = _sec(nxt["entered"])
                target = _field(nxt.get("queue"))
                line(end, agent, "TRANSFER", target, "", wait, str(end - left), pos)
            else:
                end = _sec(record.get("ended", leg["left"]))
                by_agent = record.get("hung_up_by") == "agent"
                event = "COMPLETEAGENT" if by_agent else "COMPLETECALLER"
                line(end, agent, event, wait, str(end - left), pos)
        elif outcome == "transferred":
            target = _field(nxt.get("queue")) if nxt is not None else ""
            line(left, NONE, "TRANSFER", target, "", wait, "0", pos)
        elif outcome in EXIT_EVENTS:
            line(left, NONE, EXIT_EVENTS[outcome], pos, pos, wait)
    return out


def queue_log(records: Iterable[Mapping[str, Any]]) -> list[str]:
    """The lines of all the records, oldest first (a call's own lines keep their order)."""
    lines = [x for r in records for x in record_lines(r)]
    lines.sort(key=lambda x: x.time)  # stable
    return [x.text() for x in lines]
