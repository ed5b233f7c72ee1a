"""Write the generated pages of the docs site, or check that the committed ones are current.

    python docs/gen_reference.py          # rewrite docs/configuration-reference.md and docs/api.md
    python docs/gen_reference.py --check  # exit 1 if either differs from what would be written

``configuration-reference.md`` is made from the pydantic schema (``acd.config.schema.Config``,
its nested models and the Asterisk adapter's ``AsteriskSettings``): every key with its YAML path,
type, constraints, default and description. A description is the comment on the field's line or
the comment lines just above it in the schema's source, else a note kept here in ``NOTES`` (a
test checks that every note names a real key). ``api.md`` is made from the route table
(``acd.daemon.api.routes.ROUTES``) through the OpenAPI document the server publishes
(``acd.daemon.api.openapi.document``). ``tests/test_docs.py`` fails when a committed page differs
from what this script writes.
"""

from __future__ import annotations

import ast
import inspect
import io
import json
import re
import sys
import textwrap
import tokenize
import types
import typing
from enum import Enum
from pathlib import Path
from typing import Any

import annotated_types as at
from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from acd.config.schema import Adapter, Config
from acd.daemon.api import bodies
from acd.daemon.api.openapi import document
from acd.daemon.api.routes import ROUTES
from acd.daemon.version import package_version
from telephony_adapters.asterisk.settings import AsteriskSettings

DOCS = Path(__file__).resolve().parent
CONFIG_PAGE = DOCS / "configuration-reference.md"
API_PAGE = DOCS / "api.md"

