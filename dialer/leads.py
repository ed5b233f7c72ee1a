"""Leads and the lead-list CSV import.

A lead file is CSV with a header row. ``phone`` is required; ``name``, ``time_zone`` (an IANA
zone), ``priority`` (an integer, higher is dialled first among leads due at the same time),
``lead_id`` and ``account`` (the customer account the number belongs to: several leads may share
one; figures per account fall back to the number) are optional; every other column becomes a
custom field. Column names are matched without regard to case, surrounding spaces, or spaces and
hyphens for underscores; ``timezone`` and ``tz`` are accepted for ``time_zone``, ``id`` for
``lead_id`` and ``account_id`` for ``account``.

Numbers are parsed with libphonenumber (national formats in ``default_region``) and stored in
E.164. A row whose number is not a valid number, whose time zone is unknown, whose priority is not
an integer, whose number or lead id repeats an earlier row, or that has more cells than the header,
is reported with its line number and reason and not imported; the other rows are.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Generator, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, TypeVar

import phonenumbers

from acd.errors import LocalError
from dialer.hours import known_zone

T = TypeVar("T")

_E164 = re.compile(r"\+[1-9]\d{1,14}")
_NO_FIELDS: Mapping[str, str] = MappingProxyType({})
KNOWN_COLUMNS = ("phone", "name", "time_zone", "priority", "lead_id", "account")
_ALIASES = {
    "time_zone": "time_zone",
    "timezone": "time_zone",
    "tz": "time_zone",
    "lead_id": "lead_id",
    "id": "lead_id",
    "account": "account",
    "account_id": "account",
}


class LeadFileError(LocalError):
    """A lead or registry file that cannot be read at all (no ``phone`` column, unreadable)."""

    code = "invalid_lead_file"

    def __init__(self, file: str, message: str) -> None:
        super().__init__(f"{file}: {message}")
        self.file = file
        self.detail = message


class InvalidLead(LocalError):
    code = "invalid_lead"


class InvalidNumber(LocalError):
    code = "invalid_phone_number"


def normalize(number: str, default_region: str | None = "US", *, valid: bool = True) -> str:
    """``number`` in E.164, parsed in ``default_region`` when it has no ``+`` prefix.

    Raises :class:`InvalidNumber` if it cannot be parsed, is not a possible number (or only a
    local one, dialable without its area code), or (with ``valid``) is not a valid number in
    libphonenumber's metadata.
    """
    try:
        parsed = phonenumbers.parse(number, default_region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidNumber(f"cannot parse phone number {number!r}: {_why(exc)}") from None
    possible = phonenumbers.is_possible_number_with_reason(parsed)
    if possible == phonenumbers.ValidationResult.IS_POSSIBLE_LOCAL_ONLY:
        raise InvalidNumber(f"not a complete phone number (no area code?): {number!r}")
    if possible != phonenumbers.ValidationResult.IS_POSSIBLE:
        raise InvalidNumber(f"not a possible phone number: {number!r}")
    if valid and not phonenumbers.is_valid_number(parsed):
        raise InvalidNumber(f"not a valid phone number: {number!r}")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _why(exc: phonenumbers.NumberParseException) -> str:
    return str(exc).split(") ", 1)[-1].rstrip(".").lower()


def is_e164(number: str) -> bool:
    """True if ``number`` is exactly the E.164 form libphonenumber gives it."""
    if not _E164.fullmatch(number):
        return False
    try:
        return normalize(number, None, valid=False) == number
    except InvalidNumber:
        return False


@dataclass(frozen=True, slots=True)
class Lead:
    """One number to dial. ``phone`` is canonical E.164 (checked when built). ``account`` is
    the customer account it belongs to ("" when the file gave none: the number stands for it,
    see :attr:`account_key`)."""

    lead_id: str
    phone: str
    name: str = ""
    time_zone: str | None = None
    priority: int = 0
    fields: Mapping[str, str] = field(default_factory=lambda: _NO_FIELDS, hash=False)
    account: str = ""

    @property
    def account_key(self) -> str:
        """The account figures count by: the lead's account, or its number without one."""
        return self.account or self.phone

    def __post_init__(self) -> None:
        if not isinstance(self.lead_id, str) or not self.lead_id:
            raise InvalidLead(f"lead_id must be a non-empty string, got {self.lead_id!r}")
        if not isinstance(self.phone, str) or not is_e164(self.phone):
            raise InvalidLead(f"lead {self.lead_id}: phone must be canonical E.164")
        if self.time_zone is not None and not known_zone(self.time_zone):
            raise InvalidLead(f"lead {self.lead_id}: unknown time zone {self.time_zone!r}")
        if not isinstance(self.priority, int) or isinstance(self.priority, bool):
            raise InvalidLead(f"lead {self.lead_id}: priority must be an int")
        if not isinstance(self.account, str):
            raise InvalidLead(f"lead {self.lead_id}: account must be a string")


