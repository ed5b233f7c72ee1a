"""Headless Chromium for the page tests (Debian's chromium; the test fails with how to install
it when the machine lacks it)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.web.browser import INSTALL_HINT, Chromium, find_chromium


@pytest.fixture
async def browser(tmp_path: Path) -> AsyncIterator[Chromium]:
    if find_chromium() is None:
        pytest.fail(INSTALL_HINT, pytrace=False)
    async with Chromium.launch(tmp_path) as b:
        yield b
