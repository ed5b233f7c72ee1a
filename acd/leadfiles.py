"""Reading lead and do-not-call registry files: the edge in front of the pure parsers.

:mod:`dialer.leads` and :mod:`dialer.dnc` take text; this module opens the files (or reads a
stream) and hands the text over, so the dialer's core never touches the file system. A file that
cannot be read raises :class:`~dialer.leads.LeadFileError` naming it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from dialer.dnc import DoNotCallList, RegistryResult
from dialer.leads import ImportResult, LeadFileError, parse_leads


def read_text(source: str | Path | TextIO, file_name: str | None = None) -> tuple[str, str]:
    """(text, name) of a file: a path (str or Path) or an open text stream. ``file_name``, if
    given, names it in errors instead of its path."""
    if isinstance(source, str | Path):
        path = Path(source)
        name = file_name or str(path)
        try:
            # utf-8-sig: spreadsheet exports often start with a byte-order mark
            with path.open(encoding="utf-8-sig", newline="") as fh:
                return fh.read(), name
        except (OSError, UnicodeDecodeError) as exc:
            raise LeadFileError(name, f"cannot read: {exc}") from None
    name = file_name or str(getattr(source, "name", "<stream>"))
    try:
        return source.read(), name
    except (OSError, UnicodeDecodeError) as exc:
        raise LeadFileError(name, f"cannot read: {exc}") from None


def import_leads(
    source: str | Path | TextIO,
    *,
    default_region: str = "US",
    file_name: str | None = None,
    id_prefix: str = "L",
) -> ImportResult:
    """Read a lead CSV file and parse it with :func:`dialer.leads.parse_leads`."""
    text, name = read_text(source, file_name)
    return parse_leads(text, name=name, default_region=default_region, id_prefix=id_prefix)


def load_registry(
    dnc: DoNotCallList,
    source: str | Path | TextIO,
    label: str | None = None,
    at: float = 0.0,
    default_region: str | None = None,
    *,
    file_name: str | None = None,
) -> RegistryResult:
    """Add every number of a registry file to ``dnc``
    (:meth:`~dialer.dnc.DoNotCallList.load_registry_text`); ``label`` is the entries' source,
    ``registry:<file name>`` by default."""
    text, name = read_text(source, file_name)
    return dnc.load_registry_text(text, label, at, default_region, name=name)