# Descriptions of keys that carry no comment in the schema's source (YAML path -> text).
NOTES: dict[str, str] = {
    "name": "A name for this center, in the logs and reports.",
    "center": 'Where "today" is: the business day\'s zone and start (see Reports).',
    "center.time_zone": (
        "IANA zone of the business day (default: the host's zone in the daemon, the "
        "scenario's in a simulation)."
    ),
    "center.day_starts": "Local time the business day starts, on a quarter hour.",
    "reporting": "Interval figures: their length and how long the store keeps them.",
    "fcr": "First-contact resolution (see Reports).",
    "fcr.window_hours": "A caller back within this many hours of a first contact fails it.",
    "queues[].dispositions[].resolved": "false: a call so coded counts as not resolved (FCR).",
    "reporting.interval_minutes": "Length of a report interval: 15, 30 or 60 minutes.",
    "reporting.retention_days": "The store keeps the interval rows of today and of this many "
    "days before it.",
    "agents": "The agents: each with an id and its skills.",
    "queues": "The inbound queues.",
    "campaigns": "The dialer's campaigns (see the dialer pages).",
    "routing": "How freed agents pick among waiting calls.",
    "daemon": "The daemon's HTTP server, drain, logs.",
    "api": "API tokens and their roles.",
    "adapter": "The telephony adapter: the simulated trunk, or Asterisk over AMI.",
    "store": "Persistence: Redis, or in memory when `url` is not set.",
    "ha": "Hot standby: two daemons on one Redis, one acts.",
    "simulation": "Scenarios, and the simulated adapter's callers and agents.",
    "queues[].name": "The queue's name: letters, digits and `_.:-`, unique.",
    "queues[].skills": "Required skills with minimum levels 1-10 (empty: any agent).",
    "queues[].strategy": "How an agent is picked among the eligible ready ones (see Strategies).",
    "queues[].priority": "Higher is served first when an agent frees up.",
    "queues[].wrap_up_seconds": "After each call, before the agent is offered another.",
    "queues[].ring_timeout_seconds": "Ring an agent this long, then offer the next agent.",
    "queues[].retry_seconds": "After every eligible agent missed the call, retry them after this.",
    "queues[].max_no_answer": (
        "Consecutive misses that auto-pause the agent (reason `no-answer`); 0: never."
    ),
    "queues[].max_wait_seconds": (
        "Then the call times out, or overflows to `overflow_queue` (none: no limit)."
    ),
    "queues[].overflow_queue": (
        "Where a call goes at `max_wait_seconds`, and when this queue is full."
    ),
    "queues[].max_length": "Callers waiting or ringing at most (none: no limit).",
    "queues[].join_when_empty": (
        "false: refuse callers when no agent who could serve them is logged in."
    ),
    "queues[].leave_when_empty": (
        "true: waiting callers leave when the last agent who could serve them logs out."
    ),
    "queues[].service_level": "The service-level threshold and target.",
    "queues[].service_level.threshold_seconds": "Answered within this counts as in service.",
    "queues[].service_level.target": "The share to reach: a fraction (0.8) or a percentage (80%).",
    "queues[].extra_thresholds_seconds": "Also report `service_level_<N>s` for these.",
    "queues[].short_abandon_seconds": (
        "Callers who hang up within this of entering count as short abandons."
    ),
    "queues[].escalation": (
        "One declarative rule list, driven by timers: steps with increasing `after_seconds`."
    ),
    "queues[].escalation[].after_seconds": "Seconds of waiting in the queue before this step.",
    "queues[].escalation[].lower_levels_by": (
        "Lower every minimum level of the queue's requirement by this, not below 1."
    ),
    "queues[].escalation[].min_levels": "Set the given minimum levels.",
    "queues[].escalation[].add_alternative": "Also accept agents meeting this requirement.",
    "queues[].escalation[].raise_priority": "The call's priority rises by this.",
    "agents[].id": "The agent's id: letters, digits and `_.:-`, unique.",
    "agents[].name": "A display name.",
    "agents[].skills": "Skills with levels 1-10.",
    "campaigns[].name": "The campaign's name; its live answers wait in a queue of that name.",
    "campaigns[].mode": "How calls are placed: one lead per agent to preview, or dialed ahead.",
    "campaigns[].power_ratio": "Power mode: calls per ready agent.",
    "campaigns[].wrap_up_seconds": "Wrap-up after a campaign call.",
    "campaigns[].preview_skip_delay_seconds": "A skipped lead is due again after this.",
    "campaigns[].caller_id": "The caller id the dialer presents.",
    "campaigns[].safe_harbor_message": (
        "Played to a live answer no agent takes within the connect window (seller name and a "
        "call-back number); power and predictive modes need it."
    ),
    "campaigns[].machine": "What to do with an answering machine.",
    "campaigns[].machine_message": "The message left with `machine: leave_message`.",
    "campaigns[].calling_window": "Calling hours in the called party's local time.",
    "campaigns[].calling_window.start": "First minute that may be dialled (HH:MM, local).",
    "campaigns[].calling_window.end": (
        "The window closes at this time (HH:MM, local; 24:00 is the midnight ending the day)."
    ),
    "campaigns[].calling_window.days": "Days on which calls may be placed.",
    "campaigns[].dispositions[].name": "The code an agent gives.",
    "campaigns[].dispositions[].kind": "What the code means for the lead and the figures.",
    "campaigns[].retries": "Retry rules per outcome; omitted ones keep their defaults.",
    "campaigns[].retries.no_answer": "Default: 7200 s delay, at most 4 attempts.",
    "campaigns[].retries.busy": "Default: 600 s delay, at most 5 attempts.",
    "campaigns[].retries.machine": "Default: 14400 s delay, at most 3 attempts.",
    "campaigns[].retries.abandoned": "Default: 86400 s delay, at most 2 attempts.",
    "campaigns[].retries.failed": "Default: 1800 s delay, at most 3 attempts.",
    "campaigns[].retries.not_contacted": "Default: 3600 s delay, at most 3 attempts.",
    "campaigns[].retries.*.delay_seconds": "The next attempt after this outcome is this late.",
    "campaigns[].retries.*.max_attempts": (
        "Attempts that may end in this outcome: the one that reaches it closes the lead."
    ),
    "campaigns[].retries.max_attempts": "Attempts per lead in all.",
    "campaigns[].retries.max_attempts_per_day": (
        "Attempts per local calendar day of the lead (null: no daily cap)."
    ),
    "api.tokens": "None: an admin token is generated at start and printed.",
    "api.tokens[].name": "A name for the token, in the logs.",
    "api.tokens[].role": "agent (its own agent and calls), supervisor (all but admin), admin.",
    "api.tokens[].sha256": (
        "The SHA-256 hex digest of the token: "
        "`python -c \"import hashlib; print(hashlib.sha256(b'TOKEN').hexdigest())\"`."
    ),
    "daemon.host": "The address the HTTP server binds (0.0.0.0 in a container).",
    "daemon.port": "The HTTP port.",
    "daemon.log_format": "Log lines as text or JSON lines.",
    "adapter.type": "`simulated`: the simulated trunk; `asterisk`: Asterisk over AMI.",
    "adapter.asterisk.host": "Asterisk's AMI address.",
    "adapter.asterisk.port": "Asterisk's AMI port.",
    "adapter.asterisk.username": "The AMI user (`deploy/asterisk/manager.conf`).",
    "adapter.asterisk.secret": "The AMI user's secret.",
    "adapter.asterisk.auth": "`md5`: MD5 challenge; `plain`: the secret in the Login.",
    "adapter.asterisk.agent_devices": "Per-agent devices, overriding `agent_device`.",
    "adapter.asterisk.outbound_caller_id": "The caller id of outbound calls by default.",
    "adapter.asterisk.contexts": "The dialplan contexts' names.",
    "adapter.asterisk.reconnect": "Back-off between reconnection attempts.",
    "adapter.asterisk.reconnect.initial": "The first delay, seconds.",
    "adapter.asterisk.reconnect.maximum": "The longest delay, seconds.",
    "adapter.asterisk.reconnect.multiplier": "Each failed attempt multiplies the delay by this.",
    "adapter.asterisk.reconnect.jitter": "Each delay is drawn within this share either side.",
    "adapter.asterisk.action_timeout": "Seconds to wait for an answer to an AMI action.",
    "adapter.asterisk.connect_timeout": "Seconds to wait for the TCP connection.",
    "adapter.asterisk.ping_interval": "Keep-alive Ping every this many seconds (null: none).",
    "store.url": (
        "redis://, rediss:// or unix:// (one server), redis+sentinel://host:port,.../master "
        "(Sentinel) or redis+cluster://host:port,... (a Redis Cluster); Redis 6.2 or newer."
    ),
    "store.prefix": (
        "Every key starts with this: one per center. On a cluster it is the center's hash tag "
        "(`{acd:paris}:`; untagged, it is tagged whole: `acd:` names keys `{acd}:...`)."
    ),
    "store.spool": (
        "Batches wait here while Redis is away (relative: to the config file's directory)."
    ),
    "store.retention_days": "Call records are kept this long (`acd-dialer cdr trim`).",
    "ha.enabled": "Needs `store.url`.",
    "ha.lease_seconds": "A standby takes over from a leader whose host vanished within about "
    "this long (from one that crashed, at once: `crash_detection`).",
    "simulation.seed": "The same seed gives the same result, bit for bit.",
    "simulation.hours": "Hours of arrivals; calls in progress then run to their end.",
    "simulation.start": "Time of day at simulated time 0 (for profiles).",
    "simulation.warmup_seconds": "Figures count calls that enter after this.",
    "simulation.time_zone": "The IANA zone of simulated time 0.",
    "simulation.outbound.human_probability": "Share of calls a person answers.",
    "simulation.outbound.machine_probability": "Share of calls a machine answers.",
    "simulation.outbound.busy_probability": "Share of calls that find the line busy.",
    "simulation.outbound.failed_probability": (
        "Share of calls that fail; the rest ring out (no answer at `ring_seconds`)."
    ),
    "simulation.traffic": "Inbound traffic per queue name.",
    "simulation.traffic.*.calls_per_hour": "A constant arrival rate (or give `profile`).",
    "simulation.traffic.*.profile": "Arrival rates by time of day (or give `calls_per_hour`).",
    "simulation.traffic.*.profile[].start": "From this time of day (HH:MM).",
    "simulation.traffic.*.profile[].calls_per_hour": "The arrival rate from `start` on.",
    "simulation.traffic.*.handle_time": "Talk time of a call.",
    "simulation.traffic.*.priority": "The callers' priority.",
    "simulation.agents": "How simulated agents behave.",
    "simulation.agents.answer_delay": "Time an agent takes to answer a ringing call.",
    "simulation.agents.no_answer_probability": "Share of offers an agent lets ring out.",
    "simulation.outbound": "How called parties answer the dialer's calls.",
    "simulation.outbound.ring_to_answer": "Ring time before an answer.",
    "simulation.outbound.busy_after_seconds": "A busy line is reported after this.",
    "simulation.outbound.talk_time": "Talk time of an answered outbound call.",
}

