"""The one place where topics live: name, key field, owner (its only writer), models.

Every other module (services, deploy scripts, the feed, tests) takes topic names from
here. Keys are entity ids so that events about one entity stay in order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Literal

from pydantic import BaseModel, TypeAdapter

from schemas.intake import PARTICIPANT_EVENT, ParticipantLeft, ParticipantStarted
from schemas.payments import PAYMENT_EVENT, MilestoneNotPaid, ProviderPaymentIssued
from schemas.placement import (
    PLACEMENT_STATUS_EVENT,
    PlacementConfirmed,
    PlacementEnded,
    PlacementWithdrawn,
)
from schemas.provider import (
    EVIDENCE_EVENT,
    INTAKE_EVENT,
    PLACEMENT_EVENT,
    EvidenceRetracted,
    EvidenceSubmitted,
    JobEnded,
    JobStarted,
    ProgrammeEnded,
    ProgrammeStarted,
    ReferralMade,
)
from schemas.rejections import EventRejected
from schemas.sustainment import MILESTONE_EVENT, MilestoneReached, MilestoneRevoked

Owner = Literal["providers", "intake", "placement", "sustainment", "payments"]
SERVICES: Final[tuple[Owner, ...]] = ("intake", "placement", "sustainment", "payments")


@dataclass(frozen=True)
class TopicSpec:
    name: str
    owner: Owner
    key_field: str
    models: tuple[type[BaseModel], ...]
    adapter: TypeAdapter[Any]
    description: str
    partitions: int = 6


REJECTED_ADAPTER: TypeAdapter[EventRejected] = TypeAdapter(EventRejected)

PROVIDER_INTAKE = TopicSpec(
    name="provider.intake.v1",
    owner="providers",
    key_field="referral_id",
    models=(ReferralMade, ProgrammeStarted, ProgrammeEnded),
    adapter=INTAKE_EVENT,
    description="Referrals, programme starts and leavers sent by providers",
)
PROVIDER_PLACEMENTS = TopicSpec(
    name="provider.placements.v1",
    owner="providers",
    key_field="placement_id",
    models=(JobStarted, JobEnded),
    adapter=PLACEMENT_EVENT,
    description="Job starts and job ends sent by providers",
)
PROVIDER_EVIDENCE = TopicSpec(
    name="provider.evidence.v1",
    owner="providers",
    key_field="evidence_id",
    models=(EvidenceSubmitted, EvidenceRetracted),
    adapter=EVIDENCE_EVENT,
    description="In-work evidence (payslips, RTI, ...) and retractions sent by providers",
)
PARTICIPANTS = TopicSpec(
    name="intake.participants.v1",
    owner="intake",
    key_field="participant_id",
    models=(ParticipantStarted, ParticipantLeft),
    adapter=PARTICIPANT_EVENT,
    description="Pseudonymous participants who started or left the programme",
)
PLACEMENTS = TopicSpec(
    name="placement.placements.v1",
    owner="placement",
    key_field="participant_id",
    models=(PlacementConfirmed, PlacementEnded, PlacementWithdrawn),
    adapter=PLACEMENT_STATUS_EVENT,
    description="Confirmed job starts with LLW and minimum-wage flags, job ends, withdrawals",
)
MILESTONES = TopicSpec(
    name="sustainment.milestones.v1",
    owner="sustainment",
    key_field="participant_id",
    models=(MilestoneReached, MilestoneRevoked),
    adapter=MILESTONE_EVENT,
    description="Milestones reached and revoked",
)
PAYMENTS = TopicSpec(
    name="payments.provider-payments.v1",
    owner="payments",
    key_field="participant_id",
    models=(ProviderPaymentIssued, MilestoneNotPaid),
    adapter=PAYMENT_EVENT,
    description="Provider payments, reversals and not-payable decisions, for finance",
)


def _rejections(owner: Owner) -> TopicSpec:
    return TopicSpec(
        name=f"{owner}.rejections.v1",
        owner=owner,
        key_field="source_event_id",
        models=(EventRejected,),
        adapter=REJECTED_ADAPTER,
        description=f"Inputs the {owner} service could not accept, with reason and bytes",
    )


REJECTIONS: Final[dict[Owner, TopicSpec]] = {owner: _rejections(owner) for owner in SERVICES}

ALL_TOPICS: Final[tuple[TopicSpec, ...]] = (
    PROVIDER_INTAKE,
    PROVIDER_PLACEMENTS,
    PROVIDER_EVIDENCE,
    PARTICIPANTS,
    PLACEMENTS,
    MILESTONES,
    PAYMENTS,
    *REJECTIONS.values(),
)

# Who consumes what: each service's input topics (its consumer group reads all of them).
CONSUMERS: Final[dict[Owner, tuple[TopicSpec, ...]]] = {
    "intake": (PROVIDER_INTAKE,),
    "placement": (PARTICIPANTS, PROVIDER_PLACEMENTS),
    "sustainment": (PARTICIPANTS, PLACEMENTS, PROVIDER_EVIDENCE),
    "payments": (MILESTONES,),
}


def by_name(name: str) -> TopicSpec:
    for spec in ALL_TOPICS:
        if spec.name == name:
            return spec
    raise KeyError(f"unknown topic {name!r}")


def qualified(spec: TopicSpec, namespace: str = "") -> str:
    """The topic's name on the broker: ``namespace`` + name (tests use a unique namespace)."""
    return f"{namespace}{spec.name}"
