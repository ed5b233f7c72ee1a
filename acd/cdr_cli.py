"""The ``acd-dialer cdr export`` and ``cdr trim`` commands: the edge around acd/store/cdr.py
(they read the config file and the clock, and run an event loop against Redis)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from typing import Any, TextIO

from acd.config.files import load_config
from acd.errors import ConfigError
from acd.reporting.queue_log import queue_log
from acd.store.cdr import Format, RecordSource, export, iso, parse_bound, retention_cutoff


def _redis_store(config: str) -> Any:
    from acd.store.redis import RedisStore  # redis-py loads only for these commands

    cfg = load_config(config)
    if cfg.store.url is None:
        raise ConfigError(
            "store.url is not set: call records were kept in memory only, there is nothing to "
            "read (give a redis:// url)",
            file=config,
            field="store.url",
        )
    return cfg, RedisStore(cfg.store.url, cfg.store.prefix)


async def export_queue_log(store: RecordSource, start: float, end: float, out: TextIO) -> int:
    """Asterisk queue_log lines of the records in ``[start, end)``, oldest first (the range is
    read whole, then its lines sorted); returns how many records were read."""
    got = [r async for r in store.records(start, end)]
    for line in queue_log(got):
        out.write(line + "\n")
    return len(got)


def cmd_export(args: argparse.Namespace) -> int:
    try:
        start = parse_bound(args.start)
        end = parse_bound(args.end, end=True)
    except ValueError as exc:
        raise ConfigError(str(exc), field="--from/--to") from None
    if end <= start:
        raise ConfigError(f"--to {args.end} is not after --from {args.start}")
    fmt: str = args.format or ("jsonl" if str(args.output).endswith(".jsonl") else "csv")
    _, store = _redis_store(args.config)

    async def run(out: TextIO) -> int:
        try:
            await store.connect()
            if fmt == "queue_log":
                return await export_queue_log(store, start, end, out)
            table: Format = "jsonl" if fmt == "jsonl" else "csv"
            return await export(store, start, end, table, out)
        finally:
            await store.close()

    if args.output in (None, "-"):
        try:
            n = asyncio.run(run(sys.stdout))
        except BrokenPipeError:  # the reader stopped early (| head): not an error of ours
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 0
    else:
        with open(args.output, "w", encoding="utf-8", newline="") as f:
            n = asyncio.run(run(f))
    print(f"{n} records from {iso(start)} to {iso(end)} (excluded)", file=sys.stderr)
    return 0


def cmd_trim(args: argparse.Namespace) -> int:
    cfg, store = _redis_store(args.config)
    before = retention_cutoff(time.time(), cfg.store.retention_days)

    async def run() -> int:
        try:
            await store.connect()
            return int(await store.trim_records(before))
        finally:
            await store.close()

    n = asyncio.run(run())
    print(
        f"{n} records ended before {iso(before)} deleted (retention {cfg.store.retention_days} d)"
    )
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``cdr export`` and ``cdr trim``."""
    p = subparsers.add_parser("cdr", help="export or trim the call detail records in the store")
    sub = p.add_subparsers(dest="cdr_command", required=True, metavar="export|trim")
    e = sub.add_parser(
        "export",
        help="write the records of a date range as CSV, JSON Lines or an Asterisk queue_log",
        description="Records whose end time is in the range. Dates are UTC days; --to includes "
        "its whole day. ISO-8601 date-times are taken as given (UTC without a zone).",
    )
    e.add_argument("--config", required=True, help="config YAML with a store: url")
    e.add_argument("--from", dest="start", required=True, metavar="DATE")
    e.add_argument("--to", dest="end", required=True, metavar="DATE")
    e.add_argument(
        "--format",
        choices=("csv", "jsonl", "queue_log"),
        help="default: csv (jsonl for *.jsonl); queue_log: Asterisk's queue log lines",
    )
    e.add_argument("--output", metavar="FILE", help="default: standard output")
    e.set_defaults(func=cmd_export)
    t = sub.add_parser("trim", help="delete records older than store.retention_days")
    t.add_argument("--config", required=True, help="config YAML with a store: url")
    t.set_defaults(func=cmd_trim)
