"""Erlang staffing models: Erlang B, C (M/M/N) and A (M/M/N+M).

Pure and vectorised: ``erlang_c(n, a, aht, t)`` takes scalars (a result of floats) or arrays
(one call for any number of (N, A) pairs).
"""

from acd.erlang.models import (
    ErlangAResult,
    ErlangCResult,
    ErlangInputError,
    erlang_a,
    erlang_b,
    erlang_c,
    offered_load,
)

__all__ = [
    "ErlangAResult",
    "ErlangCResult",
    "ErlangInputError",
    "erlang_a",
    "erlang_b",
    "erlang_c",
    "offered_load",
]
