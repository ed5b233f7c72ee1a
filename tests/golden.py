"""Bit-identical behaviour across refactors: `acd-dialer simulate --json` for every file in
examples/ with two seeds, compared with the outputs saved in tests/data/golden/.

    python -m tests.golden save    # record the outputs of the tree as it is
    python -m tests.golden check   # exit 1 and name the first difference if any output changed

Wall-clock figures (``sim.wall_seconds``, ``sim.speedup``) are dropped before saving."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "data" / "golden"
SEEDS = (1, 7)
WALL = ("wall_seconds", "speedup")


def scenarios() -> list[Path]:
    return sorted(p for p in (ROOT / "examples").glob("*.yaml"))


def run(path: Path, seed: int) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "acd.cli", "simulate", str(path), "--json", "--seed", str(seed)],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stdout.strip().splitlines()[-1]
    report = json.loads(out)
    for k in WALL:
        report["sim"].pop(k, None)
    report["scenario"] = path.relative_to(ROOT).as_posix()
    return json.dumps(report, sort_keys=True, indent=1) + "\n"


def name(path: Path, seed: int) -> Path:
    return GOLDEN / f"{path.stem}.seed{seed}.json"


def main(argv: list[str]) -> int:
    mode = argv[0] if argv else "check"
    if mode not in ("save", "check"):
        print("usage: python -m tests.golden save|check", file=sys.stderr)
        return 2
    GOLDEN.mkdir(parents=True, exist_ok=True)
    bad = 0
    for path in scenarios():
        for seed in SEEDS:
            text = run(path, seed)
            target = name(path, seed)
            if mode == "save":
                target.write_text(text)
                print(f"saved {target.relative_to(ROOT)}")
            elif not target.exists() or target.read_text() != text:
                bad += 1
                print(f"DIFFERS {target.relative_to(ROOT)}")
                if target.exists():
                    old, new = target.read_text().splitlines(), text.splitlines()
                    for i, (a, b) in enumerate(zip(old, new, strict=False)):
                        if a != b:
                            print(f"  line {i + 1}: {a.strip()} -> {b.strip()}")
                            break
            else:
                print(f"same    {target.relative_to(ROOT)}")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
