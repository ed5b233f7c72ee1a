"""AMI message types and the AMI error tree.

What comes off the wire (``Banner``, ``Response``, ``Event``), what goes onto it (``Action``),
and what an action that answers with an event list completes with (``EventListResult``).

A ``Message`` is an ordered list of ``(key, value)`` header lines: repeated keys (several
``Variable:`` or ``ChanVariable:`` lines, ``Output:`` lines of a command) are all kept, in order.
Lookups are case-insensitive. A message parsed off the wire keeps its text and splits it into
header pairs only when asked for all of them; single lookups (``get``) search the text. The codec
has already checked that every line is a well-formed ``Key: value`` line, so a message never
fails later.

Errors::

    AmiError                  root; ``code`` is a stable string
    ├── AmiInvalidAction      local: an action that cannot be sent (CR/LF in a header, no name)
    ├── AmiProtocolError      remote: the peer broke the protocol (no banner, bad framing)
    ├── AmiActionError        remote: ``Response: Error`` to an action (``.response``, ``.reason``)
    ├── AmiAuthError          remote: Login or Challenge refused
    ├── AmiTimeout            no answer to an action within its timeout
    └── AmiConnectionLost     the connection could not be made or broke; pending actions fail

The adapter maps these into ``acd.errors`` at its boundary (STYLE.md, convention 6).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import EllipsisType
from typing import ClassVar

__all__ = [
    "Action",
    "AmiActionError",
    "AmiAuthError",
    "AmiConnectionLost",
    "AmiError",
    "AmiInvalidAction",
    "AmiProtocolError",
    "AmiTimeout",
    "Banner",
    "Event",
    "EventListResult",
    "Message",
    "Response",
    "encode_message",
]


# --------------------------------------------------------------------------- errors


class AmiError(Exception):
    """Root of every AMI error."""

    code: ClassVar[str] = "ami_error"


class AmiInvalidAction(AmiError, ValueError):
    """An action that must not be sent: no name, a bad key, or CR/LF in a value (injection)."""

    code = "ami_invalid_action"


class AmiProtocolError(AmiError):
    """The peer does not speak AMI as expected (no banner, broken framing)."""

    code = "ami_protocol_error"


class AmiActionError(AmiError):
    """Asterisk answered ``Response: Error`` to an action."""

    code = "ami_action_failed"

    def __init__(self, action: str, response: Response) -> None:
        self.action = action
        self.response = response
        self.reason = response.get("Message") or ""
        super().__init__(f"{action} failed: {self.reason or response.name}")


class AmiAuthError(AmiError):
    """Login (plain or MD5) or Challenge refused; ``reason`` is Asterisk's message."""

    code = "ami_auth_failed"

    def __init__(self, reason: str, response: Response | None = None) -> None:
        self.reason = reason
        self.response = response
        super().__init__(f"AMI login refused: {reason}")


class AmiTimeout(AmiError):
    """No complete answer to an action within its timeout."""

    code = "ami_timeout"

    def __init__(self, action: str, action_id: str, timeout: float) -> None:
        self.action = action
        self.action_id = action_id
        self.timeout = timeout
        super().__init__(f"{action} (ActionID {action_id}) got no answer within {timeout:g} s")


class AmiConnectionLost(AmiError):
    """The connection could not be made, or broke; an action pending on it is not re-sent."""

    code = "ami_connection_lost"


# --------------------------------------------------------------------------- messages


