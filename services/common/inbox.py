"""What the inbox answers when a transaction claims its inputs' ids."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Claim:
    """The result of claiming ids in the inbox."""

    fresh: set[str]
    """Ids not seen before, now claimed (with the digest of their first occurrence)."""
    stored: dict[str, bytes | None]
    """Ids seen in an earlier transaction, with the digest kept then (None: kept before
    digests were; such a claim matches any content)."""
