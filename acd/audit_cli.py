"""The ``acd-dialer audit export`` command: the audit log of a date range as CSV or JSON.

From a running daemon (``--url`` and ``--token``, a supervisor's, or ``ACD_TOKEN``), which
answers from its store and memory, or straight from the Redis store of a config (``--config``).
The writers are acd/audit.py's: CSV cells escaped against formula injection as the CDR export's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, TextIO

from acd.audit import write_csv, write_json
from acd.errors import ConfigError
from acd.store.cdr import parse_bound

LIMIT = 10_000  # the API's largest page


def from_daemon(url: str, token: str, start: str, end: str) -> list[dict[str, Any]]:
    query = urllib.parse.urlencode({"from": start, "to": end, "limit": LIMIT})
    req = urllib.request.Request(
        f"{url.rstrip('/')}/v1/audit?{query}", headers={"Authorization": f"Bearer {token}"}
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            body = json.loads(r.read())
    except urllib.error.HTTPError as exc:
        try:
            message = json.loads(exc.read())["error"]["message"]
        except (ValueError, KeyError, TypeError):
            message = exc.reason
        raise ConfigError(f"{url}: {exc.code} {message}", field="--url") from None
    except (urllib.error.URLError, OSError) as exc:
        raise ConfigError(f"{url}: not reachable ({exc})", field="--url") from None
    if body.get("truncated"):
        print(f"warning: only the first {LIMIT} entries; narrow --from/--to", file=sys.stderr)
    return list(body["entries"])


def from_store(config: str, start: float, end: float) -> list[dict[str, Any]]:
    from acd.cdr_cli import _redis_store

    _, store = _redis_store(config)

    async def run() -> list[dict[str, Any]]:
        try:
            await store.connect()
            return [e async for e in store.audit(start, end)]
        finally:
            await store.close()

    return asyncio.run(run())


def cmd_export(args: argparse.Namespace) -> int:
    try:
        start, end = parse_bound(args.start), parse_bound(args.end, end=True)
    except ValueError as exc:
        raise ConfigError(str(exc), field="--from/--to") from None
    if end <= start:
        raise ConfigError(f"--to {args.end} is not after --from {args.start}")
    if args.url:
        token = args.token or os.environ.get("ACD_TOKEN", "")
        if not token:
            raise ConfigError("--url needs --token (or ACD_TOKEN): a supervisor's", field="--token")
        entries = from_daemon(args.url, token, args.start, args.end)
    elif args.config:
        entries = from_store(args.config, start, end)
    else:
        raise ConfigError("give --url and --token (a running daemon) or --config (its store)")
    writer = write_json if args.format == "json" else write_csv

    def write(out: TextIO) -> int:
        return writer(entries, out)

    if args.output in (None, "-"):
        n = write(sys.stdout)
    else:
        with open(args.output, "w", encoding="utf-8", newline="") as f:
            n = write(f)
    print(f"{n} audit entries", file=sys.stderr)
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``audit export``."""
    p = subparsers.add_parser("audit", help="export the audit log of supervisors' actions")
    sub = p.add_subparsers(dest="audit_command", required=True, metavar="export")
    e = sub.add_parser(
        "export",
        help="write the audit entries of a date range as CSV or JSON",
        description="Entries whose time is in the range. Dates are UTC days; --to includes its "
        "whole day. Read from a daemon (--url, --token) or from the store of a config.",
    )
    e.add_argument("--from", dest="start", required=True, metavar="DATE")
    e.add_argument("--to", dest="end", required=True, metavar="DATE")
    e.add_argument("--format", choices=("csv", "json"), default="csv")
    e.add_argument("--url", help="the daemon, e.g. http://127.0.0.1:8080")
    e.add_argument("--token", help="a supervisor's API token (default: $ACD_TOKEN)")
    e.add_argument("--config", help="config YAML with a store: url (instead of --url)")
    e.add_argument("--output", metavar="FILE", help="default: standard output")
    e.set_defaults(func=cmd_export)
