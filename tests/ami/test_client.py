"""The asyncio AMI client against the emulator: login, actions, events, keep-alive, reconnect."""

from __future__ import annotations

import asyncio
import hashlib
import random
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from telephony_adapters.ami import (
    Action,
    AmiActionError,
    AmiAuthError,
    AmiConnectionLost,
    AmiTimeout,
    Event,
    EventListResult,
    Response,
)
from telephony_adapters.ami.client import AmiClient, Backoff
from telephony_adapters.testing import AmiEmulator

FAST = Backoff(initial=0.002, maximum=0.02, multiplier=2.0, jitter=0.5)


@pytest.fixture
async def emu() -> AsyncIterator[AmiEmulator]:
    async with AmiEmulator() as e:
        yield e


@pytest.fixture
async def make(emu: AmiEmulator) -> AsyncIterator[Callable[..., AmiClient]]:
    made: list[AmiClient] = []

    def factory(**kw: Any) -> AmiClient:
        options: dict[str, Any] = {
            "backoff": FAST,
            "rng": random.Random(7),
            "ping_interval": None,
            "action_timeout": 2.0,
            "connect_timeout": 2.0,
        }
        options.update(kw)
        secret = options.pop("secret", "acdsecret")
        client = AmiClient("127.0.0.1", emu.port, "acd", secret, **options)
        made.append(client)
        return client

    yield factory
    for client in made:
        await client.close()


async def test_plain_login(emu: AmiEmulator, make: Callable[..., AmiClient]) -> None:
    client = make(auth="plain")
    await client.connect()
    assert client.connected and client.banner is not None and client.banner.version == "9.0.0"
    (login,) = emu.actions_named("Login")
    assert login.get("Secret") == "acdsecret" and login.get("Key") is None
    assert login.get("Events") == "system,call,agent,user,cdr"
    assert emu.actions_named("Challenge") == []


async def test_md5_login(emu: AmiEmulator, make: Callable[..., AmiClient]) -> None:
    client = make(events=None)
    await client.connect()
    (challenge,) = emu.actions_named("Challenge")
    (login,) = emu.actions_named("Login")
    assert challenge.get("AuthType") == "MD5" and login.get("Secret") is None
    session = next(iter(emu._sessions.values()))
    expected = hashlib.md5(f"{session.challenge}acdsecret".encode()).hexdigest()
    assert login.get("AuthType") == "MD5" and login.get("Key") == expected
    assert login.get("Events") is None and client.connected


@pytest.mark.parametrize("auth", ["md5", "plain"])
async def test_wrong_secret_is_an_auth_error(
    emu: AmiEmulator, make: Callable[..., AmiClient], auth: str
) -> None:
    client = make(auth=auth, secret="wrong")
    with pytest.raises(AmiAuthError, match="Authentication failed") as info:
        await client.connect()
    assert info.value.reason == "Authentication failed" and info.value.code == "ami_auth_failed"
    assert not client.connected and client.reconnects == 0 and len(emu.actions_named("Login")) == 1


async def test_nobody_listening_is_connection_lost() -> None:
    async with AmiEmulator() as gone:
        port = gone.port
    client = AmiClient("127.0.0.1", port, "acd", "acdsecret", backoff=FAST)
    with pytest.raises(AmiConnectionLost, match="cannot connect"):
        await client.connect()
    with pytest.raises(AmiConnectionLost):
        await client.send_action(Action("Ping"))


async def test_action_timeout_then_the_connection_still_works(
    emu: AmiEmulator, make: Callable[..., AmiClient]
) -> None:
    client = make()
    await client.connect()
    emu.unanswered.add("queuestatus")
    with pytest.raises(AmiTimeout) as info:
        await client.send_action(Action("QueueStatus", action_id="slow"), timeout=0.05)
    assert info.value.action_id == "slow" and info.value.timeout == 0.05
    pong = await client.send_action(Action("Ping"))
    assert isinstance(pong, Response) and pong.get("Ping") == "Pong"


