"""What the call-flow tests share: the real capture, AMI events in its shapes, flows with
scripted agents, and the steps of a call (``tests/asterisk/test_flows*.py``)."""

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from acd import events as ev
from acd.commands import OfferCall
from telephony_adapters.ami import Action, AmiCodec, Event
from telephony_adapters.asterisk import (
    AsteriskSettings,
    CallFlows,
    Effects,
)

ROOT = Path(__file__).resolve().parents[2]
CAPTURE = ROOT / "tests" / "data" / "ami" / "asterisk-20.20.1-server-bytes-filtered.txt"
SETTINGS = AsteriskSettings(secret="s")


def capture() -> list[Event]:
    codec = AmiCodec()
    codec.receive_data(CAPTURE.read_bytes())
    codec.receive_eof()
    return [m for m in codec if isinstance(m, Event)]


def event(name: str, *pairs: tuple[str, str], **fields: str | int) -> Event:
    items = [("Event", name), *pairs, *((k, str(v)) for k, v in fields.items())]
    msg = Event.from_pairs(items)
    assert isinstance(msg, Event)
    return msg


def chan(
    name: str,
    channel: str,
    uid: str,
    state: int = 6,
    variables: dict[str, str] | None = None,
    *extra: tuple[str, str],
    caller: str = "+15550001111",
) -> Event:
    """A channel event in the shape Asterisk sends (ChanVariable lines from channelvars)."""
    pairs = [
        ("Privilege", "call,all"),
        ("Channel", channel),
        ("ChannelState", str(state)),
        ("CallerIDNum", caller),
        ("Context", "acd-hold"),
        ("Uniqueid", uid),
        ("Linkedid", uid),
        *((("ChanVariable", f"{k}={v}")) for k, v in (variables or {}).items()),
        *extra,
    ]
    return event(name, *pairs)


def enqueue(channel: str, uid: str, queue: str = "support", **more: str) -> Event:
    """What ``UserEvent(AcdEnqueue,...)`` in [acd-inbound] sends: the snapshot, then headers."""
    headers = [("UserEvent", "AcdEnqueue"), ("AcdQueue", queue)]
    headers += [(f"Acd{k}", v) for k, v in more.items()]
    return chan("UserEvent", channel, uid, 6, None, *headers)


def originate_response(
    action: Action, ok: bool, channel: str = "", uid: str = "", reason: int = 4
) -> Event:
    assert action.action_id is not None
    return event(
        "OriginateResponse",
        ("Privilege", "call,all"),
        ("ActionID", action.action_id),
        ("Response", "Success" if ok else "Failure"),
        ("Channel", channel or (action.get("Channel") or "")),
        ("Reason", str(reason)),
        ("Uniqueid", uid or "<unknown>"),
    )


def names(effects: Effects) -> list[str]:
    return [a.name for a in effects.actions]


def variables(action: Action) -> dict[str, str]:
    return dict(v.partition("=")[::2] for v in action.get_all("Variable"))


class Agents:
    """The engine's view of agents, as the adapter's lookup gives it to the flows."""

    def __init__(self, **states: tuple[str, str]) -> None:
        self.states = dict(states)

    def __call__(self, agent: str) -> tuple[str, str] | None:
        return self.states.get(agent)


def flows(agents: Agents | None = None, **settings: Any) -> CallFlows:
    cfg = SETTINGS.model_copy(update=settings) if settings else SETTINGS
    return CallFlows(cfg, agent_state=agents or Agents(), id_prefix="t")


class Scripted(CallFlows):
    """Flows whose ActionIDs are given, to meet the capture's own (orig-1, orig-3)."""

    def __init__(self, ids: Iterable[str], **kw: Any) -> None:
        super().__init__(**kw)
        self.script = list(ids)

    def next_action_id(self) -> str:
        return self.script.pop(0) if self.script else super().next_action_id()


CALLER, CALLER_UID = "PJSIP/trunk-00000001", "1795460050.8"
A1_LEG, A1_UID = "PJSIP/a1-00000002", "1795460051.9"
A2_LEG, A2_UID = "PJSIP/a2-00000003", "1795460051.10"


def waiting_call(f: CallFlows) -> None:
    out = f.on_event(enqueue(CALLER, CALLER_UID, Priority="2", Skills="billing:5 lang_fr:7"))
    assert out.events == [
        ev.CallArrived(CALLER_UID, "support", 2, "+15550001111", {"billing": 5, "lang_fr": 7})
    ]


def offer(f: CallFlows, agent: str = "a1", ring: float = 15.0, **kw: Any) -> Action:
    out = f.on_command(OfferCall(CALLER_UID, agent, ring, **kw))
    assert names(out) == ["Originate"] and not out.events
    return out.actions[0]


def agent_tags(action: Action, agent: str = "a1") -> dict[str, str]:
    v = variables(action)
    return {k: v[k] for k in ("ACD_CALL_ID", "ACD_ROLE", "ACD_AGENT", "ACD_OFFER_ID")}


def connect(f: CallFlows) -> Action:
    waiting_call(f)
    orig = offer(f)
    assert not f.on_event(chan("Newchannel", A1_LEG, A1_UID, 0, agent_tags(orig)))
    out = f.on_event(chan("Newstate", A1_LEG, A1_UID, 6, agent_tags(orig)))
    assert out.events == [ev.AgentAnswered(CALLER_UID, "a1")]
    assert not f.on_event(originate_response(orig, True, A1_LEG, A1_UID))  # already answered
    return orig
