"""Intake use cases: referrals, programme starts and leavers -> participants.

Downstream events carry the pseudonymous ``participant_id`` only, never the NINO or
the date of birth.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from schemas.common import RejectionReason
from schemas.intake import ParticipantDisplaced, ParticipantLeft, ParticipantStarted
from schemas.provider import ProgrammeEnded, ProgrammeStarted, ReferralMade
from schemas.topics import CONSUMERS, PARTICIPANTS, Owner, TopicSpec
from services.common import masking
from services.common.boroughs import locate_borough
from services.common.db import Connection
from services.common.decisions import Accept, HeldSubjects, Hold, Ignore
from services.common.messages import Received
from services.common.outcome import BatchOutcome, derived_event_id
from services.common.provider_keys import release_key
from services.common.reference import ContractBook, load_contracts
from services.common.rejection import Rejection
from services.common.settings import ServiceSettings
from services.intake.adapters.postgres import IntakeRepository, ReferralRecord
from services.intake.domain import (
    Displace,
    ReferralState,
    StartClaim,
    age_band,
    age_on,
    decide_end,
    decide_referral,
    decide_start,
    displaced_message,
    normalise_nino,
    participant_id_for,
)


class IntakeHandler:
    service: Owner = "intake"
    inputs: tuple[TopicSpec, ...] = CONSUMERS["intake"]

    def __init__(self, contracts: ContractBook, participant_key: bytes) -> None:
        self.repository: Callable[[Connection], IntakeRepository] = IntakeRepository
        """Storage per transaction; the simulator swaps in memory (adapters/memory.py)."""
        self.contracts = contracts
        self.key = participant_key

    keeps_personal_data = True
    """Intake's quarantine keeps rejected referrals unmasked (its own schema only)."""

    def mask_original(self, value: bytes) -> bytes:
        """The runtime's hook for rejected originals: NINO and date of birth masked
        before any of it goes on a topic (the quarantine table keeps the original)."""
        return masking.mask_original(value)

    async def handle(
        self, conn: Connection, items: Sequence[Received], outcome: BatchOutcome
    ) -> None:
        repo = self.repository(conn)
        await repo.load(
            {(i.event.provider_id, i.event.referral_id) for i in items},
            {pid for i in items if (pid := self._participant_id(i.event)) is not None},
        )
        held = HeldSubjects(
            await repo.held_waiting(
                subject(i.event.provider_id, i.event.referral_id)
                for i in items
                if isinstance(i.event, ProgrammeStarted | ProgrammeEnded)
            )
        )
        for item in items:
            event = item.event
            if isinstance(event, ReferralMade):
                self._on_referral(repo, item, event, outcome)
            elif isinstance(event, ProgrammeStarted):
                self._on_start(repo, item, event, outcome, held)
            elif isinstance(event, ProgrammeEnded):
                self._on_end(repo, item, event, outcome, held)
        await repo.flush()

    def expired(self, item: Received) -> tuple[RejectionReason, str]:
        return (
            RejectionReason.UNKNOWN_PARTICIPANT,
            f"{item.event.type} names referral_id {item.event.referral_id!r},"
            " which has no accepted referral/start after the hold time",
        )

    async def finish(self, conn: Connection, outcome: BatchOutcome) -> None:
        """Nothing to decide once per transaction: each event is decided as it comes."""

    def _participant_id(self, event: object) -> str | None:
        if not isinstance(event, ReferralMade):
            return None
        nino = normalise_nino(event.nino)
        return participant_id_for(nino, self.key) if nino else None

    def _on_referral(
        self, repo: IntakeRepository, item: Received, event: ReferralMade, outcome: BatchOutcome
    ) -> None:
        existing = repo.referrals.get((event.provider_id, event.referral_id))
        decision = decide_referral(event, existing.referral if existing else None, self.contracts)
        if not _settled(decision, item, outcome):
            return
        nino = normalise_nino(event.nino)
        assert nino is not None  # decide_referral rejected invalid NINOs
        repo.add(ReferralRecord(event, participant_id_for(nino, self.key), nino))
        outcome.release(release_key("referral", event.provider_id, event.referral_id))

    def _on_start(
        self,
        repo: IntakeRepository,
        item: Received,
        event: ProgrammeStarted,
        outcome: BatchOutcome,
        held: HeldSubjects,
    ) -> None:
        own = (event.provider_id, event.referral_id)
        record = repo.referrals.get(own)
        standing = repo.standing_start(record.participant_id) if record else None
        key = subject(event.provider_id, event.referral_id)
        decision = decide_start(
            event,
            _state(record),
            _claim(standing),
            self.contracts,
            held_before=held.before(key),
        )
        if isinstance(decision, Displace):
            assert standing is not None  # what was compared
            assert record is not None
            self._displace(repo, standing, record, item, outcome)
        elif not _settled(decision, item, outcome, held, key) or record is None:
            return
        referral = record.referral
        record.start_date = event.start_date
        record.start_event_id, record.start_source = item.event_id, item.record
        repo.started_by_participant[record.participant_id] = own
        repo.changed(own)
        sub_region, borough = locate_borough(referral.borough)
        outcome.emit(
            PARTICIPANTS,
            record.participant_id,
            ParticipantStarted(
                event_id=derived_event_id(item.message_id, "participant_started"),
                produced_at=outcome.now,
                participant_id=record.participant_id,
                referral_id=referral.referral_id,
                provider_id=referral.provider_id,
                contract_id=referral.contract_id,
                sub_region=sub_region,
                borough=borough,
                eligibility_group=referral.eligibility_group,
                eligibility_subgroup=referral.eligibility_subgroup,
                referral_source=referral.referral_source,
                age_band=age_band(age_on(referral.date_of_birth, referral.referral_date)),
                start_date=event.start_date,
            ),
        )
        outcome.release(release_key("started", *own))

    def _displace(
        self,
        repo: IntakeRepository,
        displaced: ReferralRecord,
        winner: ReferralRecord,
        item: Received,
        outcome: BatchOutcome,
    ) -> None:
        """§4 v3: the person's standing start is displaced by the start of ``item``, an
        earlier one (under the referral of ``winner``).

        The displaced referral goes back to "not started" (its leaver with it: a later
        leaver of it waits, as it would had its start been rejected on arrival); its
        provider is told ``already_started`` with a rejection of the original start
        event; downstream hears ``participant_displaced`` before the winning start.
        """
        started_on = displaced.start_date
        assert started_on is not None  # the standing start has a date
        referral = displaced.referral
        claim = _claim(winner, item.event.start_date)
        assert claim is not None
        if displaced.start_source is not None:
            outcome.reject_record(
                displaced.start_source,
                RejectionReason.ALREADY_STARTED,
                displaced_message(claim, referral.provider_id),
                displaced.start_event_id,
                referral.provider_id,
            )
        displaced.start_date = displaced.end_date = displaced.end_reason = None
        displaced.displaced_by = f"{winner.referral.provider_id}:{winner.referral.referral_id}"
        repo.changed(displaced.key)
        outcome.emit(
            PARTICIPANTS,
            displaced.participant_id,
            ParticipantDisplaced(
                event_id=derived_event_id(item.message_id, "participant_displaced"),
                produced_at=outcome.now,
                participant_id=displaced.participant_id,
                referral_id=referral.referral_id,
                provider_id=referral.provider_id,
                contract_id=referral.contract_id,
                start_date=started_on,
            ),
        )

    def _on_end(
        self,
        repo: IntakeRepository,
        item: Received,
        event: ProgrammeEnded,
        outcome: BatchOutcome,
        held: HeldSubjects,
    ) -> None:
        own = (event.provider_id, event.referral_id)
        record = repo.referrals.get(own)
        key = subject(event.provider_id, event.referral_id)
        decision = decide_end(event, _state(record), held_before=held.before(key))
        if not _settled(decision, item, outcome, held, key) or record is None:
            return
        record.end_date, record.end_reason = event.end_date, event.reason
        repo.changed(own)
        outcome.emit(
            PARTICIPANTS,
            record.participant_id,
            ParticipantLeft(
                event_id=derived_event_id(item.message_id, "participant_left"),
                produced_at=outcome.now,
                participant_id=record.participant_id,
                referral_id=event.referral_id,
                provider_id=event.provider_id,
                contract_id=record.referral.contract_id,
                end_date=event.end_date,
                reason=event.reason,
            ),
        )


