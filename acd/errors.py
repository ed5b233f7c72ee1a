"""The one exception tree of acd-dialer.

    AcdError                      root; every error has a stable ``code`` the API returns
    ├── LocalError                you asked for something illegal (bad input, wrong state)
    │   ├── ConfigError           a configuration file is invalid (names file, line, field)
    │   ├── UnknownEntity         an agent, queue or call id that does not exist
    │   ├── IllegalTransition     a state machine refused an event; nothing changed
    │   └── InvalidEvent          an event or command failed validation when built
    └── RemoteError               a peer (PBX, store) sent or did something wrong
        ├── StoreUnavailable      the store cannot be reached (names its URL)
        └── StaleLeader           a write carried a fencing token that is no longer current

Adapters map their own exceptions into this tree at their boundary.
"""

from __future__ import annotations


class AcdError(Exception):
    code = "acd_error"
    http_status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class LocalError(AcdError):
    code = "bad_request"
    http_status = 400


class RemoteError(AcdError):
    code = "remote_error"
    http_status = 502


class InvalidEvent(LocalError):
    code = "invalid_event"


class UnknownEntity(LocalError):
    code = "not_found"
    http_status = 404

    def __init__(self, kind: str, ident: str) -> None:
        super().__init__(f"unknown {kind} {ident!r}")
        self.kind = kind
        self.ident = ident
        self.code = f"unknown_{kind}"


class IllegalTransition(LocalError):
    code = "illegal_transition"
    http_status = 409

    def __init__(self, machine: str, ident: str, state: str, event: str) -> None:
        super().__init__(f"{machine} {ident!r} in state {state} cannot take {event}")
        self.machine = machine
        self.ident = ident
        self.state = state
        self.event = event


class ConfigError(LocalError):
    code = "invalid_config"

    def __init__(
        self, message: str, *, file: str = "", line: int | None = None, field: str = ""
    ) -> None:
        where = file
        if line is not None:
            where = f"{where}:{line}" if where else f"line {line}"
        prefix = f"{where}: " if where else ""
        field_part = f"{field}: " if field else ""
        super().__init__(f"{prefix}{field_part}{message}")
        self.file = file
        self.line = line
        self.field = field
        self.detail = message


class TrunkUnavailable(RemoteError):
    code = "pbx_unavailable"
    http_status = 503

    def __init__(self) -> None:
        super().__init__("the PBX link is down: no call can be placed until it is back")


class StoreUnavailable(RemoteError):
    code = "store_unavailable"
    http_status = 503

    def __init__(self, url: str, reason: str = "") -> None:
        super().__init__(f"store {url} unavailable" + (f": {reason}" if reason else ""))
        self.url = url
        self.reason = reason


class StaleLeader(RemoteError):
    """This node lost its leadership lease: another node holds a newer fencing token."""

    code = "stale_leader"
    http_status = 409

    def __init__(self, token: int, current: int | None) -> None:
        super().__init__(f"fencing token {token} is stale (current: {current})")
        self.token = token
        self.current = current
