"""Real redis-server fixtures: one per session for the shared store tests (each test writes under
its own key prefix), and a private one for tests that stop and start it."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from acd.store.memory import MemoryStore
from acd.store.redis import RedisStore
from tests.redis_server import RedisServer, RedisServerMissing

_prefixes = itertools.count(1)


def _server(directory: Path) -> RedisServer:
    try:
        return RedisServer(directory)
    except RedisServerMissing as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    with _server(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A server of this test's own, which the test may stop and start."""
    with _server(tmp_path / "redis") as server:
        yield server


@pytest.fixture
def prefix() -> str:
    return f"t{next(_prefixes)}:"


@pytest.fixture(params=["memory", "redis"])
async def store(
    request: pytest.FixtureRequest, redis_server: RedisServer, prefix: str
) -> AsyncIterator[MemoryStore | RedisStore]:
    s: MemoryStore | RedisStore = (
        MemoryStore() if request.param == "memory" else RedisStore(redis_server.url, prefix)
    )
    await s.connect()
    yield s
    await s.close()
