"""The asyncio AMI client: a thin wrapper that moves bytes between a socket and ``AmiCodec``.

The protocol (framing, parsing, ActionID correlation, event lists) is all in the sans-I/O codec
and ``Correlator``; this module only owns the connection: connect, read the banner, log in
(plain, or MD5 challenge), keep alive with ``Ping``, time actions out, hand unsolicited events to
a callback or a queue, and reconnect with exponential back-off and jitter when the connection
breaks, then log in again and call ``on_reconnect`` so the adapter can resynchronise (for example
with ``CoreShowChannels``).

An action pending when the connection breaks fails with ``AmiConnectionLost``; nothing is re-sent
behind the caller's back (an Originate sent twice is two calls). Tasks: one supervisor per
client and, per connection, a reader and a pinger, all owned and awaited on ``close()``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from telephony_adapters.ami.codec import DEFAULT_MAX_FRAME_SIZE, AmiCodec, Completed, Correlator
from telephony_adapters.ami.messages import (
    Action,
    AmiActionError,
    AmiAuthError,
    AmiConnectionLost,
    AmiError,
    AmiInvalidAction,
    AmiProtocolError,
    AmiTimeout,
    Banner,
    Event,
    EventListResult,
    Response,
)

__all__ = ["AmiClient", "Backoff"]

log = logging.getLogger("telephony_adapters.ami")

EventCallback = Callable[[Event], Awaitable[None]]
ReconnectHook = Callable[[], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential back-off with jitter: ``initial * multiplier**(attempt-1)``, capped at
    ``maximum``, then scaled by a factor drawn uniformly in ``[1 - jitter, 1 + jitter]``."""

    initial: float = 0.5
    maximum: float = 30.0
    multiplier: float = 2.0
    jitter: float = 0.5

    def __post_init__(self) -> None:
        if self.initial < 0 or self.maximum < self.initial or self.multiplier < 1:
            raise ValueError("need 0 <= initial <= maximum and multiplier >= 1")
        if not 0 <= self.jitter <= 1:
            raise ValueError("jitter must be within [0, 1]")

    def delay(self, attempt: int, rng: random.Random) -> float:
        """The wait before reconnection attempt ``attempt`` (1 for the first)."""
        base = min(self.maximum, self.initial * self.multiplier ** max(0, attempt - 1))
        return base * (1.0 + self.jitter * (2.0 * rng.random() - 1.0))


