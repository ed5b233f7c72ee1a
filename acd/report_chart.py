"""Queue interval reports as a PNG chart: calls offered (bars) and service level against its
target (line) per interval, one panel per queue (matplotlib, loaded only to draw, as the plan
chart in acd/erlang/chart.py does)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from acd.chart_common import legend_above, save


def plot_intervals(rows: Sequence[dict[str, Any]], path: str | Path, *, title: str = "") -> int:
    """Draw the queue rows of an interval report; returns how many queues were drawn."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    rows = [r for r in rows if r["group"] == "queue"]
    queues = list(dict.fromkeys(r["name"] for r in rows)) or ["(no calls)"]
    longest = max([sum(1 for r in rows if r["name"] == q) for q in queues] + [1])
    days = len({r["date"] for r in rows})
    fig = Figure(figsize=(min(max(7.0, 0.28 * longest + 3.0), 24.0), 3.0 * len(queues) + 0.8))
    FigureCanvasAgg(fig)
    axes = fig.subplots(len(queues), 1, squeeze=False)[:, 0]
    for ax, queue in zip(axes, queues, strict=True):
        mine = [r for r in rows if r["name"] == queue]
        xs = list(range(len(mine)))
        ax.bar(xs, [r["kpis"]["offered"] for r in mine], color="#9ecae1", label="offered")
        ax.set_ylabel("calls offered")
        minutes = mine[0]["minutes"] if mine else 0
        ax.set_title(f"queue {queue}, {minutes}-minute intervals", loc="left")
        twin = ax.twinx()
        sl = [r["kpis"]["service_level"] for r in mine]
        twin.plot(
            xs,
            [math.nan if v is None else 100.0 * v for v in sl],
            color="#d62728",
            lw=2,
            marker="o",
            ms=3,
            label="service level",
        )
        targets = [r["kpis"]["service_level_target"] for r in mine]
        if any(t is not None for t in targets):
            twin.step(
                xs,
                [math.nan if t is None else 100.0 * t for t in targets],
                where="mid",
                color="#d62728",
                lw=1.2,
                ls="--",
                label="target",
            )
        twin.set_ylabel("% answered within the threshold")
        twin.set_ylim(0, 105)
        every = max(1, math.ceil(len(mine) / 16))
        labels = [r["local"][5 if days > 1 else 11 : 16].replace("T", " ") for r in mine]
        ax.set_xticks(xs[::every], labels[::every], rotation=45, ha="right")
        legend_above(ax, twin)
    save(fig, path, title)
    return len(queues) if rows else 0
