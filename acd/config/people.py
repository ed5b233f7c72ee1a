"""Who signs in (``auth:``) and what the agent desktop offers them (``desk:``).

People sign in with an id and a password or PIN; the config holds only its salted hash (see
:mod:`acd.passwords`, made with ``acd-dialer passwd``). An agent's id is the agent it works as
unless ``agent_id`` says otherwise.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from acd.config.types import MAX_SECONDS, FieldProblem, Name, Strict
from acd.passwords import check_format


class Person(Strict):
    id: Name
    role: Literal["agent", "supervisor", "admin"] = "agent"
    password: str  # the scrypt hash, never the password
    agent_id: Name | None = None  # agents: the agent they work as (default: the id)
    name: Annotated[str, Field(max_length=128)] = ""
    device: Annotated[str, Field(max_length=128)] = ""  # a supervisor's phone, for monitoring

    @field_validator("password")
    @classmethod
    def _hash(cls, v: str) -> str:
        return check_format(v)

    @model_validator(mode="after")
    def _agent(self) -> Person:
        if self.role == "agent" and self.agent_id is None:
            object.__setattr__(self, "agent_id", self.id)  # frozen model: set once, here
        return self


class Lockout(Strict):
    failures: Annotated[int, Field(ge=1, le=1000)] = 5  # in a row, for one id
    seconds: Annotated[float, Field(gt=0, le=MAX_SECONDS)] = 900.0


class Auth(Strict):
    people: list[Person] = Field(default_factory=list)
    session_hours: Annotated[float, Field(gt=0, le=24 * 30)] = 12.0
    lockout: Lockout = Lockout()

    @model_validator(mode="after")
    def _unique(self) -> Auth:
        seen: set[str] = set()
        for p in self.people:
            if p.id in seen:
                raise ValueError(f"person {p.id!r} is listed twice")
            seen.add(p.id)
        return self


class Desk(Strict):
    """What the agent desktop offers: the pause reasons to pick from, and which lead fields
    a campaign call shows (empty: all of them)."""

    pause_reasons: Annotated[list[Name], Field(min_length=1, max_length=50)] = [
        "break",
        "lunch",
        "training",
        "meeting",
    ]
    screen_pop: Annotated[list[Annotated[str, Field(max_length=64)]], Field(max_length=50)] = []


def check_people(auth: Auth, agent_ids: set[str]) -> None:
    """An agent signs in as an agent the config has."""
    for i, person in enumerate(auth.people):
        if person.agent_id is not None and person.agent_id not in agent_ids:
            where = ("auth", "people", i, "agent_id")
            raise FieldProblem(where, f"person {person.id!r}: {person.agent_id!r} is not an agent")
