"""A rule failure: the reason code and a message naming the field and value."""

from __future__ import annotations

from dataclasses import dataclass

from schemas.common import RejectionReason


@dataclass(frozen=True)
class Rejection:
    """Why an inbound event cannot be accepted (domain.md §4-§9).

    ``message`` is for people: it names the field and the offending value, but never
    a full NINO or a date of birth.
    """

    reason: RejectionReason
    message: str