# A distribution's keys, the same wherever one is used.
DISTRIBUTION_NOTES = {
    "distribution": "exponential, lognormal or fixed.",
    "mean": "The mean, seconds.",
}


# --- source comments ------------------------------------------------------------------------


def _comments(cls: type) -> dict[str, str]:
    """attribute -> its trailing comment, or the comment lines just above it, in ``cls``."""
    source = textwrap.dedent(inspect.getsource(cls))
    by_line: dict[int, str] = {}
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            by_line[tok.start[0]] = tok.string.lstrip("#").strip()
    lines = source.splitlines()
    out: dict[str, str] = {}
    node = ast.parse(source).body[0]
    assert isinstance(node, ast.ClassDef)
    for stmt in node.body:
        if not (isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)):
            continue
        parts = [
            by_line[n]
            for n in range(stmt.lineno, (stmt.end_lineno or stmt.lineno) + 1)
            if n in by_line
        ]
        above: list[str] = []
        n = stmt.lineno - 1
        while n >= 1 and lines[n - 1].strip().startswith("#"):
            above.insert(0, by_line.get(n, ""))
            n -= 1
        text = " ".join(above + parts).strip()
        if text:
            out[stmt.target.id] = text
    return out


def _docstring(cls: type) -> str:
    doc = cls.__dict__.get("__doc__")
    if not doc or cls.__module__ == "pydantic.main":
        return ""
    return " ".join(inspect.cleandoc(doc).split()).replace("``", "`")


