"""Structured logs: one line per event, text or JSON; phone numbers masked by default."""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from typing import Any

_PHONE = re.compile(r"\+?\d[\d\s().-]{5,}\d")
_IPV4 = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def escape(text: str) -> str:
    """Control characters as escapes: text from a request can never start a log line of its
    own or move the terminal's cursor."""
    return _CONTROL.sub(lambda m: m.group(0).encode("unicode_escape").decode("ascii"), text)


def mask(text: str) -> str:
    """Keep the last three digits of anything that looks like a phone number."""

    def repl(m: re.Match[str]) -> str:
        if _IPV4.fullmatch(m.group(0)):
            return m.group(0)  # an address, not a phone number
        digits = re.sub(r"\D", "", m.group(0))
        return "*" * (len(digits) - 3) + digits[-3:]

    return _PHONE.sub(repl, text)


def notice_line(n: dict[str, Any], caller: str | None = None) -> str:
    """The log line of an engine notice: ``agent <id> <state>``, or ``call <id> <event>`` for
    everything about a call (a preview, before any call exists, names its lead instead)."""
    if n["type"] == "agent":
        a = n["agent"]
        reason = f" reason={a['pause_reason']}" if a["pause_reason"] else ""
        return f"agent {a['id']} {a['state']}{reason}"
    tail = (
        (f" agent={n['agent_id']}" if n.get("agent_id") else "")
        + (f" outcome={n['outcome']}" if n.get("outcome") else "")
        + (f" disposition={n['disposition']}" if n.get("disposition") else "")
        + (f" caller={caller}" if caller else "")
    )
    if n["call_id"] is None and n["event"] == "preview":
        return (
            f"lead {n.get('lead_id')} preview campaign={n.get('campaign')} queue={n['queue']}{tail}"
        )
    return f"call {n['call_id']} {n['event']} queue={n['queue']}{tail}"


class _Formatter(logging.Formatter):
    def __init__(self, as_json: bool, masked: bool) -> None:
        super().__init__()
        self.as_json = as_json
        self.masked = masked

    def format(self, record: logging.LogRecord) -> str:
        msg = escape(record.getMessage())
        if record.exc_info:
            # The traceback keeps its lines, each marked as part of this record; what it
            # quotes from a request is escaped like the message.
            trace = self.formatException(record.exc_info).splitlines()
            msg += "".join(f"\n  | {escape(line)}" for line in trace)
        if self.masked:
            msg = mask(msg)
        ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        ts += f".{int(record.msecs):03d}Z"
        if self.as_json:
            return json.dumps(
                {"time": ts, "level": record.levelname.lower(), "logger": record.name, "msg": msg}
            )
        return f"{ts} {record.levelname.lower():<7} {record.name}: {msg}"


def setup(fmt: str = "text", masked: bool = True, level: int = logging.INFO) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Formatter(fmt == "json", masked))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
