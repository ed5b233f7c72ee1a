"""check-config reads the files a config names, as run does, and says where the config named
them; it never echoes another file's content."""

from __future__ import annotations

from pathlib import Path

import pytest

from acd.cli import main

CONFIG = """queues: [{name: q}]
agents: [{id: a, skills: {out: 1}}]
campaigns:
  - name: out
    mode: progressive
    skills: {out: 1}
    leads: LEADS
    dnc_files: [DNC]
"""


def write(tmp: Path, leads: str, dnc: str) -> Path:
    p = tmp / "c.yaml"
    p.write_text(CONFIG.replace("LEADS", leads).replace("DNC", dnc))
    return p


def test_missing_dnc_file_is_exit_2_with_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "leads.csv").write_text("phone\n+12125550101\n")
    cfg = write(tmp_path, "leads.csv", "gone.csv")
    for argv in (["check-config", str(cfg)], ["run", str(cfg), "--port", "0"]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"error: {cfg}:8: campaigns[0].dnc_files[0]: "), err


def test_a_path_to_another_file_does_not_echo_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "secret").write_text("root:x:0:0:hunter2:/root:/bin/bash\n")
    (tmp_path / "dnc.csv").write_text("phone\n")
    cfg = write(tmp_path, "secret", "dnc.csv")
    assert main(["check-config", str(cfg)]) == 2
    err = capsys.readouterr().err
    assert f"{cfg}:7: campaigns[0].leads:" in err and "hunter2" not in err


def test_good_files_are_counted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "leads.csv").write_text("phone\n+12125550101\n+12125550102\n")
    (tmp_path / "dnc.csv").write_text("phone\n+12125550199\n")
    assert main(["check-config", str(write(tmp_path, "leads.csv", "dnc.csv"))]) == 0
    assert "1 campaigns, 2 leads" in capsys.readouterr().out
