"""The AMI codec, sans-I/O: bytes in, messages out; actions in, bytes out.

``AmiCodec`` never touches a socket or a clock. Feed it what the socket gave with
``receive_data(data)``, take messages with ``next_message()`` (or iterate the codec), turn actions
into bytes with ``send(action)``. ``Correlator`` matches what came back to what was asked
(``ActionID``), gathers event lists, and hands unsolicited events back.

Framing, strict and fast:

* every CR is dropped, so CRLF (what Asterisk sends) and a bare LF both end a line; a blank line
  ends a message. The buffer is split on blank lines in bulk, never byte by byte.
* the first line of a connection is the banner ``Asterisk Call Manager/9.0.0`` (client role).
* every line must be ``Key: value``. A whole region of frames is checked at once with a few
  C-level passes (``: `` marked, everything but line ends and marks deleted, marked lines
  counted); a region that fails goes line by line, and only the bad frames are dropped.
* a message with ``Event:`` is an event even if it also carries ``Response:`` (OriginateResponse).
* the legacy command form (``Response: Follows`` ... ``--END COMMAND--``) is read into
  ``Output`` headers, the same shape as the Asterisk 14+ form (``Output:`` lines).
* a malformed frame (a line without ``: ``, neither ``Response`` nor ``Event``, a NUL byte, more
  than ``max_frame_size`` bytes) is logged on ``telephony_adapters.ami`` and skipped, and counted
  in ``skipped_frames`` / ``skipped_bytes``; undecodable bytes are replaced, logged and counted in
  ``decode_errors``. Parsing goes on with the next frame; nothing raises.
"""

from __future__ import annotations

import enum
import logging
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

from telephony_adapters.ami.messages import (
    Action,
    Banner,
    Event,
    EventListResult,
    Message,
    Response,
)

__all__ = ["DEFAULT_MAX_FRAME_SIZE", "AmiCodec", "Completed", "Correlator", "Incoming", "Role"]

log = logging.getLogger("telephony_adapters.ami")

DEFAULT_MAX_FRAME_SIZE = 1 << 20
Incoming = Banner | Response | Event | Action

_KEEP_NL_NUL = bytes(b for b in range(256) if b not in (0, 10))  # delete all but LF and NUL
_END_COMMAND = "--END COMMAND--"
_LEGACY_HEADERS = frozenset({"privilege", "actionid", "message"})


class Role(enum.Enum):
    """Which end we are: a CLIENT reads Asterisk's output, a SERVER (the emulator) reads actions."""

    CLIENT = "client"
    SERVER = "server"


