"""The local spool: batches the store could not take, kept on disk until it can.

JSON Lines, one :meth:`Batch.to_json` per line, append-only; every append is flushed and fsynced
before it returns, so a batch that was handed to the spool survives a crash of the process or of
the machine. A crash in the middle of an append leaves an unterminated last line: when the spool is
opened that tail is kept if it is a whole batch (only the newline was lost), dropped with a
warning otherwise. A bad line that is *not* the last is corruption and raises
:class:`SpoolCorrupt` (nothing we write can produce it).
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import BinaryIO

from acd.errors import LocalError
from acd.store.batch import Batch

log = logging.getLogger(__name__)


class SpoolCorrupt(LocalError):
    code = "spool_corrupt"

    def __init__(self, path: Path, line: int, reason: str) -> None:
        super().__init__(f"{path}:{line}: corrupt spool line: {reason}")
        self.path = path
        self.line = line


class Spool:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._count = len(self.read())

    def __len__(self) -> int:
        return self._count

    def read(self) -> list[Batch]:
        """The spooled batches in order, repairing a torn tail left by a crash."""
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return []
        lines = data.split(b"\n")
        tail = lines.pop()  # b"" when the file ends with a newline
        out: list[Batch] = []
        for n, line in enumerate(lines, 1):
            try:
                out.append(Batch.from_json(json.loads(line)))
            except (ValueError, KeyError, TypeError) as exc:
                raise SpoolCorrupt(self.path, n, str(exc)) from None
        if tail:
            try:
                out.append(Batch.from_json(json.loads(tail)))
                with self.path.open("ab") as f:
                    self._write(f, b"\n")
            except (ValueError, KeyError, TypeError):
                log.warning(
                    "%s:%d: ignoring a torn last line (%d bytes) left by a crash",
                    self.path,
                    len(lines) + 1,
                    len(tail),
                )
                os.truncate(self.path, len(data) - len(tail))
        return out

    @staticmethod
    def _write(f: BinaryIO, data: bytes) -> None:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())

    def append(self, batch: Batch) -> None:
        line = json.dumps(batch.to_json(), separators=(",", ":"), allow_nan=False) + "\n"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("ab") as f:
            self._write(f, line.encode())
        self._count += 1

    def clear(self) -> None:
        """Empty the spool (after every batch in it was applied)."""
        if self.path.exists():
            with self.path.open("r+b") as f:
                f.truncate(0)
                f.flush()
                os.fsync(f.fileno())
        self._count = 0
