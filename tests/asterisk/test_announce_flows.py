"""Announcements on Asterisk: the flows set the prompts' variables and redirect the waiting
caller into acd-announce, which plays them and returns to the music (deploy/asterisk); the
AcdPlayed user event (the format [acd-play] already sends) ends it; an agent's answer cuts it."""

from __future__ import annotations

import re

from acd.commands import Announce, HangUp
from tests.asterisk.flowkit import (
    A1_LEG,
    A1_UID,
    CALLER,
    CALLER_UID,
    ROOT,
    agent_tags,
    chan,
    flows,
    names,
    offer,
    waiting_call,
)

PLAYED = chan(
    "UserEvent", CALLER, CALLER_UID, 6, None, ("UserEvent", "AcdPlayed"), ("After", "hold")
)


def _sets(out: object) -> list[tuple[str | None, str | None, str | None]]:
    return [(a.name, a.get("Variable"), a.get("Value") or a.get("Context")) for a in out.actions]  # type: ignore[attr-defined]


def test_a_waiting_caller_hears_position_and_wait_then_the_music() -> None:
    f = flows(messages={"recorded": "custom/recorded"})
    waiting_call(f)
    out = f.on_command(Announce(CALLER_UID, "fr", position=3, minutes=4))
    assert _sets(out) == [
        ("Setvar", "ACD_SAY_POSITION", "3"),
        ("Setvar", "ACD_SAY_MINUTES", "4"),
        ("Setvar", "ACD_MESSAGE", None),  # empty: a previous message is not said again
        ("Setvar", "ACD_LANGUAGE", "fr"),
        ("Setvar", "ACD_AFTER_PLAY", "hold"),
        ("Redirect", None, "acd-announce"),
    ]
    assert all(a.get("Channel") == CALLER for a in out.actions)
    # Still saying it: the next one is dropped, not stacked.
    assert not f.on_command(Announce(CALLER_UID, message="recorded")).actions
    assert not f.on_event(PLAYED).actions  # back in acd-hold
    out = f.on_command(Announce(CALLER_UID, message="recorded"))
    assert ("Setvar", "ACD_MESSAGE", "custom/recorded") in _sets(out)


def test_an_answer_cuts_the_announcement_and_a_hang_up_after_talking_is_at_once() -> None:
    f = flows()
    waiting_call(f)
    assert f.on_command(Announce(CALLER_UID, position=2)).actions
    orig = offer(f)
    f.on_event(chan("Newchannel", A1_LEG, A1_UID, 0, agent_tags(orig)))
    f.on_event(chan("Newstate", A1_LEG, A1_UID, 6, agent_tags(orig)))  # answered: Bridge()
    assert not f.on_command(Announce(CALLER_UID, position=1, minutes=2)).actions
    out = f.on_command(HangUp(CALLER_UID, "done"))
    # The caller is hung up at once, not left to finish a prompt it no longer plays.
    assert ("Hangup", CALLER) in [(a.name, a.get("Channel")) for a in out.actions]
    assert "Setvar" not in names(out)


def test_the_dialplan_has_the_announce_context_and_returns_to_hold() -> None:
    conf = (ROOT / "deploy" / "asterisk" / "extensions.conf").read_text()
    block = conf.split("[acd-announce]", 1)[1].split("\n[", 1)[0]
    assert "SayNumber(${ACD_SAY_POSITION})" in block and "SayNumber(${ACD_SAY_MINUTES})" in block
    assert "UserEvent(AcdPlayed,After: ${ACD_AFTER_PLAY})" in block
    assert re.search(r"Goto\(acd-hold,s,1\)", block)
