"""What intake keeps per referral, as its rules and both stores see it.

:class:`IntakeStorage` is the repository port: the referrals of one round (loaded or
added), which participant started under which referral, and what changed.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from schemas.provider import ReferralMade


@dataclass
class ReferralRecord:
    referral: ReferralMade
    participant_id: str
    nino: str
    start_date: date | None = None
    end_date: date | None = None
    end_reason: str | None = None


class IntakeStorage(ABC):
    def __init__(
        self,
        referrals: dict[str, ReferralRecord] | None = None,
        started_by_participant: dict[str, str] | None = None,
    ) -> None:
        self.referrals: dict[str, ReferralRecord] = {} if referrals is None else referrals
        self.started_by_participant: dict[str, str] = (
            {} if started_by_participant is None else started_by_participant
        )
        self.dirty: set[str] = set()

    def add(self, record: ReferralRecord) -> None:
        self.referrals[record.referral.referral_id] = record
        self.dirty.add(record.referral.referral_id)

    def changed(self, referral_id: str) -> None:
        self.dirty.add(referral_id)

    @abstractmethod
    async def load(self, referral_ids: Iterable[str], participant_ids: Iterable[str]) -> None:
        """The referrals named, and who started under which referral for these people."""

    @abstractmethod
    async def held_waiting(self, subjects: Iterable[str]) -> dict[str, list[str]]: ...

    @abstractmethod
    async def flush(self) -> None: ...
