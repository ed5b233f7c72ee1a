"""Request bodies: JSON objects validated by pydantic; unknown fields are refused."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, Strict

Name = Annotated[str, Field(min_length=1, max_length=64)]


def _no_bool(value: object) -> object:
    if isinstance(value, bool):
        raise ValueError("a number is expected, not true or false")
    return value


# JSON true is not the integer 1 and "yes" is not true; 6.0 is the integer 6, as in JSON Schema.
NO_BOOL = BeforeValidator(_no_bool)
Bool = Annotated[bool, Strict()]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginBody(Body):
    ready: Bool = True


class PauseBody(Body):
    reason: Name = "break"


Level = Annotated[int, Field(ge=1, le=10), NO_BOOL]


class SkillsBody(Body):
    skills: Annotated[dict[Name, Level], Field(max_length=100)]


class StateBody(Body):
    state: Literal["ready", "paused", "logged_out"]
    reason: Name = "supervisor"


class DispositionBody(Body):
    disposition: Name
    # A callback code: when (ISO 8601 with an offset, or local wall time in the lead's zone)
    # and for whom ("me", an agent id, or null for anyone).
    callback_at: Name | None = None
    callback_agent: Name | None = None


class LeadPatchBody(Body):
    priority: Annotated[int, Field(ge=-1_000_000, le=1_000_000), NO_BOOL]


class CallbackBody(Body):
    at: Name
    agent_id: Name | None = None


class DncBody(Body):
    number: Name


class TransferBody(Body):
    queue: Name


class HangupBody(Body):
    reason: Name = "supervisor"


class MonitorBody(Body):
    mode: Literal["listen", "whisper", "barge"]
    # A channel (SIP/sup1, PJSIP/1002) or a name in adapter.asterisk.supervisor_devices.
    device: Annotated[
        str, Field(pattern=r"^[A-Za-z0-9_.@+-]+(/[A-Za-z0-9_.@+-]+)?$", max_length=80)
    ]
