"""The Asterisk queue_log export: records from the engine, lines checked against the field order
Asterisk documents for each event (docs.asterisk.org, Operation > Logging > Queue Logs)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from random import Random
from typing import Any

import pytest

from acd import events as ev
from acd.cli import main
from acd.commands import Originate
from acd.records import CallDetail
from acd.reporting.queue_log import queue_log
from acd.store.batch import Batch
from acd.store.redis import RedisStore
from dialer.center import Center as DialerCenter
from tests.helpers import Center, config
from tests.redis_server import RedisServer

BASE = 1_793_491_200.0  # 2026-11-01T00:00:00Z

# The event parameters, in order, as Asterisk's documentation names them.
DOCUMENTED: dict[str, tuple[str, ...]] = {
    "ENTERQUEUE": ("url", "callerid"),
    "CONNECT": ("holdtime", "bridgedchanneluniqueid", "ringtime"),
    "COMPLETECALLER": ("holdtime", "calltime", "origposition"),
    "COMPLETEAGENT": ("holdtime", "calltime", "origposition"),
    "ABANDON": ("position", "origposition", "waittime"),
    "EXITWITHTIMEOUT": ("position", "origposition", "waittime"),
    "EXITEMPTY": ("position", "origposition", "waittime"),
    "TRANSFER": ("extension", "context", "holdtime", "calltime", "origposition"),
}
HEAD = ("epoch", "callid", "queue", "agent", "event")


def parse(line: str) -> dict[str, str]:
    """A line as the documented fields: the five fixed ones, then the event's parameters."""
    fields = line.split("|")
    head = dict(zip(HEAD, fields[:5], strict=True))
    names = DOCUMENTED[head["event"]]
    assert len(fields) - 5 == len(names), line
    return head | dict(zip(names, fields[5:], strict=True))


def center(**queue: Any) -> Center:
    c = Center(
        config(
            [
                {"name": "q", "skills": {"s": 1}, "wrap_up_seconds": 0, **queue},
                {"name": "r", "skills": {"t": 1}, "wrap_up_seconds": 0},
            ],
            [{"id": "a1", "skills": {"s": 5}}, {"id": "a2", "skills": {"t": 5}}],
        ),
        login=False,
    )
    c.now = BASE  # the engine has seen nothing yet: its clock starts here
    for agent in ("a1", "a2"):
        c.do(ev.AgentLogin(agent))
    return c


def lines_of(c: Center) -> list[dict[str, str]]:
    records: list[CallDetail] = c.engine.records  # type: ignore[assignment]
    return [parse(x) for x in queue_log(r.as_dict() for r in records)]


def events(got: list[dict[str, str]]) -> list[str]:
    return [x["event"] for x in got]


@pytest.mark.parametrize(
    ("party", "event"), [("caller", "COMPLETECALLER"), ("agent", "COMPLETEAGENT")]
)
def test_an_answered_call_enters_connects_and_completes_by_who_hung_up(
    party: str, event: str
) -> None:
    c = center()
    c.advance(0.4)
    c.arrive("c1", "q", caller="+12125550100")
    c.advance(5.0)  # ringing a1 (wait: 5 s)
    c.answer("c1", "a1")
    c.advance(30.0)
    c.do(ev.HoldCall("c1"))
    c.advance(10.0)
    c.do(ev.ResumeCall("c1"))
    c.advance(20.0)
    c.hangup("c1", party=party)
    enter, connect, complete = got = lines_of(c)
    assert events(got) == ["ENTERQUEUE", "CONNECT", event]
    assert {x["callid"] for x in got} == {"c1"} and {x["queue"] for x in got} == {"q"}
    assert enter == enter | {"epoch": str(int(BASE)), "agent": "NONE", "url": ""}
    assert enter["callerid"] == "+12125550100"
    assert connect == connect | {"epoch": str(int(BASE) + 5), "agent": "a1", "holdtime": "5"}
    assert (connect["bridgedchanneluniqueid"], connect["ringtime"]) == ("", "0")
    assert complete["epoch"] == str(int(BASE) + 65) and complete["agent"] == "a1"
    # calltime: talk and hold together (60 s); the position is unknown (0).
    assert (complete["holdtime"], complete["calltime"], complete["origposition"]) == (
        "5",
        "60",
        "0",
    )


def test_abandon_timeout_and_exit_empty_carry_position_origposition_waittime() -> None:
    c = center(max_wait_seconds=20, leave_when_empty=True)
    c.do(ev.AgentPause("a1", "break"))
    c.arrive("abandon", "q")
    c.arrive("timeout", "q")
    c.advance(7)
    c.hangup("abandon")
    c.advance(30)  # "timeout" waited its 20 s
    c.arrive("empty", "q")
    c.advance(3)
    c.do(ev.AgentLogout("a1"))  # nobody left who could take it
    got = lines_of(c)
    by_call = {(x["callid"], x["event"]): x for x in got}
    t0 = int(BASE)
    expected = {
        ("abandon", "ABANDON"): (t0 + 7, "7"),
        ("timeout", "EXITWITHTIMEOUT"): (t0 + 20, "20"),
        ("empty", "EXITEMPTY"): (t0 + 40, "3"),
    }
    for key, (epoch, wait) in expected.items():
        x = by_call[key]
        assert x["epoch"] == str(epoch) and x["agent"] == "NONE", key
        assert (x["position"], x["origposition"], x["waittime"]) == ("0", "0", wait), key
        assert by_call[(key[0], "ENTERQUEUE")]["agent"] == "NONE"
    assert len(got) == 6
    assert [int(x["epoch"]) for x in got] == sorted(int(x["epoch"]) for x in got)


