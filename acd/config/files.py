"""Reading config files: the edge in front of the pure parser (acd/config/loader.py)."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel

from acd.config.loader import Loc, line_for, parse_config_text, parse_yaml
from acd.config.schema import Config
from acd.errors import ConfigError

M = TypeVar("M", bound=BaseModel)


MAX_CONFIG_BYTES = 64 * 1024 * 1024  # 200,000 agents take about 10 MB


def demo_path() -> Path:
    """The embedded demo (``acd/data/demo.yaml``); the files it names lie beside it."""
    return Path(__file__).resolve().parent.parent / "data" / "demo.yaml"


def read_config_text(path: str | Path) -> str:
    """The file's text; too large, unreadable or not UTF-8 is a ConfigError naming it."""
    p = Path(path)
    try:
        with p.open("rb") as f:
            raw = f.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"cannot read file: {exc.strerror}", file=str(p)) from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigError(f"file too large (over {MAX_CONFIG_BYTES >> 20} MiB)", file=str(p))
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"not UTF-8 text (byte {exc.start}): save the file as UTF-8", file=str(p), line=line
        ) from None


def load_file(model: type[M], path: str | Path) -> M:
    return parse_config_text(model, read_config_text(path), str(path))


def load_config(path: str | Path) -> Config:
    return load_file(Config, path)


def error_at(path: str | Path | None, loc: Loc, message: str) -> ConfigError:
    """A ConfigError for a problem found after validation (a lead file that cannot be read):
    the config file and the line of ``loc`` in it, found by reading the file again."""
    field = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
    if path is None:
        return ConfigError(message, field=field)
    try:
        _, lines = parse_yaml(read_config_text(path), str(path))
        line = line_for(loc, lines)
    except ConfigError:
        line = None
    return ConfigError(message, file=str(path), line=line, field=field)


def host_zone() -> str:
    """The host's IANA time-zone name: ``TZ``, else where ``/etc/localtime`` points, else UTC."""
    import os

    tz = os.environ.get("TZ", "").lstrip(":")
    if tz:
        return tz
    try:
        target = os.path.realpath("/etc/localtime")
    except OSError:
        return "UTC"
    marker = "zoneinfo/"
    return target.split(marker, 1)[1] if marker in target else "UTC"
