"""Callbacks on Asterisk: a caller of a callback queue gets ``ACD_CALLBACK=1`` (so [acd-hold]
takes the digit), the dialplan's ``UserEvent(AcdCallback,Number: n)`` becomes the engine's
request, the caller's hang-up that follows is reported as usual (the engine keeps the place),
and the callback is dialed as an agent-targeted call without AMD.

No capture of [acd-callback] exists: the AcdCallback frames are the real capture's AcdSurvey
frame (``tests/data/ami/asterisk-20.20.1-survey-dtmf.txt``, the UserEvent layout Asterisk 20
writes) with our event name and header, sent from a caller the capture holds in the queue."""

from __future__ import annotations

from acd import events as ev
from acd.commands import Originate
from telephony_adapters.ami import AmiCodec, Event
from telephony_adapters.asterisk import AsteriskSettings, CallFlows
from tests.asterisk.test_survey import CAPTURE


def _frames() -> list[bytes]:
    return [f + b"\r\n\r\n" for f in CAPTURE.read_bytes().split(b"\r\n\r\n") if f.strip()]


def _decode(raw: bytes) -> list[Event]:
    codec = AmiCodec()
    codec.receive_data(raw)
    codec.receive_eof()
    return [m for m in codec if isinstance(m, Event)]


def _callback_frame(number: str) -> bytes:
    survey = next(f for f in _frames() if b"UserEvent: AcdSurvey" in f)
    return survey.replace(b"UserEvent: AcdSurvey", b"UserEvent: AcdCallback").replace(
        b"Score: 5", b"Number: " + number.encode()
    )


def _taken_up(callbacks: frozenset[str]) -> tuple[CallFlows, str, list[str]]:
    """Replay the capture up to the first caller's AcdEnqueue (taken up, waiting)."""
    f = CallFlows(AsteriskSettings(secret="s"), agent_state=lambda _a: None, callbacks=callbacks)
    actions: list[str] = []
    for frame in _frames():
        for msg in _decode(frame):
            out = f.on_event(msg)
            actions += [f"{a.name}:{a.get('Variable')}={a.get('Value')}" for a in out.actions]
            if any(isinstance(e, ev.CallArrived) for e in out.events):
                return f, msg.get("Uniqueid") or "", actions
    raise AssertionError("no caller taken up in the capture")


def test_a_callback_queues_caller_may_press_the_digit() -> None:
    _, _, actions = _taken_up(frozenset({"support"}))
    assert actions == ["Setvar:ACD_CALLBACK=1"]
    _, _, actions = _taken_up(frozenset())
    assert actions == []


def test_the_dialplans_callback_event_is_the_engines_request() -> None:
    f, uid, _ = _taken_up(frozenset({"support"}))
    (msg,) = _decode(_callback_frame("+12125550188"))
    assert msg.get("Uniqueid") == uid
    assert f.on_event(msg).events == [ev.CallbackRequested(uid, "+12125550188")]
    (bad,) = _decode(_callback_frame("12ab"))
    assert f.on_event(bad).events == [ev.CallbackRequested(uid)]  # its own number then
    hangup = next(
        m
        for fr in _frames()
        for m in _decode(fr)
        if m.name == "Hangup" and m.get("Uniqueid") == uid
    )
    assert f.on_event(hangup).events == [ev.CallHungUp(uid, "caller")]


def test_a_callback_is_dialed_without_amd_for_its_agent() -> None:
    f, uid, _ = _taken_up(frozenset({"support"}))
    out = f.on_command(
        Originate(
            f"{uid}.cb1", "+12125550188", agent_id="a1", amd=False, queue="support", callback=True
        )
    )
    (action,) = out.actions
    assert action.name == "Originate"
    assert "ACD_AMD=off" in action.get_all("Variable")  # type: ignore[attr-defined]
    assert f.calls[f"{uid}.cb1"].target == "a1"
