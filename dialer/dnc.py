"""The do-not-call list: numbers that must never be dialled, with where each came from.

Numbers are stored in E.164, so ``"+1 (212) 555-0100" in dnc`` and ``"+12125550100" in dnc`` agree.
A lookup of a number already in E.164 is one dict lookup; any other spelling is normalised first.
The dialer checks the list at the moment of dialling.

A registry file is one number per line (blank lines and ``#`` comments ignored; text after ``#`` on
a line is a comment) or a CSV whose header has a ``phone`` column. Lines that are not possible
phone numbers are reported with their line number, like the lead import. Registry numbers only need
to be *possible* numbers, not valid ones: an over-inclusive do-not-call list is the safe side.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from dialer.leads import (
    InvalidNumber,
    LeadFileError,
    Rejected,
    csv_rows,
    normalize,
)


@dataclass(frozen=True, slots=True)
class DncEntry:
    source: str  # "agent", "api", "registry:<file>", ...
    at: float  # Unix time it was added


@dataclass(slots=True)
class RegistryResult:
    file_name: str
    added: int = 0
    already: int = 0  # numbers that were on the list before (their first entry is kept)
    rejected: list[Rejected] = field(default_factory=list)

    @property
    def rejected_count(self) -> int:
        return len(self.rejected)

    def summary(self) -> str:
        return f"added {self.added}, already listed {self.already}, rejected {self.rejected_count}"


class DoNotCallList:
    """A set of E.164 numbers, each with its first :class:`DncEntry`.

    Every addition and removal is also logged (number -> its entry, or None once removed) until
    :meth:`drain_changes` takes the log, for persistence; :meth:`restore` loads a saved list.
    """

    __slots__ = ("_changes", "_entries", "default_region")

    def __init__(self, default_region: str = "US") -> None:
        self.default_region = default_region
        self._entries: dict[str, DncEntry] = {}
        self._changes: dict[str, DncEntry | None] = {}

    def _key(self, number: str) -> str | None:
        try:
            return normalize(number, self.default_region, valid=False)
        except InvalidNumber:
            return None

    def add(self, number: str, source: str, at: float) -> bool:
        """Add a number; False if it was already listed (the first entry is kept).

        Raises :class:`~dialer.leads.InvalidNumber` if it is not a possible phone number.
        """
        key = normalize(number, self.default_region, valid=False)
        if key in self._entries:
            return False
        self._entries[key] = self._changes[key] = DncEntry(source, at)
        return True

    def remove(self, number: str) -> bool:
        """Remove a number; False if it was not listed."""
        key = number if number in self._entries else self._key(number)
        if key is None or self._entries.pop(key, None) is None:
            return False
        self._changes[key] = None
        return True

    def drain_changes(self) -> dict[str, DncEntry | None]:
        """Numbers added (their entry) or removed (None) since the last call."""
        out, self._changes = self._changes, {}
        return out

    def restore(self, entries: Mapping[str, Mapping[str, Any]]) -> int:
        """Load a saved list (E.164 number -> ``{"source", "at"}``). The saved entry wins over
        one loaded since start (a registry file read again), as the first listing; such numbers
        are no longer pending in the change log. Returns how many numbers were new to the list."""
        added = 0
        have, changes = self._entries, self._changes
        for number, e in entries.items():
            changes.pop(number, None)
            added += number not in have
            have[number] = DncEntry(str(e.get("source", "")), float(e.get("at", 0.0)))
        return added

    def forget(self, numbers: Iterable[str]) -> None:
        """Drop numbers (canonical E.164) that a store no longer lists, as a warm standby
        follows the leader: not logged as changes (the store has them already)."""
        for number in numbers:
            self._entries.pop(number, None)
            self._changes.pop(number, None)

    def __contains__(self, number: object) -> bool:
        if not isinstance(number, str):
            return False
        if number in self._entries:
            return True
        key = self._key(number)
        return key is not None and key in self._entries

    def contains_e164(self, e164: str) -> bool:
        """Membership of a number known to be canonical E.164 (a :class:`Lead`'s phone): a single
        dict lookup, no parsing."""
        return e164 in self._entries

    def entry(self, number: str) -> DncEntry | None:
        """Where and when a number was listed, or None if it is not."""
        entry = self._entries.get(number)
        if entry is None:
            key = self._key(number)
            entry = self._entries.get(key) if key is not None else None
        return entry

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def load_registry_text(
        self,
        text: str,
        source: str | None = None,
        at: float = 0.0,
        default_region: str | None = None,
        *,
        name: str = "<text>",
    ) -> RegistryResult:
        """Add every number of a registry file's text; ``name`` names the file in errors and
        ``source`` defaults to ``registry:<file name>`` (reading files: see ``acd.leadfiles``).

        Raises :class:`~dialer.leads.LeadFileError` if the text is a CSV (its first line has a
        comma) whose header has no ``phone`` column.
        """
        region = default_region or self.default_region
        src = source or f"registry:{name.rsplit('/', 1)[-1]}"  # the file's base name
        result = RegistryResult(name)
        for line, raw, number in _registry_numbers(text, name):
            if not number:
                result.rejected.append(Rejected(line, "missing phone number", raw))
                continue
            try:
                key = normalize(number, region, valid=False)
            except InvalidNumber as exc:
                result.rejected.append(Rejected(line, exc.message, raw))
                continue
            if key in self._entries:
                result.already += 1
            else:
                self._entries[key] = self._changes[key] = DncEntry(src, at)
                result.added += 1
        return result


def _registry_numbers(text: str, name: str) -> Iterator[tuple[int, str, str]]:
    """(line, raw, number text) of each entry of a registry file."""
    first = next((ln for ln in text.splitlines() if ln.split("#", 1)[0].strip()), "")
    if "," not in first:
        for i, raw in enumerate(text.splitlines(), start=1):
            number = raw.split("#", 1)[0].strip()
            if number:
                yield i, raw, number
        return
    rows = (r for r in csv_rows(text) if not r[1].lstrip().startswith("#"))
    first_row = next(rows, None)
    cells = [c.strip().lower() for c in first_row[2]] if first_row is not None else []
    if "phone" not in cells:
        raise LeadFileError(name, "a CSV registry needs a 'phone' column in its header")
    col = cells.index("phone")
    for line, raw, row in rows:
        yield line, raw, row[col].strip() if col < len(row) else ""
