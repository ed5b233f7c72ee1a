"""Reading config files: the edge in front of the pure parser (acd/config/loader.py)."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel

from acd.config.loader import parse_config_text
from acd.config.schema import Config
from acd.errors import ConfigError

M = TypeVar("M", bound=BaseModel)


def load_file(model: type[M], path: str | Path) -> M:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read file: {exc.strerror}", file=str(p)) from None
    return parse_config_text(model, text, str(p))


def load_config(path: str | Path) -> Config:
    return load_file(Config, path)
