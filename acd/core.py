"""The one interface of a core: what the drivers, the persister and the daemon drive.

Two classes implement it: :class:`acd.engine.Engine` (the ACD alone) and
:class:`dialer.center.Center` (the engine with campaigns). Code outside the dialer takes a
``Core`` and never asks which it has: a center without campaigns answers ``campaigns`` with an
empty mapping, ``campaigns_view`` with an empty list, and so on. ``engine`` is the ACD engine
inside (the engine itself, or the Center's): the persister and the reports read agents' and
queues' figures there, which the Center does not copy.

This module imports nothing of the dialer: the Protocol is structural.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from acd.commands import Command
from acd.config.schema import Config
from acd.entities import AgentRt, CallRt, QueueRt
from acd.events import Event
from acd.records import CallDetail

if TYPE_CHECKING:
    from acd.engine import Engine


class Core(Protocol):
    config: Config
    # Observable changes for live views; None (the default) collects none.
    notices: list[dict[str, Any]] | None
    # Where complete call detail records go; None builds none.
    cdr_sink: Callable[[CallDetail], None] | None
    # Shutting down: place no new outbound calls (calls already up finish).
    stop_dialing: bool

    # --- driving ---------------------------------------------------------------------------
    def handle(self, event: Event, now: float) -> list[Command]: ...
    def on_timer(self, now: float) -> list[Command]: ...
    def next_deadline(self) -> float | None: ...
    def in_progress(self) -> bool: ...
    def reset_stats(self, now: float) -> None: ...
    def reconfigure(self, config: Config, now: float) -> dict[str, list[str]]: ...
    def flush_records(self, now: float) -> int: ...

    # --- what is in it ---------------------------------------------------------------------
    @property
    def engine(self) -> Engine: ...
    @property
    def agents(self) -> dict[str, AgentRt]: ...
    @property
    def calls(self) -> dict[str, CallRt]: ...
    @property
    def queues(self) -> dict[str, QueueRt]: ...
    @property
    def campaigns(self) -> Mapping[str, Any]: ...
    @property
    def dnc(self) -> Any: ...

    # --- views -----------------------------------------------------------------------------
    def snapshot(self, now: float) -> dict[str, Any]: ...
    def queues_view(self, now: float, only: str | None = None) -> list[dict[str, Any]]: ...
    def agent_view(self, a: AgentRt, now: float) -> dict[str, Any]: ...
    def call_view(self, c: CallRt, now: float) -> dict[str, Any]: ...
    def report(self, now: float, *, whole_run: bool = False) -> dict[str, Any]: ...
    def campaigns_view(self, now: float) -> list[dict[str, Any]]: ...
    def campaign_report(self, now: float) -> dict[str, dict[str, Any]]: ...
    def preview_view(self, agent_id: str, now: float) -> dict[str, Any] | None: ...


__all__ = ["Core"]
