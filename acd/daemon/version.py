"""The installed package's version, as the API, metrics and start banner report it."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version


def package_version() -> str:
    try:
        return version("acd-dialer")
    except PackageNotFoundError:
        return "0+unknown"