@dataclass(frozen=True, slots=True)
class Rejected:
    """A data row that was not imported: its first physical line, why, and its text."""

    line: int
    reason: str
    raw: str


@dataclass(slots=True)
class ImportResult:
    file_name: str
    leads: list[Lead] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)

    @property
    def taken(self) -> int:
        return len(self.leads)

    @property
    def rejected_count(self) -> int:
        return len(self.rejected)

    def summary(self) -> str:
        rows = "row" if self.taken == 1 else "rows"
        return f"took {self.taken} {rows}, rejected {self.rejected_count}"


class _Lines:
    """Feeds csv.reader line by line and remembers the text and first line of each record."""

    def __init__(self, text: str) -> None:
        self._it: Iterator[str] = iter(io.StringIO(text.removeprefix("\ufeff"), newline=""))
        self.line = 0  # physical lines consumed so far
        self.record: list[str] = []

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        text = next(self._it)
        self.line += 1
        self.record.append(text)
        return text

    def take(self) -> tuple[int, str]:
        """(first line number, raw text) of the record just read."""
        first = self.line - len(self.record) + 1
        raw = "".join(self.record).rstrip("\r\n")
        self.record = []
        return first, raw


def csv_rows(text: str) -> Iterator[tuple[int, str, list[str]]]:
    """(line, raw text, cells) of each non-blank CSV record; the header is the first."""
    lines = _Lines(text)
    reader = csv.reader(lines, strict=False)
    for cells in reader:
        line, raw = lines.take()
        if not any(c.strip() for c in cells):
            continue
        yield line, raw, cells


def parse_leads(
    text: str,
    *,
    name: str = "<text>",
    default_region: str = "US",
    id_prefix: str = "L",
) -> ImportResult:
    """Parse the text of a lead CSV; see the module docstring for the format. ``name`` names the
    file in errors and in the result (reading files is the caller's: see ``acd.leadfiles``).

    ``lead_id`` defaults to ``id_prefix`` + the row's line number (``L2`` for the first data
    row). Raises :class:`LeadFileError`, naming the file, if it is empty, or its header has no
    ``phone`` column (or repeats a column).
    """
    return run_steps(
        parse_leads_steps(text, name=name, default_region=default_region, id_prefix=id_prefix)
    )


def run_steps(steps: Generator[None, None, T]) -> T:
    """Drive a stepwise parse to its end at once."""
    while True:
        try:
            next(steps)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]


def parse_leads_steps(
    text: str,
    *,
    name: str = "<text>",
    default_region: str = "US",
    id_prefix: str = "L",
    every: int = 100,
) -> Generator[None, None, ImportResult]:
    """:func:`parse_leads` a piece at a time: it yields after every ``every`` rows, so an event
    loop can run between pieces (a thread would compete with the loop for the interpreter
    lock), and returns the result."""
    rows = csv_rows(text)
    header_row = next(rows, None)
    if header_row is None:
        raise LeadFileError(name, "empty file: expected a header row with a 'phone' column")
    header = [c.strip() for c in header_row[2]]
    columns: dict[str, int] = {}
    for i, title in enumerate(header):
        folded = _ALIASES.get(title.lower().replace(" ", "_").replace("-", "_"), title.lower())
        key = folded if folded in KNOWN_COLUMNS else title
        if not key:
            continue  # an unnamed column (a trailing comma): ignored
        if key in columns:
            raise LeadFileError(name, f"column {title!r} appears twice in the header")
        columns[key] = i
    if "phone" not in columns:
        raise LeadFileError(name, f"no 'phone' column in the header ({_describe(header)})")
    custom = [(c, i) for c, i in columns.items() if c not in KNOWN_COLUMNS]

    result = ImportResult(name)
    seen_phone: dict[str, int] = {}
    seen_id: dict[str, int] = {}
    for n, (line, raw, cells) in enumerate(rows, 1):
        if n % every == 0:
            yield

        def cell(column: str, cells: list[str] = cells) -> str:
            i = columns.get(column)
            return cells[i].strip() if i is not None and i < len(cells) else ""

        def reject(reason: str, line: int = line, raw: str = raw) -> None:
            result.rejected.append(Rejected(line, reason, raw))

        if len(cells) > len(header):
            reject(f"{len(cells)} cells but the header has {len(header)} columns")
            continue
        phone_text = cell("phone")
        if not phone_text:
            reject("missing phone number")
            continue
        try:
            phone = normalize(phone_text, default_region)
        except InvalidNumber as exc:
            reject(exc.message)
            continue
        zone = cell("time_zone") or None
        if zone is not None and not known_zone(zone):
            reject(f"unknown time zone {zone!r}")
            continue
        priority_text = cell("priority")
        try:
            priority = int(priority_text) if priority_text else 0
        except ValueError:
            reject(f"priority must be an integer, got {priority_text!r}")
            continue
        lead_id = cell("lead_id") or f"{id_prefix}{line}"
        if phone in seen_phone:
            reject(f"duplicate phone number {phone} (first on line {seen_phone[phone]})")
            continue
        if lead_id in seen_id:
            reject(f"duplicate lead_id {lead_id!r} (first on line {seen_id[lead_id]})")
            continue
        fields = {c: cells[i].strip() if i < len(cells) else "" for c, i in custom}
        lead = Lead(
            lead_id=lead_id,
            phone=phone,
            name=cell("name"),
            time_zone=zone,
            priority=priority,
            fields=MappingProxyType(fields) if fields else _NO_FIELDS,
            account=cell("account"),
        )
        seen_phone[phone] = line
        seen_id[lead_id] = line
        result.leads.append(lead)
    return result