def test_a_transfer_writes_transfer_then_the_next_queue_stay() -> None:
    c = center()
    c.arrive("c1", "q")
    c.advance(2)
    c.answer("c1", "a1")
    c.advance(10)
    c.do(ev.TransferCall("c1", "r"))
    c.advance(3)
    c.answer("c1", "a2")
    c.advance(20)
    c.hangup("c1")
    got = lines_of(c)
    assert [(x["queue"], x["event"], x["agent"]) for x in got] == [
        ("q", "ENTERQUEUE", "NONE"),
        ("q", "CONNECT", "a1"),
        ("q", "TRANSFER", "a1"),
        ("r", "ENTERQUEUE", "NONE"),
        ("r", "CONNECT", "a2"),
        ("r", "COMPLETECALLER", "a2"),
    ]
    t = got[2]
    assert t["epoch"] == str(int(BASE) + 12)
    assert (t["extension"], t["context"], t["holdtime"], t["calltime"], t["origposition"]) == (
        "r",
        "",
        "2",
        "10",
        "0",
    )
    assert (got[4]["holdtime"], got[5]["holdtime"], got[5]["calltime"]) == ("3", "3", "20")


def test_outbound_calls_give_only_their_campaign_queue_stays() -> None:
    cfg = config(
        [],
        [{"id": "a1", "skills": {"out": 5}}],
        campaigns=[{"name": "c", "mode": "progressive", "skills": {"out": 1}}],
    )

    class Leads:
        n = 0

        def next_lead(self, now: float) -> tuple[str, str] | None:
            self.n += 1
            return f"L{self.n}", f"+1555000{self.n:04d}"

        def record(self, lead_id: str, outcome: Any, now: float) -> None:
            pass

    dialer = DialerCenter(cfg, rng=Random(1), leads={"c": Leads()})
    cdrs: list[CallDetail] = []
    dialer.cdr_sink = cdrs.append
    (dial,) = [o for o in dialer.handle(ev.AgentLogin("a1"), BASE) if isinstance(o, Originate)]
    dialer.handle(ev.OutboundAnswered(dial.call_id), BASE + 3)
    dialer.handle(ev.AgentAnswered(dial.call_id, "a1"), BASE + 4)
    dialer.handle(ev.CallHungUp(dial.call_id, "agent"), BASE + 60)
    more: list[Originate] = []
    t = BASE + 60
    while not more and t < BASE + 600:  # the wrap-up ends, the next lead is dialed
        t += 1
        more = [o for o in dialer.on_timer(t) if isinstance(o, Originate)]
    for o in more:
        dialer.handle(ev.OutboundFailed(o.call_id, "busy"), t + 5)
    assert any(r.queue is None for r in cdrs)  # the busy dial: a record, and no line
    got = [parse(x) for x in queue_log(r.as_dict() for r in cdrs)]
    assert [(x["callid"], x["queue"], x["event"]) for x in got] == [
        (dial.call_id, "campaign:c", "ENTERQUEUE"),
        (dial.call_id, "campaign:c", "CONNECT"),
        (dial.call_id, "campaign:c", "COMPLETEAGENT"),
    ]
    assert got[0]["callerid"] == "+15550000001" and got[2]["calltime"] == "56"


def test_cdr_export_format_queue_log(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    c = center()
    c.arrive("c1", "q", caller="+12125550100")
    c.advance(4)
    c.answer("c1", "a1")
    c.advance(30)
    c.hangup("c1", party="agent")
    c.arrive("c2", "q")
    c.advance(6)
    c.hangup("c2")
    records = [r.as_dict() for r in c.engine.records]  # type: ignore[union-attr]
    with RedisServer(tmp_path / "redis") as server:

        async def fill() -> None:
            store = RedisStore(server.url, "ql:")
            await store.apply(Batch(seq=1, records=records))
            await store.close()

        asyncio.run(fill())
        cfg = tmp_path / "center.yaml"
        cfg.write_text(f"queues:\n  - name: q\nstore:\n  url: {server.url}\n  prefix: 'ql:'\n")
        args = ["cdr", "export", "--config", str(cfg), "--from", "2026-11-01", "--to", "2026-11-01"]
        assert main([*args, "--format", "queue_log"]) == 0
        out, err = capsys.readouterr()
        target = tmp_path / "queue_log"
        assert main([*args, "--format", "queue_log", "--output", str(target)]) == 0
    assert "2 records" in err
    assert target.read_text() == out
    t0 = int(BASE)
    assert out.splitlines() == [
        f"{t0}|c1|q|NONE|ENTERQUEUE||+12125550100",
        f"{t0 + 4}|c1|q|a1|CONNECT|4||0",
        f"{t0 + 34}|c1|q|a1|COMPLETEAGENT|4|30|0",
        f"{t0 + 34}|c2|q|NONE|ENTERQUEUE||",
        f"{t0 + 40}|c2|q|NONE|ABANDON|0|0|6",
    ]
    for line in out.splitlines():
        parse(line)
