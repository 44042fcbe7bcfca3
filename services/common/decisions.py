"""What a pure rule decides about one inbound event, besides a :class:`Rejection`.

Shared by the services' domain modules, their handlers and the pure simulator
(``services/simulation.py``): an event is rejected, held until what it refers to
arrives, ignored (a re-send or a stale version: no effect, not a rejection) or accepted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from services.common.rejection import Rejection


@dataclass(frozen=True)
class Hold:
    """Keep the event until ``waiting_for`` (e.g. ``placement:<id>``) is released."""

    waiting_for: str


@dataclass(frozen=True)
class Ignore:
    """No effect and not a rejection: a re-send, a stale version, an unchanged fact."""

    kind: Literal["ignore"] = "ignore"


@dataclass(frozen=True)
class Accept:
    kind: Literal["accept"] = "accept"


IGNORE: Final = Ignore()
ACCEPT: Final = Accept()

Decision = Rejection | Hold | Ignore | Accept
