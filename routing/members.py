"""What routing needs to know of an agent and of a waiting call.

The engine's runtime objects subclass these, so routing reads plain slots with no lookups.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from routing.pools import Pool

# A requirement alternative: sorted ((skill, min_level), ...); an agent must meet all of them.
Alternative = tuple[tuple[str, int], ...]


class Member:
    """An agent as routing sees it."""

    __slots__ = ("calls", "idle_seq", "ix", "logged_in", "pools", "ready", "skills", "talk_ms")

    def __init__(self, ix: int, skills: dict[str, int]) -> None:
        self.ix = ix
        self.skills = skills
        self.pools: list[Pool] = []
        self.ready = False
        self.logged_in = False
        self.idle_seq = 0  # global sequence stamped when the agent's idle period starts
        self.calls = 0
        self.talk_ms = 0

    def meets(self, alt: Alternative) -> bool:
        skills = self.skills
        for skill, level in alt:
            if skills.get(skill, 0) < level:
                return False
        return True


class Waiter:
    """A waiting call as routing sees it."""

    __slots__ = ("declined", "gen", "order_key", "pools", "waiting")

    def __init__(self) -> None:
        self.pools: tuple[Pool, ...] = ()
        self.waiting = False
        self.gen = 0  # bumped each time the call (re)enters the pools: older heap entries are stale
        self.order_key: tuple[int, ...] = ()
        self.declined: set[int] = set()  # agents who missed this call; skipped until retry
