"""The building blocks of the configuration schema: bounded numbers, names, skills, times of
day, and the strict base model (unknown keys are errors, numbers are finite)."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

Level = Annotated[int, Field(ge=1, le=10)]
MAX_SKILLS = 100  # per agent, queue or call: far above any real center, bounds the work
Skills = Annotated[
    dict[Annotated[str, Field(min_length=1, max_length=64)], Level], Field(max_length=MAX_SKILLS)
]
Name = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")]
# Durations are finite and at most 30 days: an infinite wrap-up or drain would never end.
MAX_SECONDS = 30 * 86400.0
Seconds = Annotated[float, Field(ge=0, le=MAX_SECONDS)]
PositiveSeconds = Annotated[float, Field(gt=0, le=MAX_SECONDS)]


def _percent(value: Any) -> Any:
    """``"80%"`` as 0.8, as the command line takes it; anything else is left to the type."""
    if isinstance(value, str) and value.strip().endswith("%"):
        try:
            return float(Decimal(value.strip()[:-1].strip()) / 100)
        except InvalidOperation:
            raise ValueError(f"not a percentage: {value!r}") from None
    return value


Percent = BeforeValidator(_percent)
Ratio = Annotated[float, Field(ge=0, le=1), Percent]  # a fraction (0.8) or a percentage (80%)

_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def hhmm_seconds(value: str, *, end: bool = False) -> int:
    """Seconds after midnight; ``end`` also takes "24:00", the midnight that ends the day."""
    if end and value == "24:00":
        return 86400
    m = _HHMM.match(value)
    if not m:
        allowed = "00:00-23:59, or 24:00 for the end" if end else "00:00-23:59"
        raise ValueError(f"time of day must be HH:MM ({allowed}), got {value!r}")
    return int(m.group(1)) * 3600 + int(m.group(2)) * 60


class Strict(BaseModel):
    # No .inf or .nan anywhere: every number in a config is finite.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class FrequencyCap(Strict):
    """US debt collection (CFPB Regulation F, 12 CFR 1006.14(b)): at most ``calls`` attempts to
    an account (or a lead) in any ``days`` consecutive days, and none for ``days`` days after a
    conversation."""

    calls: Annotated[int, Field(ge=1, le=1000)] = 7  # attempts allowed in any `days` x 24 h
    days: Annotated[int, Field(ge=1, le=365)] = 7  # the window, and the wait after a conversation
    # Whose attempts count: every lead of the lead's account (the lead file's account column,
    # else its number), as the rule counts calls to a person about a debt; or the lead alone.
    per: Literal["account", "lead"] = "account"


class FieldProblem(ValueError):
    """A check across fields that names the one at fault, so the error points at its line."""

    def __init__(self, loc: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.loc = loc


def _duplicates(values: list[str]) -> list[int]:
    """Indexes of the values seen before (linear: configs may list 200,000 agents)."""
    seen: set[str] = set()
    out = []
    for i, v in enumerate(values):
        if v in seen:
            out.append(i)
        seen.add(v)
    return out
