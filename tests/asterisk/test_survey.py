"""The post-call survey on Asterisk: when the agent ends a call of a survey queue, the caller is
redirected to [acd-survey] instead of hung up, and the dialplan's ``UserEvent(AcdSurvey,Score:
d)`` becomes the engine's score of that call.

The real Asterisk 20 capture of two held callers redirected to ``s@acd-survey``
(``tests/data/ami/asterisk-20.20.1-survey-dtmf.txt``: the first pressed 5, the second nothing)
is replayed whole; the agent's part of each call (answer, then hang-up), which the capture does
not have, is played just before the caller's first frame in the survey."""

from __future__ import annotations

from pathlib import Path

from acd import events as ev
from acd.commands import OfferCall
from telephony_adapters.ami import AmiCodec, Event
from telephony_adapters.asterisk import AsteriskSettings, CallFlows, Effects
from tests.asterisk.flowkit import agent_tags, chan

ROOT = Path(__file__).resolve().parents[2]
CAPTURE = ROOT / "tests" / "data" / "ami" / "asterisk-20.20.1-survey-dtmf.txt"


def capture() -> list[Event]:
    codec = AmiCodec()
    codec.receive_data(CAPTURE.read_bytes())
    codec.receive_eof()
    return [m for m in codec if isinstance(m, Event)]


def agent_answers_then_hangs_up(f: CallFlows, call_id: str, agent: str, n: int) -> Effects:
    out = f.on_command(OfferCall(call_id, agent, 15.0))
    orig = out.actions[0]
    leg, uid = f"SIP/{agent}-0000009{n}", f"1796193999.{n}"
    f.on_event(chan("Newchannel", leg, uid, 0, agent_tags(orig, agent)))
    answered = f.on_event(chan("Newstate", leg, uid, 6, agent_tags(orig, agent)))
    assert answered.events == [ev.AgentAnswered(call_id, agent)]
    return f.on_event(chan("Hangup", leg, uid, 6, None, ("Cause", "16")))


def replay(surveys: dict[str, int]) -> tuple[list[ev.Event], list[Effects], CallFlows]:
    f = CallFlows(AsteriskSettings(secret="s"), agent_state=lambda _a: None, surveys=surveys)
    events: list[ev.Event] = []
    ends: list[Effects] = []
    for msg in capture():
        uid = msg.get("Uniqueid") or ""
        if msg.get("Context") == "acd-survey" and uid in f.calls:
            ends.append(agent_answers_then_hangs_up(f, uid, f"a{len(ends) + 1}", len(ends)))
            events += ends[-1].events
        events += f.on_event(msg).events
    return events, ends, f


def test_the_caller_goes_to_the_survey_and_the_digit_scores_the_call() -> None:
    events, ends, f = replay({"support": 5})
    first, second = (e.events[0].call_id for e in ends)  # type: ignore[union-attr]
    for end, call_id in zip(ends, (first, second), strict=True):
        assert end.events == [ev.CallHungUp(call_id, "agent")]
        # Not hung up: sent to the survey.
        assert [(a.name, a.get("Context")) for a in end.actions] == [("Redirect", "acd-survey")]
    assert [e for e in events if isinstance(e, ev.CallScored)] == [ev.CallScored(first, 5, 5)]
    assert not f.surveyed and not f.calls and not f.legs  # both callers hung up in the end


def test_without_a_survey_the_caller_is_hung_up() -> None:
    events, ends, _ = replay({})
    for end in ends:
        assert [a.name for a in end.actions] == ["Hangup"]
    assert not [e for e in events if isinstance(e, ev.CallScored)]


def test_a_digit_above_the_scale_is_no_score() -> None:
    events, _, _ = replay({"support": 4})  # the first caller's 5 is out of a 1-4 scale
    assert not [e for e in events if isinstance(e, ev.CallScored)]
