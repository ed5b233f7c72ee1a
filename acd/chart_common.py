"""What the charts share: one legend above the plot for a pair of axes, the title and the file."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def legend_above(ax: Any, twin: Any) -> None:
    """One legend for a plot and its twin axis, above the plot's right end."""
    handles, labels = ax.get_legend_handles_labels()
    twin_handles, twin_labels = twin.get_legend_handles_labels()
    ax.legend(
        handles + twin_handles,
        labels + twin_labels,
        loc="lower right",
        bbox_to_anchor=(1.0, 1.0),
        ncol=3,
        fontsize="small",
        frameon=False,
    )


def save(fig: Any, path: str | Path, title: str) -> None:
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(str(path), dpi=110)
