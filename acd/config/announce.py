"""A queue's announcements to waiting callers: position and estimated wait, and periodic
messages (``queues[].announce``; see docs/configuration.md, "Announcements")."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from acd.config.types import PositiveSeconds, Seconds, Strict


class Announce(Strict):
    position: bool = False  # "you are caller number N"
    ewt: bool = False  # "your expected wait is about N minutes"
    every_seconds: PositiveSeconds = 60.0  # after the one on entry
    # Not worth saying: an estimate below this (the wait is about to end).
    min_ewt_seconds: Seconds = 60.0
    language: Annotated[str, Field(pattern=r"^[a-z]{2}(_[A-Z]{2})?$")] = "en"
    messages: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=200)]], Field(max_length=50)
    ] = []
    messages_every_seconds: PositiveSeconds = 120.0  # one message of the list, in turn
