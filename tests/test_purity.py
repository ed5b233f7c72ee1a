"""The core is sans-I/O: pure modules never import I/O, clocks or global randomness."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {
    "asyncio",
    "aiohttp",
    "redis",
    "prometheus_client",
    "time",
    "uvloop",
    "socket",
    "threading",
    "subprocess",
}
# datetime and zoneinfo are calendar arithmetic; reading the clock through them is not allowed.
CLOCK_CALLS = ("now", "utcnow", "today")
PURE = [
    *sorted((ROOT / "routing").glob("*.py")),
    *sorted((ROOT / "dialer").glob("*.py")),
    *[
        ROOT / "acd" / f
        for f in (
            "events.py",
            "commands.py",
            "states.py",
            "timers.py",
            "entities.py",
            "records.py",
            "stats.py",
            "errors.py",
            "simulate.py",
            "persist.py",
        )
    ],
    *sorted((ROOT / "acd" / "engine").glob("*.py")),
    *sorted((ROOT / "acd" / "config").glob("*.py")),
    *[ROOT / "telephony_adapters" / "ami" / f for f in ("codec.py", "messages.py")],
    *[
        ROOT / "telephony_adapters" / f
        for f in ("simulated.py", "simdriver.py", "distributions.py", "base.py")
    ],
]


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
            if node.module == "random":
                # Only the class may be imported: module-level functions use global state.
                assert {a.name for a in node.names} <= {"Random"}, path
    return names


def test_pure_modules_import_no_io_or_clock() -> None:
    assert len(PURE) > 15
    for path in PURE:
        bad = imports(path) & FORBIDDEN
        assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


def test_no_clock_reads_through_datetime() -> None:
    for path in PURE:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in CLOCK_CALLS
                and not node.args
            ):
                raise AssertionError(f"{path.relative_to(ROOT)} reads the clock ({node.func.attr})")


def test_no_global_random_calls() -> None:
    for path in PURE:
        text = path.read_text()
        assert "import random\n" not in text, path


def test_importing_acd_pulls_in_no_dialer_daemon_or_io() -> None:
    import subprocess
    import sys

    code = (
        "import sys, acd; print(sorted(m for m in sys.modules if m.split('.')[0] in"
        " ('dialer', 'aiohttp', 'asyncio', 'redis') or m.startswith(('acd.daemon',"
        " 'acd.simulate', 'acd.persist', 'acd.store'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
