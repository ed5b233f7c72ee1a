"""Query parameters of the routes that take any, and the lead import's body: (name,
description, JSON schema, required), as the OpenAPI document states them."""

from __future__ import annotations

from typing import Any

from dialer.leadstatus import LeadStatus

Query = tuple[tuple[str, str, dict[str, Any], bool], ...]

ERLANG_QUERY: Query = (
    (
        "calls",
        "calls offered per interval (this or calls_per_hour is required)",
        {"type": "number", "minimum": 0, "maximum": 1e7},
        False,
    ),
    (
        "calls_per_hour",
        "calls offered per hour, instead of calls (the interval is then 3600 s)",
        {"type": "number", "minimum": 0, "maximum": 1e7},
        False,
    ),
    (
        "aht",
        "average handle time, seconds",
        {"type": "number", "exclusiveMinimum": 0, "maximum": 86400},
        True,
    ),
    (
        "interval",
        "interval length, seconds (default 1800)",
        {"type": "number", "exclusiveMinimum": 0, "maximum": 86400},
        False,
    ),
    (
        "agents",
        "evaluate this many agents instead of solving",
        {"type": "integer", "minimum": 1, "maximum": 100000},
        False,
    ),
    (
        "answer_within",
        "service-level threshold, seconds",
        {"type": "number", "minimum": 0, "maximum": 86400},
        False,
    ),
    (
        "target_sl",
        "service-level target (needs answer_within)",
        {"type": "number", "minimum": 0, "exclusiveMaximum": 1},
        False,
    ),
    (
        "target_asa",
        "maximum ASA, seconds",
        {"type": "number", "exclusiveMinimum": 0, "maximum": 86400},
        False,
    ),
    (
        "patience",
        "mean patience, seconds: Erlang A",
        {"type": "number", "exclusiveMinimum": 0, "maximum": 86400},
        False,
    ),
    (
        "target_abandon",
        "maximum abandonment share (needs patience)",
        {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
        False,
    ),
    (
        "max_occupancy",
        "maximum occupancy",
        {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
        False,
    ),
    (
        "shrinkage",
        "share of paid time off the phones",
        {"type": "number", "minimum": 0, "exclusiveMaximum": 1},
        False,
    ),
)

LEADS_QUERY: Query = (
    (
        "state",
        "only leads in this state",
        {"type": "string", "enum": [s.value for s in LeadStatus]},
        False,
    ),
    (
        "limit",
        "leads per page (default 100)",
        {"type": "integer", "minimum": 1, "maximum": 1000},
        False,
    ),
    (
        "cursor",
        "next_cursor of the previous page",
        {"type": "string", "pattern": "^[0-9]{1,12}$"},
        False,
    ),
)
PAGE_QUERY = LEADS_QUERY[1:]
CDR_QUERY: Query = (
    (
        "from",
        "first day (UTC); an ISO-8601 time also works",
        {"type": "string", "format": "date"},
        False,
    ),
    (
        "to",
        "last day, included (UTC); or an ISO-8601 time",
        {"type": "string", "format": "date"},
        False,
    ),
    (
        "limit",
        "at most this many records",
        {"type": "integer", "minimum": 1, "maximum": 10000},
        False,
    ),
)
CSV_OR_JSON = {
    "text/csv": {"schema": {"type": "string", "minLength": 1}},
    "application/json": {
        "schema": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["phone"],
                "properties": {
                    "phone": {"type": "string"},
                    "name": {"type": "string"},
                    "time_zone": {"type": "string"},
                    "priority": {"type": "integer"},
                    "lead_id": {"type": "string"},
                    "account": {"type": "string"},
                    "fields": {"type": "object", "additionalProperties": {"type": "string"}},
                },
            },
        }
    },
}

EVENTS_QUERY: Query = (
    (
        "types",
        "comma-separated message types to receive (default: all)",
        {"type": "string"},
        False,
    ),
)

REPORT_QUERY: Query = (
    (
        "from",
        "first business date (the center's zone; default today)",
        {"type": "string", "format": "date"},
        False,
    ),
    (
        "to",
        "last business date, included (default: from); at most 92 days after from",
        {"type": "string", "format": "date"},
        False,
    ),
    (
        "group",
        "whose rows (default queue)",
        {"type": "string", "enum": ["queue", "agent", "campaign"]},
        False,
    ),
    ("name", "only this queue, agent or campaign", {"type": "string"}, False),
    (
        "interval",
        "minutes per row (default: as kept); 30 and 60 sum the 15-minute rows; shorter than "
        "kept is refused",
        {"type": "integer", "enum": [15, 30, 60]},
        False,
    ),
)
DAY_QUERY: Query = (
    (
        "date",
        "the business date (the center's zone; default today)",
        {"type": "string", "format": "date"},
        False,
    ),
)
