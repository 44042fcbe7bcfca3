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
from services.common.messages import RawRecord
from services.common.provider_keys import ProviderKey
from services.intake.domain import ParticipantOfReferral, ReferralState


@dataclass
class ReferralRecord:
    referral: ReferralMade
    participant_id: str
    nino: str
    start_date: date | None = None
    end_date: date | None = None
    end_reason: str | None = None
    start_event_id: str | None = None
    start_source: RawRecord | None = None
    """The accepted start record as received, to reject it if the start is displaced."""
    displaced_by: str | None = None
    """The referral whose earlier start displaced this one's (§4 v3), if any."""

    @property
    def key(self) -> ProviderKey:
        return (self.referral.provider_id, self.referral.referral_id)

    def state(self) -> ReferralState:
        """The referral as intake's rules see it."""
        return ReferralState(self.referral, self.participant_id, self.start_date, self.end_date)

    def about(self) -> ParticipantOfReferral:
        """Who a participants event is about: the person, their referral and contract."""
        return self.state().about()


class IntakeStorage(ABC):
    """A referral is its provider's (domain.md v3 §9): keyed by (provider_id, referral_id)."""

    def __init__(
        self,
        referrals: dict[ProviderKey, ReferralRecord] | None = None,
        started_by_participant: dict[str, ProviderKey] | None = None,
    ) -> None:
        self.referrals: dict[ProviderKey, ReferralRecord] = {} if referrals is None else referrals
        self.started_by_participant: dict[str, ProviderKey] = (
            {} if started_by_participant is None else started_by_participant
        )
        """participant_id -> the referral their start is recorded under."""
        self.dirty: set[ProviderKey] = set()

    def add(self, record: ReferralRecord) -> None:
        key = (record.referral.provider_id, record.referral.referral_id)
        self.referrals[key] = record
        self.dirty.add(key)

    def changed(self, key: ProviderKey) -> None:
        self.dirty.add(key)

    def standing_start(self, participant_id: str) -> ReferralRecord | None:
        """The referral the person's one start stands under now (§4), if any."""
        key = self.started_by_participant.get(participant_id)
        return None if key is None else self.referrals.get(key)

    @abstractmethod
    async def load(self, referrals: Iterable[ProviderKey], participant_ids: Iterable[str]) -> None:
        """The referrals named, and who started under which referral for these people."""

    @abstractmethod
    async def held_waiting(self, subjects: Iterable[str]) -> dict[str, list[str]]: ...

    @abstractmethod
    async def flush(self) -> None: ...
