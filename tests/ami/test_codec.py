"""The sans-I/O AMI codec and correlator, replayed against real Asterisk 20.20.1 captures."""

from __future__ import annotations

import itertools
import logging
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from telephony_adapters.ami import (
    Action,
    AmiCodec,
    AmiInvalidAction,
    Banner,
    Completed,
    Correlator,
    Event,
    EventListResult,
    Response,
    Role,
)
from telephony_adapters.ami.codec import Incoming
from telephony_adapters.ami.messages import encode_message

DATA = Path(__file__).resolve().parent.parent / "data" / "ami"
SERVER_BYTES = (DATA / "asterisk-20.20.1-server-bytes-filtered.txt").read_bytes()
SESSION = (DATA / "asterisk-20.20.1-session.txt").read_text()
EXCERPT = (DATA / "asterisk-20.20.1-session-excerpt.txt").read_text()


def side(annotated: str, prefix: str) -> bytes:
    """Rebuild one side's bytes from an annotated session: its lines, CRLF-terminated."""
    return b"".join(
        line[len(prefix) :].encode() + b"\r\n"
        for line in annotated.splitlines()
        if line.startswith(prefix)
    )


def parse(data: bytes, **kw: object) -> tuple[AmiCodec, list[Incoming]]:
    codec = AmiCodec(**kw)  # type: ignore[arg-type]
    codec.receive_data(data)
    return codec, codec.drain()


def frames_of(data: bytes) -> list[bytes]:
    """Count what a file holds independently of the codec: the raw frames after the banner."""
    _, rest = data.split(b"\r\n", 1)
    return [f for f in rest.split(b"\r\n\r\n") if f]


# ---------------------------------------------------------------------- captures


def test_server_bytes_capture_every_message_parsed() -> None:
    codec, msgs = parse(SERVER_BYTES)
    frames = frames_of(SERVER_BYTES)
    assert codec.skipped_frames == 0 and codec.decode_errors == 0 and codec.buffered == 0
    assert isinstance(msgs[0], Banner) and msgs[0].version == "9.0.0"
    assert msgs[0].version_tuple == (9, 0, 0)
    body = msgs[1:]
    assert len(body) == len(frames) == 266
    kinds = Counter(type(m).__name__ for m in body)
    assert kinds["Event"] == sum(f.startswith(b"Event: ") for f in frames) == 247
    assert kinds["Response"] == sum(f.startswith(b"Response: ") for f in frames) == 19
    # the names, in order, are the frames' first values
    assert [m.name for m in body] == [
        f.split(b"\r\n")[0].split(b": ", 1)[1].decode() for f in frames
    ]
    assert codec.messages_received == 267


def test_a_feed_bigger_than_the_frame_limit_is_fine() -> None:
    codec, msgs = parse(SERVER_BYTES, max_frame_size=4096)  # 88 kB in one go, frames < 4 kB
    assert msgs == parse(SERVER_BYTES)[1] and codec.skipped_frames == 0


def test_annotated_session_server_side_is_the_same_stream() -> None:
    rebuilt = side(SESSION, "S: ")
    assert rebuilt == SERVER_BYTES
    assert parse(rebuilt)[1] == parse(SERVER_BYTES)[1]


def test_annotated_session_client_side_parses_as_actions() -> None:
    codec, actions = parse(side(SESSION, "C: "), role=Role.SERVER)
    assert codec.skipped_frames == 0
    assert all(isinstance(a, Action) for a in actions)
    names = Counter(a.name for a in actions if isinstance(a, Action))
    assert names == Counter(
        {
            "QueueStatus": 6,
            "Originate": 3,
            "QueuePause": 2,
            "Login": 1,
            "CoreSettings": 1,
            "CoreStatus": 1,
            "QueueAdd": 1,
            "QueueSummary": 1,
            "Status": 1,
            "QueueRemove": 1,
            "Logoff": 1,
        }
    )
    login = actions[0]
    assert isinstance(login, Action) and login.action_id == "login-1"
    assert login.get("events") == "system,call,agent,user,cdr"
    assert login.headers[0] == ("Username", "acd")


