"""Where a lead stands in its campaign's lead book: the one spelling of the lead statuses."""

from __future__ import annotations

from enum import StrEnum


class LeadStatus(StrEnum):
    """A lead's status as the book and the API report it (a ``str``, so it is JSON as is)."""

    QUEUED = "queued"  # waiting for its next attempt
    CALLBACK = "callback"  # queued for a scheduled callback
    DIALING = "dialing"  # handed out for dialing, its result not yet recorded
    DONE = "done"  # closed: no further attempts
