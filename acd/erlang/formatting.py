"""How the erlang commands print: the tables, CSV and JSON of a single evaluation and of a plan."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Sequence
from typing import Any

from acd.erlang.plan import PlanRow


def clean(v: Any) -> Any:
    """JSON-safe: infinity (Erlang C ASA when A >= N) becomes null."""
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, dict):
        return {k: clean(x) for k, x in v.items()}
    if isinstance(v, list):
        return [clean(x) for x in v]
    return v


def pct(v: float | None) -> str:
    return "-" if v is None else f"{v:.1%}"


def secs(v: float | None) -> str:
    if v is None:
        return "-"
    return "inf" if math.isinf(v) else f"{v:.1f}"


def targets_text(o: dict[str, float | None]) -> str:
    parts = []
    if o["target_sl"] is not None:
        parts.append(f"{o['target_sl']:.1%} answered within {o['answer_within']:g} s")
    if o["target_asa"] is not None:
        parts.append(f"ASA <= {o['target_asa']:g} s")
    if o["target_abandon"] is not None:
        parts.append(f"abandoned <= {o['target_abandon']:.1%}")
    if o["max_occupancy"] is not None:
        parts.append(f"occupancy <= {o['max_occupancy']:.1%}")
    return ", ".join(parts)


def targets_json(o: dict[str, float | None]) -> dict[str, float]:
    names = {
        "target_sl": "service_level",
        "answer_within": "answer_within_seconds",
        "target_asa": "asa_seconds",
        "target_abandon": "p_abandon",
        "max_occupancy": "occupancy",
    }
    out = {names[k]: v for k, v in o.items() if k in names and v is not None}
    if o["target_sl"] is None:
        out.pop("answer_within_seconds", None)  # only a threshold for a service-level target
    return out


# ----------------------------------------------------------------------------- erlang


def single_table(r: dict[str, Any], o: dict[str, float | None]) -> str:
    model = "Erlang C (M/M/N)" if r["model"] == "erlang_c" else "Erlang A (M/M/N+M)"
    lines = [
        f"{model}: {r['calls']:g} calls per {r['interval_seconds']:g} s, AHT {r['aht_seconds']:g} s"
        f" = {r['offered_load_erlangs']:.2f} Erlangs offered"
        + (f", mean patience {r['patience_seconds']:g} s" if "patience_seconds" in r else ""),
    ]
    if "targets" in r:
        lines.append(f"Targets: {targets_text(o)}")
    lines.append("")
    label = "agents needed" if r["mode"] == "solve" else "agents"
    rows: list[tuple[str, str, str]] = [
        (label, f"{r['agents']:,}", ""),
        (
            "service level",
            pct(r["service_level"]),
            f"answered within {r['answer_within_seconds']:g} s, of calls offered",
        ),
        ("P(wait)", pct(r["p_wait"]), ""),
    ]
    if "p_abandon" in r:
        rows.append(("P(abandon)", pct(r["p_abandon"]), ""))
        rows.append(("ASA", secs(r["asa_seconds"]) + " s", "mean wait of answered calls"))
        rows.append(("mean wait", secs(r["mean_wait_all_seconds"]) + " s", "all calls"))
    else:
        note = "mean wait of all calls" if math.isfinite(r["asa_seconds"]) else "unstable: A >= N"
        rows.append(("ASA", secs(r["asa_seconds"]) + " s", note))
    rows.append(("occupancy", pct(r["occupancy"]), ""))
    ql = r["queue_length"]
    rows.append(("mean queue length", "inf" if math.isinf(ql) else f"{ql:.2f}", "calls waiting"))
    if "agents_scheduled" in r:
        rows.append(
            ("agents scheduled", f"{r['agents_scheduled']:,}", f"at {r['shrinkage']:.1%} shrinkage")
        )
    if "meets_targets" in r:
        rows.append(("meets targets", "yes" if r["meets_targets"] else "NO", ""))
    lines += [f"  {k:<18}{v:>10}   {n}".rstrip() for k, v, n in rows]
    return "\n".join(lines)


# ----------------------------------------------------------------------------- plan


def columns(plan: Sequence[PlanRow]) -> list[str]:
    cols = list(PlanRow.__dataclass_fields__)
    if all(r.queue is None for r in plan):
        cols.remove("queue")
    if all(r.agents_scheduled is None for r in plan):
        cols.remove("agents_scheduled")
    if all(r.p_abandon is None for r in plan):
        cols.remove("p_abandon")
    return cols


def plan_csv(plan: Sequence[PlanRow]) -> str:
    cols = columns(plan)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["interval_start" if c == "start" else c for c in cols])
    for r in plan:
        d = r.as_dict()
        w.writerow(["" if d[c] is None or d[c] == math.inf else d[c] for c in cols])
    return buf.getvalue()


def plan_table(plan: Sequence[PlanRow], o: dict[str, float | None], name: str, model: str) -> str:
    cols = columns(plan)
    if len({r.interval_seconds for r in plan}) == 1:
        cols.remove("interval_seconds")
    heads = {
        "start": "start",
        "queue": "queue",
        "calls": "calls",
        "aht_seconds": "AHT s",
        "interval_seconds": "interval s",
        "offered_load_erlangs": "Erlangs",
        "agents": "agents",
        "agents_scheduled": "scheduled",
        "service_level": "SL",
        "p_wait": "P(wait)",
        "asa_seconds": "ASA s",
        "occupancy": "occupancy",
        "p_abandon": "P(abandon)",
    }
    fmt: dict[str, Callable[[Any], str]] = {
        "calls": lambda v: f"{v:g}",
        "aht_seconds": lambda v: f"{v:g}",
        "interval_seconds": lambda v: f"{v:g}",
        "offered_load_erlangs": lambda v: f"{v:.2f}",
        "agents": lambda v: f"{v:,}",
        "agents_scheduled": lambda v: f"{v:,}",
        "service_level": pct,
        "p_wait": pct,
        "occupancy": pct,
        "p_abandon": pct,
        "asa_seconds": secs,
    }
    cells = [[heads[c] for c in cols]]
    for r in plan:
        d = r.as_dict()
        cells.append([fmt.get(c, str)(d[c]) if d[c] is not None else "-" for c in cols])
    widths = [max(len(row[i]) for row in cells) for i in range(len(cols))]
    text_cols = {"start", "queue"}
    lines = [
        f"{'Erlang C' if model == 'erlang_c' else 'Erlang A'} plan for {name}: {targets_text(o)}"
        + (f", mean patience {o['patience']:g} s" if o["patience"] is not None else ""),
        "",
    ]
    for row in cells:
        lines.append(
            "  ".join(
                v.ljust(w) if c in text_cols else v.rjust(w)
                for v, w, c in zip(row, widths, cols, strict=True)
            ).rstrip()
        )
    total_peak = max(plan, key=lambda r: r.agents)
    lines.append("")
    lines.append(
        f"peak: {total_peak.agents:,} agents at {total_peak.start}"
        + (f" (queue {total_peak.queue})" if total_peak.queue else "")
    )
    return "\n".join(lines)
