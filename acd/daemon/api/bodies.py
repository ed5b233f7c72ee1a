"""Request bodies: JSON objects validated by pydantic; unknown fields are refused."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

Name = Annotated[str, Field(min_length=1, max_length=64)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginBody(Body):
    ready: bool = True


class PauseBody(Body):
    reason: Name = "break"


class SkillsBody(Body):
    skills: dict[Name, Annotated[int, Field(ge=1, le=10)]]


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
    priority: Annotated[int, Field(ge=-1_000_000, le=1_000_000)]


class CallbackBody(Body):
    at: Name
    agent_id: Name | None = None


class DncBody(Body):
    number: Name


class TransferBody(Body):
    queue: Name


class HangupBody(Body):
    reason: Name = "supervisor"
