"""The Asterisk adapter: engine commands become AMI actions, AMI events become engine events.

A thin asyncio shell around ``CallFlows`` (sans-I/O), the way uvicorn's h11 protocol wraps h11:
an ``AmiClient`` keeps one connection logged in and reconnects with back-off; this class feeds the
flows whatever arrives, submits the engine events they produce to the live driver
(``driver.submit``), and sends the actions they produce. Every action is sent by its own task in
the adapter's task group, started in the order the actions were produced, so they reach Asterisk
in that order (a Setvar before its Redirect) while a slow answer holds up nothing else.

Connection state: ``up`` is true once logged in and resynchronised (CoreShowChannels, then
DeviceStateList where Asterisk has it); ``on_state(up)`` reports each change, ``on_reconnect()``
each reconnection. The client has no disconnect hook, so a watcher reads ``client.connected``
every ``health_interval`` seconds; that only paces the health report, never a call.

Errors at the boundary: an engine refusal (``AcdError`` from ``driver.submit``) is logged and
handed back to the flows, which hang up a leg the engine will not have (an answer to an offer
that was cancelled, a caller in an unknown queue); an AMI error is logged and handed back too (an
Originate refused by Asterisk fails its offer or call; one lost with the connection waits for the
resync, and is never sent again).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from random import Random
from typing import Any, Protocol

from acd import events as ev
from acd.commands import Command
from acd.errors import AcdError
from telephony_adapters.ami.client import AmiClient, Backoff
from telephony_adapters.ami.messages import (
    Action,
    AmiActionError,
    AmiAuthError,
    AmiConnectionLost,
    AmiError,
    Event,
    EventListResult,
)
from telephony_adapters.asterisk.flows import AgentLookup, CallFlows, Effects
from telephony_adapters.asterisk.settings import AsteriskSettings

log = logging.getLogger("telephony_adapters.asterisk")

_QUIET_REFUSALS = (ev.CallHungUp, ev.OutboundFailed)  # the engine had already let the call go


class Submitter(Protocol):
    """What the adapter needs of a driver: ``LiveDriver.submit``."""

    def submit(self, event: ev.Event) -> list[Command]: ...


class AsteriskAdapter:
    """See the module docstring. ``await start()``, ``execute(command, now)``, ``await close()``."""

    def __init__(
        self,
        settings: AsteriskSettings,
        *,
        driver: Submitter | None = None,
        agent_state: AgentLookup | None = None,
        on_state: Callable[[bool], None] | None = None,
        on_reconnect: Callable[[], None] | None = None,
        rng: Random | None = None,
        id_prefix: str | None = None,
        surveys: dict[str, int] | None = None,
        callbacks: frozenset[str] = frozenset(),
    ) -> None:
        self.settings = settings
        self.driver = driver
        # Asked before every action: a node whose leadership ran out sends none, its own
        # stray-leg hang-ups included (None: always may).
        self.may_act: Callable[[], bool] | None = None
        self.on_state = on_state
        self.on_reconnect = on_reconnect
        self.rng = rng or Random()
        # ActionIDs unique to this process: an OriginateResponse reaches every AMI session.
        prefix = id_prefix or f"acd-{self.rng.getrandbits(32):08x}"
        self.flows = CallFlows(
            settings,
            agent_state=agent_state or self._agent_state,
            id_prefix=prefix,
            surveys=surveys,
            callbacks=callbacks,
        )
        self.backoff = Backoff(**settings.backoff_args())
        self.client = AmiClient(
            settings.host,
            settings.port,
            settings.username,
            settings.secret.get_secret_value(),
            events=settings.events,
            auth=settings.auth,
            action_timeout=settings.action_timeout,
            connect_timeout=settings.connect_timeout,
            ping_interval=settings.ping_interval,
            backoff=self.backoff,
            rng=self.rng,
            on_event=self._on_ami_event,
            on_reconnect=self._on_reconnect,
        )
        self.up = False
        self.synced = False
        self._closing = False
        self.resyncs = 0
        self.refused = 0  # engine refusals of events we derived
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._tasks: asyncio.TaskGroup | None = None
        self._waiters: list[asyncio.Future[None]] = []

    def attach(self, driver: Submitter) -> None:
        """Give the adapter the driver it submits to (the driver is built with ``execute``)."""
        self.driver = driver

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Start connecting in the background and return: the daemon runs while Asterisk is away."""
        if self._task is not None:
            raise RuntimeError("the adapter is already started")
        self._loop = asyncio.get_running_loop()
        running = self._loop.create_future()
        self._task = asyncio.create_task(self._main(running), name="asterisk-adapter")
        self._task.add_done_callback(self._ended)
        await running

    async def close(self) -> None:
        """Stop reconnecting, end every task, log off."""
        task, self._task = self._task, None
        self._closing = True
        while task is not None and not task.done():
            task.cancel()
            await asyncio.wait([task], timeout=1.0)
        self._tasks = None
        await self.client.close()
        self.synced = False
        self._set_up(False)

    def _ended(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("the Asterisk adapter stopped", exc_info=task.exception())

    async def _main(self, running: asyncio.Future[None]) -> None:
        async with asyncio.TaskGroup() as tasks:
            self._tasks = tasks
            running.set_result(None)
            tasks.create_task(self._first_connect(), name="asterisk-connect")
            tasks.create_task(self._watch(), name="asterisk-health")

    async def _first_connect(self) -> None:
        """Until the first login; after it the client reconnects by itself."""
        attempt = 0
        while True:
            try:
                await self.client.connect()
            except AmiAuthError as exc:
                log.error("Asterisk %s refused the login: %s", self._where(), exc)
            except (AmiError, OSError) as exc:
                log.warning("Asterisk %s not reachable: %s", self._where(), exc)
            else:
                log.info("Asterisk adapter connected to %s", self._where())
                await self._resync()
                return
            attempt += 1
            await asyncio.sleep(self.backoff.delay(attempt, self.rng))

    async def _watch(self) -> None:
        while True:
            if not self.client.connected:
                self.synced = False
            self._set_up(self.client.connected and self.synced)
            await asyncio.sleep(self.settings.health_interval)  # health report cadence only

    def _set_up(self, up: bool) -> None:
        if up == self.up:
            return
        self.up = up
        if up:
            log.info("Asterisk adapter up (%s)", self._where())
        elif self._closing:
            log.info("Asterisk adapter closed (%s)", self._where())
        else:
            log.warning("Asterisk adapter down (%s): reconnecting", self._where())
        if self.on_state is not None:
            try:
                self.on_state(up)
            except Exception:
                log.exception("on_state callback failed")
        self._changed()

    def _where(self) -> str:
        return f"{self.settings.host}:{self.settings.port}"

    # ------------------------------------------------------------------ resynchronisation

    async def _on_reconnect(self) -> None:
        self.synced = False
        if self.on_reconnect is not None:
            self.on_reconnect()
        await self._resync()

    async def _resync(self) -> None:
        """CoreShowChannels (and device states), reconciled by the flows; retried until done."""
        attempt = 0
        while self.client.connected:
            mark = self.flows.resync_mark()
            try:
                channels = await self.client.send_action(
                    Action("CoreShowChannels", action_id=self.flows.next_action_id())
                )
            except AmiActionError as exc:
                log.error(
                    "CoreShowChannels refused (manager.conf write = system,reporting?): %s", exc
                )
            except AmiConnectionLost:
                return  # the next reconnection resynchronises
            except AmiError as exc:
                log.warning("CoreShowChannels failed: %s", exc)
            else:
                items = channels.events if isinstance(channels, EventListResult) else ()
                self._apply(self.flows.resync(items, mark))
                await self._device_states()
                self.resyncs += 1
                self.synced = True
                log.info("resynchronised with %d channel(s) on the PBX", len(items))
                self._set_up(self.client.connected)
                return
            attempt += 1
            await asyncio.sleep(self.backoff.delay(attempt, self.rng))

    async def _device_states(self) -> None:
        try:
            states = await self.client.send_action(
                Action("DeviceStateList", action_id=self.flows.next_action_id())
            )
        except AmiActionError:
            log.debug("no DeviceStateList here: device states follow from events only")
            return
        except AmiError as exc:
            log.warning("DeviceStateList failed: %s", exc)
            return
        for item in states.events if isinstance(states, EventListResult) else ():
            self._apply(self.flows.on_event(item))

    # ------------------------------------------------------------------ events in

    async def _on_ami_event(self, event: Event) -> None:
        effects = self.flows.on_event(event)
        if effects:
            self._apply(effects)
        else:
            self._changed()  # the flows' state may have changed all the same (a spy ended)

    def _apply(self, effects: Effects) -> None:
        for event in effects.events:
            self._submit(event)
        for action in effects.actions:
            self._send(action)
        self._changed()

    def _submit(self, event: ev.Event) -> None:
        if self.driver is None:
            log.warning("no driver attached: %r dropped", event)
            return
        try:
            self.driver.submit(event)
        except AcdError as exc:
            self.refused += 1
            level = logging.DEBUG if isinstance(event, _QUIET_REFUSALS) else logging.INFO
            log.log(level, "engine refused %r: %s", event, exc)
            self._apply(self.flows.on_refused(event, exc))

    def _agent_state(self, agent_id: str) -> tuple[str, str] | None:
        engine: Any = getattr(self.driver, "engine", None)
        agents = getattr(engine, "agents", None)
        if agents is None:  # the dialer's Center wraps the engine
            agents = getattr(getattr(engine, "engine", None), "agents", None)
        agent = agents.get(agent_id) if agents is not None else None
        if agent is None:
            return None
        state = str(agent.state.value)
        if state == "paused":
            return state, str(agent.pause_reason)
        pending = getattr(agent, "pending", None)  # a pause asked for during a call
        return state, str(pending[1]) if pending and pending[0] == "pause" else ""

    # ------------------------------------------------------------------ commands out

    def execute(self, command: Command, now: float) -> None:
        """Carry out one engine command (the Adapter protocol); never blocks."""
        effects = self.flows.on_command(command)
        for action in effects.actions:
            self._send(action)
        if effects.events:
            # Not inside the driver's command loop: submit once it has finished.
            self._later(Effects(events=effects.events))
        self._changed()

    def _later(self, effects: Effects) -> None:
        if self._loop is None:
            log.warning("adapter not started: %r dropped", effects.events)
            return
        self._loop.call_soon(self._apply, effects)

    def _send(self, action: Action) -> None:
        tasks = self._tasks
        if tasks is None:
            lost = AmiConnectionLost("the Asterisk adapter is not running")
            self._later(self.flows.on_action_failed(action, lost, sent=False))
            return
        tasks.create_task(self._send_one(action), name=f"ami {action.name} {action.action_id}")

    async def _send_one(self, action: Action) -> None:
        if self.may_act is not None and not self.may_act():
            log.debug("%s %s not sent: this node may no longer act", action.name, action.action_id)
            return
        if not self.flows.should_send(action):
            log.debug("%s %s not sent: no longer wanted", action.name, action.action_id)
            return
        if not self.client.connected:
            lost = AmiConnectionLost(f"not connected to {self._where()}")
            self._apply(self.flows.on_action_failed(action, lost, sent=False))
            return
        try:
            await self.client.send_action(action)
        except AmiActionError as exc:
            level = logging.DEBUG if action.name == "Hangup" else logging.WARNING
            log.log(level, "%s refused by Asterisk: %s", action.name, exc.reason)
            self._apply(self.flows.on_action_failed(action, exc, sent=True))
        except AmiError as exc:
            log.warning("%s %s: %s", action.name, action.action_id, exc)
            self._apply(self.flows.on_action_failed(action, exc, sent=True))
        except Exception:  # a bug must not end the task group, and with it the adapter
            log.exception("sending %s %s failed", action.name, action.action_id)
        else:
            self._changed()

    # ------------------------------------------------------------------ waiting (tests, tools)

    def _changed(self) -> None:
        waiters, self._waiters = self._waiters, []
        for fut in waiters:
            if not fut.done():
                fut.set_result(None)

    async def wait_for(self, predicate: Callable[[], object], timeout: float = 5.0) -> None:
        """Wait until ``predicate()`` holds; checked after everything the adapter does."""
        async with asyncio.timeout(timeout):
            while not predicate():
                fut = asyncio.get_running_loop().create_future()
                self._waiters.append(fut)
                try:
                    await fut
                finally:
                    with contextlib.suppress(ValueError):
                        self._waiters.remove(fut)
