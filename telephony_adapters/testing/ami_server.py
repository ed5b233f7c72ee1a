"""The emulated Asterisk's server and PBX state: sessions, channels, queues and their events.

``EmulatedPbx`` listens on 127.0.0.1, keeps one ``Session`` (codec, login, event mask) per
connection, and raises the channel and bridge events a scripted call produces. Which actions it
answers, and how, is ``AmiEmulator``'s part (``ami_emulator.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
import uuid
from collections.abc import Callable, Coroutine, Iterable, Mapping, Sequence
from typing import Any, Self

from telephony_adapters.ami.codec import AmiCodec, Role
from telephony_adapters.ami.messages import Action, Banner, Event, encode_message
from telephony_adapters.testing.ami_model import (
    AGENT,
    CALL,
    CAUSE_TEXT,
    DIALPLAN,
    VERSION_LINE,
    Channel,
    OriginateOutcome,
    OriginateRule,
    Pairs,
    Queue,
    ReceivedAction,
)

log = logging.getLogger("telephony_adapters.testing")


class Session:
    """One client connection: its codec (server side), its login and the events it takes."""

    def __init__(self, ident: int, writer: asyncio.StreamWriter) -> None:
        self.id = ident
        self.writer = writer
        self.codec = AmiCodec(Role.SERVER)
        self.authenticated = False
        self.username = ""
        self.mask: frozenset[str] | None = None  # None: every class ("on")
        self.challenge = ""

    def wants(self, privilege: str | None) -> bool:
        if not self.authenticated:
            return False
        if privilege is None or self.mask is None:
            return True
        return any(c in self.mask for c in privilege.split(",") if c != "all")

    def write(self, pairs: Iterable[tuple[str, str]]) -> None:
        if not self.writer.is_closing():
            self.writer.write(encode_message(pairs))


class EmulatedPbx:
    """The server and the PBX state behind ``AmiEmulator``, which adds the actions."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        users: Mapping[str, str] | None = None,
        version: str = "9.0.0",
        asterisk_version: str = "20.20.1",
        originate_rule: OriginateRule | None = None,
        queues: Mapping[str, str] | None = None,
        manager_vars: Sequence[str] = (),
        command_output: Mapping[str, str] | None = None,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.time,
        auth_failure_delay: float = 0.0,
    ) -> None:
        self.host = host
        self._port = port
        self.users = dict(users if users is not None else {"acd": "acdsecret"})
        self.version = version
        self.asterisk_version = asterisk_version
        self.originate_rule: OriginateRule = originate_rule or (lambda _a: OriginateOutcome.HUMAN)
        qs = queues if queues is not None else {"support": "rrmemory", "sales": "ringall"}
        self.queues = {name: Queue(name, strategy) for name, strategy in qs.items()}
        self.manager_vars = tuple(manager_vars)
        self.command_output = dict(command_output or {"core show version": VERSION_LINE})
        self.rng = rng or random.Random(0)
        self.clock = clock
        self.auth_failure_delay = auth_failure_delay
        self.actions: list[ReceivedAction] = []
        #: action names (lower case) recorded but never answered, to test timeouts
        self.unanswered: set[str] = set()
        self.channels: dict[str, Channel] = {}
        self.started_at = clock()
        self._server: asyncio.Server | None = None
        self._sessions: dict[int, Session] = {}
        self._tasks: set[asyncio.Task[None]] = set()  # call flows (ours: cancelled on stop)
        self._serving: set[asyncio.Task[None]] = set()  # connections (ended by closing them)
        self._changed = asyncio.Condition()
        self._session_ids = 0
        self._uid = 0
        self._chan_seq = 0

    # ------------------------------------------------------------------ lifecycle

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the emulator is not started")
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def logged_in(self) -> int:
        return sum(1 for s in self._sessions.values() if s.authenticated)

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, self.host, self._port)
        log.info("AMI emulator listening on %s:%d", self.host, self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for sess in list(self._sessions.values()):
            sess.writer.transport.abort()
        await asyncio.gather(*self._serving, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def _spawn(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("emulator task %s failed", task.get_name(), exc_info=task.exception())

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_until(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        """Wait until ``predicate()`` holds; it is checked whenever the emulator's state changes."""
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(predicate)

    async def wait_for_action(
        self, name: str, count: int = 1, timeout: float = 5.0
    ) -> list[Action]:
        await self.wait_until(lambda: len(self.actions_named(name)) >= count, timeout)
        return self.actions_named(name)

    def actions_named(self, name: str) -> list[Action]:
        return [r.action for r in self.actions if r.action.name.lower() == name.lower()]

    async def drop_connections(self) -> None:
        """Cut every client connection at once, as a crash or a network failure would."""
        dropped = set(self._sessions)
        for sess in list(self._sessions.values()):
            sess.writer.transport.abort()
        await self.wait_until(lambda: not dropped & self._sessions.keys())

    # ------------------------------------------------------------------ connections

    async def _dispatch(self, sess: Session, action: Action) -> bool:
        """Answer one action; False closes the connection. ``AmiEmulator`` answers them."""
        raise NotImplementedError

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._serving.add(task)
        self._session_ids += 1
        sess = self._sessions[self._session_ids] = Session(self._session_ids, writer)
        try:
            writer.write(Banner("Asterisk Call Manager", self.version).to_bytes())
            while not writer.is_closing():
                data = await reader.read(65536)
                if not data:
                    break
                sess.codec.receive_data(data)
                for action in sess.codec:
                    assert isinstance(action, Action)
                    self.actions.append(ReceivedAction(sess.id, action, self.clock()))
                    if not await self._dispatch(sess, action):
                        await writer.drain()
                        writer.close()
                        break
                    await self._notify()
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            self._sessions.pop(sess.id, None)
            writer.close()
            self._serving.discard(task)
            await self._notify()

    def _reply(
        self,
        sess: Session,
        action: Action,
        response: str = "Success",
        message: str | None = None,
        extra: Sequence[tuple[str, str]] = (),
        listflag: str | None = None,
    ) -> None:
        pairs = [("Response", response)]
        if action.action_id is not None:
            pairs.append(("ActionID", action.action_id))
        if listflag:
            pairs.append(("EventList", listflag))
        if message is not None:
            pairs.append(("Message", message))
        sess.write(pairs + list(extra))

    def _list(
        self,
        sess: Session,
        action: Action,
        message: str,
        items: list[Pairs],
        done: str,
        *,
        id_first: bool = False,
    ) -> None:
        """A list: the listack, the items (ActionID after Event, or last), the Complete event."""
        self._reply(sess, action, message=message, listflag="start")
        aid = [("ActionID", action.action_id)] if action.action_id is not None else []
        for item in items:
            sess.write(item[:1] + aid + item[1:] if id_first else item + aid)
        count = str(len(items))
        sess.write([("Event", done), *aid, ("EventList", "Complete"), ("ListItems", count)])

    def _broadcast(self, name: str, privilege: str | None, pairs: Pairs) -> None:
        head = [("Event", name)] + ([("Privilege", privilege)] if privilege else [])
        for sess in list(self._sessions.values()):
            if sess.wants(privilege):
                sess.write(head + pairs)

    async def _flush(self) -> None:
        for sess in list(self._sessions.values()):
            with contextlib.suppress(ConnectionError, OSError):
                await sess.writer.drain()
        await self._notify()

    async def emit(
        self, event: Event | Mapping[str, str] | Sequence[tuple[str, str]], privilege: str = ""
    ) -> None:
        """Send an event to every logged-in session whose mask takes its ``Privilege``.

        Give an ``Event``, a mapping or pairs starting with ``Event``; ``privilege`` is added after
        the ``Event`` line unless the event has one already (none: sent to every session).
        """
        if isinstance(event, Event):
            pairs = event.items()
        elif isinstance(event, Mapping):
            pairs = list(event.items())
        else:
            pairs = list(event)
        if not pairs or pairs[0][0].lower() != "event":
            raise ValueError("an event starts with its Event header")
        rest = pairs[1:]
        given = next((v for k, v in rest if k.lower() == "privilege"), None)
        if given is not None:
            rest = [(k, v) for k, v in rest if k.lower() != "privilege"]
        self._broadcast(pairs[0][1], given or privilege or None, rest)
        await self._flush()

    # ------------------------------------------------------------------ channels

    def _new_channel(self, tech_resource: str, context: str, exten: str) -> Channel:
        uid = f"{int(self.clock())}.{self._uid}"
        self._uid += 1
        tech, _, resource = tech_resource.partition("/")
        if tech.lower() == "local":
            name = f"{tech}/{resource}-{self._chan_seq:08x};1"
        else:
            peer = resource.split("/")[0].rpartition("@")[2]
            name = f"{tech}/{peer}-{self._chan_seq:08x}"
        self._chan_seq += 1
        ch = Channel(name, uid, uid, context, exten, created=self.clock())
        self.channels[name] = ch
        return ch

    def _chan_event(self, name: str, ch: Channel, *extra: tuple[str, str], cls: str = CALL) -> None:
        self._broadcast(name, cls, ch.snapshot(self.manager_vars) + list(extra))

    def _set_state(self, ch: Channel, state: int) -> None:
        ch.state = state
        self._chan_event("Newstate", ch)

    def _set_var(self, ch: Channel, name: str, value: str) -> None:
        ch.variables[name] = value
        self._chan_event("VarSet", ch, ("Variable", name), ("Value", value), cls=DIALPLAN)

    def _device_state(self, ch: Channel, state: str) -> None:
        device = ch.name.rpartition("-")[0]  # SIP/trunk-00000000 -> SIP/trunk
        self._broadcast("DeviceStateChange", CALL, [("Device", device), ("State", state)])

    def _hangup(self, ch: Channel, cause: int, request: bool = True) -> None:
        if self.channels.pop(ch.name, None) is None:
            return
        for q in self.queues.values():
            if ch in q.callers:
                q.callers.remove(ch)
                where = [("Queue", q.name), ("Position", "1"), ("Count", str(len(q.callers)))]
                self._chan_event("QueueCallerLeave", ch, *where, cls=AGENT)
        if request:
            self._chan_event("HangupRequest", ch, ("Cause", str(cause)))
        text = CAUSE_TEXT.get(cause, "Unknown")
        self._chan_event("Hangup", ch, ("Cause", str(cause)), ("Cause-txt", text))
        self._device_state(ch, "NOT_INUSE")

    async def inbound_call(
        self,
        caller: str = "+15551234567",
        *,
        exten: str = "100",
        context: str = "from-trunk",
        variables: Mapping[str, str] | None = None,
        caller_name: str | None = None,
        trunk: str = "SIP/trunk",
    ) -> Channel:
        """A call arriving from a trunk: Newchannel, a VarSet per variable, Newstate Ring."""
        ch = self._new_channel(trunk, context, exten)
        ch.caller_num = caller
        ch.caller_name = caller_name or caller
        self._chan_event("Newchannel", ch)
        for name, value in (variables or {}).items():
            self._set_var(ch, name, value)
        self._set_state(ch, 4)
        await self._flush()
        return ch

    async def answer(self, ch: Channel) -> None:
        self._set_state(ch, 6)
        self._device_state(ch, "INUSE")
        await self._flush()

    async def hangup(self, ch: Channel, cause: int = 16) -> None:
        self._hangup(ch, cause)
        await self._flush()

    async def queue_join(self, ch: Channel, queue: str) -> None:
        """The channel enters a queue: QueueCallerJoin (it then shows in QueueStatus)."""
        q = self.queues[queue]
        q.callers.append(ch)
        n = str(len(q.callers))
        where = [("Queue", queue), ("Position", n), ("Count", n)]
        self._chan_event("QueueCallerJoin", ch, *where, cls=AGENT)
        await self._flush()

    async def set_variable(self, ch: Channel, name: str, value: str) -> None:
        self._set_var(ch, name, value)
        await self._flush()

    async def bridge(self, a: Channel, b: Channel) -> str:
        """Put two channels in a new basic bridge: BridgeCreate, then BridgeEnter for each."""
        bid = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        head = [
            ("BridgeUniqueid", bid),
            ("BridgeType", "basic"),
            ("BridgeTechnology", "simple_bridge"),
            ("BridgeCreator", "<unknown>"),
            ("BridgeName", "<unknown>"),
        ]
        tail = [("BridgeVideoSourceMode", "none")]
        self._broadcast("BridgeCreate", CALL, [*head, ("BridgeNumChannels", "0"), *tail])
        for n, ch in enumerate((a, b), start=1):
            ch.bridge_id = bid
            fields = [*head, ("BridgeNumChannels", str(n)), *tail]
            self._broadcast("BridgeEnter", CALL, fields + ch.snapshot(self.manager_vars))
        await self._flush()
        return bid