def _claim(record: ReferralRecord | None, start_date: date | None = None) -> StartClaim | None:
    """The start of ``record`` (on ``start_date``, or the one recorded) as §4 compares it."""
    on = start_date or (record.start_date if record else None)
    if record is None or on is None:
        return None
    ref = record.referral
    return StartClaim(on, ref.referral_date, ref.provider_id, ref.referral_id)


def _state(record: ReferralRecord | None) -> ReferralState | None:
    if record is None:
        return None
    return ReferralState(record.referral, record.participant_id, record.start_date, record.end_date)


def subject(provider_id: str, referral_id: str) -> str:
    """The subject of a referral's starts and leavers: their arrival order matters.
    Per provider: order exists only within a provider's topic, and another provider's
    held input must not hold a provider's back."""
    return f"referral:{provider_id}:{referral_id}"


def _settled(
    decision: Rejection | Hold | Ignore | Accept,
    item: Received,
    outcome: BatchOutcome,
    held: HeldSubjects | None = None,
    key: str | None = None,
) -> bool:
    """Carry out a rejection or a hold; True only when the event is to be applied.
    A hold under ``key`` is noted in ``held``: later inputs of it wait behind it."""
    if isinstance(decision, Rejection):
        outcome.reject(item, decision.reason, decision.message)
    elif isinstance(decision, Hold):
        outcome.hold(item, decision.waiting_for, key)
        if held is not None and key is not None:
            held.add(key, decision.waiting_for)
    return isinstance(decision, Accept)


def make_handler(settings: ServiceSettings) -> IntakeHandler:
    contracts = load_contracts(settings.reference_dir / "contracts.json")
    return IntakeHandler(contracts, settings.participant_key())
