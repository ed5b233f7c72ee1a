"""Erlang C written from its definition, exactly (fractions), as an independent reference.

An M/M/N queue with offered load A = arrival rate x mean handle time:

    P(wait) = (A^N / N! * N / (N - A)) / (sum_{k<N} A^k / k! + A^N / N! * N / (N - A))
    SL(t)   = 1 - P(wait) * exp(-(N - A) * t / AHT)
    ASA     = P(wait) * AHT / (N - A)          Lq = P(wait) * A / (N - A)

Nothing here imports the product's Erlang code.
"""

from __future__ import annotations

import math
from fractions import Fraction


def p_wait(n: int, a: float) -> float:
    if n <= a:
        return 1.0
    fa = Fraction(a)
    term = Fraction(1)  # A^k / k!
    below = Fraction(0)
    for k in range(n):
        below += term
        term = term * fa / (k + 1)
    top = term * n / (n - fa)
    return float(top / (below + top))


def service_level(n: int, a: float, aht: float, t: float) -> float:
    if n <= a:
        return 0.0
    return 1.0 - p_wait(n, a) * math.exp(-(n - a) * t / aht)


def asa(n: int, a: float, aht: float) -> float:
    return math.inf if n <= a else p_wait(n, a) * aht / (n - a)


def queue_length(n: int, a: float) -> float:
    return math.inf if n <= a else p_wait(n, a) * a / (n - a)


def agents_for(a: float, aht: float, t: float, target: float) -> int:
    """The fewest agents whose service level reaches ``target`` (at least one)."""
    n = max(1, math.floor(a) + 1)
    while service_level(n, a, aht, t) < target:
        n += 1
    return n


def scheduled(n: int, shrinkage: str) -> int:
    """Agents to schedule so that ``n`` remain after ``shrinkage`` (a decimal string)."""
    return math.ceil(Fraction(n) / (1 - Fraction(shrinkage)))
