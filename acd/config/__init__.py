"""Configuration: schema and loading with file/line/field errors."""

from pathlib import Path

from acd.config.loader import load_file, parse_yaml, validate
from acd.config.schema import Agent, Config, Distribution, Queue, Simulation, Traffic


def load_config(path: str | Path) -> Config:
    return load_file(Config, path)


def config_from_text(text: str, file: str = "<string>") -> Config:
    data, lines = parse_yaml(text, file)
    return validate(Config, data, lines, file)


__all__ = [
    "Agent",
    "Config",
    "Distribution",
    "Queue",
    "Simulation",
    "Traffic",
    "config_from_text",
    "load_config",
]
