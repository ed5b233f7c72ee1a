"""An AMI server emulator: an Asterisk stand-in on 127.0.0.1 for tests, CI and demos.

It speaks the protocol byte for byte as ``tests/data/ami/`` shows Asterisk 20.20.1 doing it: the
banner ``Asterisk Call Manager/9.0.0``, CRLF, header order and spelling, ``ActionID`` right after
``Response``, ``EventList: start`` lists closed by ``...Complete`` events with ``ListItems``. The
field sets of Newchannel, Newstate, NewCallerid, DialBegin/DialEnd, BridgeCreate/BridgeEnter,
HangupRequest, Hangup, OriginateResponse, DeviceStateChange and the queue events are the ones in
the capture; VarSet, CoreShowChannel and QueueEntry (absent from it) follow Asterisk's
documentation. Events carry their ``Privilege:`` class and reach a session only if its
``Events:`` mask takes that class, as in Asterisk: VarSet is ``dialplan``, so a client logged in
with ``system,call,agent,user,cdr`` never sees ``AMDSTATUS``.

Actions: Login (plain and MD5), Challenge, Logoff, Ping, Events, CoreSettings, CoreStatus,
CoreShowChannels, QueueStatus, QueueSummary, QueueAdd, QueueRemove, QueuePause, Originate (async
or not), Hangup, Redirect, Getvar, Setvar, UserEvent, Command. Anything else gets Asterisk's
``Invalid/unknown command`` error. Every action received is recorded in ``actions``.

Scripting for tests: ``emit()`` any event, ``inbound_call()`` (Newchannel, VarSet per variable,
Newstate Ring), ``answer()``, ``hangup()``, ``bridge()``, ``set_variable()``, an originate rule
deciding per Originate (human, machine, no answer, busy, fail), ``drop_connections()`` to cut
every TCP connection mid-stream, and ``wait_until()`` to await a condition without sleeping.

Simplifications, on purpose: one channel per call leg (a Local channel has no ``;2`` half and no
LocalBridge), no dialplan (an answered Originate stays up until hung up or its talk time ends).

    python -m telephony_adapters.ami.emulator --port 5038 --user acd:acdsecret
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import enum
import hashlib
import logging
import random
import time
import uuid
from collections.abc import Callable, Coroutine, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from telephony_adapters.ami.codec import AmiCodec, Role
from telephony_adapters.ami.messages import Action, Banner, Event, encode_message

__all__ = [
    "AmiEmulator",
    "Channel",
    "OriginateOutcome",
    "OriginatePlan",
    "OriginateRule",
    "ReceivedAction",
]

log = logging.getLogger("telephony_adapters.ami.emulator")

Pairs = list[tuple[str, str]]
CALL, SYSTEM, AGENT = "call,all", "system,all", "agent,all"
USER, DIALPLAN = "user,all", "dialplan,all"
STATE_DESC = {0: "Down", 4: "Ring", 5: "Ringing", 6: "Up", 7: "Busy"}
CAUSE_TEXT = {0: "Unknown", 16: "Normal Clearing", 17: "User busy", 19: "User alerting, no answer"}
_LIST_COMMANDS = "Use Action: ListCommands to show available commands."
_CLASSES = frozenset(
    {"system", "call", "log", "verbose", "command", "agent", "user", "config", "dtmf"}
    | {"reporting", "cdr", "dialplan", "originate", "agi", "cc", "aoc", "test", "security"}
    | {"message"}
)


class OriginateOutcome(enum.Enum):
    HUMAN = "human"  # answered; AMDSTATUS=HUMAN
    MACHINE = "machine"  # answered; AMDSTATUS=MACHINE
    NO_ANSWER = "no_answer"  # rings, then OriginateResponse Failure, Reason 3
    BUSY = "busy"  # OriginateResponse Failure, Reason 5, Hangup cause 17
    FAIL = "fail"  # no channel at all: OriginateResponse Failure, Reason 0


@dataclass(frozen=True, slots=True)
class OriginatePlan:
    outcome: OriginateOutcome = OriginateOutcome.HUMAN
    ring_seconds: float = 0.0
    talk_seconds: float | None = None  # the far end hangs up after this; None: stays up
    amd: bool = True  # answered calls get VarSet AMDSTATUS / AMDCAUSE (class dialplan)


OriginateRule = Callable[[Action], "OriginateOutcome | OriginatePlan"]


@dataclass(slots=True)
class Channel:
    name: str
    uniqueid: str
    linkedid: str
    context: str
    exten: str
    priority: int = 1
    state: int = 0
    caller_num: str = "<unknown>"
    caller_name: str = "<unknown>"
    connected_num: str = "<unknown>"
    connected_name: str = "<unknown>"
    application: str = ""
    app_data: str = ""
    bridge_id: str = ""
    variables: dict[str, str] = field(default_factory=dict)
    created: float = 0.0

    def snapshot(self, manager_vars: Sequence[str] = (), prefix: str = "") -> Pairs:
        p = prefix
        pairs = [
            (f"{p}Channel", self.name),
            (f"{p}ChannelState", str(self.state)),
            (f"{p}ChannelStateDesc", STATE_DESC.get(self.state, "Unknown")),
            (f"{p}CallerIDNum", self.caller_num),
            (f"{p}CallerIDName", self.caller_name),
            (f"{p}ConnectedLineNum", self.connected_num),
            (f"{p}ConnectedLineName", self.connected_name),
            (f"{p}Language", "en"),
            (f"{p}AccountCode", ""),
            (f"{p}Context", self.context),
            (f"{p}Exten", self.exten),
            (f"{p}Priority", str(self.priority)),
            (f"{p}Uniqueid", self.uniqueid),
            (f"{p}Linkedid", self.linkedid),
        ]
        pairs += [(f"{p}ChanVariable", f"{v}={self.variables.get(v, '')}") for v in manager_vars]
        return pairs


@dataclass(slots=True)
class QueueMember:
    interface: str
    name: str
    penalty: int = 0
    paused: bool = False
    reason: str = ""
    status: int = 1
    calls_taken: int = 0
    last_call: int = 0
    last_pause: int = 0
    login_time: int = 0
    in_call: int = 0

    def event_fields(self, queue: str) -> Pairs:
        """QueueMemberAdded / Pause / Status / Removed, as in the capture."""
        return [
            ("Queue", queue),
            ("MemberName", self.name),
            ("Interface", self.interface),
            ("StateInterface", self.interface),
            ("Membership", "dynamic"),
            ("Penalty", str(self.penalty)),
            ("CallsTaken", str(self.calls_taken)),
            ("LastCall", str(self.last_call)),
            ("LastPause", str(self.last_pause)),
            ("LoginTime", str(self.login_time)),
            ("InCall", str(self.in_call)),
            ("Status", str(self.status)),
            ("Paused", "1" if self.paused else "0"),
            ("PausedReason", self.reason),
            ("Ringinuse", "0"),
            ("Wrapuptime", "0"),
        ]

    def status_fields(self, queue: str) -> Pairs:
        """The QueueMember item of a QueueStatus list, as in the capture."""
        return [
            ("Queue", queue),
            ("Name", self.name),
            ("Location", self.interface),
            ("StateInterface", self.interface),
            ("Membership", "dynamic"),
            ("Penalty", str(self.penalty)),
            ("CallsTaken", str(self.calls_taken)),
            ("LastCall", str(self.last_call)),
            ("LastPause", str(self.last_pause)),
            ("LoginTime", str(self.login_time)),
            ("InCall", str(self.in_call)),
            ("Status", str(self.status)),
            ("Paused", "1" if self.paused else "0"),
            ("PausedReason", self.reason),
            ("Wrapuptime", "0"),
        ]


@dataclass(slots=True)
class Queue:
    name: str
    strategy: str = "ringall"
    members: dict[str, QueueMember] = field(default_factory=dict)
    callers: list[Channel] = field(default_factory=list)
    completed: int = 0


@dataclass(frozen=True, slots=True)
class ReceivedAction:
    session: int
    action: Action
    at: float


class _Session:
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


def _mask(value: str | None) -> frozenset[str] | None:
    if value is None or value.strip().lower() in ("on", "all", "yes", "true", ""):
        return None
    if value.strip().lower() in ("off", "no", "false", "none"):
        return frozenset()
    return frozenset(c.strip().lower() for c in value.split(",")) & _CLASSES


class AmiEmulator:
    """See the module docstring. ``await emu.start()``, or ``async with AmiEmulator() as emu``."""

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
        self.command_output = dict(command_output or {"core show version": _version_line()})
        self.rng = rng or random.Random(0)
        self.clock = clock
        self.auth_failure_delay = auth_failure_delay
        self.actions: list[ReceivedAction] = []
        #: action names (lower case) recorded but never answered, to test timeouts
        self.unanswered: set[str] = set()
        self.channels: dict[str, Channel] = {}
        self.started_at = clock()
        self._server: asyncio.Server | None = None
        self._sessions: dict[int, _Session] = {}
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

    async def __aenter__(self) -> AmiEmulator:
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

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._serving.add(task)
        self._session_ids += 1
        sess = self._sessions[self._session_ids] = _Session(self._session_ids, writer)
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
        sess: _Session,
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
        sess: _Session,
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

    # ------------------------------------------------------------------ actions

    async def _dispatch(self, sess: _Session, action: Action) -> bool:
        """Answer one action; False closes the connection (Logoff, failed Login)."""
        name = action.name.lower()
        if name in self.unanswered:
            return True
        if not sess.authenticated and name not in ("login", "logoff", "challenge"):
            self._reply(sess, action, "Error", "Permission denied")
            return True
        handler = getattr(self, f"_a_{name}", None)
        if handler is None:
            msg = f"Invalid/unknown command: {action.name}. {_LIST_COMMANDS}"
            self._reply(sess, action, "Error", msg)
            return True
        return bool(await handler(sess, action))

    async def _a_login(self, sess: _Session, a: Action) -> bool:
        if sess.authenticated:
            self._reply(sess, a, message="Already authenticated")
            return True
        secret = self.users.get(a.get("Username") or "")
        if (a.get("AuthType") or "plain").lower() == "md5":
            want = hashlib.md5(f"{sess.challenge}{secret}".encode(), usedforsecurity=False)
            ok = secret is not None and bool(sess.challenge) and a.get("Key") == want.hexdigest()
        else:
            ok = secret is not None and a.get("Secret") == secret
        if not ok:
            await asyncio.sleep(self.auth_failure_delay)
            self._reply(sess, a, "Error", "Authentication failed")
            return False
        sess.authenticated = True
        sess.username = a.get("Username") or ""
        sess.mask = _mask(a.get("Events"))
        self._reply(sess, a, message="Authentication accepted")
        if sess.wants(SYSTEM):
            up = str(int(self.clock() - self.started_at))
            booted = [("Event", "FullyBooted"), ("Privilege", SYSTEM), ("Uptime", up)]
            sess.write([*booted, ("LastReload", up), ("Status", "Fully Booted")])
        return True

    async def _a_challenge(self, sess: _Session, a: Action) -> bool:
        if (a.get("AuthType") or "").lower() != "md5":
            self._reply(sess, a, "Error", "Must specify AuthType")
            return True
        sess.challenge = sess.challenge or str(self.rng.randrange(1, 2**31))
        self._reply(sess, a, extra=[("Challenge", sess.challenge)])
        return True

    async def _a_logoff(self, sess: _Session, a: Action) -> bool:
        self._reply(sess, a, "Goodbye", "Thanks for all the fish.")
        return False

    async def _a_ping(self, sess: _Session, a: Action) -> bool:
        self._reply(sess, a, extra=[("Ping", "Pong"), ("Timestamp", f"{self.clock():.6f}")])
        return True

    async def _a_events(self, sess: _Session, a: Action) -> bool:
        sess.mask = _mask(a.get("EventMask"))
        self._reply(sess, a, extra=[("Events", "Off" if sess.mask == frozenset() else "On")])
        return True

    async def _a_coresettings(self, sess: _Session, a: Action) -> bool:
        values = [
            ("AMIversion", self.version),
            ("AsteriskVersion", self.asterisk_version),
            ("SystemName", ""),
            ("CoreMaxCalls", "0"),
            ("CoreMaxLoadAvg", "0.000000"),
            ("CoreRunUser", ""),
            ("CoreRunGroup", ""),
            ("CoreMaxFilehandles", "0"),
            ("CoreRealTimeEnabled", "No"),
            ("CoreCDRenabled", "Yes"),
            ("CoreHTTPenabled", "No"),
            ("SoundsSearchCustomDir", "No"),
        ]
        self._reply(sess, a, extra=values)
        return True

    async def _a_corestatus(self, sess: _Session, a: Action) -> bool:
        start = time.gmtime(self.started_at)
        values = [
            ("CoreStartupDate", time.strftime("%Y-%m-%d", start)),
            ("CoreStartupTime", time.strftime("%H:%M:%S", start)),
            ("CoreReloadDate", time.strftime("%Y-%m-%d", start)),
            ("CoreReloadTime", time.strftime("%H:%M:%S", start)),
            ("CoreCurrentCalls", str(len(self.channels))),
            ("CoreProcessedCalls", str(self._uid)),
        ]
        self._reply(sess, a, extra=values)
        return True

    async def _a_coreshowchannels(self, sess: _Session, a: Action) -> bool:
        items = []
        for ch in self.channels.values():
            secs = int(self.clock() - ch.created)
            dur = f"{secs // 3600:02d}:{secs % 3600 // 60:02d}:{secs % 60:02d}"
            items.append(
                [
                    ("Event", "CoreShowChannel"),
                    *ch.snapshot(self.manager_vars),
                    ("Application", ch.application),
                    ("ApplicationData", ch.app_data),
                    ("Duration", dur),
                    ("BridgeId", ch.bridge_id),
                ]
            )
        done = "CoreShowChannelsComplete"
        self._list(sess, a, "Channels will follow", items, done, id_first=True)
        return True

    def _queues_for(self, a: Action) -> list[Queue]:
        want = a.get("Queue")
        return [q for q in self.queues.values() if not want or q.name == want]

    async def _a_queuestatus(self, sess: _Session, a: Action) -> bool:
        items: list[Pairs] = []
        for q in self._queues_for(a):
            items.append(
                [
                    ("Event", "QueueParams"),
                    ("Queue", q.name),
                    ("Max", "0"),
                    ("Strategy", q.strategy),
                    ("Calls", str(len(q.callers))),
                    ("Holdtime", "0"),
                    ("TalkTime", "0"),
                    ("Completed", str(q.completed)),
                    ("Abandoned", "0"),
                    ("ServiceLevel", "60"),
                    ("ServicelevelPerf", "0.0"),
                    ("ServicelevelPerf2", "0.0"),
                    ("Weight", "0"),
                ]
            )
            for m in q.members.values():
                items.append([("Event", "QueueMember"), *m.status_fields(q.name)])
            for pos, ch in enumerate(q.callers, start=1):
                items.append(
                    [
                        ("Event", "QueueEntry"),
                        ("Queue", q.name),
                        ("Position", str(pos)),
                        ("Channel", ch.name),
                        ("Uniqueid", ch.uniqueid),
                        ("CallerIDNum", ch.caller_num),
                        ("CallerIDName", ch.caller_name),
                        ("ConnectedLineNum", ch.connected_num),
                        ("ConnectedLineName", ch.connected_name),
                        ("Wait", str(int(self.clock() - ch.created))),
                        ("Priority", "0"),
                    ]
                )
        self._list(sess, a, "Queue status will follow", items, "QueueStatusComplete")
        return True

    async def _a_queuesummary(self, sess: _Session, a: Action) -> bool:
        items: list[Pairs] = []
        for q in self._queues_for(a):
            free = sum(1 for m in q.members.values() if not m.paused and m.status == 1)
            items.append(
                [
                    ("Event", "QueueSummary"),
                    ("Queue", q.name),
                    ("LoggedIn", str(len(q.members))),
                    ("Available", str(free)),
                    ("Callers", str(len(q.callers))),
                    ("HoldTime", "0"),
                    ("TalkTime", "0"),
                    ("LongestHoldTime", "0"),
                ]
            )
        self._list(sess, a, "Queue summary will follow", items, "QueueSummaryComplete")
        return True

    def _queue_member(self, sess: _Session, a: Action) -> tuple[Queue, QueueMember] | None:
        q = self.queues.get(a.get("Queue") or "")
        m = q.members.get(a.get("Interface") or "") if q else None
        if q is None or m is None:
            self._reply(sess, a, "Error", "Interface not found")
            return None
        return q, m

    async def _a_queueadd(self, sess: _Session, a: Action) -> bool:
        q = self.queues.get(a.get("Queue") or "")
        iface = a.get("Interface") or ""
        if q is None or not iface:
            self._reply(sess, a, "Error", "Unable to add interface: No such queue")
            return True
        if iface in q.members:
            self._reply(sess, a, "Error", "Unable to add interface: Already there")
            return True
        paused = (a.get("Paused") or "false").lower() in ("true", "1", "yes")
        m = QueueMember(iface, a.get("MemberName") or iface, int(a.get("Penalty") or 0), paused)
        m.login_time = int(self.clock())
        q.members[iface] = m
        self._reply(sess, a, message="Added interface to queue")
        self._broadcast("QueueMemberAdded", AGENT, m.event_fields(q.name))
        return True

    async def _a_queueremove(self, sess: _Session, a: Action) -> bool:
        found = self._queue_member(sess, a)
        if found:
            q, m = found
            del q.members[m.interface]
            self._reply(sess, a, message="Removed interface from queue")
            self._broadcast("QueueMemberRemoved", AGENT, m.event_fields(q.name))
        return True

    async def _a_queuepause(self, sess: _Session, a: Action) -> bool:
        found = self._queue_member(sess, a)
        if found:
            q, m = found
            m.paused = (a.get("Paused") or "false").lower() in ("true", "1", "yes")
            m.reason = a.get("Reason") or "" if m.paused else ""
            if m.paused:
                m.last_pause = int(self.clock())
            word = "paused" if m.paused else "unpaused"
            self._reply(sess, a, message=f"Interface {word} successfully")
            self._broadcast("QueueMemberPause", AGENT, m.event_fields(q.name))
        return True

    async def set_member_status(
        self, queue: str, interface: str, status: int, in_call: int = 0
    ) -> None:
        """A member's device changed state: QueueMemberStatus (1 idle, 2 in use, 6 ringing...)."""
        m = self.queues[queue].members[interface]
        m.status, m.in_call = status, in_call
        self._broadcast("QueueMemberStatus", AGENT, m.event_fields(queue))
        await self._flush()

    async def _a_originate(self, sess: _Session, a: Action) -> bool:
        target = a.get("Channel")
        if not target:
            self._reply(sess, a, "Error", "Channel not specified")
            return True
        if not a.get("Application") and not a.get("Exten"):
            self._reply(sess, a, "Error", "Exten not specified")
            return True
        decided = self.originate_rule(a)
        plan = decided if isinstance(decided, OriginatePlan) else OriginatePlan(decided)
        if (a.get("Async") or "false").lower() in ("true", "1", "yes"):
            self._reply(sess, a, message="Originate successfully queued")
            self._spawn(self._originate(a, plan), f"originate {a.action_id}")
        else:
            await self._originate(a, plan, sess)
        return True

    async def _originate(
        self, a: Action, plan: OriginatePlan, sync: _Session | None = None
    ) -> None:
        target = a.get("Channel") or ""
        cid_name, cid_num = _callerid(a.get("CallerID") or "")
        app = a.get("Application")
        where = (
            [("Application", app), ("Data", a.get("Data") or "")]
            if app
            else [("Context", a.get("Context") or ""), ("Exten", a.get("Exten") or "")]
        )
        aid = [("ActionID", a.action_id)] if a.action_id is not None else []
        ch: Channel | None = None
        if plan.outcome is not OriginateOutcome.FAIL:
            ch = self._new_channel(target, a.get("Context") or "default", a.get("Exten") or "s")
            ch.application, ch.app_data = app or "", a.get("Data") or ""
            self._chan_event("Newchannel", ch)
            if cid_num or cid_name:
                ch.caller_num, ch.caller_name = cid_num or "<unknown>", cid_name or "<unknown>"
                cid = ("CID-CallingPres", "0 (Presentation Allowed, Not Screened)")
                self._chan_event("NewCallerid", ch, cid)
            for var in a.get_all("Variable"):
                name, _, value = var.partition("=")
                self._set_var(ch, name, value)
            dial = [("DialString", target.partition("/")[2])]
            self._broadcast("DialBegin", CALL, ch.snapshot(self.manager_vars, "Dest") + dial)
            self._set_state(ch, 5)
            await self._flush()
            if plan.ring_seconds:
                await asyncio.sleep(plan.ring_seconds)
        answered = plan.outcome in (OriginateOutcome.HUMAN, OriginateOutcome.MACHINE)
        busy = plan.outcome is OriginateOutcome.BUSY
        if ch is not None:
            if answered:
                self._set_state(ch, 6)
                self._device_state(ch, "INUSE")
            else:
                ch.state = 7 if busy else 5
            status = "ANSWER" if answered else "BUSY" if busy else "NOANSWER"
            dest = ch.snapshot(self.manager_vars, "Dest")
            self._broadcast("DialEnd", CALL, [*dest, ("DialStatus", status)])
            if not answered:
                self._hangup(ch, 17 if busy else 19, request=False)
        reason = {"human": 4, "machine": 4, "no_answer": 3, "busy": 5}.get(plan.outcome.value, 0)
        if sync is None:  # only an async Originate reports with an OriginateResponse event
            fields = [
                *aid,
                ("Response", "Success" if answered else "Failure"),
                ("Channel", ch.name if ch is not None and answered else target),
                *where,
                ("Reason", str(reason)),
                ("Uniqueid", ch.uniqueid if ch is not None and answered else "<unknown>"),
                ("CallerIDNum", cid_num or "<unknown>"),
                ("CallerIDName", cid_name or "<unknown>"),
            ]
            self._broadcast("OriginateResponse", CALL, fields)
        else:
            msg = "Originate successfully queued" if answered else "Originate failed"
            self._reply(sync, a, "Success" if answered else "Error", msg)
        if ch is not None and answered and plan.amd:
            machine = plan.outcome is OriginateOutcome.MACHINE
            self._set_var(ch, "AMDSTATUS", "MACHINE" if machine else "HUMAN")
            self._set_var(ch, "AMDCAUSE", "LONGGREETING-1600-1500" if machine else "HUMAN-800-800")
        await self._flush()
        if ch is not None and answered and plan.talk_seconds is not None:
            await asyncio.sleep(plan.talk_seconds)
            if ch.name in self.channels:
                await self.hangup(ch, 16)

    async def _a_hangup(self, sess: _Session, a: Action) -> bool:
        ch = self.channels.get(a.get("Channel") or "")
        if ch is None:
            self._reply(sess, a, "Error", "No such channel")
            return True
        self._reply(sess, a, message="Channel Hungup")
        cause = a.get("Cause") or "16"
        self._hangup(ch, int(cause) if cause.isdigit() else 16)
        return True

    async def _a_redirect(self, sess: _Session, a: Action) -> bool:
        ch = self.channels.get(a.get("Channel") or "")
        if ch is None:
            self._reply(sess, a, "Error", "No such channel")
            return True
        context, exten, priority = a.get("Context"), a.get("Exten"), a.get("Priority") or ""
        for key, value in (("Context", context), ("Exten", exten), ("Priority", priority)):
            if not value:
                self._reply(sess, a, "Error", f"{key} not specified")
                return True
        if not priority.isdigit():
            self._reply(sess, a, "Error", "Priority is invalid")
            return True
        ch.context, ch.exten, ch.priority = context or "", exten or "", int(priority)
        self._reply(sess, a, message="Redirect successful")
        return True

    async def _a_getvar(self, sess: _Session, a: Action) -> bool:
        name = a.get("Variable")
        if not name:
            self._reply(sess, a, "Error", "No variable specified")
            return True
        ch = self.channels.get(a.get("Channel") or "") if a.get("Channel") else None
        if a.get("Channel") and ch is None:
            self._reply(sess, a, "Error", "No such channel")
            return True
        value = ch.variables.get(name, "") if ch else ""
        self._reply(sess, a, extra=[("Variable", name), ("Value", value)])
        return True

    async def _a_setvar(self, sess: _Session, a: Action) -> bool:
        name = a.get("Variable")
        ch = self.channels.get(a.get("Channel") or "")
        if not name:
            self._reply(sess, a, "Error", "No variable specified")
        elif ch is None:
            self._reply(sess, a, "Error", "No such channel")
        else:
            self._reply(sess, a, message="Variable Set")
            self._set_var(ch, name, a.get("Value") or "")
        return True

    async def _a_userevent(self, sess: _Session, a: Action) -> bool:
        self._reply(sess, a, message="Event Sent")
        body = [("ActionID", a.action_id)] if a.action_id is not None else []
        body += [(k, v) for k, v in a.headers if k.lower() != "userevent"]
        self._broadcast("UserEvent", USER, [("UserEvent", a.get("UserEvent") or ""), *body])
        return True

    async def _a_command(self, sess: _Session, a: Action) -> bool:
        cmd = (a.get("Command") or "").strip()
        if not cmd:
            self._reply(sess, a, "Error", "No command provided")
            return True
        out = self.command_output.get(cmd)
        ok = out is not None
        if out is None:
            out = f"No such command '{cmd}' (type 'core show help {cmd}' for other possible"
            out += " commands)"
        lines = [("Output", line) for line in out.split("\n")]
        self._reply(sess, a, "Success" if ok else "Error", "Command output follows", lines)
        return True


def _callerid(value: str) -> tuple[str, str]:
    """``"Name" <number>`` -> (name, number)."""
    if "<" in value and value.endswith(">"):
        name, _, num = value[:-1].rpartition("<")
        return name.strip().strip('"'), num
    return "", value


def _version_line() -> str:
    return "Asterisk 20.20.1 built by acd-dialer emulator on a x86_64 running Linux"


async def _main(argv: Sequence[str] | None = None) -> None:
    p = argparse.ArgumentParser(description="Run the AMI server emulator (an Asterisk stand-in).")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=5038)
    p.add_argument("--user", action="append", default=[], help="user:secret (repeatable)")
    args = p.parse_args(argv)
    users = dict(u.split(":", 1) for u in args.user) if args.user else None
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    async with AmiEmulator(host=args.host, port=args.port, users=users) as emu:
        print(f"AMI emulator on {args.host}:{emu.port}", flush=True)
        await asyncio.Event().wait()


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_main())
