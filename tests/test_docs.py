"""The docs site: generated pages are current, and ``mkdocs build --strict`` is clean."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_reference", DOCS / "gen_reference.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GEN = _generator()


@pytest.mark.parametrize(
    ("page", "render"),
    [
        ("configuration-reference.md", "render_config_reference"),
        ("api.md", "render_api"),
    ],
)
def test_generated_page_is_current(page: str, render: str) -> None:
    committed = (DOCS / page).read_text()
    assert committed == getattr(GEN, render)(), (
        f"docs/{page} differs from what docs/gen_reference.py writes: run "
        "`python docs/gen_reference.py` and commit the result"
    )


def test_check_mode_agrees() -> None:
    assert GEN.main(["--check"]) == 0


def test_every_config_key_is_in_the_reference() -> None:
    text = (DOCS / "configuration-reference.md").read_text()
    for path in GEN.config_paths():
        if path.endswith(("[]", ".*")):  # a list item or a named entry: a section of its own
            assert f"## `{path}`" in text, path
            continue
        section, _, key = path.rpartition(".")
        if section:
            assert f"## `{section}`" in text, section
        assert f"| `{key}` |" in text, path


def test_notes_name_real_keys() -> None:
    paths = GEN.config_paths()
    generic = {p for p in paths if ".retries." in p}
    for note in GEN.NOTES:
        if ".retries.*." in note:
            assert any(p.endswith(note.rsplit(".", 1)[1]) for p in generic), note
        else:
            assert note in paths, f"NOTES names {note!r}, which is not a config key"


def test_every_documented_route_is_on_the_api_page() -> None:
    from acd.daemon.api.routes import ROUTES

    text = (DOCS / "api.md").read_text()
    for r in ROUTES:
        heading = f"## {r.method} `{r.path}`"
        assert (heading in text) == r.documented, heading


def test_state_diagrams_on_the_agents_page() -> None:
    from acd.states import readme_block

    assert readme_block() in (DOCS / "agents-and-supervisors.md").read_text()


def test_mkdocs_build_strict(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    log = done.stdout + done.stderr
    assert done.returncode == 0, log
    assert "WARNING" not in log, log
    assert (tmp_path / "site" / "index.html").is_file()


def test_readme_keeps_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    assert (
        "python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/acd-dialer run" in readme
    )
    assert "```sh\n./tests/run\n```" in readme
    assert len(readme.splitlines()) < 150


def test_no_page_speaks_of_how_the_project_was_made() -> None:
    stale = ("with its issue", "the issue's", "the project's shared", "far slower than the 5 s")
    for page in [ROOT / "README.md", *DOCS.glob("*.md")]:
        text = page.read_text().lower()
        for phrase in stale:
            assert phrase not in text, f"{page.name}: {phrase!r}"