def test_excerpt_whole_messages() -> None:
    data = side(EXCERPT, "S: ")
    assert data.startswith(b"Asterisk Call Manager/9.0.0\r\n")
    codec, msgs = parse(data)
    frames = frames_of(data)
    assert codec.skipped_frames == 0 and codec.buffered == 0
    assert isinstance(msgs[0], Banner) and len(msgs) - 1 == len(frames)
    assert sum(isinstance(m, Event) for m in msgs) == sum(f.startswith(b"Event: ") for f in frames)
    # every excerpt message is one of the full capture's, in the same order
    full = parse(SERVER_BYTES)[1]
    it = iter(full)
    assert all(any(m == f for f in it) for m in msgs)


def test_bare_lf_gives_the_same_messages() -> None:
    assert parse(SERVER_BYTES.replace(b"\r\n", b"\n"))[1] == parse(SERVER_BYTES)[1]


def test_originate_response_event_is_an_event_not_a_response() -> None:
    _, msgs = parse(SERVER_BYTES)
    origs = [m for m in msgs if isinstance(m, Event) and m.name == "OriginateResponse"]
    assert [o.action_id for o in origs] == ["orig-1", "orig-2", "orig-3"]
    assert [o["Response"] for o in origs] == ["Success", "Success", "Failure"]
    assert not any(isinstance(m, Response) and m.name == "Failure" for m in msgs)
    # even when Response comes first in the frame
    _, (ev,) = parse(
        b"Response: Failure\r\nEvent: OriginateResponse\r\nReason: 0\r\n\r\n", expect_banner=False
    )
    assert isinstance(ev, Event) and ev.name == "OriginateResponse" and ev.get("Reason") == "0"


def test_goodbye_success_and_lookups() -> None:
    _, msgs = parse(SERVER_BYTES)
    login, bye = msgs[1], msgs[-1]
    assert isinstance(login, Response) and login.ok and login.message == "Authentication accepted"
    assert isinstance(bye, Response) and bye.name == "Goodbye" and bye.ok
    assert bye.message == "Thanks for all the fish." and bye.action_id == "logoff-1"
    cdr = next(m for m in msgs if isinstance(m, Event) and m.name == "Cdr")
    # case-insensitive keys: Cdr spells it UniqueID, channel events Uniqueid
    assert cdr.get("uniqueid") == cdr.get("UNIQUEID") == cdr["UniqueID"] == "1795460034.0"
    assert cdr.get("CallerID") == '"AMI Test" <5550001>'  # values may hold ": " and quotes
    assert cdr.get("Nope") is None and "Nope" not in cdr and "Source" in cdr
    assert cdr.get("AccountCode") == ""  # an empty value is a value
    with pytest.raises(KeyError):
        cdr["Nope"]
    assert cdr.keys()[0] == "Event" and len(cdr) == len(cdr.items()) == 20
    assert dict(cdr.items())["Disposition"] == "ANSWERED" == cdr.as_dict()["Disposition"]


def test_error_and_command_output_forms() -> None:
    data = (
        b"Response: Error\r\nActionID: e1\r\nMessage: Permission denied\r\n\r\n"
        b"Response: Success\r\nActionID: c1\r\nMessage: Command output follows\r\n"
        b"Output: Name/username  Host\r\nOutput: \r\nOutput: 1 sip peers: 0 online\r\n\r\n"
    )
    _, (err, cmd) = parse(data, expect_banner=False)
    assert isinstance(err, Response) and not err.ok and err.message == "Permission denied"
    assert isinstance(cmd, Response)
    assert cmd.output == ["Name/username  Host", "", "1 sip peers: 0 online"]


def test_legacy_follows_across_chunks_and_blank_lines() -> None:
    data = (
        b"Response: Follows\r\nPrivilege: Command\r\nActionID: old-1\r\n"
        b"Channel              Location\r\n\r\n0 active channels\r\n--END COMMAND--\r\n\r\n"
        b"Event: FullyBooted\r\nPrivilege: system,all\r\n\r\n"
    )
    codec = AmiCodec(expect_banner=False)
    for i in range(0, len(data), 7):
        codec.receive_data(data[i : i + 7])
    follows, booted = codec.drain()
    assert isinstance(follows, Response) and follows.name == "Follows"
    assert follows.action_id == "old-1" and follows.get("Privilege") == "Command"
    assert follows.output == ["Channel              Location", "", "0 active channels"]
    assert isinstance(booted, Event) and codec.skipped_frames == 0


