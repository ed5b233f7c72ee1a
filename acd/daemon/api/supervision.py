"""Supervision: the audit log of supervisors' actions (``GET /v1/audit``).

The entries are recorded by the route wrapper (``middleware.wrap``) for every route with an
``audit`` name; this module only reads them back: from the store (where the persister writes
them with the call records) merged with those still in memory, so an action shows at once.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from acd.audit import merged
from acd.daemon.api.errors import ApiError
from acd.daemon.api.queries import CDR_QUERY
from acd.daemon.api.route import Route
from acd.daemon.state import Daemon
from acd.errors import StoreUnavailable
from acd.store.cdr import parse_bound


def _range(q: Any) -> tuple[float, float, int]:
    try:
        start = parse_bound(q["from"]) if "from" in q else 0.0
        try:
            end = parse_bound(q["to"], end=True) if "to" in q else float("inf")
        except OverflowError:  # the day after 9999-12-31
            end = float("inf")
    except ValueError as exc:
        raise ApiError(422, "invalid_field", f"from/to: {exc}") from None
    try:
        limit = int(q.get("limit", "1000"))
    except ValueError:
        raise ApiError(422, "invalid_field", "limit: an integer") from None
    if not 1 <= limit <= 10000:
        raise ApiError(422, "invalid_field", "limit: 1-10000")
    return start, end, limit


async def list_audit(request: web.Request, d: Daemon, body: None) -> Any:
    """Audit entries whose time is in [from, to), oldest first."""
    start, end, limit = _range(request.query)
    stored: list[dict[str, Any]] = []
    source = "store"
    if d.store is not None:
        try:
            stored = [e async for e in d.store.audit(start, end)]
        except StoreUnavailable:
            source = "memory"  # the store is away: what this process still holds
    else:
        source = "memory"
    entries = merged(stored, d.audit.between(start, end))
    truncated = len(entries) > limit
    return {
        "count": min(limit, len(entries)),
        "truncated": truncated,
        "source": source,
        "entries": entries[:limit],
    }


SUPERVISION_ROUTES: list[Route] = [
    Route(
        "GET",
        "/v1/audit",
        list_audit,
        "supervisor",
        "The audit log: who forced states, changed skills, monitored, hung up or transferred "
        "others' calls, paused campaigns, edited leads or the DNC list, reloaded",
        query=CDR_QUERY,
    ),
]