class AmiCodec:
    """One connection's worth of AMI framing and parsing. See the module docstring."""

    def __init__(
        self,
        role: Role = Role.CLIENT,
        *,
        max_frame_size: int = DEFAULT_MAX_FRAME_SIZE,
        expect_banner: bool | None = None,
    ) -> None:
        if max_frame_size < 64:
            raise ValueError("max_frame_size must be at least 64 bytes")
        self.role = role
        self.max_frame_size = max_frame_size
        self.banner: Banner | None = None
        self.skipped_frames = 0
        self.skipped_bytes = 0
        self.decode_errors = 0
        self.messages_received = 0
        self._banner_pending = role is Role.CLIENT if expect_banner is None else expect_banner
        self._buf = b""
        self._discarding = False
        self._follows: list[str] | None = None
        self._out: deque[Incoming] = deque()

    # ------------------------------------------------------------------ bytes in

    def receive_data(self, data: bytes) -> None:
        """Take bytes read from the connection; complete messages become available at once."""
        if not data:
            return
        n = len(self._out)
        self._receive(data.translate(None, b"\r"))
        self.messages_received += len(self._out) - n

    def _receive(self, data: bytes) -> None:
        buf = self._buf + data if self._buf else data
        if self._discarding:
            i = buf.find(b"\n\n")
            if i < 0:
                self.skipped_bytes += len(buf) - (1 if buf.endswith(b"\n") else 0)
                self._buf = b"\n" if buf.endswith(b"\n") else b""
                return
            self.skipped_bytes += i
            self._discarding = False
            buf = buf[i + 2 :]
        if self._banner_pending:
            buf = self._take_banner(buf)
            if self._banner_pending:
                self._buf = buf
                return
        end = buf.rfind(b"\n\n")
        if end >= 0:
            self._buf = buf[end + 2 :]
            self._region(buf[:end])
        else:
            self._buf = buf
        if len(self._buf) > self.max_frame_size:
            self._skip(f"frame over {self.max_frame_size} bytes", self._buf, len(self._buf))
            self._discarding = True
            self._buf = b"\n" if self._buf.endswith(b"\n") else b""

    def receive_eof(self) -> None:
        """The peer closed: whatever partial frame is left is logged and counted, not parsed."""
        n = len(self._out)
        if self._follows is not None:
            self._emit_follows(complete=False)
        rest = self._buf.strip(b"\n")
        if rest and not self._discarding:
            self._skip("connection closed inside a frame", rest, len(rest))
        self._buf = b""
        self.messages_received += len(self._out) - n

    def next_message(self) -> Incoming | None:
        """The next complete message, or None until more bytes arrive."""
        out = self._out
        return out.popleft() if out else None

    def __iter__(self) -> Iterator[Incoming]:
        """Drain the messages complete so far."""
        out = self._out
        while out:
            yield out.popleft()

    def drain(self) -> list[Incoming]:
        """All complete messages so far, as a list."""
        items = list(self._out)
        self._out.clear()
        return items

    @property
    def buffered(self) -> int:
        """Bytes held waiting for the end of a frame."""
        return len(self._buf)

    # ------------------------------------------------------------------ bytes out

    def send(self, item: Action | Message | Banner) -> bytes:
        """The bytes for an action (client) or a response, event or banner (server)."""
        if self.role is Role.CLIENT and not isinstance(item, Action):
            raise TypeError("a client codec sends actions")
        if self.role is Role.SERVER and isinstance(item, Action):
            raise TypeError("a server codec sends responses, events and the banner")
        return item.to_bytes()

    # ------------------------------------------------------------------ framing

    def _take_banner(self, buf: bytes) -> bytes:
        i = buf.find(b"\n")
        if i < 0:
            if len(buf) > 512:
                self._banner_pending = False
                log.warning("no AMI banner in the first %d bytes", len(buf))
            return buf
        self._banner_pending = False
        line = buf[:i].decode("utf-8", "replace")
        if "/" in line and ": " not in line:
            product, _, version = line.partition("/")
            self.banner = Banner(product, version.strip())
            self._out.append(self.banner)
            return buf[i + 1 :]
        log.warning("expected the AMI banner, got %r", line[:200])
        if ": " in line:
            return buf  # a header line: keep it, it belongs to the first message
        self._skip("not a banner", line, i + 1)
        return buf[i + 1 :]

    def _region(self, region: bytes) -> None:
        """Frames separated by blank lines; the fast path when every line is ``Key: value``."""
        if self._follows is None and b"\x00" not in region:
            try:
                text = region.decode("utf-8")
            except UnicodeDecodeError:
                text = ""
            frames = text.split("\n\n")
            limit = self.max_frame_size
            if text and (len(region) <= limit or max(map(len, frames)) <= limit):
                # Every line must hold ": ". Mark each ": ", keep only marks and line ends, and
                # count the lines that start with a mark: they must be all the non-blank lines.
                marks = region.replace(b": ", b"\x00\x00").translate(None, _KEEP_NL_NUL)
                marked = marks.count(b"\n\x00") + (marks[:1] == b"\x00")
                if marked == marks.count(b"\n") + 2 - len(frames):
                    self._fast(frames)
                    return
        for frame in region.split(b"\n\n"):
            self._frame_bytes(frame)

    def _fast(self, frames: list[str]) -> None:
        append = self._out.append
        if self.role is Role.CLIENT:
            new = object.__new__
            for fr in frames:
                if fr.startswith("Event: "):
                    m: Message = new(Event)
                    cut = 7
                elif fr.startswith("Response: ") and "\nevent: " not in fr.lower():
                    m = new(Response)  # (with an Event header too it is an event: slow path)
                    cut = 10
                else:
                    self._frame_text(fr)
                    continue
                nl = fr.find("\n")
                m.name = fr[cut:nl] if nl >= 0 else fr[cut:]
                m._raw = fr
                m._pairs = m._index = m._low = None
                append(m)
        else:
            for fr in frames:
                self._frame_text(fr)

    def _frame_bytes(self, frame: bytes) -> None:
        try:
            text = frame.decode("utf-8")
        except UnicodeDecodeError as exc:
            self.decode_errors += 1
            text = frame.decode("utf-8", "replace")
            log.warning("AMI frame not UTF-8 (%s), decoded with replacement: %r", exc, text[:200])
        self._frame_text(text)

    def _frame_text(self, fr: str) -> bool:
        """One frame, line by line and exact. True if it gave a message."""
        if self._follows is not None:
            return self._follows_more(fr)
        fr = fr.strip("\n")
        if not fr:
            return False
        if len(fr) > self.max_frame_size:
            return self._skip(f"frame over {self.max_frame_size} bytes", fr)
        if "\x00" in fr:
            return self._skip("NUL byte in frame", fr)
        lines = fr.split("\n")
        if self.role is Role.CLIENT and _is_legacy_follows(lines[0]):
            self._follows = [fr]
            if _ends_command(lines[-1]):
                return self._emit_follows(complete=True)
            return False
        pairs: list[tuple[str, str]] = []
        for line in lines:
            key, sep, value = line.partition(": ")
            if not sep:
                if line.endswith(":") and len(line) > 1:
                    key, value = line[:-1], ""  # "Key:" with nothing after: an empty value
                else:
                    return self._skip("line without ': '", fr)
            if not key:
                return self._skip("empty header name", fr)
            pairs.append((key, value))
        return self._classify(pairs, fr)

    def _classify(self, pairs: list[tuple[str, str]], fr: str) -> bool:
        found: dict[str, str] = {}
        for k, v in pairs:
            found.setdefault(k.lower(), v)
        if self.role is Role.CLIENT:
            if "event" in found:
                self._out.append(Event(found["event"], None, pairs))
            elif "response" in found:
                self._out.append(Response(found["response"], None, pairs))
            else:
                return self._skip("neither Response nor Event", fr)
        elif "action" in found:
            headers = [(k, v) for k, v in pairs if k.lower() not in ("action", "actionid")]
            self._out.append(Action.parsed(found["action"], headers, found.get("actionid")))
        else:
            return self._skip("no Action header", fr)
        return True

    def _follows_more(self, fr: str) -> bool:
        parts = self._follows
        assert parts is not None
        head = fr.lstrip("\n").partition("\n")[0].partition(": ")[0].lower()
        if head in ("event", "response"):
            emitted = self._emit_follows(complete=False)
            return self._frame_text(fr) or emitted
        parts.append(fr)
        size = sum(len(p) for p in parts)
        if size > self.max_frame_size:
            self._follows = None
            return self._skip(f"command output over {self.max_frame_size} bytes", parts[0], size)
        if _ends_command(fr.rstrip("\n").rpartition("\n")[2]):
            return self._emit_follows(complete=True)
        return False

    def _emit_follows(self, *, complete: bool) -> bool:
        parts = self._follows or []
        self._follows = None
        lines = "\n\n".join(parts).strip("\n").split("\n")
        pairs = [("Response", lines[0].partition(": ")[2])]
        i = 1
        while i < len(lines):
            key, sep, value = lines[i].partition(": ")
            if not sep or key.lower() not in _LEGACY_HEADERS:
                break
            pairs.append((key, value))
            i += 1
        body = lines[i:]
        if body and _ends_command(body[-1]):
            last = body.pop()[: -len(_END_COMMAND)]
            if last:
                body.append(last)
        elif not complete:
            log.warning("legacy command output not closed by %s; keeping what came", _END_COMMAND)
        pairs.extend(("Output", line) for line in body)
        self._out.append(Response(pairs[0][1], None, pairs))
        return True

    def _skip(self, why: str, frame: str | bytes, size: int | None = None) -> bool:
        self.skipped_frames += 1
        if size is None:
            size = len(frame.encode("utf-8", "replace")) if isinstance(frame, str) else len(frame)
        self.skipped_bytes += size
        log.warning("skipping malformed AMI frame (%s, %d bytes): %r", why, size, frame[:200])
        return False


