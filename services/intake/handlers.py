"""Intake use cases: referrals, programme starts and leavers -> participants.

``RULES`` is the table of what intake does with each event type. Downstream events carry
the pseudonymous ``participant_id`` only, never the NINO or the date of birth.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from schemas.base import Event
from schemas.common import RejectionReason
from schemas.provider import ProgrammeEnded, ProgrammeStarted, ReferralMade
from schemas.topics import CONSUMERS, Owner, TopicSpec
from services.common import holds, masking
from services.common.decisions import HeldSubjects
from services.common.holds import Entity, Subject
from services.common.messages import Received
from services.common.outcome import BatchOutcome
from services.common.provider_keys import ProviderKey
from services.common.reference import ContractBook, Reference
from services.common.rejection import Rejection
from services.common.settings import ServiceSettings
from services.intake import decide
from services.intake.domain import (
    ReferralState,
    normalise_nino,
    participant_id_for,
)
from services.intake.records import IntakeStorage, ReferralRecord
from services.runtime.rules import Rules, run_round


@dataclass(frozen=True)
class Round:
    """One round of an intake transaction: storage, decisions, held subjects, and what
    the rules need (the contract book and the participant-id key)."""

    repo: IntakeStorage
    outcome: BatchOutcome
    held: HeldSubjects
    contracts: ContractBook
    key: bytes


RULES: Rules[Round] = Rules()


class IntakeHandler:
    service: Owner = "intake"
    inputs: tuple[TopicSpec, ...] = CONSUMERS["intake"]

    keeps_personal_data = True
    """Intake's quarantine keeps rejected referrals unmasked (its own schema only)."""

    def __init__(self, contracts: ContractBook, participant_key: bytes) -> None:
        self.contracts = contracts
        self.key = participant_key

    def mask_original(self, value: bytes) -> bytes:
        """The runtime's hook for rejected originals: NINO and date of birth masked
        before any of it goes on a topic (the quarantine table keeps the original)."""
        return masking.mask_original(value)

    async def handle(
        self, repo: IntakeStorage, items: Sequence[Received[Event]], outcome: BatchOutcome
    ) -> None:
        referrals = {r for i in items if (r := _referral_of(i.event)) is not None}
        participant_ids = {p for i in items if (p := self._participant_id(i.event)) is not None}
        await run_round(
            repo,
            repo.load(referrals, participant_ids),
            items,
            RULES,
            lambda held: Round(repo, outcome, held, self.contracts, self.key),
            _subject_of,
        )

    def expired(self, item: Received[Event]) -> tuple[RejectionReason, str]:
        event = item.event
        assert isinstance(event, ReferralMade | ProgrammeStarted | ProgrammeEnded)
        return (
            RejectionReason.UNKNOWN_PARTICIPANT,
            f"{event.type} names referral_id {event.referral_id!r},"
            " which has no accepted referral/start after the hold time",
        )

    async def finish(self, repo: IntakeStorage, outcome: BatchOutcome) -> None:
        """Nothing to decide once per transaction: each event is decided as it comes."""

    def _participant_id(self, event: Event) -> str | None:
        if not isinstance(event, ReferralMade):
            return None
        nino = normalise_nino(event.nino)
        return participant_id_for(nino, self.key) if nino else None


@RULES.on(ReferralMade)
def referral_made(round_: Round, item: Received[ReferralMade]) -> None:
    repo, event = round_.repo, item.event
    existing = repo.referrals.get((event.provider_id, event.referral_id))
    decided = decide.referral_made(event, existing.referral if existing else None, round_.contracts)
    if not round_.outcome.follow(decided, item):
        return
    nino = normalise_nino(event.nino)
    assert nino is not None  # decide_referral rejected invalid NINOs
    repo.add(ReferralRecord(event, participant_id_for(nino, round_.key), nino))


@RULES.on(ProgrammeStarted)
def programme_started(round_: Round, item: Received[ProgrammeStarted]) -> None:
    repo, outcome, event = round_.repo, round_.outcome, item.event
    own = (event.provider_id, event.referral_id)
    record = repo.referrals.get(own)
    standing = repo.standing_start(record.participant_id) if record else None
    key = subject(*own)
    decided = decide.programme_started(
        event,
        _state(record),
        _state(standing),
        round_.contracts,
        held_before=round_.held.before(key),
        cause=item.message_id,
        now=outcome.now,
    )
    if decided.displaced is not None:
        assert standing is not None
        assert record is not None
        _displace(repo, standing, record, decided.displaced, outcome)
    if not outcome.follow(decided, item, round_.held, key) or record is None:
        return
    record.start_date = event.start_date
    record.start_event_id, record.start_source = item.event_id, item.record
    repo.started_by_participant[record.participant_id] = own
    repo.changed(own)


def _displace(
    repo: IntakeStorage,
    displaced: ReferralRecord,
    winner: ReferralRecord,
    told: Rejection,
    outcome: BatchOutcome,
) -> None:
    """§4 v3: the person's standing start (under ``displaced``) is displaced by an
    earlier one (under ``winner``).

    The displaced referral goes back to "not started" (its leaver with it: a later
    leaver of it waits, as it would had its start been rejected on arrival); its
    provider is ``told`` (``already_started``) with a rejection of the original start
    event; downstream hears ``participant_displaced`` (returned by the rule) before
    the winning start.
    """
    referral = displaced.referral
    if displaced.start_source is not None:
        outcome.reject_record(
            displaced.start_source,
            told.reason,
            told.message,
            displaced.start_event_id,
            referral.provider_id,
        )
    displaced.start_date = displaced.end_date = displaced.end_reason = None
    displaced.displaced_by = f"{winner.referral.provider_id}:{winner.referral.referral_id}"
    repo.changed(displaced.key)


@RULES.on(ProgrammeEnded)
def programme_ended(round_: Round, item: Received[ProgrammeEnded]) -> None:
    repo, outcome, event = round_.repo, round_.outcome, item.event
    own = (event.provider_id, event.referral_id)
    record = repo.referrals.get(own)
    key = subject(*own)
    decided = decide.programme_ended(
        event,
        _state(record),
        held_before=round_.held.before(key),
        cause=item.message_id,
        now=outcome.now,
    )
    if not outcome.follow(decided, item, round_.held, key) or record is None:
        return
    record.end_date, record.end_reason = event.end_date, event.reason
    repo.changed(own)


def _referral_of(event: Event) -> ProviderKey | None:
    """The referral an intake event names: the sender's own (ids are per provider, §9)."""
    if isinstance(event, ReferralMade | ProgrammeStarted | ProgrammeEnded):
        return (event.provider_id, event.referral_id)
    return None


def _subject_of(event: Event) -> Subject | None:
    """Starts and leavers keep their arrival order per referral."""
    if isinstance(event, ProgrammeStarted | ProgrammeEnded):
        return subject(event.provider_id, event.referral_id)
    return None


def _state(record: ReferralRecord | None) -> ReferralState | None:
    return None if record is None else record.state()


def subject(provider_id: str, referral_id: str) -> Subject:
    """The subject of a referral's starts and leavers: their arrival order matters."""
    return holds.subject(Entity.REFERRAL, provider_id, referral_id)


def make_handler(settings: ServiceSettings, reference: Reference) -> IntakeHandler:
    return IntakeHandler(reference.contracts, settings.participant_key())