def test_repeated_keys_are_kept_in_order() -> None:
    data = (
        b"Event: Newchannel\r\nChannel: SIP/trunk-00000001\r\nChanVariable: CAMPAIGN=c7\r\n"
        b"ChanVariable: LEAD=42\r\nchanvariable: EMPTY=\r\nVariable: A=1\r\nVariable: B=2=3\r\n\r\n"
    )
    _, (ev,) = parse(data, expect_banner=False)
    assert isinstance(ev, Event)
    assert ev.get_all("ChanVariable") == ["CAMPAIGN=c7", "LEAD=42", "EMPTY="]
    assert ev.variables() == {"CAMPAIGN": "c7", "LEAD": "42", "EMPTY": ""}
    assert ev.variables("Variable") == {"A": "1", "B": "2=3"}
    assert ev.get("ChanVariable") == "CAMPAIGN=c7"
    assert ev.as_dict()["ChanVariable"] == "CAMPAIGN=c7"


# ---------------------------------------------------------------------- malformed input


GOOD = b"Response: Success\r\nActionID: ok-1\r\nMessage: fine\r\n\r\n"


@pytest.mark.parametrize(
    ("bad", "why"),
    [
        (b"Event: X\r\nthis line has no colon\r\n\r\n", "line without ': '"),
        (b"Channel: SIP/x\r\nState: 6\r\n\r\n", "neither Response nor Event"),
        (b"\x00\x01\x02garbage\xff\r\n\r\n", "NUL byte"),
        (b": no key\r\nEvent: X\r\n\r\n", "empty header name"),
    ],
)
def test_malformed_frame_logged_counted_skipped(
    bad: bytes, why: str, caplog: pytest.LogCaptureFixture
) -> None:
    codec = AmiCodec(expect_banner=False)
    with caplog.at_level(logging.WARNING, logger="telephony_adapters.ami"):
        codec.receive_data(GOOD + bad + GOOD)
    msgs = codec.drain()
    assert [m.action_id for m in msgs if isinstance(m, Response)] == ["ok-1", "ok-1"]
    assert codec.skipped_frames == 1 and codec.skipped_bytes > 0
    assert any(why in r.getMessage() for r in caplog.records)
    assert all(r.name == "telephony_adapters.ami" for r in caplog.records)


def test_key_with_colon_and_nothing_after_is_an_empty_value() -> None:
    _, (ev,) = parse(b"Event: X\r\nSystemName:\r\nA: 1\r\n\r\n", expect_banner=False)
    assert isinstance(ev, Event) and ev.get("SystemName") == "" and ev.get("A") == "1"


def test_oversize_frame_skipped_then_parsing_resumes(caplog: pytest.LogCaptureFixture) -> None:
    codec = AmiCodec(expect_banner=False, max_frame_size=256)
    big = b"Event: Big\r\n" + b"".join(b"K%d: %s\r\n" % (i, b"v" * 40) for i in range(40)) + b"\r\n"
    with caplog.at_level(logging.WARNING, logger="telephony_adapters.ami"):
        for i in range(0, len(big), 100):  # arrives in pieces: no separator for a long while
            codec.receive_data(big[i : i + 100])
        codec.receive_data(GOOD)
    assert [m.action_id for m in codec.drain()] == ["ok-1"]
    assert codec.skipped_frames == 1 and codec.skipped_bytes >= len(big) - 100
    assert "over 256 bytes" in caplog.text
    # a complete oversize frame inside one chunk is skipped too
    codec.receive_data(big + GOOD)
    assert [m.action_id for m in codec.drain()] == ["ok-1"] and codec.skipped_frames == 2


def test_non_utf8_decoded_with_replacement_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    codec = AmiCodec(expect_banner=False)
    with caplog.at_level(logging.WARNING, logger="telephony_adapters.ami"):
        codec.receive_data(b"Event: Newchannel\r\nCallerIDName: Jos\xe9\r\n\r\n" + GOOD)
    ev, ok = codec.drain()
    assert isinstance(ev, Event) and ev.get("CallerIDName") == "Jos\ufffd"
    assert isinstance(ok, Response) and codec.decode_errors == 1 and "not UTF-8" in caplog.text
    # valid UTF-8 that is not ASCII stays exact
    codec.receive_data("Event: X\r\nCallerIDName: José\r\n\r\n".encode())
    (ev2,) = codec.drain()
    assert isinstance(ev2, Event) and ev2.get("callername") is None
    assert ev2.get("calleridname") == "José" and codec.decode_errors == 1


