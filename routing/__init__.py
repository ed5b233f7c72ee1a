"""Skill-based routing: indexed pools of ready agents and waiting calls."""

from routing.members import Alternative, Member, Waiter
from routing.pools import Pool
from routing.router import Router, alternative
from routing.strategies import Strategy

__all__ = ["Alternative", "Member", "Pool", "Router", "Strategy", "Waiter", "alternative"]
