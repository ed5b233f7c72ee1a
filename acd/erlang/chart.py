"""The day plan as a PNG chart: calls offered and agents needed per interval (matplotlib, so
it stays at the edge beside the CLI that writes the file)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from acd.chart_common import legend_above, save
from acd.erlang.plan import PlanRow


def plot_plan(plan: Sequence[PlanRow], path: str | Path, *, title: str = "") -> None:
    """Calls offered (bars) and agents needed (line) per interval, one panel per queue, PNG."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    queues = list(dict.fromkeys(r.queue for r in plan))
    longest = max(sum(1 for r in plan if r.queue == q) for q in queues)
    fig = Figure(figsize=(min(max(7.0, 0.28 * longest + 3.0), 24.0), 3.0 * len(queues) + 0.8))
    FigureCanvasAgg(fig)
    axes = fig.subplots(len(queues), 1, squeeze=False)[:, 0]
    for ax, queue in zip(axes, queues, strict=True):
        rows = [r for r in plan if r.queue == queue]
        xs = list(range(len(rows)))
        ax.bar(xs, [r.calls for r in rows], color="#9ecae1", label="calls offered")
        ax.set_ylabel("calls per interval")
        ax.set_title(f"queue {queue}" if queue is not None else "all calls", loc="left")
        twin = ax.twinx()
        edges = [x - 0.5 for x in [*xs, len(xs)]]
        twin.stairs(
            [r.agents for r in rows],
            edges,
            color="#d62728",
            lw=2,
            baseline=None,
            label="agents needed",
        )
        if rows[0].agents_scheduled is not None:
            twin.stairs(
                [r.agents_scheduled or 0 for r in rows],
                edges,
                color="#d62728",
                lw=1.2,
                ls="--",
                baseline=None,
                label="agents scheduled",
            )
        twin.set_ylabel("agents")
        twin.set_ylim(bottom=0)
        every = max(1, math.ceil(len(rows) / 16))
        ax.set_xticks(xs[::every], [r.start for r in rows][::every], rotation=45, ha="right")
        legend_above(ax, twin)
    save(fig, path, title)
