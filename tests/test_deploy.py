"""The deploy kit: Prometheus config and alert rules checked and unit-tested by promtool, the
Grafana dashboard read against the metric names of the contract, the systemd unit verified by
systemd-analyze, the Dockerfile's essentials, and the wallboard shipped in the wheel."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
PROM = DEPLOY / "prometheus"
DASHBOARD = DEPLOY / "grafana" / "acd-dialer-dashboard.json"
PROMTOOL_HINT = (
    "promtool is not on PATH: install Debian's prometheus package "
    "(`apt-get install -y prometheus`; tests/run does this)"
)

# ---- the contract's metric names -----------------------------------------------------------


def contract_metrics() -> dict[str, str]:
    """name -> type, from the metric list of deploy/CONTRACT.md."""
    text = (DEPLOY / "CONTRACT.md").read_text()
    found = dict(re.findall(r"^- ([a-z_:][a-z0-9_:]*)(?:\{[^}]*\})?\s+(\w+)", text, re.M))
    assert len(found) >= 20, found
    return found


def allowed_series() -> set[str]:
    """Series names a query may use: histograms give _bucket, _sum and _count."""
    names = set()
    for name, kind in contract_metrics().items():
        names.add(name)
        if kind == "histogram":
            names.update(f"{name}_{s}" for s in ("bucket", "sum", "count"))
    return names


PROMQL_KEYWORDS = {
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "and",
    "or",
    "unless",
    "bool",
    "offset",
    "inf",
    "nan",
}


def metric_names(expr: str) -> set[str]:
    """The series names a PromQL expression selects (a small scanner, enough for our queries)."""
    e = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # string literals
    e = re.sub(r"\$\{?\w+\}?", "", e)  # Grafana variables: $__rate_interval, ${queue}
    e = re.sub(r"\{[^}]*\}", "", e)  # label matchers
    e = re.sub(r"\[[^\]]*\]", "", e)  # range selectors
    e = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", e)
    names = set()
    for m in re.finditer(r"(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)\b(\s*\()?", e):
        word, call = m.group(1), m.group(2)
        if call or word.lower() in PROMQL_KEYWORDS:
            continue
        names.add(word)
    return names


def test_the_scanner_finds_series_names() -> None:
    assert metric_names(
        'histogram_quantile(0.9, sum by (queue, le) (rate(acd_wait_seconds_bucket{queue=~"$queue",'
        ' outcome="answered"}[$__rate_interval])))'
    ) == {"acd_wait_seconds_bucket"}
    assert metric_names(
        '(acd_callers_waiting > 0) and ignoring(state) (acd_queue_agents{state="logged_in"} == 0)'
    ) == {"acd_callers_waiting", "acd_queue_agents"}
    assert metric_names("sum(rate(x_total[5m])) * 60 / on(queue) group_left y") == {
        "x_total",
        "y",
    }


# ---- promtool ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        pytest.fail(PROMTOOL_HINT, pytrace=False)
    return path


def run(*args: str, cwd: Path = PROM) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=120)


def test_promtool_is_installed() -> None:
    assert shutil.which("promtool") is not None, PROMTOOL_HINT


def test_prometheus_config_is_valid(promtool: str) -> None:
    r = run(promtool, "check", "config", "prometheus.yml")
    assert r.returncode == 0, r.stdout + r.stderr


def test_prometheus_scrapes_the_daemon_every_5s() -> None:
    config = yaml.safe_load((PROM / "prometheus.yml").read_text())
    assert config["rule_files"] == ["alerts.yml"]
    (job,) = [j for j in config["scrape_configs"] if j["job_name"] == "acd-dialer"]
    assert job["scrape_interval"] == "5s"
    assert job.get("metrics_path", "/metrics") == "/metrics"
    assert job["static_configs"][0]["targets"] == ["127.0.0.1:8080"]


def test_alert_rules_are_valid(promtool: str) -> None:
    r = run(promtool, "check", "rules", "alerts.yml")
    assert r.returncode == 0, r.stdout + r.stderr


def test_alert_rules_fire_on_synthetic_series(promtool: str) -> None:
    r = run(promtool, "test", "rules", "alerts_test.yml")
    assert r.returncode == 0, r.stdout + r.stderr


def alert_rules() -> list[dict[str, Any]]:
    groups = yaml.safe_load((PROM / "alerts.yml").read_text())["groups"]
    return [rule for g in groups for rule in g["rules"]]


def test_every_alert_is_labelled_annotated_and_unit_tested() -> None:
    rules = alert_rules()
    tested = yaml.safe_load((PROM / "alerts_test.yml").read_text())["tests"]
    fired = {
        case["alertname"]
        for t in tested
        for case in t.get("alert_rule_test", [])
        if case.get("exp_alerts")
    }
    quiet = {
        case["alertname"]
        for t in tested
        for case in t.get("alert_rule_test", [])
        if not case.get("exp_alerts")
    }
    names = {r["alert"] for r in rules}
    assert {
        "AcdServiceLevelBelowTarget",
        "DialerAbandonmentNearLimit",
        "DialerAbandonmentOverLimit",
        "AcdAdapterDisconnected",
        "AcdCallersWaitingNoAgents",
    } <= names
    for r in rules:
        assert r["labels"]["severity"] in ("warning", "critical"), r["alert"]
        assert r["annotations"]["summary"] and r["annotations"]["description"], r["alert"]
    assert fired == names, "every alert has a case where it fires"
    assert quiet == names, "every alert has a case where it stays quiet"


def test_alert_expressions_use_contract_metrics() -> None:
    allowed = allowed_series() | {"up"}  # up: Prometheus's own series for each scrape target
    for r in alert_rules():
        used = metric_names(r["expr"])
        assert used, r["alert"]
        assert used <= allowed, f"{r['alert']}: not in the contract: {used - allowed}"


# ---- Grafana -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dashboard() -> dict[str, Any]:
    return json.loads(DASHBOARD.read_text())


def walk_panels(panels: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for p in panels:
        yield p
        yield from walk_panels(p.get("panels", []))


def test_dashboard_has_the_rows_and_panels(dashboard: dict[str, Any]) -> None:
    assert 36 <= dashboard["schemaVersion"] <= 41
    panels = list(walk_panels(dashboard["panels"]))
    rows = [p["title"] for p in panels if p["type"] == "row"]
    assert rows == ["Queues", "Intervals and occupancy", "Agents", "Dialer", "Daemon health"]
    titles = {p["title"] for p in panels}
    for title in (
        "Callers waiting",
        "Longest wait",
        "Service level vs target",
        "Abandonment today",
        "Wait before answer (quantiles)",
        "Agents by state",
        "Dialer calls by outcome",
        "Abandonment (24 h and 30 days)",
        "Dial ratio",
        "Telephony adapter",
        "Adapter reconnects",
        "Routing decision latency",
        "Last interval's service level vs target",
        "ASA: today and last interval",
        "Occupancy today",
    ):
        assert title in titles
    ids = [p["id"] for p in panels]
    assert len(ids) == len(set(ids)), "panel ids are unique"
    for p in panels:
        if p["type"] != "row":
            assert p["targets"], p["title"]
            g = p["gridPos"]
            assert g["x"] + g["w"] <= 24, p["title"]


def test_dashboard_datasource_is_templated(dashboard: dict[str, Any]) -> None:
    (ds_input,) = dashboard["__inputs"]
    assert ds_input["name"] == "DS_PROMETHEUS" and ds_input["pluginId"] == "prometheus"
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    ds = variables["datasource"]
    assert ds["type"] == "datasource" and ds["query"] == "prometheus"
    assert ds["current"]["value"] == "${DS_PROMETHEUS}"
    templated = {"type": "prometheus", "uid": "${datasource}"}
    for p in walk_panels(dashboard["panels"]):
        if p["type"] == "row":
            continue
        assert p["datasource"] == templated, p["title"]
        for t in p["targets"]:
            assert t["datasource"] == templated, p["title"]
    for v in variables.values():
        if v["type"] == "query":
            assert v["datasource"] == templated, v["name"]
    text = DASHBOARD.read_text()
    assert '"uid": "prometheus"' not in text and "grafanacloud" not in text


def test_dashboard_queue_variable(dashboard: dict[str, Any]) -> None:
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    queue = variables["queue"]
    assert queue["query"]["query"] == "label_values(acd_callers_waiting, queue)"
    assert queue["includeAll"] and queue["multi"]


def test_dashboard_queries_use_only_contract_metrics(dashboard: dict[str, Any]) -> None:
    allowed = allowed_series()
    used: set[str] = set()
    for p in walk_panels(dashboard["panels"]):
        for t in p.get("targets", []):
            names = metric_names(t["expr"])
            assert names, f"{p['title']}: {t['expr']}"
            assert names <= allowed, f"{p['title']}: not in the contract: {names - allowed}"
            used |= names
    for v in dashboard["templating"]["list"]:
        if v["type"] == "query":
            m = re.fullmatch(r"label_values\((\w+), *(\w+)\)", v["query"]["query"])
            assert m and m.group(1) in allowed, v["name"]
    # the dashboard covers the contract, histograms through their buckets
    for name, kind in contract_metrics().items():
        series = f"{name}_bucket" if kind == "histogram" else name
        assert series in used, f"{name} is on no panel"


def test_dashboard_queries_parse(dashboard: dict[str, Any], promtool: str, tmp_path: Path) -> None:
    """promtool parses every panel query (Grafana's variables replaced by plain values)."""
    rules = []
    for i, p in enumerate(walk_panels(dashboard["panels"])):
        for j, t in enumerate(p.get("targets", [])):
            expr = t["expr"].replace("$__rate_interval", "1m")
            expr = re.sub(r"\$\{?\w+\}?", ".*", expr)
            rules.append({"record": f"dashboard:panel{i}:target{j}", "expr": expr})
    path = tmp_path / "dashboard-queries.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    r = run(promtool, "check", "rules", str(path), cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr


# ---- systemd and Docker --------------------------------------------------------------------


def unit_settings() -> dict[str, list[str]]:
    settings: dict[str, list[str]] = {}
    for line in (DEPLOY / "acd-dialer.service").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith(("#", ";", "[")):
            key, _, value = line.partition("=")
            settings.setdefault(key.strip(), []).append(value.strip())
    return settings


def test_systemd_unit_runs_drains_and_reloads() -> None:
    s = unit_settings()
    (start,) = s["ExecStart"]
    assert start.split()[1:] == ["run", "/etc/acd-dialer/config.yaml"]
    assert start.split()[0].endswith("/acd-dialer")
    assert s["User"] == ["acd-dialer"]
    assert s["Restart"] == ["on-failure"]
    assert s["KillSignal"] == ["SIGTERM"]
    assert s["ExecReload"] == ["/bin/kill -HUP $MAINPID"]
    from acd.config.schema import Daemon

    drain = Daemon().drain_seconds
    assert int(s["TimeoutStopSec"][0]) > drain, "systemd must not SIGKILL during the drain"
    for key, value in (
        ("NoNewPrivileges", "yes"),
        ("ProtectSystem", "strict"),
        ("PrivateTmp", "yes"),
        ("ProtectHome", "yes"),
    ):
        assert s[key] == [value], key


def test_systemd_unit_verifies(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    assert analyze is not None, "systemd-analyze is missing: tests/run installs Debian's systemd"
    # verify wants ExecStart's binary to exist: point it at a stub, keep the rest as shipped.
    stub = tmp_path / "acd-dialer"
    stub.write_text("#!/bin/sh\nexit 0\n")
    stub.chmod(0o755)
    unit = tmp_path / "acd-dialer.service"
    text = (DEPLOY / "acd-dialer.service").read_text()
    unit.write_text(re.sub(r"^(ExecStart=)\S+", rf"\g<1>{stub}", text, flags=re.M))
    env = {**os.environ, "SYSTEMD_LOG_LEVEL": "warning"}
    r = subprocess.run(
        [analyze, "verify", str(unit)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    complaints = [ln for ln in (r.stdout + r.stderr).splitlines() if "acd-dialer.service" in ln]
    assert r.returncode == 0 and not complaints, r.stdout + r.stderr


def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments), continuation lines joined, heredoc bodies skipped."""
    out: list[tuple[str, str]] = []
    lines = iter((DEPLOY / "Dockerfile").read_text().splitlines())
    for line in lines:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        while line.endswith("\\"):
            line = line[:-1] + " " + next(lines).strip()
        op, _, args = line.strip().partition(" ")
        out.append((op.upper(), args.strip()))
        heredoc = re.search(r"<<-?'?(\w+)'?", args)
        if heredoc:
            for body in lines:
                if body.strip() == heredoc.group(1):
                    break
    return out


def test_dockerfile_essentials() -> None:
    ins = dockerfile()
    ops = [op for op, _ in ins]
    args = {op: a for op, a in ins}  # the last of each
    assert "python:3.11-slim" in (DEPLOY / "Dockerfile").read_text()
    assert ops.count("FROM") >= 1 and ins[0][0] in ("ARG", "FROM")
    user = args["USER"]
    assert user not in ("root", "0"), "the daemon runs as a non-root user"
    assert ops.index("USER") > max(i for i, op in enumerate(ops) if op == "RUN")
    assert args["EXPOSE"].split() == ["8080"]
    assert "/healthz" in args["HEALTHCHECK"] and "CMD" in args["HEALTHCHECK"]
    command = json.loads(args.get("ENTRYPOINT", "[]")) + json.loads(args["CMD"])
    assert command[:2] == ["acd-dialer", "run"]
    assert any(op == "RUN" and "pip install" in a for op, a in ins)


def test_the_image_runs_the_embedded_demo_by_default() -> None:
    """The default command is ``acd-dialer run`` without a file (the embedded demo's own
    simulated day, as on a laptop), on every interface of the container."""
    from acd.cli import build_parser

    args = {op: a for op, a in dockerfile()}
    command = json.loads(args["CMD"])
    parsed = build_parser().parse_args(command)
    assert parsed.command == "run" and parsed.config is None and parsed.host == "0.0.0.0"


def test_hadolint_finds_nothing_in_the_dockerfile() -> None:
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    r = subprocess.run(
        [hadolint, "--no-color", str(DEPLOY / "Dockerfile")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 0, r.stdout + r.stderr


def test_the_wheel_ships_the_wallboard() -> None:
    """The daemon serves acd/web/ from the installed package (Docker installs a wheel)."""
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    patterns = setuptools.get("package-data", {}).get("acd", [])
    for name in ("index.html", "wallboard.js", "wallboard.css"):
        assert any(fnmatch(f"web/{name}", p) for p in patterns), (
            f"acd/web/{name} is not in [tool.setuptools.package-data] acd = {patterns}: "
            'add "web/*" so a non-editable install (the Docker image) serves the wallboard'
        )


def test_dashboard_colours_follow_each_queues_target_and_a_standby_is_healthy(
    dashboard: dict[str, Any],
) -> None:
    panels = {p["title"]: p for p in walk_panels(dashboard["panels"])}
    sl = panels["Service level vs own target"]
    expr = sl["targets"][0]["expr"]
    assert "acd_service_level_ratio" in expr and "- acd_service_level_target_ratio" in expr
    steps = sl["fieldConfig"]["defaults"]["thresholds"]["steps"]
    assert [(s["color"], s["value"]) for s in steps] == [
        ("red", None),
        ("orange", -0.05),
        ("green", 0),
    ]
    lead = panels["Active node and store"]
    (override,) = [
        o for o in lead["fieldConfig"]["overrides"] if o["matcher"]["options"] == "^leader .*"
    ]
    props = {p["id"]: p["value"] for p in override["properties"]}
    standby = props["mappings"][0]["options"]["0"]
    assert standby["text"] == "STANDBY" and standby["color"] != "red"
    assert props["thresholds"]["steps"][0]["color"] != "red"
