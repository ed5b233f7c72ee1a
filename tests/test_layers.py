"""The layers hold: import-linter's contracts (pyproject.toml) and what an import graph cannot see.

The contracts follow imports transitively (lazy ones inside functions too). For the same core
modules (the ``sans-io`` contract's ``source_modules``: one list, read from pyproject.toml) this
file also refuses what is not an import: the global ``random`` functions, reading the wall clock
(``datetime.now(tz)``, ``date.today()``), and opening files.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
CONTRACTS = {c["id"]: c for c in CONFIG["contracts"]}

CLOCK_CALLS = {"now", "utcnow", "today", "time", "monotonic", "perf_counter", "time_ns"}
FILE_CALLS = {"open", "read_text", "read_bytes", "write_text", "write_bytes"}
# The only names of the random module a core module may touch: the class it injects.
RANDOM_OK = {"Random"}
NUMPY_RANDOM_OK = {"default_rng", "Generator", "SeedSequence", "PCG64"}
# Libraries that must not even load under the core (stdlib modules such as time or os load
# with numpy and pydantic anyway; the contracts keep the core from using them).
IO_LIBS = {"asyncio", "aiohttp", "redis", "hiredis", "uvloop", "prometheus_client", "matplotlib"}


def core_files() -> list[Path]:
    out: list[Path] = []
    for module in CONTRACTS["sans-io"]["source_modules"]:
        base = ROOT.joinpath(*module.split("."))
        if base.is_dir():
            out += sorted(base.rglob("*.py"))
        else:
            out.append(base.with_suffix(".py"))
    assert out and all(p.exists() for p in out), [p for p in out if not p.exists()]
    return out


def lint_imports() -> subprocess.CompletedProcess[str]:
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert exe is not None, "import-linter is a test dependency (pyproject.toml [test])"
    return subprocess.run(
        [exe, "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
    )


def test_import_contracts_are_kept() -> None:
    result = lint_imports()
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert f"Contracts: {len(CONTRACTS)} kept, 0 broken." in result.stdout


def test_a_broken_layer_is_caught(tmp_path: Path) -> None:
    """The contracts bite: the engine importing the daemon's aiohttp edge, even through a
    module in between, breaks both the sans-I/O and the layers contracts."""
    tree = tmp_path / "tree"
    shutil.copytree(ROOT, tree, ignore=shutil.ignore_patterns(".venv", ".git", "*.pyc", "tests"))
    (tree / "routing" / "leak.py").write_text("import acd.daemon.hub  # noqa\n")
    engine = tree / "acd" / "engine"
    target = engine / "__init__.py" if engine.is_dir() else tree / "acd" / "engine.py"
    target.write_text(target.read_text() + "\nimport routing.leak  # noqa\n")
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert exe is not None
    out = subprocess.run(
        [exe, "--no-cache"], cwd=tree, capture_output=True, text=True, check=False
    ).stdout
    assert "is not allowed to import acd.daemon" in out, out[-3000:]
    assert "routing.leak -> acd.daemon.hub" in out, out[-3000:]


def _calls(tree: ast.AST) -> list[tuple[str | None, str, int]]:
    """(receiver name, or None for a plain function, called name, line) for every call."""
    out = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        if isinstance(f, ast.Name):
            out.append((None, f.id, node.lineno))
        elif isinstance(f, ast.Attribute):
            recv = f.value
            name = "<expr>"  # a method of a call's result, a subscript, ...
            if isinstance(recv, ast.Name):
                name = recv.id
            elif isinstance(recv, ast.Attribute):
                name = recv.attr
            out.append((name, f.attr, node.lineno))
    return out


def violations(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), str(path))
    found: list[str] = []
    random_aliases: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name == "random":
                    random_aliases.add(a.asname or "random")
        elif isinstance(node, ast.ImportFrom) and node.module == "random" and node.level == 0:
            bad = {a.name for a in node.names} - RANDOM_OK
            if bad:
                found.append(f"line {node.lineno}: from random import {sorted(bad)}")
    for node in ast.walk(tree):
        # random.random(), r.choice(...) through any alias of the module: global state
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in random_aliases
            and node.attr not in RANDOM_OK
        ):
            found.append(f"line {node.lineno}: {node.value.id}.{node.attr} (global random)")
        # np.random.rand() and friends: numpy's global generator
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Attribute)
            and node.value.attr == "random"
            and node.attr not in NUMPY_RANDOM_OK
        ):
            found.append(f"line {node.lineno}: .random.{node.attr} (numpy's global generator)")
    for recv, name, line in _calls(tree):
        if name in CLOCK_CALLS and recv in {"datetime", "date", "time", "dt"}:
            found.append(f"line {line}: {recv}.{name}() reads the wall clock")
        if name in FILE_CALLS and (recv is not None or name == "open"):
            found.append(f"line {line}: {name}() touches a file")
    return found


def test_core_has_no_global_random_clock_reads_or_file_access() -> None:
    bad = {str(p.relative_to(ROOT)): v for p in core_files() if (v := violations(p))}
    assert not bad, bad


@pytest.mark.parametrize(
    "source",
    [
        "import random as r\nx = r.random()\n",
        "from random import choice\n",
        "import numpy as np\nx = np.random.rand(3)\n",
        "from datetime import datetime\nx = datetime.now(tz)\n",
        "from datetime import date\nx = date.today()\n",
        "x = open('leads.csv').read()\n",
        "from pathlib import Path\nx = Path(p).read_text()\n",
    ],
)
def test_the_ast_check_catches(source: str, tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    path.write_text(source)
    assert violations(path), source


def test_the_ast_check_allows_injected_randomness(tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    path.write_text(
        "from random import Random\nimport numpy as np\n"
        "rng = Random(1)\ng = np.random.default_rng(2)\nx = rng.random()\n"
        "from datetime import datetime\nd = datetime.fromtimestamp(0)\n"
    )
    assert violations(path) == []


def test_importing_the_core_loads_no_edge_at_run_time() -> None:
    """What import-linter cannot see: a package's ``__init__`` runs when any module inside it
    is imported. Import every core module in a fresh interpreter, one after the other, and
    name the first that brings in an edge module or an I/O library."""
    edges = [m for m in CONTRACTS["sans-io"]["forbidden_modules"] if "." in m or m in IO_LIBS]
    modules = []
    for m in CONTRACTS["sans-io"]["source_modules"]:
        base = ROOT.joinpath(*m.split("."))
        if base.is_dir():
            modules += [
                ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
                for p in sorted(base.rglob("*.py"))
            ]
        else:
            modules.append(m)
    code = (
        "import importlib, sys\n"
        f"edges = {edges!r}\n"
        f"for m in {modules!r}:\n"
        "    importlib.import_module(m)\n"
        "    bad = sorted({e for n in sys.modules for e in edges\n"
        "                  if n == e or n.startswith(e + '.')})\n"
        "    if bad:\n"
        "        print(m, 'loads', bad)\n"
        "        break\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert out.returncode == 0 and out.stdout.strip() == "", out.stdout + out.stderr
