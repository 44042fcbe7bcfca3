"""Intake use cases: referrals, programme starts and leavers -> participants.

Downstream events carry the pseudonymous ``participant_id`` only, never the NINO or
the date of birth.
"""

from __future__ import annotations

from collections.abc import Sequence

from schemas.common import RejectionReason
from schemas.intake import ParticipantLeft, ParticipantStarted
from schemas.provider import ProgrammeEnded, ProgrammeStarted, ReferralMade
from schemas.topics import CONSUMERS, PARTICIPANTS, Owner, TopicSpec
from services.common.boroughs import locate_borough
from services.common.db import Connection
from services.common.messages import Received
from services.common.outcome import BatchOutcome, derived_event_id
from services.common.reference import ContractBook, load_contracts
from services.common.settings import ServiceSettings
from services.intake.adapters.postgres import IntakeRepository, ReferralRecord
from services.intake.domain import (
    age_band,
    age_on,
    check_referral,
    check_start,
    normalise_nino,
    participant_id_for,
    same_referral_content,
)


class IntakeHandler:
    service: Owner = "intake"
    inputs: tuple[TopicSpec, ...] = CONSUMERS["intake"]

    def __init__(self, contracts: ContractBook, participant_key: bytes) -> None:
        self.contracts = contracts
        self.key = participant_key

    async def handle(
        self, conn: Connection, items: Sequence[Received], outcome: BatchOutcome
    ) -> None:
        repo = IntakeRepository(conn)
        await repo.load(
            {i.event.referral_id for i in items},
            {pid for i in items if (pid := self._participant_id(i.event)) is not None},
        )
        for item in items:
            event = item.event
            if isinstance(event, ReferralMade):
                self._on_referral(repo, item, event, outcome)
            elif isinstance(event, ProgrammeStarted):
                self._on_start(repo, item, event, outcome)
            elif isinstance(event, ProgrammeEnded):
                self._on_end(repo, item, event, outcome)
        await repo.flush()

    def expired(self, item: Received) -> tuple[RejectionReason, str]:
        return (
            RejectionReason.UNKNOWN_PARTICIPANT,
            f"{item.event.type} names referral_id {item.event.referral_id!r},"
            " which has no accepted referral/start after the hold time",
        )

    def _participant_id(self, event: object) -> str | None:
        if not isinstance(event, ReferralMade):
            return None
        nino = normalise_nino(event.nino)
        return participant_id_for(nino, self.key) if nino else None

    def _on_referral(
        self, repo: IntakeRepository, item: Received, event: ReferralMade, outcome: BatchOutcome
    ) -> None:
        rejection = check_referral(event, self.contracts)
        if rejection is not None:
            outcome.reject(item, rejection.reason, rejection.message)
            return
        existing = repo.referrals.get(event.referral_id)
        if existing is not None:
            if not same_referral_content(existing.referral, event):
                outcome.reject(
                    item,
                    RejectionReason.CONFLICTING_REFERRAL,
                    f"referral_id {event.referral_id!r} was already referred with other content",
                )
            return
        nino = normalise_nino(event.nino)
        assert nino is not None  # check_referral rejected invalid NINOs
        repo.add(ReferralRecord(event, participant_id_for(nino, self.key), nino))
        outcome.release(f"referral:{event.referral_id}")

    def _on_start(
        self,
        repo: IntakeRepository,
        item: Received,
        event: ProgrammeStarted,
        outcome: BatchOutcome,
    ) -> None:
        record = repo.referrals.get(event.referral_id)
        if record is None:
            outcome.hold(item, f"referral:{event.referral_id}")
            return
        referral = record.referral
        if referral.provider_id != event.provider_id:
            outcome.reject(
                item,
                RejectionReason.PROVIDER_MISMATCH,
                f"referral {event.referral_id!r} belongs to another provider",
            )
            return
        if record.start_date is not None:
            if record.start_date != event.start_date:
                outcome.reject(
                    item,
                    RejectionReason.ALREADY_STARTED,
                    f"referral {event.referral_id!r} already started on {record.start_date}",
                )
            return
        other = repo.started_by_participant.get(record.participant_id)
        if other is not None and other != event.referral_id:
            outcome.reject(
                item,
                RejectionReason.ALREADY_STARTED,
                f"this person already started the programme under referral {other!r}",
            )
            return
        contract = self.contracts.get(referral.contract_id)
        assert contract is not None  # the referral was accepted against it
        rejection = check_start(referral.referral_date, event.start_date, contract)
        if rejection is not None:
            outcome.reject(item, rejection.reason, rejection.message)
            return
        record.start_date = event.start_date
        repo.started_by_participant[record.participant_id] = event.referral_id
        repo.changed(event.referral_id)
        sub_region, borough = locate_borough(referral.borough)
        outcome.emit(
            PARTICIPANTS,
            record.participant_id,
            ParticipantStarted(
                event_id=derived_event_id(item.event_id, "participant_started"),
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
        outcome.release(f"started:{event.referral_id}")

    def _on_end(
        self, repo: IntakeRepository, item: Received, event: ProgrammeEnded, outcome: BatchOutcome
    ) -> None:
        record = repo.referrals.get(event.referral_id)
        if record is None or record.start_date is None:
            outcome.hold(item, f"started:{event.referral_id}")
            return
        if record.referral.provider_id != event.provider_id:
            outcome.reject(
                item,
                RejectionReason.PROVIDER_MISMATCH,
                f"referral {event.referral_id!r} belongs to another provider",
            )
            return
        if event.end_date < record.start_date:
            outcome.reject(
                item,
                RejectionReason.INVALID_PERIOD,
                f"end_date {event.end_date} is before the programme start {record.start_date}",
            )
            return
        if record.end_date is not None:
            if record.end_date != event.end_date:
                outcome.reject(
                    item,
                    RejectionReason.AFTER_PROGRAMME_END,
                    f"referral {event.referral_id!r} already left on {record.end_date}",
                )
            return
        record.end_date, record.end_reason = event.end_date, event.reason
        repo.changed(event.referral_id)
        outcome.emit(
            PARTICIPANTS,
            record.participant_id,
            ParticipantLeft(
                event_id=derived_event_id(item.event_id, "participant_left"),
                produced_at=outcome.now,
                participant_id=record.participant_id,
                referral_id=event.referral_id,
                provider_id=event.provider_id,
                contract_id=record.referral.contract_id,
                end_date=event.end_date,
                reason=event.reason,
            ),
        )


def make_handler(settings: ServiceSettings) -> IntakeHandler:
    contracts = load_contracts(settings.reference_dir / "contracts.json")
    return IntakeHandler(contracts, settings.participant_id_key.encode())
