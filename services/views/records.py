"""What the views handler reads and writes, as typed records: the port its repository
implements (the PostgreSQL one in ``adapters/repository.py``), so the handler never
sees a database row.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from schemas.common import EligibilityGroup, MilestoneKind
from schemas.intake import ParticipantStarted
from services.views.derive import JobFacts, MilestoneOccurrence
from services.views.ingest import Batch
from services.views.notify import Change
from services.views.projections import Progress, Window

Key = tuple[str, str]
"""(provider_id, participant_id)"""


@dataclass(frozen=True)
class StartedRow:
    """A participant's start with the columns views works out when it is written: the
    last day of the outcome window, the earnings threshold, the weekly minimum and the
    milestones the contract pays (a derived column that depends on the start alone,
    written with it so that a new participant's row is not written twice)."""

    event: ParticipantStarted
    last_day: date
    earnings_threshold_pence: int
    weekly_hours_min: str
    counted_milestones: tuple[MilestoneKind, ...]


@dataclass(frozen=True)
class DerivedColumns:
    """A participant's derived columns."""

    key: Key
    in_work: bool
    milestones_reached: tuple[MilestoneKind, ...]
    counted_milestones: tuple[MilestoneKind, ...]
    next_milestone: MilestoneKind | None
    next_projected_on: date | None
    next_on_track: bool | None
    evidence_due_since: date | None


@dataclass(frozen=True)
class ParticipantFacts:
    """The facts of one participant that the derived columns are worked out from."""

    key: Key
    contract_id: str
    eligibility_group: EligibilityGroup
    window: Window
    progress: Progress
    """As counted so far (nothing counted yet: the participant's threshold and minimum)."""
    latest_ends: dict[str, date]
    """placement_id -> the latest counting period end of its evidence."""
    jobs: tuple[JobFacts, ...]
    occurrences: tuple[MilestoneOccurrence, ...]
    stored: DerivedColumns
    """The derived columns as the row holds them now (written again only if they change)."""
    stored_latest_ends: dict[str, date | None]
    """placement_id -> the latest counting period end its row holds now."""


@dataclass(frozen=True)
class LatestEnd:
    """A placement's latest counting period end (None: no evidence counted)."""

    provider_id: str
    placement_id: str
    latest_evidence_end: date | None


class ViewsStorage(ABC):
    """The read model's storage in one transaction. It holds nothing, so nothing waits."""

    @abstractmethod
    async def held_waiting(self, subjects: Iterable[str]) -> dict[str, list[str]]: ...

    @abstractmethod
    async def flush(self) -> None: ...

    @abstractmethod
    async def write(self, batch: Batch, started: Sequence[StartedRow]) -> None:
        """The batch's events, kind by kind (``started``: its starts with their columns)."""

    @abstractmethod
    async def facts_of(self, keys: Sequence[Key]) -> list[ParticipantFacts]: ...

    @abstractmethod
    async def write_derived(self, rows: Sequence[DerivedColumns]) -> None: ...

    @abstractmethod
    async def write_latest_ends(self, rows: Sequence[LatestEnd]) -> None: ...

    @abstractmethod
    async def notify(self, changes: Iterable[Change]) -> None:
        """Tell listeners what changed (delivered at commit)."""
