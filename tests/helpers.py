"""Test helpers: build configs in code and drive the engine with an explicit clock."""

from __future__ import annotations

from random import Random
from typing import Any

from acd import events as ev
from acd.commands import Command, OfferCall
from acd.config.schema import Config
from acd.core import Core
from acd.engine import Engine


def config(queues: list[dict[str, Any]], agents: list[dict[str, Any]], **extra: Any) -> Config:
    return Config.model_validate({"queues": queues, "agents": agents, **extra})


class Clock:
    """The one clock driver of the tests: any core (engine or dialer Center) and the time,
    events in and commands out; time moves only when a test moves it."""

    def __init__(self, core: Core, now: float = 0.0) -> None:
        self.core = core
        self.now = now
        self.out: list[Command] = []

    def do(self, event: ev.Event) -> list[Command]:
        cmds = self.core.handle(event, self.now)
        self.out.extend(cmds)
        return cmds

    def advance(self, seconds: float) -> list[Command]:
        """Move the clock, firing every timer due on the way, at its own instant."""
        return self.advance_to(self.now + seconds)

    def advance_to(self, target: float) -> list[Command]:
        cmds: list[Command] = []
        while (due := self.core.next_deadline()) is not None and due <= target:
            self.now = max(self.now, due)
            cmds += self.core.on_timer(self.now)
        self.now = target
        self.out.extend(cmds)
        return cmds


class Center(Clock):
    """An engine plus a clock, with domain-named steps that return the engine's commands."""

    def __init__(self, cfg: Config, *, seed: int = 0, login: bool = True) -> None:
        self.engine = Engine(cfg, rng=Random(seed), keep_records=True)
        super().__init__(self.engine)
        if login:
            for a in cfg.agents:
                self.do(ev.AgentLogin(a.id))

    def arrive(self, call_id: str, queue: str, **kw: Any) -> list[Command]:
        return self.do(ev.CallArrived(call_id, queue, **kw))

    def answer(self, call_id: str, agent_id: str) -> list[Command]:
        return self.do(ev.AgentAnswered(call_id, agent_id))

    def hangup(self, call_id: str, party: str = "caller") -> list[Command]:
        return self.do(ev.CallHungUp(call_id, party))  # type: ignore[arg-type]

    def state(self, agent_id: str) -> str:
        return self.engine.agents[agent_id].state.value

    def kpis(self, queue: str) -> dict[str, Any]:
        return self.engine.report(self.now)["queues"][queue]


def offers(cmds: list[Command]) -> list[tuple[str, str]]:
    return [(c.call_id, c.agent_id) for c in cmds if isinstance(c, OfferCall)]