def _sentence(text: str) -> str:
    text = text.strip()
    first = text.split(" ", 1)[0]
    if text[:1].islower() and "://" not in first and "_" not in first and first != "e.g.":
        text = text[0].upper() + text[1:]
    if text and text[-1] not in ".:?!":
        text += "."
    return text


# --- types ----------------------------------------------------------------------------------


def _constraints(meta: list[Any]) -> str:
    out = []
    for m in meta:
        if isinstance(m, FieldInfo):
            out.append(_constraints(m.metadata))
            continue
        for cls, sym, attr in (
            (at.Ge, ">=", "ge"),
            (at.Gt, ">", "gt"),
            (at.Le, "<=", "le"),
            (at.Lt, "<", "lt"),
        ):
            if isinstance(m, cls):
                out.append(f"{sym} {_num(getattr(m, attr))}")
        if isinstance(m, at.MinLen):
            out.append(f"length >= {m.min_length}")
        if isinstance(m, at.MaxLen):
            out.append(f"length <= {m.max_length}")
        pattern = getattr(m, "pattern", None)
        if isinstance(pattern, str):
            out.append(f"matches `{pattern}`")
    return ", ".join(o for o in out if o)


def _num(v: Any) -> str:
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        v = int(v)
    return f"{v:g}" if isinstance(v, float) else f"{v:,}" if abs(v) >= 10_000 else str(v)


def _type(tp: Any) -> str:
    """A reader's name for a type annotation, with its constraints."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Annotated:
        base, meta = args[0], list(args[1:])
        if any(getattr(getattr(m, "func", None), "model", None) for m in meta):
            return "mapping (see below)"  # a model validated lazily (adapter.asterisk)
        c = _constraints(meta)
        return f"{_type(base)} ({c})" if c else _type(base)
    if origin in (typing.Union, types.UnionType):
        rest = [a for a in args if a is not type(None)]
        inner = " or ".join(_type(a) for a in rest)
        return f"{inner} or null" if len(rest) < len(args) else inner
    if origin is typing.Literal:
        return "one of " + ", ".join(f"`{a}`" for a in args)
    if origin is list:
        return f"list of {_type(args[0])}"
    if origin is dict:
        return f"map of {_type(args[0])} to {_type(args[1])}"
    if isinstance(tp, type) and issubclass(tp, Enum):
        return "one of " + ", ".join(f"`{m.value}`" for m in tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return "mapping (see below)"
    if tp is SecretStr:
        return "string (secret)"
    names = {str: "string", int: "integer", float: "number", bool: "boolean", Any: "any"}
    return names.get(tp, getattr(tp, "__name__", str(tp)))


def _models(tp: Any) -> list[tuple[str, type[BaseModel]]]:
    """Nested models inside an annotation, with the path suffix that reaches them."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Annotated:
        return _models(args[0])
    if origin in (typing.Union, types.UnionType):
        return [m for a in args for m in _models(a)]
    if origin is list:
        return [("[]" + s, m) for s, m in _models(args[0])]
    if origin is dict:
        return [(".*" + s, m) for s, m in _models(args[1])]
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [("", tp)]
    return []