def test_missing_banner_is_logged_and_the_stream_still_parses(
    caplog: pytest.LogCaptureFixture,
) -> None:
    codec = AmiCodec()
    with caplog.at_level(logging.WARNING, logger="telephony_adapters.ami"):
        codec.receive_data(GOOD)
    assert codec.banner is None and [m.action_id for m in codec.drain()] == ["ok-1"]
    assert "expected the AMI banner" in caplog.text


def test_eof_inside_a_frame_is_counted() -> None:
    codec = AmiCodec(expect_banner=False)
    codec.receive_data(GOOD + b"Event: Half\r\nChannel: x")
    codec.receive_eof()
    assert len(codec.drain()) == 1 and codec.skipped_frames == 1


# ---------------------------------------------------------------------- properties


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(0, len(SERVER_BYTES)), max_size=40))
def test_any_split_of_the_capture_gives_the_same_messages(cuts: list[int]) -> None:
    whole = parse(SERVER_BYTES)[1]
    codec = AmiCodec()
    points = [0, *sorted(cuts), len(SERVER_BYTES)]
    for a, b in itertools.pairwise(points):
        codec.receive_data(SERVER_BYTES[a:b])
    assert codec.drain() == whole and codec.skipped_frames == 0


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=300), min_size=1, max_size=5), st.booleans())
def test_garbage_never_raises_and_parsing_resumes(chunks: list[bytes], banner: bool) -> None:
    codec = AmiCodec(expect_banner=banner, max_frame_size=1024)
    for chunk in chunks:
        codec.receive_data(chunk)
    codec.drain()
    codec.receive_data(b"\r\n\r\n" + GOOD)
    msgs = codec.drain()
    assert msgs and isinstance(msgs[-1], Response) and msgs[-1].action_id == "ok-1"
    assert msgs[-1].items() == [("Response", "Success"), ("ActionID", "ok-1"), ("Message", "fine")]


_key = st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=12).filter(
    lambda k: ": " not in k and k.lower() not in ("action", "actionid")
)
_value = st.text(st.characters(blacklist_characters="\r\n\x00", blacklist_categories=("Cs",)))


@settings(max_examples=200, deadline=None)
@given(_key, st.lists(st.tuples(_key, _value), max_size=8), st.one_of(st.none(), _key))
def test_action_round_trip_through_the_server_codec(
    name: str, headers: list[tuple[str, str]], action_id: str | None
) -> None:
    action = Action(name, headers, action_id=action_id)
    codec = AmiCodec(Role.SERVER)
    codec.receive_data(AmiCodec().send(action))
    assert codec.drain() == [action] and codec.skipped_frames == 0


def test_action_building() -> None:
    a = Action(
        "Originate",
        [("CallerID", '"Bob" <5551234>')],
        Channel="SIP/trunk/5551234",
        Async=True,
        Timeout=30000,
        Variable=["CAMPAIGN=c7", "LEAD=42"],
        action_id="o-1",
    )
    assert a.to_bytes() == (
        b'Action: Originate\r\nActionID: o-1\r\nCallerID: "Bob" <5551234>\r\n'
        b"Channel: SIP/trunk/5551234\r\nAsync: true\r\nTimeout: 30000\r\n"
        b"Variable: CAMPAIGN=c7\r\nVariable: LEAD=42\r\n\r\n"
    )
    assert a.get_all("variable") == ["CAMPAIGN=c7", "LEAD=42"] and a.get("ASYNC") == "true"
    auto1, auto2 = Action("Ping"), Action("Ping")
    assert auto1.action_id and auto2.action_id and auto1.action_id != auto2.action_id
    assert Action("Ping", action_id=None).to_bytes() == b"Action: Ping\r\n\r\n"
    assert "s3cret" not in repr(Action("Login", Username="u", Secret="s3cret"))
    with pytest.raises(AttributeError):
        a.name = "Hangup"  # type: ignore[misc]


@pytest.mark.parametrize(
    "make",
    [
        lambda: Action("Originate", Channel="SIP/x\r\nAction: Hangup"),
        lambda: Action("Originate", Variable=["A=1", "B=2\nAction: Logoff"]),
        lambda: Action("Originate", [("Bad: Key", "v")]),
        lambda: Action("Setvar", Value="a\x00b"),
        lambda: Action("Ping", action_id="x\r\n"),
        lambda: Action("Bad\r\nName"),
        lambda: Action(""),
        lambda: Action("Ping", [("ActionID", "sneaky")]),
        lambda: encode_message([("Event", "X"), ("Value", "a\rb")]),
    ],
)
def test_injection_and_bad_names_refused(make: object) -> None:
    with pytest.raises(AmiInvalidAction, match=r"CR|invalid|name|pass"):
        make()  # type: ignore[operator]


