"""What the runtime core needs from a service and from its storage (the ports).

A service is a :class:`Handler` over its own repository type ``R``; one transaction is
a :class:`UnitOfWork` that gives repositories and keeps the inbox, the hold and the
outbox. PostgreSQL (``runtime.postgres``) and memory (``runtime.memory``) implement it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Protocol, TypeVar

from schemas.base import Event
from schemas.common import RejectionReason
from schemas.topics import Owner, TopicSpec
from services.common.holds import WaitFor
from services.common.inbox import Claim
from services.common.messages import RawRecord, Received
from services.common.outcome import BatchOutcome, Held, Masker


class Repository(Protocol):
    """A service's storage for one round of a transaction (it loads what a round needs
    with a method of its own, named after what it loads)."""

    async def held_waiting(self, subjects: Iterable[str]) -> dict[str, list[str]]:
        """For each subject with held inputs: what they wait for, oldest first."""
        ...

    async def flush(self) -> None:
        """Write what the round changed."""


R = TypeVar("R", bound=Repository)
R_co = TypeVar("R_co", bound=Repository, covariant=True)
R_contra = TypeVar("R_contra", bound=Repository, contravariant=True)


class Handler(Protocol[R_contra]):
    """A service's use cases over its repository (``R``): no storage of its own."""

    @property
    def service(self) -> Owner: ...

    @property
    def inputs(self) -> tuple[TopicSpec, ...]: ...

    @property
    def mask_original(self) -> Masker:
        """Applied to a rejected original before its prefix goes on a topic."""
        ...

    @property
    def keeps_personal_data(self) -> bool:
        """Whether its quarantine may keep originals unmasked (intake's own schema)."""
        ...

    async def handle(
        self, repo: R_contra, items: Sequence[Received[Event]], outcome: BatchOutcome
    ) -> None:
        """Apply items in order, recording decisions in ``outcome``."""

    async def finish(self, repo: R_contra, outcome: BatchOutcome) -> None:
        """Once per transaction, after every round (domain.md §6: milestones)."""

    def expired(self, item: Received[Event]) -> tuple[RejectionReason, str]:
        """The rejection of an item whose hold time ran out."""
        ...


class UnitOfWork(Protocol[R_co]):
    """One transaction of one service: its storage, inbox, hold and outbox."""

    def repository(self) -> R_co:
        """The service's storage for one round."""
        ...

    async def claim(self, message_ids: Sequence[str], digests: Sequence[bytes]) -> Claim:
        """Record ids in the inbox with their content digests; report new and known ones."""
        ...

    async def hold(self, held: Sequence[Held], now: datetime) -> None:
        """Keep records until what they wait for is released."""

    async def release(self, keys: Sequence[WaitFor]) -> list[RawRecord]:
        """Take out of the hold every record waiting for one of ``keys``, oldest first."""
        ...

    async def expire(self, held_before: datetime) -> list[RawRecord]:
        """Take out of the hold every record held before ``held_before``, oldest first."""
        ...

    def savepoint(self) -> AbstractAsyncContextManager[None]:
        """A nested transaction: what fails inside it is undone."""
        ...

    def recoverable(self, exc: Exception) -> bool:
        """Whether a failure inside a savepoint is the input's (reject it, carry on)
        rather than the infrastructure's or a store that cannot roll back (raise)."""
        ...

    async def write(self, outcome: BatchOutcome) -> int:
        """Outbox the outcome's events and quarantine its rejected originals; how many."""
        ...
