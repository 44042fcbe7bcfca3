"""The one place where topics live: name, key field, owner (its only writer), models.

Every other module (services, deploy scripts, the feed, tests, ACLs) takes topic names
from here. Keys are entity ids so that events about one entity stay in order.

Provider topics are per provider: a *kind* (``PROVIDER_INTAKE``, ``PROVIDER_PLACEMENTS``,
``PROVIDER_EVIDENCE``, ``PROVIDER_REJECTIONS``) times each provider configured in
``contracts.json`` (``configured_providers()``: read when asked, never at import) gives
``provider.<provider_id>.intake.v1`` and so on,
so that the broker, not the JSON, says who sent an event. Internal and finance topics
have one name each. Services subscribe to the names listed here when they start: adding
a provider is a change of data (contracts.json) and a restart, not a change of code.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

from pydantic import BaseModel, TypeAdapter

from schemas.intake import (
    PARTICIPANT_EVENT,
    ParticipantDisplaced,
    ParticipantLeft,
    ParticipantStarted,
)
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
from schemas.sustainment import (
    EVIDENCE_LEDGER_EVENT,
    MILESTONE_EVENT,
    EvidenceProgress,
    EvidenceRecorded,
    EvidenceRemoved,
    MilestoneReached,
    MilestoneRevoked,
)

Owner = Literal["providers", "intake", "placement", "sustainment", "payments", "views", "services"]
"""Who writes a topic: a service, the provider of a per-provider topic ("providers"), or
every service that reads that provider's topics ("services": provider rejection topics)."""
SERVICES: Final[tuple[Owner, ...]] = ("intake", "placement", "sustainment", "payments", "views")
"""Every service; ``views`` (the read model for the pages) writes nothing but rejections."""

REFERENCE_DIR: Final = Path(__file__).resolve().parents[1] / "deploy" / "reference"
PROVIDER_ID: Final = re.compile(r"[A-Za-z0-9_-]{1,64}")
"""No dots: ``provider.<provider_id>.<kind>`` stays unambiguous (and a valid topic name)."""
PROVIDER_PREFIX: Final = "provider."


@dataclass(frozen=True)
class TopicSpec:
    name: str
    owner: Owner
    key_field: str
    models: tuple[type[BaseModel], ...]
    adapter: TypeAdapter[Any]
    description: str
    partitions: int = 6
    per_provider: bool = False
    """A kind of topic that exists once per provider (see :func:`provider_topic`)."""


REJECTED_ADAPTER: TypeAdapter[EventRejected] = TypeAdapter(EventRejected)
PROVIDER_PARTITIONS: Final = 2
"""Per provider and kind: one provider's volume is a fraction of the whole, and every
provider adds four topics to the broker (a service still reads all providers in parallel)."""