def _default(f: FieldInfo) -> str:
    if f.default is PydanticUndefined and f.default_factory is None:
        return "required"
    value = f.default_factory() if f.default_factory is not None else f.default  # type: ignore[call-arg]
    if isinstance(value, SecretStr):
        return '`""`'
    if isinstance(value, BaseModel):
        if value.model_fields_set:
            return "`" + json.dumps(value.model_dump(mode="json", exclude_unset=True)) + "`"
        return "(see below)"
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, list) and value and isinstance(value[0], BaseModel):
        value = [v.model_dump(mode="json") for v in value]
    return "`" + json.dumps(value, ensure_ascii=False) + "`"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


# --- the configuration reference --------------------------------------------------------------


def _sections(model: type[BaseModel], path: str, out: list[tuple[str, type[BaseModel]]]) -> None:
    out.append((path, model))
    for name, f in model.model_fields.items():
        child = f"{path}.{name}" if path else name
        if model is Adapter and name == "asterisk":
            _sections(AsteriskSettings, child, out)
            continue
        for suffix, sub in _models(f.annotation):
            _sections(sub, child + suffix, out)


def _note(path: str) -> str | None:
    if path in NOTES:
        return NOTES[path]
    generic = re.sub(r"^(campaigns\[\]\.retries)\.[a-z_]+\.", r"\1.*.", path)
    return NOTES.get(generic)


def config_paths() -> set[str]:
    """Every YAML path of the schema (sections and keys)."""
    secs: list[tuple[str, type[BaseModel]]] = []
    _sections(Config, "", secs)
    paths = set()
    for sec, model in secs:
        if sec:
            paths.add(sec)
        for name in model.model_fields:
            paths.add(f"{sec}.{name}" if sec else name)
    return paths


def render_config_reference() -> str:
    secs: list[tuple[str, type[BaseModel]]] = []
    _sections(Config, "", secs)
    lines = [
        "# Configuration reference",
        "",
        "<!-- Generated by docs/gen_reference.py from acd/config/schema.py and",
        "     telephony_adapters/asterisk/settings.py: do not edit by hand. -->",
        "",
        "Every key of the YAML file the daemon (`acd-dialer run`), `acd-dialer check-config` and",
        "`acd-dialer simulate` read, section by section. Unknown keys are errors. A path such as",
        "`queues[].skills` is the key `skills` of each item of the `queues` list; `*` stands for",
        "a name of your choosing (`simulation.traffic.billing`). Durations are in seconds.",
        "For a worked example of a whole file, see [Configuration](configuration.md).",
        "",
    ]
    for sec, model in secs:
        title = sec or "Top level"
        lines += [f"## `{title}`" if sec else f"## {title}", ""]
        doc = _docstring(model)
        if doc:
            lines += [_sentence(doc), ""]
        comments = _comments(model)
        lines += ["| key | type | default | description |", "| --- | --- | --- | --- |"]
        for name, f in model.model_fields.items():
            path = f"{sec}.{name}" if sec else name
            text = comments.get(name) or _note(path)
            if text is None and name in DISTRIBUTION_NOTES and model.__name__ == "Distribution":
                text = DISTRIBUTION_NOTES[name]
            if model is Adapter and name == "asterisk":
                kind = "mapping (see below)"
            else:
                kind = _type(f.annotation)
                limits = _constraints(f.metadata)
                if limits:
                    kind = f"{kind} ({limits})"
            lines.append(
                f"| `{name}` | {_cell(kind)} | {_cell(_default(f))} | "
                f"{_cell(_sentence(text or ''))} |"
            )
        lines.append("")
    return "\n".join(lines)


# --- the API page ---------------------------------------------------------------------------