class Message:
    """One AMI message: ordered ``(key, value)`` header lines, keys case-insensitive.

    Immutable by interface: there is no way to change a message once built. Build one from pairs
    with ``Event.from_pairs(...)`` / ``Response.from_pairs(...)``; the codec builds them from text.
    """

    __slots__ = ("_index", "_low", "_pairs", "_raw", "name")
    kind: ClassVar[str] = "message"
    #: the header that names the message (``Event``, ``Response``)
    name_key: ClassVar[str] = ""

    name: str
    _raw: str | None
    _pairs: list[tuple[str, str]] | None
    _index: dict[str, list[str]] | None
    _low: str | None

    def __init__(self, name: str, raw: str | None = None, pairs: Sequence[tuple[str, str]] = ()):
        # ``raw``: '\n'-separated ``Key: value`` lines whose every line the codec has checked.
        self.name = name
        self._raw = raw
        self._pairs = None if raw is not None else list(pairs)
        self._index = None
        self._low = None

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[str, str]] | Mapping[str, str]) -> Message:
        """Build a message from header pairs (or a mapping); the name header must be present."""
        items = list(pairs.items()) if isinstance(pairs, Mapping) else list(pairs)
        for k, v in items:
            _check_header(k, v)
        name = next((v for k, v in items if k.lower() == cls.name_key.lower()), None)
        if name is None:
            raise AmiInvalidAction(f"a {cls.kind} needs a {cls.name_key!r} header")
        return cls(name, None, items)

    # -- the pairs -----------------------------------------------------------------------

    def items(self) -> list[tuple[str, str]]:
        """Every header line as ``(key, value)``, in order, repeated keys included."""
        pairs = self._pairs
        if pairs is None:
            pairs = self._pairs = [
                (k, v)
                for k, _, v in (line.partition(": ") for line in self._raw.split("\n"))  # type: ignore[union-attr]
            ]
        return list(pairs)

    def _idx(self) -> dict[str, list[str]]:
        idx = self._index
        if idx is None:
            idx = {}
            for k, v in self.items():
                lk = k.lower()
                found = idx.get(lk)
                if found is None:
                    idx[lk] = [v]
                else:
                    found.append(v)
            self._index = idx
        return idx

    def get(self, key: str, default: str | None = None) -> str | None:
        """The first value of ``key`` (case-insensitive), or ``default``."""
        raw = self._raw
        if raw is not None:
            value = _find(raw, key)
            if value is not None:
                return value
            if raw.isascii():  # then lower() keeps every offset: search the folded copy
                low = self._low
                if low is None:
                    low = self._low = raw.lower()
                value = _find_folded(raw, low, key.lower())
                return default if value is None else value
        found = self._idx().get(key.lower())
        return default if found is None else found[0]

    def get_all(self, key: str) -> list[str]:
        """Every value of ``key`` (case-insensitive), in order; ``[]`` if absent."""
        return list(self._idx().get(key.lower(), ()))

    def keys(self) -> list[str]:
        """Distinct keys in order of first appearance (as spelled there)."""
        seen: dict[str, str] = {}
        for k, _ in self.items():
            seen.setdefault(k.lower(), k)
        return list(seen.values())

    def as_dict(self) -> dict[str, str]:
        """``{key: first value}``; lossy for repeated keys, use ``get_all`` for those."""
        return {k: self[k] for k in self.keys()}

    def variables(self, key: str = "ChanVariable") -> dict[str, str]:
        """``NAME=value`` lines of ``key`` (``ChanVariable``, ``Variable``) as a dict."""
        out: dict[str, str] = {}
        for v in self.get_all(key):
            name, _, value = v.partition("=")
            out[name] = value
        return out

    def __getitem__(self, key: str) -> str:
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return value

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not None

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __len__(self) -> int:
        """The number of header lines (repeated keys counted each time)."""
        return len(self.items())

    @property
    def action_id(self) -> str | None:
        return self.get("ActionID")

    def to_bytes(self) -> bytes:
        """The message as Asterisk sends it: ``Key: value`` lines, CRLF, a blank line."""
        return encode_message(self.items())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Message):
            return NotImplemented
        return type(self) is type(other) and self.items() == other.items()

    def __hash__(self) -> int:
        return hash((type(self).__name__, tuple(self.items())))

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v!r}" for k, v in self.items()[1:6])
        more = ", ..." if len(self) > 6 else ""
        return f"{type(self).__name__}({self.name!r}, {shown}{more})"


class Response(Message):
    """``Response: Success | Error | Goodbye | Follows ...`` answering one action."""

    __slots__ = ()
    kind = "response"
    name_key = "Response"

    @property
    def ok(self) -> bool:
        return self.name.lower() != "error"

    @property
    def message(self) -> str | None:
        return self.get("Message")

    @property
    def starts_list(self) -> bool:
        """True if this response opens an event list (``EventList: start``)."""
        value = self.get("EventList")
        return value is not None and value.lower() == "start"

    @property
    def output(self) -> list[str]:
        """Command output: the ``Output:`` lines (Asterisk 14+), or the legacy Follows body."""
        return self.get_all("Output")


class Event(Message):
    """``Event: Name ...``; may carry an ``ActionID`` (list items, OriginateResponse)."""

    __slots__ = ()
    kind = "event"
    name_key = "Event"

    @property
    def ends_list(self) -> bool:
        """True for the event closing an event list (``EventList: Complete`` or ``Cancelled``)."""
        value = self.get("EventList")
        return value is not None and value.lower() in ("complete", "cancelled")


def _find(raw: str, key: str) -> str | None:
    """Value of the first ``key: `` line of ``raw``, exact case; None if absent."""
    n = len(key)
    if raw.startswith(key) and raw.startswith(": ", n):
        start = n + 2
    else:
        i = raw.find(f"\n{key}: ")
        if i < 0:
            return None
        start = i + n + 3
    end = raw.find("\n", start)
    return raw[start:] if end < 0 else raw[start:end]


def _find_folded(raw: str, low: str, lkey: str) -> str | None:
    """Like ``_find`` but case-insensitive: search ``low`` (``raw.lower()``, same offsets)."""
    n = len(lkey)
    if low.startswith(lkey) and low.startswith(": ", n):
        start = n + 2
    else:
        i = low.find(f"\n{lkey}: ")
        if i < 0:
            return None
        start = i + n + 3
    end = raw.find("\n", start)
    return raw[start:] if end < 0 else raw[start:end]


@dataclass(frozen=True, slots=True)
class Banner:
    """The first line Asterisk sends: ``Asterisk Call Manager/9.0.0``."""

    product: str
    version: str

    @property
    def version_tuple(self) -> tuple[int, ...]:
        parts: list[int] = []
        for p in self.version.split("."):
            if not p.isdigit():
                break
            parts.append(int(p))
        return tuple(parts)

    def to_bytes(self) -> bytes:
        return f"{self.product}/{self.version}\r\n".encode()