async def test_error_response_raises_action_error(make: Callable[..., AmiClient]) -> None:
    client = make()
    await client.connect()
    with pytest.raises(AmiActionError) as info:
        await client.send_action(Action("Hangup", Channel="SIP/nobody-00000001"))
    assert info.value.reason == "No such channel" and info.value.action == "Hangup"
    assert info.value.response.name == "Error"


async def test_event_list_result(emu: AmiEmulator, make: Callable[..., AmiClient]) -> None:
    client = make()
    await client.connect()
    add = Action("QueueAdd", Queue="support", Interface="Local/a1@agents", MemberName="A One")
    added = await client.send_action(add)
    assert isinstance(added, Response) and added.message == "Added interface to queue"
    result = await client.send_action(Action("QueueStatus", Queue="support"))
    assert isinstance(result, EventListResult)
    assert [e.name for e in result] == ["QueueParams", "QueueMember"]
    assert result.response.starts_list and result.complete is not None
    assert result.complete.name == "QueueStatusComplete" and result.complete["ListItems"] == "2"
    ch = await emu.inbound_call("+15551234567")
    channels = await client.send_action(Action("CoreShowChannels"))
    assert isinstance(channels, EventListResult) and [e["Channel"] for e in channels] == [ch.name]


async def test_unsolicited_events_reach_the_queue(
    emu: AmiEmulator, make: Callable[..., AmiClient]
) -> None:
    client = make()
    await client.connect()
    booted = await client.next_event(timeout=1)
    assert booted.name == "FullyBooted"
    ch = await emu.inbound_call("+15551234567", variables={"LEAD": "42"})
    new = await client.next_event(timeout=1)
    state = await client.next_event(timeout=1)
    # the default mask has no "dialplan" class, so VarSet never arrives (as with Asterisk)
    assert (new.name, state.name) == ("Newchannel", "Newstate")
    assert new["CallerIDNum"] == "+15551234567" and state["Channel"] == ch.name


async def test_dialplan_class_brings_varset_to_the_callback(
    emu: AmiEmulator, make: Callable[..., AmiClient]
) -> None:
    seen: list[Event] = []
    done = asyncio.Event()

    async def on_event(event: Event) -> None:
        if event.name == "Newchannel":
            raise RuntimeError("a failing callback must not stop the others")
        seen.append(event)
        if event.name == "Newstate":
            done.set()

    client = make(events="system,call,dialplan", on_event=on_event)
    await client.connect()
    await emu.inbound_call("+15551234567", variables={"LEAD": "42"})
    await asyncio.wait_for(done.wait(), 1)
    assert [e.name for e in seen] == ["FullyBooted", "VarSet", "Newstate"]
    assert seen[1]["Variable"] == "LEAD" and seen[1]["Value"] == "42"


async def test_full_event_queue_drops_and_counts(
    emu: AmiEmulator, make: Callable[..., AmiClient]
) -> None:
    client = make(event_queue_size=2)
    await client.connect()
    for n in range(4):
        await emu.emit({"Event": "UserEvent", "Privilege": "user,all", "UserEvent": f"E{n}"})
    await client.send_action(Action("Ping"))  # everything before the Pong has been read
    assert client.dropped_events == 3  # FullyBooted and E0 fit
    assert (await client.next_event(timeout=1)).name == "FullyBooted"
    assert (await client.next_event(timeout=1)).get("UserEvent") == "E0"


async def test_ping_keepalive(emu: AmiEmulator, make: Callable[..., AmiClient]) -> None:
    client = make(ping_interval=0.01)
    await client.connect()
    await emu.wait_for_action("Ping", count=3, timeout=2)
    assert client.pings >= 2 and client.connected


async def test_unanswered_ping_drops_the_connection_and_reconnects(
    emu: AmiEmulator, make: Callable[..., AmiClient]
) -> None:
    emu.unanswered.add("ping")
    client = make(ping_interval=0.01, ping_timeout=0.02)
    await client.connect()
    await emu.wait_for_action("Login", count=2, timeout=2)
    emu.unanswered.clear()
    await emu.wait_until(lambda: emu.logged_in == 1)
    assert client.pings == 0 and client.attempts >= 2