# --- persistence --------------------------------------------------------------------------------
def lead_to_dict(lead: Lead) -> dict[str, Any]:
    """A lead as JSON-able data; :func:`lead_from_dict` reads it back."""
    return {
        "lead_id": lead.lead_id,
        "phone": lead.phone,
        "name": lead.name,
        "time_zone": lead.time_zone,
        "priority": lead.priority,
        "fields": dict(lead.fields),
        "account": lead.account,
    }


def lead_from_dict(data: Mapping[str, Any], *, trusted: bool = False) -> Lead:
    """A lead saved by :func:`lead_to_dict`.

    ``trusted`` (a store's own data, checked when it was first imported) skips the costly
    libphonenumber check for a cheap E.164 shape check: reading a million leads back takes seconds
    instead of minutes. The time zone is still checked (cached per zone).
    """
    fields = data.get("fields") or None
    if not trusted:
        return Lead(
            lead_id=data["lead_id"],
            phone=data["phone"],
            name=data.get("name") or "",
            time_zone=data.get("time_zone"),
            priority=int(data.get("priority") or 0),
            fields=MappingProxyType(dict(fields)) if fields else _NO_FIELDS,
            account=str(data.get("account") or ""),
        )
    lead_id, phone, zone = data["lead_id"], data["phone"], data.get("time_zone")
    priority = data.get("priority") or 0
    if not isinstance(lead_id, str) or not lead_id:
        raise InvalidLead(f"lead_id must be a non-empty string, got {lead_id!r}")
    if not isinstance(phone, str) or not _E164.fullmatch(phone):
        raise InvalidLead(f"lead {lead_id}: phone must be E.164, got {phone!r}")
    if zone is not None and not _known_zone_cached(zone):
        raise InvalidLead(f"lead {lead_id}: unknown time zone {zone!r}")
    if not isinstance(priority, int) or isinstance(priority, bool):
        raise InvalidLead(f"lead {lead_id}: priority must be an int")
    lead = _new(Lead)
    _set(lead, "lead_id", lead_id)
    _set(lead, "phone", phone)
    _set(lead, "name", data.get("name") or "")
    _set(lead, "time_zone", zone)
    _set(lead, "priority", priority)
    _set(lead, "fields", MappingProxyType(dict(fields)) if fields else _NO_FIELDS)
    _set(lead, "account", str(data.get("account") or ""))
    return lead


_new = object.__new__
_set = object.__setattr__  # Lead is frozen: the trusted path sets its slots directly
_ZONES_SEEN: dict[str, bool] = {}


def _known_zone_cached(zone: str) -> bool:
    ok = _ZONES_SEEN.get(zone)
    if ok is None:
        ok = _ZONES_SEEN[zone] = known_zone(zone)
    return ok


_COLUMN_NAME = re.compile(r"^[A-Za-z0-9 _.-]{1,32}$")


def _describe(header: list[str]) -> str:
    """The header's columns when they look like column names (at most 20); otherwise only how
    many: a path to some other file must not echo its first line into errors and logs."""
    if len(header) <= 20 and all(_COLUMN_NAME.match(c) for c in header):
        return "columns: " + ", ".join(header)
    return f"{len(header)} column(s), not a lead file's header"