@dataclass(frozen=True, slots=True)
class EventListResult:
    """An action answered by an event list: the response, the items, the closing event."""

    response: Response
    events: tuple[Event, ...]
    complete: Event | None

    @property
    def action_id(self) -> str | None:
        return self.response.action_id

    def __iter__(self) -> Iterator[Event]:
        return iter(self.events)

    def __len__(self) -> int:
        return len(self.events)


# --------------------------------------------------------------------------- actions

HeaderValue = str | int | float | bool
_ids = itertools.count(1)


def _check_header(key: str, value: str) -> None:
    if not key or ": " in key or not key.isprintable() or key != key.strip():
        raise AmiInvalidAction(f"invalid header name {key!r}")
    if "\r" in value or "\n" in value or "\x00" in value:
        raise AmiInvalidAction(
            f"header {key!r} has CR, LF or NUL in its value {value!r}: refusing (header injection)"
        )


def _text(value: HeaderValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class Action:
    """An action to send: ``Action(name, [(key, value), ...], Key=value, ..., action_id=...)``.

    Values may be ``str``, ``int``, ``float`` or ``bool`` (sent as ``true``/``false``); a list
    or tuple of them repeats the header (``Variable=["A=1", "B=2"]``). Pairs given positionally
    keep their order and may use keys that are not Python names (``"CallerID"`` is fine either
    way). ``action_id`` defaults to a fresh ``acd-N``; pass ``None`` to send none. CR or LF in
    any value is refused with ``AmiInvalidAction``: that would inject headers.
    """

    __slots__ = ("action_id", "headers", "name")

    name: str
    headers: tuple[tuple[str, str], ...]
    action_id: str | None

    def __init__(
        self,
        name: str,
        pairs: Iterable[tuple[str, HeaderValue]] | Mapping[str, HeaderValue] = (),
        /,
        *,
        action_id: str | EllipsisType | None = ...,
        **fields: HeaderValue | Sequence[HeaderValue],
    ) -> None:
        if not name or not name.isprintable() or name != name.strip() or ": " in name:
            raise AmiInvalidAction(f"invalid action name {name!r}")
        items = list(pairs.items()) if isinstance(pairs, Mapping) else list(pairs)
        headers: list[tuple[str, str]] = [(k, _text(v)) for k, v in items]
        for k, v in fields.items():
            if isinstance(v, list | tuple):
                headers.extend((k, _text(x)) for x in v)
            else:
                headers.append((k, _text(v)))  # type: ignore[arg-type]
        for k, v in headers:
            if k.lower() in ("action", "actionid"):
                raise AmiInvalidAction(f"pass {k!r} as the name or action_id, not as a header")
            _check_header(k, v)
        if action_id is ...:
            action_id = f"acd-{next(_ids)}"
        elif action_id is not None:
            _check_header("ActionID", action_id)
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "headers", tuple(headers))
        object.__setattr__(self, "action_id", action_id)

    @classmethod
    def parsed(cls, name: str, headers: Sequence[tuple[str, str]], action_id: str | None) -> Action:
        """An action as a server read it: no validation beyond what framing already did."""
        self = object.__new__(cls)
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "headers", tuple(headers))
        object.__setattr__(self, "action_id", action_id)
        return self

    def __setattr__(self, key: str, value: object) -> None:
        raise AttributeError("Action is immutable")

    def get(self, key: str, default: str | None = None) -> str | None:
        lk = key.lower()
        return next((v for k, v in self.headers if k.lower() == lk), default)

    def get_all(self, key: str) -> list[str]:
        lk = key.lower()
        return [v for k, v in self.headers if k.lower() == lk]

    def with_id(self, action_id: str) -> Action:
        return Action.parsed(self.name, self.headers, action_id)

    def to_bytes(self) -> bytes:
        lines = [f"Action: {self.name}"]
        if self.action_id is not None:
            lines.append(f"ActionID: {self.action_id}")
        lines.extend(f"{k}: {v}" for k, v in self.headers)
        lines.append("\r\n")
        return "\r\n".join(lines).encode()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Action):
            return NotImplemented
        return (self.name, self.headers, self.action_id) == (
            other.name,
            other.headers,
            other.action_id,
        )

    def __hash__(self) -> int:
        return hash((self.name, self.headers, self.action_id))

    def __repr__(self) -> str:
        shown = "".join(f", {k}={'****' if k.lower() in _SECRET else v!r}" for k, v in self.headers)
        return f"Action({self.name!r}{shown}, action_id={self.action_id!r})"


_SECRET = frozenset({"secret", "key"})


def encode_message(pairs: Iterable[tuple[str, str]]) -> bytes:
    """``Key: value`` lines joined by CRLF and closed by a blank line; CR/LF in values refused."""
    lines = []
    for k, v in pairs:
        _check_header(k, v)
        lines.append(f"{k}: {v}")
    lines.append("\r\n")
    return "\r\n".join(lines).encode()
