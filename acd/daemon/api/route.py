"""A route of the API: its method, path, handler, role and what the OpenAPI document says."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web

from acd.daemon.api.bodies import Body
from acd.daemon.api.queries import Query

if TYPE_CHECKING:
    from acd.daemon.state import Daemon

Handler = Callable[[web.Request, "Daemon", Any], Awaitable[Any]]
RawHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: Handler | RawHandler
    role: str  # minimum role; "open" needs no token
    summary: str
    body: type[Body] | None = None
    own_agent: bool = False  # an agent token may act only on its own agent_id
    status: int = 200
    query: Query = ()
    # A body the handler reads itself (not a JSON object): its OpenAPI "content" map.
    raw_body: dict[str, Any] | None = None
    # The handler takes the request alone and makes its own response; ``responses`` are its
    # OpenAPI responses.
    raw: bool = False
    responses: dict[str, Any] | None = None
    open_setting: str | None = None  # a ``daemon:`` setting that, when true, opens the route
    csv: bool = False  # also answers text/csv (for Accept: text/csv)
    errors: tuple[int, ...] = ()  # further error statuses the route answers (sign-in: 401, 429)
    documented: bool = True  # False: the wallboard's files, which are pages, not the API
    # The audit log's name for this action (acd/audit.py): a supervisor's (or admin's) success
    # on this route appends an entry; None: not audited.
    audit: str | None = None


JSON = {"application/json": {"schema": {"type": "object"}}}