def _is_legacy_follows(first: str) -> bool:
    key, _, value = first.partition(": ")
    return key.lower() == "response" and value.lower() == "follows"


def _ends_command(line: str) -> bool:
    return line.endswith(_END_COMMAND)


# ---------------------------------------------------------------------- correlation


@dataclass(frozen=True, slots=True)
class Completed:
    """An action is answered: its ``Response``, or its whole event list."""

    action_id: str
    result: Response | EventListResult


class _Pending:
    __slots__ = ("cancelled", "event_list", "events", "response")

    def __init__(self, event_list: bool | None) -> None:
        self.event_list = event_list
        self.response: Response | None = None
        self.events: list[Event] = []
        self.cancelled = False


class Correlator:
    """Match responses and event lists to the actions waiting for them, by ``ActionID``.

    ``expect(action_id)`` when an action goes out; ``receive(message)`` for every response and
    event that comes in, which returns ``Completed`` when an action is answered, the event
    itself when it belongs to no list being gathered (hand it to whoever wants events), or None
    when it was absorbed. A response opens a list when it says ``EventList: start`` (or when
    ``expect(..., event_list=True)``); the list ends with the event saying ``EventList: Complete``
    (or ``Cancelled``; failing those, the first with a name ending in ``Complete``).

    An event carrying the ActionID of an answered, non-list action (OriginateResponse after an
    async Originate, UserEvent) is unsolicited and passed on. ``cancel(action_id)`` (a timeout)
    makes the late answer, and its list, be swallowed. ``reset()`` forgets everything and names
    the actions that were waiting (the connection broke).
    """

    def __init__(self, *, remember_cancelled: int = 1024) -> None:
        self._pending: dict[str, _Pending] = {}
        self._lists: dict[str, _Pending] = {}
        self._cancelled: deque[str] = deque()
        self._remember = remember_cancelled
        self.unmatched = 0

    @property
    def pending(self) -> int:
        return sum(1 for p in self._pending.values() if not p.cancelled)

    def expect(self, action_id: str, *, event_list: bool | None = None) -> None:
        if action_id in self._pending and not self._pending[action_id].cancelled:
            raise ValueError(f"ActionID {action_id!r} is already waiting for an answer")
        self._lists.pop(action_id, None)
        self._pending[action_id] = _Pending(event_list)

    def cancel(self, action_id: str) -> None:
        p = self._pending.get(action_id)
        if p is None or p.cancelled:
            return
        p.cancelled = True
        self._cancelled.append(action_id)
        while len(self._cancelled) > self._remember:
            old = self._cancelled.popleft()
            q = self._pending.get(old)
            if q is not None and q.cancelled:
                del self._pending[old]
                self._lists.pop(old, None)

    def reset(self) -> list[str]:
        waiting = [aid for aid, p in self._pending.items() if not p.cancelled]
        self._pending.clear()
        self._lists.clear()
        self._cancelled.clear()
        return waiting

    def receive(self, message: Response | Event) -> Completed | Event | None:
        if isinstance(message, Event):
            if not self._lists:
                return message
            aid = message.action_id
            p = self._lists.get(aid) if aid is not None else None
            if p is None:
                return message
            if message.ends_list or (message.get("EventList") is None and _completes(message)):
                assert aid is not None and p.response is not None
                del self._lists[aid]
                self._pending.pop(aid, None)
                if p.cancelled:
                    return None
                return Completed(aid, EventListResult(p.response, tuple(p.events), message))
            if not p.cancelled:
                p.events.append(message)
            return None
        aid = message.action_id
        p = self._pending.get(aid) if aid is not None else None
        if p is None or p.response is not None:
            self.unmatched += 1
            log.debug("AMI response nobody waits for: %r", message)
            return None
        assert aid is not None
        if message.starts_list or (p.event_list and message.ok):
            p.response = message
            self._lists[aid] = p
            return None
        del self._pending[aid]
        return None if p.cancelled else Completed(aid, message)


def _completes(event: Event) -> bool:
    return event.name.endswith("Complete")