def _schema_type(s: dict[str, Any]) -> str:
    if "anyOf" in s:
        return " or ".join(_schema_type(x) for x in s["anyOf"])
    if "enum" in s:
        return "one of " + ", ".join(f"`{v}`" for v in s["enum"])
    kind = s.get("type", "any")
    if kind == "array":
        kind = f"list of {_schema_type(s.get('items', {}))}"
    if kind == "object" and "additionalProperties" in s:
        kind = f"map of string to {_schema_type(s['additionalProperties'])}"
    limits = []
    for key, sym in (
        ("minimum", ">="),
        ("exclusiveMinimum", ">"),
        ("maximum", "<="),
        ("exclusiveMaximum", "<"),
    ):
        if key in s:
            limits.append(f"{sym} {_num(s[key])}")
    if "pattern" in s:
        limits.append(f"matches `{s['pattern']}`")
    return f"{kind} ({', '.join(limits)})" if limits else kind


def render_api() -> str:
    doc = document(ROUTES, package_version())
    body_notes = {
        cls.__name__: _comments(cls)
        for cls in vars(bodies).values()
        if isinstance(cls, type) and issubclass(cls, bodies.Body)
    }
    lines = [
        "# API reference",
        "",
        "<!-- Generated by docs/gen_reference.py from acd/daemon/api/routes.py through the",
        "     OpenAPI document (acd/daemon/api/openapi.py): do not edit by hand. -->",
        "",
        "Every route the daemon serves, as its OpenAPI 3.1 document (`GET /v1/openapi.json`)",
        "states it. JSON in and out; send `Authorization: Bearer TOKEN`. Roles rank agent <",
        "supervisor < admin: a route open to a role is open to the roles above it, and an",
        "agent's token acts only on its own agent (routes marked *own agent*). Errors are",
        '`{"error": {"code": "...", "message": "..."}}`. How to get a token, the error codes',
        "and the WebSocket messages: [Using the API](api-guide.md).",
        "",
        "| method | path | role | summary |",
        "| --- | --- | --- | --- |",
    ]
    documented = [r for r in ROUTES if r.documented]
    for r in documented:
        role = _role(r)
        lines.append(f"| {r.method} | `{r.path}` | {role} | {_cell(r.summary)} |")
    lines.append("")
    for r in documented:
        op = doc["paths"][r.path][r.method.lower()]
        lines += [f"## {r.method} `{r.path}`", "", _sentence(op["summary"]), ""]
        lines += [f"- Role: {_role(r)}.", f"- Success: {r.status}."]
        codes = ", ".join(sorted(op["responses"]))
        lines += [f"- Responses: {codes}.", ""]
        if op["parameters"]:
            lines += [
                "| parameter | in | required | type | description |",
                "| --- | --- | --- | --- | --- |",
            ]
            for p in op["parameters"]:
                lines.append(
                    f"| `{p['name']}` | {p['in']} | {'yes' if p['required'] else 'no'} | "
                    f"{_cell(_schema_type(p['schema']))} | {_cell(p.get('description', ''))} |"
                )
            lines.append("")
        body = op.get("requestBody")
        if body is not None and r.body is not None:
            schema = body["content"]["application/json"]["schema"]
            notes = body_notes.get(r.body.__name__, {})
            required = set(schema.get("required", []))
            lines += [
                f"Body: a JSON object ({'required' if body['required'] else 'optional'}; "
                "unknown fields are refused).",
                "",
                "| field | type | required | default | description |",
                "| --- | --- | --- | --- | --- |",
            ]
            for name, prop in schema.get("properties", {}).items():
                default = "" if "default" not in prop else f"`{json.dumps(prop['default'])}`"
                lines.append(
                    f"| `{name}` | {_cell(_schema_type(prop))} | "
                    f"{'yes' if name in required else 'no'} | {_cell(default)} | "
                    f"{_cell(_sentence(notes.get(name, '')))} |"
                )
            lines.append("")
        elif body is not None:
            kinds = ", ".join(f"`{k}`" for k in body["content"])
            lines += [f"Body: {kinds}.", ""]
    return "\n".join(lines)


def _role(r: Any) -> str:
    role = r.role
    if r.open_setting:
        role += f" (open when `daemon.{r.open_setting}` is true)"
    if r.own_agent:
        role += ", own agent"
    return role


# --- main -----------------------------------------------------------------------------------

PAGES = {CONFIG_PAGE: render_config_reference, API_PAGE: render_api}


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for page, render in PAGES.items():
        text = render()
        if check:
            if not page.exists() or page.read_text() != text:
                stale.append(page.name)
        else:
            page.write_text(text)
    if stale:
        print(f"stale: {', '.join(stale)}; run python docs/gen_reference.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