PROVIDER_INTAKE = TopicSpec(
    name="provider.intake.v1",
    owner="providers",
    per_provider=True,
    partitions=PROVIDER_PARTITIONS,
    key_field="referral_id",
    models=(ReferralMade, ProgrammeStarted, ProgrammeEnded),
    adapter=INTAKE_EVENT,
    description="Referrals, programme starts and leavers sent by providers",
)
PROVIDER_PLACEMENTS = TopicSpec(
    name="provider.placements.v1",
    owner="providers",
    per_provider=True,
    partitions=PROVIDER_PARTITIONS,
    key_field="placement_id",
    models=(JobStarted, JobEnded),
    adapter=PLACEMENT_EVENT,
    description="Job starts and job ends sent by providers",
)
PROVIDER_EVIDENCE = TopicSpec(
    name="provider.evidence.v1",
    owner="providers",
    per_provider=True,
    partitions=PROVIDER_PARTITIONS,
    key_field="evidence_id",
    models=(EvidenceSubmitted, EvidenceRetracted),
    adapter=EVIDENCE_EVENT,
    description="In-work evidence (payslips, RTI, ...) and retractions sent by providers",
)
PARTICIPANTS = TopicSpec(
    name="intake.participants.v1",
    owner="intake",
    key_field="participant_id",
    models=(ParticipantStarted, ParticipantLeft, ParticipantDisplaced),
    adapter=PARTICIPANT_EVENT,
    description=(
        "Pseudonymous participants who started or left the programme, or whose start was"
        " displaced by an earlier one"
    ),
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
EVIDENCE_LEDGER = TopicSpec(
    name="sustainment.evidence.v1",
    owner="sustainment",
    key_field="participant_id",
    models=(EvidenceProgress, EvidenceRecorded, EvidenceRemoved),
    adapter=EVIDENCE_LEDGER_EVENT,
    description=(
        "Evidence accepted and retracted, and what it counts so far per participant"
        " (for the views: projected dates, evidence due)"
    ),
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
"""Rejections of a service's internal inputs (for operators, not for providers)."""

PROVIDER_REJECTIONS = TopicSpec(
    name="provider.rejections.v1",
    owner="services",
    key_field="source_event_id",
    models=(EventRejected,),
    adapter=REJECTED_ADAPTER,
    description=(
        "Everything any service could not accept from one provider, with reason and bytes"
        " (personal data masked)"
    ),
    per_provider=True,
    partitions=1,
)

PROVIDER_KINDS: Final[tuple[TopicSpec, ...]] = (
    PROVIDER_INTAKE,
    PROVIDER_PLACEMENTS,
    PROVIDER_EVIDENCE,
)
"""What providers send (each provider writes its own topic of each kind)."""

ALL_TOPICS: Final[tuple[TopicSpec, ...]] = (
    *PROVIDER_KINDS,
    PROVIDER_REJECTIONS,
    PARTICIPANTS,
    PLACEMENTS,
    MILESTONES,
    EVIDENCE_LEDGER,
    PAYMENTS,
    *REJECTIONS.values(),
)
"""Every kind of topic; per-provider kinds stand for one topic per provider."""

# Who consumes what: each service's input topics (its consumer group reads all of them).
CONSUMERS: Final[dict[Owner, tuple[TopicSpec, ...]]] = {
    "intake": (PROVIDER_INTAKE,),
    "placement": (PARTICIPANTS, PROVIDER_PLACEMENTS),
    "sustainment": (PARTICIPANTS, PLACEMENTS, PROVIDER_EVIDENCE),
    "payments": (MILESTONES,),
    "views": (
        PARTICIPANTS,
        PLACEMENTS,
        MILESTONES,
        EVIDENCE_LEDGER,
        PAYMENTS,
        PROVIDER_REJECTIONS,
        *REJECTIONS.values(),
    ),
}


# The services that reject a provider's records onto that provider's rejection topic.
PROVIDER_REJECTION_WRITERS: Final[tuple[Owner, ...]] = tuple(
    service for service in SERVICES if any(s in PROVIDER_KINDS for s in CONSUMERS[service])
)


class RegistryError(ValueError):
    """A provider id or topic name the registry cannot use."""


def configured_providers(reference_dir: Path | None = None) -> tuple[str, ...]:
    """The provider ids of ``contracts.json`` (``$REFERENCE_DIR`` or deploy/reference), in order."""
    directory = reference_dir or Path(os.environ.get("REFERENCE_DIR") or REFERENCE_DIR)
    path = directory / "contracts.json"
    contracts = json.loads(path.read_text(encoding="utf-8"))["contracts"]
    providers = tuple(dict.fromkeys(str(c["provider_id"]) for c in contracts))
    for provider_id in providers:
        check_provider_id(provider_id)
    return providers


def check_provider_id(provider_id: str) -> str:
    if not PROVIDER_ID.fullmatch(provider_id):
        raise RegistryError(
            f"provider id {provider_id!r} is not usable in a topic name"
            f" (allowed: {PROVIDER_ID.pattern})"
        )
    return provider_id


def _or_configured(providers: Iterable[str] | None) -> tuple[str, ...]:
    """``providers``, or when None those of the reference data (read now, not at import)."""
    return configured_providers() if providers is None else tuple(providers)


def by_name(name: str) -> TopicSpec:
    """The spec of a kind or internal topic by its registry name (e.g. "provider.intake.v1")."""
    for spec in ALL_TOPICS:
        if spec.name == name:
            return spec
    raise KeyError(f"unknown topic {name!r}")


def qualified(spec: TopicSpec, namespace: str = "") -> str:
    """An internal topic's name on the broker: ``namespace`` + name (tests use a namespace).

    Per-provider kinds have no single name: use :func:`provider_topic`.
    """
    if spec.per_provider:
        raise RegistryError(f"{spec.name} is per provider: use provider_topic(spec, provider_id)")
    return f"{namespace}{spec.name}"


def provider_topic(kind_spec: TopicSpec, provider_id: str, namespace: str = "") -> str:
    """``namespace`` + ``provider.<provider_id>.<kind>.v1``."""
    if not kind_spec.per_provider:
        raise RegistryError(f"{kind_spec.name} is not a per-provider topic")
    suffix = kind_spec.name.removeprefix(PROVIDER_PREFIX)
    return f"{namespace}{PROVIDER_PREFIX}{check_provider_id(provider_id)}.{suffix}"


def provider_rejections_topic(provider_id: str, namespace: str = "") -> str:
    """The one topic where a provider reads everything any service rejected of its input."""
    return provider_topic(PROVIDER_REJECTIONS, provider_id, namespace)


def topic_name(spec: TopicSpec, namespace: str = "", provider_id: str | None = None) -> str:
    """The broker name of an internal topic, or of a per-provider kind for ``provider_id``."""
    if spec.per_provider:
        if provider_id is None:
            raise RegistryError(f"{spec.name} is per provider: a provider id is needed")
        return provider_topic(spec, provider_id, namespace)
    return qualified(spec, namespace)


def event_topic(spec: TopicSpec, event: Any, namespace: str = "") -> str:
    """Where ``event`` of ``spec`` travels: a provider's event on its provider's topic."""
    provider_id = getattr(event, "provider_id", None) if spec.per_provider else None
    return topic_name(spec, namespace, provider_id)


def resolve(topic_name: str, namespace: str = "") -> tuple[TopicSpec, str | None]:
    """The spec of a broker topic name and, for a per-provider topic, its provider id."""
    if not topic_name.startswith(namespace):
        raise KeyError(f"topic {topic_name!r} is outside namespace {namespace!r}")
    name = topic_name.removeprefix(namespace)
    for spec in ALL_TOPICS:
        if not spec.per_provider and spec.name == name:
            return spec, None
    head, _, rest = name.partition(".")
    provider_id, _, suffix = rest.partition(".")
    if f"{head}." == PROVIDER_PREFIX and PROVIDER_ID.fullmatch(provider_id):
        for spec in ALL_TOPICS:
            if spec.per_provider and spec.name == PROVIDER_PREFIX + suffix:
                return spec, provider_id
    raise KeyError(f"unknown topic {topic_name!r}")


def kind_name(topic_name: str, namespace: str = "") -> str:
    """The registry name of a broker topic, for metric labels: a provider's topic counts
    under its kind (no provider ids in labels); an unknown name stays as it is."""
    try:
        return resolve(topic_name, namespace)[0].name
    except KeyError:
        return topic_name.removeprefix(namespace)


def provider_of(spec: TopicSpec, topic_name: str) -> str | None:
    """The provider of a broker topic of ``spec`` (None for internal topics).

    Works without the namespace: a provider id has no dots, so it is the segment just
    before the kind's suffix.
    """
    if not spec.per_provider:
        return None
    suffix = "." + spec.name.removeprefix(PROVIDER_PREFIX)
    if not topic_name.endswith(suffix):
        raise KeyError(f"topic {topic_name!r} is not of kind {spec.name}")
    return topic_name.removesuffix(suffix).rsplit(".", 1)[-1]


def concrete_topics(
    spec: TopicSpec, namespace: str = "", providers: Iterable[str] | None = None
) -> list[str]:
    """Broker names of ``spec``: one per provider for a per-provider kind, else one."""
    if spec.per_provider:
        return [provider_topic(spec, p, namespace) for p in _or_configured(providers)]
    return [qualified(spec, namespace)]


def all_topics(
    namespace: str = "",
    providers: Iterable[str] | None = None,
    specs: Iterable[TopicSpec] = ALL_TOPICS,
) -> dict[str, TopicSpec]:
    """Every broker topic of ``specs`` (default: the registry), name -> spec.

    ``providers``: those the service was started with; None reads the reference data.
    """
    providers = _or_configured(providers)
    return {name: spec for spec in specs for name in concrete_topics(spec, namespace, providers)}


def input_topics(
    service: Owner, namespace: str = "", providers: Iterable[str] | None = None
) -> list[str]:
    """What a service subscribes to at start: its inputs, per-provider ones for each provider."""
    return list(all_topics(namespace, providers, CONSUMERS[service]))


def provider_inputs(provider_id: str, namespace: str = "") -> Mapping[str, TopicSpec]:
    """The topics one provider writes."""
    return {provider_topic(kind, provider_id, namespace): kind for kind in PROVIDER_KINDS}
