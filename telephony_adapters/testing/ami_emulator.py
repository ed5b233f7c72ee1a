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
deciding per Originate (human, machine, no answer, busy, fail), ChanSpy for an Originate into
[acd-spy] (``ami_spy.py``), ``drop_connections()`` to cut every TCP connection mid-stream,
and ``wait_until()`` to await a condition without sleeping.

The listening server, the sessions and the channel events are ``EmulatedPbx``
(``ami_server.py``); the channels, queues and plans are plain data (``ami_model.py``).

Simplifications, on purpose: one channel per call leg (a Local channel has no ``;2`` half and no
LocalBridge), no dialplan (an answered Originate stays up until hung up or its talk time ends).

    python -m telephony_adapters.testing --port 5038 --user acd:acdsecret
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import logging
import time
from collections.abc import Sequence

from telephony_adapters.ami.messages import Action
from telephony_adapters.testing.ami_model import (
    AGENT,
    CALL,
    LIST_COMMANDS,
    SYSTEM,
    USER,
    Channel,
    OriginateOutcome,
    OriginatePlan,
    Pairs,
    Queue,
    QueueMember,
    parse_callerid,
    parse_mask,
)
from telephony_adapters.testing.ami_server import Session
from telephony_adapters.testing.ami_spy import ChanSpyMixin


class AmiEmulator(ChanSpyMixin):
    """See the module docstring. ``await emu.start()``, or ``async with AmiEmulator() as emu``."""

    async def _dispatch(self, sess: Session, action: Action) -> bool:
        """Answer one action; False closes the connection (Logoff, failed Login)."""
        name = action.name.lower()
        if name in self.unanswered:
            return True
        if not sess.authenticated and name not in ("login", "logoff", "challenge"):
            self._reply(sess, action, "Error", "Permission denied")
            return True
        handler = getattr(self, f"_a_{name}", None)
        if handler is None:
            msg = f"Invalid/unknown command: {action.name}. {LIST_COMMANDS}"
            self._reply(sess, action, "Error", msg)
            return True
        return bool(await handler(sess, action))

    async def _a_login(self, sess: Session, a: Action) -> bool:
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
        sess.mask = parse_mask(a.get("Events"))
        self._reply(sess, a, message="Authentication accepted")
        if sess.wants(SYSTEM):
            up = str(int(self.clock() - self.started_at))
            booted = [("Event", "FullyBooted"), ("Privilege", SYSTEM), ("Uptime", up)]
            sess.write([*booted, ("LastReload", up), ("Status", "Fully Booted")])
        return True

    async def _a_challenge(self, sess: Session, a: Action) -> bool:
        if (a.get("AuthType") or "").lower() != "md5":
            self._reply(sess, a, "Error", "Must specify AuthType")
            return True
        sess.challenge = sess.challenge or str(self.rng.randrange(1, 2**31))
        self._reply(sess, a, extra=[("Challenge", sess.challenge)])
        return True

    async def _a_logoff(self, sess: Session, a: Action) -> bool:
        self._reply(sess, a, "Goodbye", "Thanks for all the fish.")
        return False

    async def _a_ping(self, sess: Session, a: Action) -> bool:
        self._reply(sess, a, extra=[("Ping", "Pong"), ("Timestamp", f"{self.clock():.6f}")])
        return True

    async def _a_events(self, sess: Session, a: Action) -> bool:
        sess.mask = parse_mask(a.get("EventMask"))
        self._reply(sess, a, extra=[("Events", "Off" if sess.mask == frozenset() else "On")])
        return True

    async def _a_coresettings(self, sess: Session, a: Action) -> bool:
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

    async def _a_corestatus(self, sess: Session, a: Action) -> bool:
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

    async def _a_coreshowchannels(self, sess: Session, a: Action) -> bool:
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

    async def _a_queuestatus(self, sess: Session, a: Action) -> bool:
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

    async def _a_queuesummary(self, sess: Session, a: Action) -> bool:
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

    def _queue_member(self, sess: Session, a: Action) -> tuple[Queue, QueueMember] | None:
        q = self.queues.get(a.get("Queue") or "")
        m = q.members.get(a.get("Interface") or "") if q else None
        if q is None or m is None:
            self._reply(sess, a, "Error", "Interface not found")
            return None
        return q, m

    async def _a_queueadd(self, sess: Session, a: Action) -> bool:
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

    async def _a_queueremove(self, sess: Session, a: Action) -> bool:
        found = self._queue_member(sess, a)
        if found:
            q, m = found
            del q.members[m.interface]
            self._reply(sess, a, message="Removed interface from queue")
            self._broadcast("QueueMemberRemoved", AGENT, m.event_fields(q.name))
        return True

    async def _a_queuepause(self, sess: Session, a: Action) -> bool:
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

    async def _a_originate(self, sess: Session, a: Action) -> bool:
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

    async def _originate(self, a: Action, plan: OriginatePlan, sync: Session | None = None) -> None:
        target = a.get("Channel") or ""
        cid_name, cid_num = parse_callerid(a.get("CallerID") or "")
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
        if ch is not None and answered:
            self._after_answer(ch, a)  # ChanSpy in [acd-spy] (ami_spy.py)
        await self._flush()
        if ch is not None and answered and plan.talk_seconds is not None:
            await asyncio.sleep(plan.talk_seconds)
            if ch.name in self.channels:
                await self.hangup(ch, 16)

    async def _a_hangup(self, sess: Session, a: Action) -> bool:
        ch = self.channels.get(a.get("Channel") or "")
        if ch is None:
            self._reply(sess, a, "Error", "No such channel")
            return True
        self._reply(sess, a, message="Channel Hungup")
        cause = a.get("Cause") or "16"
        self._hangup(ch, int(cause) if cause.isdigit() else 16)
        return True

    async def _a_redirect(self, sess: Session, a: Action) -> bool:
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

    async def _a_getvar(self, sess: Session, a: Action) -> bool:
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

    async def _a_setvar(self, sess: Session, a: Action) -> bool:
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

    async def _a_userevent(self, sess: Session, a: Action) -> bool:
        self._reply(sess, a, message="Event Sent")
        body = [("ActionID", a.action_id)] if a.action_id is not None else []
        body += [(k, v) for k, v in a.headers if k.lower() != "userevent"]
        self._broadcast("UserEvent", USER, [("UserEvent", a.get("UserEvent") or ""), *body])
        return True

    async def _a_command(self, sess: Session, a: Action) -> bool:
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


def main(argv: Sequence[str] | None = None, prog: str | None = None) -> int:
    """Run the emulator until interrupted (``python -m telephony_adapters.testing``)."""
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_main(argv, prog))
    return 0


async def _main(argv: Sequence[str] | None = None, prog: str | None = None) -> None:
    p = argparse.ArgumentParser(
        prog=prog, description="Run the AMI server emulator (an Asterisk stand-in)."
    )
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
    main()
