"""The ACD engine: a deterministic, sans-I/O state machine (see :mod:`acd.engine.dispatch`).

Modules: ``dispatch`` (the Engine and the driver interface), ``calls``, ``supervision``,
``agents``, ``targeted`` (preview and callbacks), ``recording`` (CDRs), ``views`` (figures
and JSON views), ``reconfigure`` (live reload) and ``base`` (the shared state).
"""

from acd.engine.base import requirement_levels
from acd.engine.dispatch import Engine

__all__ = ["Engine", "requirement_levels"]
