"""Configuration: the schema, and parsing text with file/line/field errors. Files are read at the
edge: ``acd.config.files.load_config``."""

from acd.config.loader import parse_yaml, validate
from acd.config.schema import Agent, Config, Queue
from acd.config.simulation import Distribution, Simulation, Traffic


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
]
