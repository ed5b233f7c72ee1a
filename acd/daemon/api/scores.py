"""Scores of finished calls: the caller's satisfaction from an external survey tool
(``POST /v1/calls/{id}/csat``) and a supervisor's quality score (``/quality``). The engine keeps
the rows of the last 10,000 handled calls; an older or unknown call is a 404."""

from __future__ import annotations

from typing import Annotated, Any

from aiohttp import web
from pydantic import Field, model_validator

from acd import events as ev
from acd.daemon.api.access import submit
from acd.daemon.api.bodies import Body
from acd.daemon.api.route import Route
from acd.daemon.state import Daemon


class CsatBody(Body):
    score: Annotated[int, Field(ge=1, le=10, strict=True)]
    scale: Annotated[int, Field(ge=2, le=10, strict=True)] = 5

    @model_validator(mode="after")
    def _within(self) -> CsatBody:
        if self.score > self.scale:
            raise ValueError(f"score {self.score} is above the scale ({self.scale})")
        return self


class QualityBody(Body):
    score: Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)]
    form: Annotated[str, Field(max_length=64)] = ""


async def call_csat(request: web.Request, d: Daemon, body: CsatBody) -> Any:
    call_id = request.match_info["call_id"]
    submit(d, ev.CallScored(call_id, body.score, body.scale))
    return {"id": call_id, "score": body.score, "scale": body.scale}


async def call_quality(request: web.Request, d: Daemon, body: QualityBody) -> Any:
    call_id = request.match_info["call_id"]
    submit(d, ev.QualityScored(call_id, body.score, body.form))
    return {"id": call_id, "score": body.score, "form": body.form}


SCORE_ROUTES: list[Route] = [
    Route(
        "POST",
        "/v1/calls/{call_id}/csat",
        call_csat,
        "supervisor",
        "The caller's satisfaction score of a finished call, from a survey tool (1 to scale)",
        CsatBody,
    ),
    Route(
        "POST",
        "/v1/calls/{call_id}/quality",
        call_quality,
        "supervisor",
        "A quality score (0-100) of the agent's handling of a finished call, on a named form",
        QualityBody,
        audit="call.quality",
    ),
]
