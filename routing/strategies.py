"""Routing strategies and the orderings they impose on ready agents."""

from __future__ import annotations

from enum import Enum


class Strategy(Enum):
    LONGEST_IDLE = "longest-idle"  # longest since the agent's last call ended (or login)
    ROUND_ROBIN = "round-robin"  # with memory: the next agent after the last one offered
    FEWEST_CALLS = "fewest-calls"  # fewest answered calls, then longest idle
    LEAST_TALK_TIME = "least-talk-time"  # least talk time, then longest idle
    RANDOM = "random"
    WEIGHTED_RANDOM = "weighted-random"  # probability proportional to skill level
    LINEAR = "linear"  # roster order, always from the top
    BEST_SKILL = "best-skill"  # highest level in the required skills, then longest idle
    RING_ALL = "ring-all"  # offer to every eligible ready agent; first to answer wins


# Strategies whose order is a fixed integer metric of the agent while it is ready, so a heap works.
HEAP_STRATEGIES = frozenset(
    {
        Strategy.LONGEST_IDLE,
        Strategy.FEWEST_CALLS,
        Strategy.LEAST_TALK_TIME,
        Strategy.LINEAR,
        Strategy.BEST_SKILL,
    }
)