class _Connection:
    """One TCP connection's state: the streams, the codec, the correlator, waiting futures."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, max_frame: int):
        self.reader = reader
        self.writer = writer
        self.codec = AmiCodec(max_frame_size=max_frame)
        self.correlator = Correlator()
        self.banner: asyncio.Future[Banner] = asyncio.get_running_loop().create_future()
        self.waiting: dict[str, asyncio.Future[Response | EventListResult]] = {}
        self.closed = False

    def fail_all(self, exc: AmiError) -> None:
        self.closed = True
        self.correlator.reset()
        for fut in self.waiting.values():
            if not fut.done():
                fut.set_exception(exc)
        self.waiting.clear()
        if not self.banner.done():
            self.banner.set_exception(exc)


class AmiClient:
    """An AMI connection that stays up. ``await connect()``, ``send_action()``, ``close()``.

    ``auth`` is ``"md5"`` (Challenge, then Login with ``Key = md5(challenge + secret)``) or
    ``"plain"`` (Login with ``Secret``). ``events`` is the Login ``Events`` mask (None: omit it).
    Unsolicited events go to ``on_event`` (awaited in order by one task) or, without it, to a
    bounded queue read with ``next_event()`` or ``async for ev in client.events()``; when that
    queue is full the event is dropped and counted in ``dropped_events`` rather than stalling
    responses. ``rng`` draws the back-off jitter (inject a seeded one for tests).
    """

    def __init__(
        self,
        host: str,
        port: int = 5038,
        username: str = "",
        secret: str = "",
        *,
        events: str | None = "system,call,agent,user,cdr",
        auth: Literal["md5", "plain"] = "md5",
        action_timeout: float = 10.0,
        connect_timeout: float = 5.0,
        ping_interval: float | None = 20.0,
        ping_timeout: float | None = None,
        backoff: Backoff | None = None,
        rng: random.Random | None = None,
        on_event: EventCallback | None = None,
        on_reconnect: ReconnectHook | None = None,
        event_queue_size: int = 10_000,
        max_frame_size: int = DEFAULT_MAX_FRAME_SIZE,
    ) -> None:
        if auth not in ("md5", "plain"):
            raise ValueError("auth is 'md5' or 'plain'")
        self.host = host
        self.port = port
        self.username = username
        self._secret = secret
        self.events_mask = events
        self.auth = auth
        self.action_timeout = action_timeout
        self.connect_timeout = connect_timeout
        self.ping_interval = ping_interval
        self.ping_timeout = ping_timeout if ping_timeout is not None else action_timeout
        self.backoff = backoff or Backoff()
        self.rng = rng or random.Random()
        self.on_event = on_event
        self.on_reconnect = on_reconnect
        self.max_frame_size = max_frame_size
        self.banner: Banner | None = None
        self.reconnects = 0
        self.attempts = 0
        self.dropped_events = 0
        self.pings = 0
        self._queue: asyncio.Queue[Event] = asyncio.Queue(event_queue_size)
        self._conn: _Connection | None = None
        self._connected = False
        self._closing = False
        self._supervisor: asyncio.Task[None] | None = None
        self._dispatcher: asyncio.Task[None] | None = None
        self._ids = 0

    @property
    def connected(self) -> bool:
        """Logged in on a live connection now."""
        return self._connected

    # ------------------------------------------------------------------ lifecycle

    async def connect(self) -> None:
        """Connect and log in; raises ``AmiAuthError``, ``AmiConnectionLost`` or ``AmiTimeout``
        if the first attempt fails. After that the client keeps itself connected."""
        if self._supervisor is not None:
            raise RuntimeError("connect() was already called")
        self._closing = False
        first: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._supervisor = asyncio.create_task(self._supervise(first), name="ami-supervisor")
        if self.on_event is not None:
            self._dispatcher = asyncio.create_task(self._dispatch_events(), name="ami-events")
        try:
            await first
        except BaseException:
            await self.close()
            raise

    async def close(self, *, logoff: bool = True) -> None:
        """Log off (if connected and asked to), stop reconnecting, end every task."""
        self._closing = True
        if logoff and self._connected:
            with contextlib.suppress(AmiError):
                await self.send_action(Action("Logoff"), timeout=min(1.0, self.action_timeout))
        for task in (self._supervisor, self._dispatcher):
            # cancel until done: a cancellation can be lost when it meets a result
            while task is not None and not task.done():
                task.cancel()
                await asyncio.wait([task], timeout=1.0)
        self._supervisor = self._dispatcher = None

    async def __aenter__(self) -> AmiClient:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _supervise(self, first: asyncio.Future[None]) -> None:
        attempt = 0
        while not self._closing:
            try:
                established = await self._session(first)
            except Exception as exc:
                if not first.done():
                    first.set_exception(exc if isinstance(exc, AmiError) else _lost(exc, self))
                    return
                if isinstance(exc, AmiError | OSError | TimeoutError):
                    log.warning("AMI %s:%d: %s", self.host, self.port, exc)
                else:
                    log.exception("AMI session failed unexpectedly")
                established = False
            if self._closing:
                return
            attempt = 1 if established else attempt + 1
            delay = self.backoff.delay(attempt, self.rng)
            log.info("AMI reconnecting to %s:%d in %.3f s", self.host, self.port, delay)
            await asyncio.sleep(delay)

    async def _session(self, first: asyncio.Future[None]) -> bool:
        """One connection from open to loss; True if it got as far as logged in."""
        self.attempts += 1
        async with asyncio.timeout(self.connect_timeout):
            reader, writer = await asyncio.open_connection(self.host, self.port)
        conn = self._conn = _Connection(reader, writer, self.max_frame_size)
        read = asyncio.create_task(self._read(conn), name="ami-reader")
        ping: asyncio.Task[None] | None = None
        established = False
        try:
            try:
                async with asyncio.timeout(self.connect_timeout):
                    self.banner = await conn.banner
            except TimeoutError:
                raise AmiProtocolError("no AMI banner from the server") from None
            await self._login(conn)
            if self._closing:
                return True
            established = self._connected = True
            log.info("AMI logged in to %s:%d (%s)", self.host, self.port, self.banner.version)
            if first.done():
                self.reconnects += 1
                await self._call_reconnect_hook()
            else:
                first.set_result(None)
            if self.ping_interval:
                ping = asyncio.create_task(self._keepalive(conn), name="ami-ping")
            await read
        finally:
            self._connected = False
            self._conn = None
            conn.fail_all(AmiConnectionLost(f"connection to {self.host}:{self.port} lost"))
            writer.close()
            for task in (read, ping):
                if task is not None:
                    task.cancel()
            await asyncio.wait([t for t in (read, ping) if t is not None])
        return established

    async def _call_reconnect_hook(self) -> None:
        if self.on_reconnect is None:
            return
        try:
            await self.on_reconnect()
        except AmiError as exc:
            log.warning("AMI on_reconnect hook failed: %s", exc)
        except Exception:
            log.exception("AMI on_reconnect hook raised")

    # ------------------------------------------------------------------ reading

    async def _read(self, conn: _Connection) -> None:
        codec = conn.codec
        try:
            while True:
                data = await conn.reader.read(65536)
                if not data:
                    break
                codec.receive_data(data)
                for msg in codec:
                    self._handle(conn, msg)
        except (ConnectionError, OSError) as exc:
            log.warning("AMI read failed: %s", exc)
        finally:
            codec.receive_eof()
            for msg in codec:
                self._handle(conn, msg)
            if self._conn is conn:
                self._connected = False
            conn.fail_all(AmiConnectionLost(f"connection to {self.host}:{self.port} lost"))
        log.warning("AMI connection to %s:%d closed", self.host, self.port)

    def _handle(self, conn: _Connection, msg: object) -> None:
        if isinstance(msg, Response | Event):
            out = conn.correlator.receive(msg)
            if isinstance(out, Completed):
                fut = conn.waiting.pop(out.action_id, None)
                if fut is not None and not fut.done():
                    fut.set_result(out.result)
            elif out is not None:
                self._deliver(out)
        elif isinstance(msg, Banner) and not conn.banner.done():
            conn.banner.set_result(msg)

    def _deliver(self, event: Event) -> None:
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            self.dropped_events += 1
            if self.dropped_events == 1 or self.dropped_events % 1000 == 0:
                log.warning("AMI event queue full: %d events dropped", self.dropped_events)

    async def _dispatch_events(self) -> None:
        assert self.on_event is not None
        while True:
            event = await self._queue.get()
            try:
                await self.on_event(event)
            except Exception:
                log.exception("AMI on_event callback raised for %s", event.name)

    async def next_event(self, timeout: float | None = None) -> Event:
        """The next unsolicited event (when no ``on_event`` callback is set)."""
        async with asyncio.timeout(timeout):
            return await self._queue.get()

    async def events(self) -> AsyncIterator[Event]:
        """Unsolicited events, forever (when no ``on_event`` callback is set)."""
        while True:
            yield await self._queue.get()

    # ------------------------------------------------------------------ actions

    async def send_action(
        self, action: Action, *, timeout: float | None = None, event_list: bool | None = None
    ) -> Response | EventListResult:
        """Send ``action``; return its ``Response``, or its ``EventListResult`` when Asterisk
        answers with an event list. Raises ``AmiActionError`` on ``Response: Error``,
        ``AmiTimeout`` after ``timeout`` (default ``action_timeout``), ``AmiConnectionLost`` if not
        connected or if the connection breaks first (the action is not re-sent)."""
        conn = self._conn
        if conn is None or not self._connected:
            raise AmiConnectionLost(f"not connected to {self.host}:{self.port}")
        return await self._request(conn, action, timeout, event_list)

    async def _request(
        self,
        conn: _Connection,
        action: Action,
        timeout: float | None = None,
        event_list: bool | None = None,
    ) -> Response | EventListResult:
        if action.action_id is None:
            self._ids += 1
            action = action.with_id(f"acd-client-{self._ids}")
        aid = action.action_id
        assert aid is not None
        if conn.closed:
            raise AmiConnectionLost(f"connection to {self.host}:{self.port} lost")
        if aid in conn.waiting:
            raise AmiInvalidAction(f"ActionID {aid!r} is already waiting for an answer")
        fut: asyncio.Future[Response | EventListResult] = asyncio.get_running_loop().create_future()
        conn.waiting[aid] = fut
        conn.correlator.expect(aid, event_list=event_list)
        limit = self.action_timeout if timeout is None else timeout
        try:
            conn.writer.write(conn.codec.send(action))
            async with asyncio.timeout(limit):
                result = await fut
        except TimeoutError:
            raise AmiTimeout(action.name, aid, limit) from None
        finally:
            if conn.waiting.pop(aid, None) is not None:
                conn.correlator.cancel(aid)
        response = result.response if isinstance(result, EventListResult) else result
        if not response.ok:
            raise AmiActionError(action.name, response)
        return result

    async def _login(self, conn: _Connection) -> None:
        fields: dict[str, str] = {"Username": self.username}
        try:
            if self.auth == "md5":
                answer = await self._request(conn, Action("Challenge", AuthType="MD5"))
                challenge = answer.get("Challenge") if isinstance(answer, Response) else None
                if not challenge:
                    raise AmiProtocolError("Challenge answered without a challenge")
                digest = hashlib.md5(f"{challenge}{self._secret}".encode(), usedforsecurity=False)
                fields |= {"AuthType": "MD5", "Key": digest.hexdigest()}
            else:
                fields["Secret"] = self._secret
            if self.events_mask is not None:
                fields["Events"] = self.events_mask
            await self._request(conn, Action("Login", fields))
        except AmiActionError as exc:
            raise AmiAuthError(exc.reason, exc.response) from None

    async def _keepalive(self, conn: _Connection) -> None:
        assert self.ping_interval
        while True:
            await asyncio.sleep(self.ping_interval)
            try:
                await self._request(conn, Action("Ping"), self.ping_timeout)
            except AmiTimeout:
                log.warning("AMI: no Pong within %g s, dropping the connection", self.ping_timeout)
                conn.writer.transport.abort()
                return
            except AmiError:
                return
            self.pings += 1


def _lost(exc: BaseException, client: AmiClient) -> AmiConnectionLost:
    err = AmiConnectionLost(f"cannot connect to {client.host}:{client.port}: {exc}")
    err.__cause__ = exc
    return err
