"""The batch types and the in-memory store stay importable by the sans-I/O core."""

from __future__ import annotations

from tests.test_purity import FORBIDDEN, ROOT, imports


def test_batch_base_and_memory_store_import_no_io() -> None:
    for name in ("batch.py", "base.py", "memory.py", "__init__.py"):
        path = ROOT / "acd" / "store" / name
        bad = imports(path) & FORBIDDEN
        assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"