async def test_reconnect_logs_in_again_and_calls_the_hook(
    emu: AmiEmulator, make: Callable[..., AmiClient]
) -> None:
    resynced: list[EventListResult] = []
    hooked = asyncio.Event()

    async def on_reconnect() -> None:
        result = await client.send_action(Action("CoreShowChannels"))
        assert isinstance(result, EventListResult)
        resynced.append(result)
        hooked.set()

    client = make(on_reconnect=on_reconnect)
    await client.connect()
    ch = await emu.inbound_call("+15551234567")
    await emu.drop_connections()
    await asyncio.wait_for(hooked.wait(), 2)
    assert client.connected and client.reconnects == 1 and client.attempts == 2
    assert [e["Channel"] for e in resynced[0]] == [ch.name]
    assert len(emu.actions_named("Login")) == 2 and len(emu.actions_named("Challenge")) == 2
    assert isinstance(await client.send_action(Action("Ping")), Response)


async def test_pending_action_fails_and_is_never_resent(
    emu: AmiEmulator, make: Callable[..., AmiClient]
) -> None:
    hooked = asyncio.Event()

    async def on_reconnect() -> None:
        hooked.set()

    client = make(on_reconnect=on_reconnect)
    await client.connect()
    emu.unanswered.add("originate")
    originate = Action("Originate", Channel="SIP/trunk/5551234", Application="Wait", Async=True)
    pending = asyncio.create_task(client.send_action(originate, timeout=5))
    await emu.wait_for_action("Originate")
    await emu.drop_connections()
    with pytest.raises(AmiConnectionLost):
        await pending
    await asyncio.wait_for(hooked.wait(), 2)
    emu.unanswered.clear()
    await client.send_action(Action("Ping"))  # a full round trip on the new connection
    assert len(emu.actions_named("Originate")) == 1
    assert emu.actions_named("Originate")[0] == originate


async def test_reconnect_backs_off_while_login_fails(
    emu: AmiEmulator, make: Callable[..., AmiClient]
) -> None:
    hooked = asyncio.Event()

    async def on_reconnect() -> None:
        hooked.set()

    client = make(on_reconnect=on_reconnect, auth="plain")
    await client.connect()
    emu.users["acd"] = "rotated"
    await emu.drop_connections()
    await emu.wait_for_action("Login", count=4, timeout=2)  # 1 good, then 3 refused
    assert not client.connected and not hooked.is_set()
    emu.users["acd"] = "acdsecret"
    await asyncio.wait_for(hooked.wait(), 2)
    assert client.connected and client.reconnects == 1 and client.attempts >= 5


def test_backoff_is_exponential_capped_and_jittered_deterministically() -> None:
    plain = Backoff(initial=1.0, maximum=8.0, multiplier=2.0, jitter=0.0)
    assert [plain.delay(n, random.Random(0)) for n in range(1, 7)] == [1, 2, 4, 8, 8, 8]
    jittered = Backoff(initial=1.0, maximum=8.0, jitter=0.5)
    a = [jittered.delay(n, rng) for rng in [random.Random(3)] for n in range(1, 7)]
    b = [jittered.delay(n, rng) for rng in [random.Random(3)] for n in range(1, 7)]
    assert a == b
    for n, d in enumerate(a, start=1):
        base = min(8.0, 2.0 ** (n - 1))
        assert 0.5 * base <= d <= 1.5 * base
    with pytest.raises(ValueError):
        Backoff(initial=2.0, maximum=1.0)
    with pytest.raises(ValueError):
        Backoff(jitter=1.5)


async def test_close_logs_off_and_stops(emu: AmiEmulator, make: Callable[..., AmiClient]) -> None:
    async with make() as client:
        assert client.connected
    assert not client.connected and len(emu.actions_named("Logoff")) == 1
    with pytest.raises(AmiConnectionLost):
        await client.send_action(Action("Ping"))
    await client.close()  # twice is fine
    await emu.wait_until(lambda: emu.logged_in == 0)
    assert len(emu.actions_named("Login")) == 1  # and it did not come back
