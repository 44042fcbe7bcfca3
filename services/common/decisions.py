"""What a pure rule decides about one inbound event, besides a :class:`Rejection`.

Shared by the services' domain modules, their handlers and the pure simulator
(``services/simulation.py``): an event is rejected, held until what it refers to
arrives, ignored (a re-send or a stale version: no effect, not a rejection) or accepted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

from services.common.holds import Subject, WaitFor, first_blocker
from services.common.rejection import Rejection


@dataclass(frozen=True)
class Hold:
    """Keep the event until ``waiting_for`` (``holds.wait_for``) is released."""

    waiting_for: WaitFor


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


def behind_held(held_before: Sequence[str], releases: WaitFor | None = None) -> Hold | None:
    """Hold an event behind the held inputs of its own subject (arrival order within a
    key, domain.md §9 "Re-sends", "Evidence versions", §10), or None when nothing holds
    it back (:func:`services.common.holds.first_blocker`; ``releases``: what the event
    itself releases, e.g. a programme start its referral's ``started`` key)."""
    waiting = first_blocker(held_before, releases)
    return None if waiting is None else Hold(waiting)


@dataclass
class HeldSubjects:
    """Per subject (``holds.subject``): what its held inputs wait for, oldest first.

    Loaded once per batch from the hold (``db.held_waiting``), then kept up to date by
    the handler as it holds more, so later inputs of the batch see them too.
    """

    waiting: dict[str, list[str]] = field(default_factory=dict)

    def before(self, subject: Subject) -> Sequence[str]:
        return self.waiting.get(subject, ())

    def add(self, subject: Subject, waiting_for: WaitFor) -> None:
        self.waiting.setdefault(subject, []).append(waiting_for)
