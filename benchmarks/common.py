"""Shared benchmark plumbing: repeat, take medians, print a table and the JSON line."""

from __future__ import annotations

import argparse
import json
import platform
import statistics
from collections.abc import Sequence
from typing import Any


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--quick", action="store_true", help="a small run, under a minute")
    p.add_argument("--json", action="store_true", help="end with one JSON line of all figures")
    p.add_argument("--repeat", type=int, default=None, help="runs per measurement (median)")
    return p


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[str(h) for h in headers]] + [[_fmt(v) for v in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = []
    for n, r in enumerate(cells):
        lines.append(
            "  ".join(
                c.rjust(w) if i else c.ljust(w)
                for i, (c, w) in enumerate(zip(r, widths, strict=True))
            )
        )
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        if v == 0:
            return "0"
        if abs(v) >= 1000:
            return f"{v:,.0f}"
        if abs(v) >= 10:
            return f"{v:.1f}"
        return f"{v:.3g}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def emit_json(figures: dict[str, Any]) -> None:
    figures = {"python": platform.python_version(), "machine": platform.machine(), **figures}
    print(json.dumps(figures, sort_keys=True))