def test_codec_send_checks_the_role() -> None:
    with pytest.raises(TypeError):
        AmiCodec().send(Response.from_pairs([("Response", "Success")]))
    with pytest.raises(TypeError):
        AmiCodec(Role.SERVER).send(Action("Ping"))
    ok = Response.from_pairs({"Response": "Success", "ActionID": "1"})
    assert AmiCodec(Role.SERVER).send(ok) == b"Response: Success\r\nActionID: 1\r\n\r\n"
    assert AmiCodec(Role.SERVER).send(Banner("Asterisk Call Manager", "9.0.0")) == (
        b"Asterisk Call Manager/9.0.0\r\n"
    )


# ---------------------------------------------------------------------- correlation


def _action_ids(annotated: str) -> list[str]:
    return [
        line[len("C: ActionID: ") :]
        for line in annotated.splitlines()
        if line.startswith("C: ActionID: ")
    ]


def test_correlator_over_the_whole_session() -> None:
    _, msgs = parse(SERVER_BYTES)
    corr = Correlator()
    ids = _action_ids(SESSION)
    for aid in ids:
        corr.expect(aid)
    done: dict[str, Response | EventListResult] = {}
    unsolicited: list[Event] = []
    for m in msgs[1:]:
        assert isinstance(m, Response | Event)
        out = corr.receive(m)
        if isinstance(out, Completed):
            done[out.action_id] = out.result
        elif out is not None:
            unsolicited.append(out)
    assert sorted(done) == sorted(ids) and corr.pending == 0 and corr.unmatched == 0
    qs = done["qs-paused"]
    assert isinstance(qs, EventListResult)
    assert [e.name for e in qs] == ["QueueParams", "QueueMember"]
    assert qs.complete is not None and qs.complete["ListItems"] == "2" == str(len(qs))
    status = done["status-sip"]
    assert isinstance(status, EventListResult) and len(status) == 3
    assert status.response.message == "Channel status will follow"
    assert status.action_id == "status-sip"
    assert isinstance(done["orig-3"], Response) and done["orig-3"].ok
    assert isinstance(done["logoff-1"], Response) and done["logoff-1"].name == "Goodbye"
    # OriginateResponse carries orig-N but the action was answered already: unsolicited
    assert [e.action_id for e in unsolicited if e.name == "OriginateResponse"] == [
        "orig-1",
        "orig-2",
        "orig-3",
    ]
    listed = sum(len(r) + 1 for r in done.values() if isinstance(r, EventListResult))
    assert len(unsolicited) == 247 - listed


def _resp(aid: str, *extra: tuple[str, str], name: str = "Success") -> Response:
    return Response.from_pairs([("Response", name), ("ActionID", aid), *extra])  # type: ignore[return-value]


def _ev(name: str, *extra: tuple[str, str]) -> Event:
    return Event.from_pairs([("Event", name), *extra])  # type: ignore[return-value]


def test_correlator_timeouts_late_answers_and_reset() -> None:
    corr = Correlator()
    corr.expect("a")
    corr.expect("b")
    with pytest.raises(ValueError):
        corr.expect("a")
    corr.cancel("a")  # timed out
    assert corr.pending == 1
    # the late list of "a" is swallowed entirely, unrelated events still pass
    assert corr.receive(_resp("a", ("EventList", "start"))) is None
    assert corr.receive(_ev("QueueParams", ("ActionID", "a"))) is None
    other = _ev("Newchannel")
    assert corr.receive(other) is other
    assert (
        corr.receive(_ev("QueueStatusComplete", ("ActionID", "a"), ("EventList", "Complete")))
        is None
    )
    # a response for nobody is counted, not raised
    assert corr.receive(_resp("zzz")) is None and corr.unmatched == 1
    # forced list without EventList: start; closed by a *Complete event without EventList header
    corr.expect("c", event_list=True)
    assert corr.receive(_resp("c")) is None
    assert corr.receive(_ev("Status", ("ActionID", "c"))) is None
    out = corr.receive(_ev("StatusComplete", ("ActionID", "c")))
    assert isinstance(out, Completed) and isinstance(out.result, EventListResult)
    assert [e.name for e in out.result] == ["Status"]
    assert corr.reset() == ["b"] and corr.pending == 0
