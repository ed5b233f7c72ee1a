"""Persistence (issue 7): what changed goes to a store as a :class:`Batch`; recovery reads a
:class:`StoredState`. Stores: :class:`MemoryStore` (default) and ``acd.store.redis.RedisStore``
(imported on demand, so the core can use the batch types without loading the Redis client)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from acd.store.base import Store
from acd.store.batch import Batch, Bucket, StoredState
from acd.store.memory import MemoryStore

if TYPE_CHECKING:
    from acd.config.schema import Config


def open_store(cfg: Config) -> Store:
    """The store the config names (not yet connected)."""
    if cfg.store.url is None:
        return MemoryStore()
    from acd.store.redis import RedisStore

    # With hot standby, batches also go to the stream the standby follows (acd/store/stream.py).
    return RedisStore(cfg.store.url, cfg.store.prefix, streamed=cfg.ha.enabled)


def spool_path(cfg: Config, config_path: str | Path | None) -> Path:
    """``store.spool``, a relative path taken from the config file's directory."""
    p = Path(cfg.store.spool)
    if p.is_absolute() or config_path is None:
        return p
    return Path(config_path).resolve().parent / p


def node_name(cfg: Config) -> str:
    """``ha.node``, or this machine's host name."""
    import platform

    return cfg.ha.node or platform.node()


__all__ = [
    "Batch",
    "Bucket",
    "MemoryStore",
    "Store",
    "StoredState",
    "node_name",
    "open_store",
    "spool_path",
]
