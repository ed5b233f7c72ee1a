"""The batch stream a warm standby follows: what of a batch it needs, as one compact string.

With hot standby on, the leader's batch script also appends each batch it applies to a capped
Redis Stream (``<prefix>batches``; entry id ``<seq>-0``, fields ``p``: the seq applied before it,
``b``: :func:`encode` of the batch). A standby reads the stream from the last seq it applied; an
entry whose ``p`` is not that seq means entries were trimmed before it read them, and it loads
the store again. Records and audit entries are left out (a standby never rebuilds them), and so
is a batch larger than :data:`MAX_ENTRY_BYTES` (a first batch with every lead, a big import):
its ``b`` is empty, which tells the standby to load the store again rather than have Redis hold
a copy of a million leads in the stream.
"""

from __future__ import annotations

import json
from typing import Any

from acd.store.batch import Batch

STREAM = "batches"  # the key, after the store's prefix
MAX_LEN = 10_000  # entries kept (MAXLEN ~): minutes of batches at the 20 ms flush cadence
MAX_ENTRY_BYTES = 1 << 20  # a larger batch is replaced by a "load again" entry


def encode(batch: Batch) -> str:
    """The standby's part of ``batch`` as compact JSON; "" if it is too large to stream."""
    part: dict[str, Any] = {}
    for name in (
        "leads",
        "dnc",
        "sessions",
        "campaigns",
        "intervals",
        "contacts",
        "callbacks",
        "calls",
    ):
        value = getattr(batch, name)
        if value:
            part[name] = value
    if batch.abandon:
        part["abandon"] = batch.abandon
    if batch.kpis is not None:
        part["kpis"] = batch.kpis
    if batch.intervals_from is not None:
        part["intervals_from"] = batch.intervals_from
    text = json.dumps(part, separators=(",", ":"), allow_nan=False)
    return "" if len(text) > MAX_ENTRY_BYTES else text


def decode(seq: int, text: str | bytes) -> Batch:
    """The batch an entry carries (without records and audit entries)."""
    data = json.loads(text)
    data["seq"] = seq
    return Batch.from_json(data)
