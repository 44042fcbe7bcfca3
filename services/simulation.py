"""The whole pipeline in memory: provider events in, rejections, milestones and payments out.

A pure, I/O-free simulator (no Kafka, no PostgreSQL, no clock) of the four services. It
runs the services' real handlers -- so the real domain rules and the real orchestration
(holds, releases, ``finish`` once per transaction) -- over in-memory storage
(``services/<name>/adapters/memory.py``), and delivers every event a service publishes to
the services that consume its topic, as the runtime does through Kafka.

Use::

    from services.simulation import simulate

    result = simulate(events)                 # provider events, in arrival order
    result.reasons()                          # {event_id: reason} of the rejected ones
    result.standing()                         # {(participant_id, milestone): StandingMilestone}
    result.net_payments()                     # {(contract, participant, milestone): pence}
    result.payments, result.not_paid, result.milestones, result.withdrawals

``events`` are provider event models (``schemas/provider.py``) or raw inputs
``(TopicSpec, bytes)`` for what does not decode (``invalid_schema``). Each arrival is one
transaction unless ``batch_size`` groups consecutive arrivals for the same service, or a
``list`` of arrivals is given, which is one transaction for each service that reads them
(events processed together, as in one consumer batch; a list may also carry a service's
own event, e.g. a ``PlacementConfirmed``, to batch it with provider events); what a
transaction publishes is delivered (one batch per consuming service) before the next
arrival, so the arrival order given is the order the services see. ``expire_holds``
(default True) ends the run as if the hold time passed: whatever is still held is rejected
with its ``unknown_*`` reason. Participant ids are the HMAC of the NINO under
``participant_key`` (``result.participant_of(referral_id[, provider_id])`` looks one up).
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Coroutine, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from schemas.base import Event
from schemas.common import MilestoneKind, RejectionReason
from schemas.payments import MilestoneNotPaid, ProviderPaymentIssued
from schemas.placement import PlacementWithdrawn
from schemas.rejections import EventRejected
from schemas.sustainment import MilestoneReached, MilestoneRevoked
from schemas.topics import ALL_TOPICS, CONSUMERS, SERVICES, Owner, TopicSpec, provider_topic
from services.common.codec import Undecodable, content_digest, decode, encode
from services.common.messages import RawRecord, Received
from services.common.outcome import BatchOutcome, record_id
from services.common.provenance import provider_mismatch
from services.common.reference import ContractBook, Rates, load_contracts, load_rates
from services.intake.adapters.memory import IntakeStore, MemoryIntakeRepository
from services.intake.handlers import IntakeHandler
from services.payments.adapters.memory import MemoryPaymentsRepository, PaymentsStore
from services.payments.handlers import PaymentsHandler
from services.placement.adapters.memory import MemoryPlacementRepository, PlacementStore
from services.placement.handlers import PlacementHandler
from services.sustainment.adapters.memory import MemorySustainmentRepository, SustainmentStore
from services.sustainment.handlers import SustainmentHandler

DEFAULT_PARTICIPANT_KEY = b"simulation-participant-key"
DEFAULT_NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)

Arrival = Event | tuple[TopicSpec, bytes] | tuple[TopicSpec, bytes, str]
"""A provider event (on its provider's topic), or raw bytes on a kind's topic, optionally
on the topic of the provider named third (``provider.<id>.<kind>.v1``)."""
PaymentKey = tuple[str, str, MilestoneKind]  # (contract_id, participant_id, milestone)
T = TypeVar("T")


@dataclass(frozen=True)
class StandingMilestone:
    """A milestone that stands at the end of the run, as sustainment last announced it."""

    contract_id: str
    participant_id: str
    milestone: MilestoneKind
    occurrence: int
    reached_on: date
    payable: bool
    not_payable_reason: RejectionReason | None
    amount_due_pence: int


@dataclass
class Simulation:
    """What the pipeline decided. Lists are in the order things were decided."""

    rejections: list[EventRejected] = field(default_factory=list)
    published: list[tuple[str, Event]] = field(default_factory=list)
    """Every event a service published, with its topic name."""
    held: list[tuple[Owner, str]] = field(default_factory=list)
    """(service, event_id) still held at the end (only when ``expire_holds`` is False)."""
    intake: IntakeStore = field(default_factory=IntakeStore)
    placement: PlacementStore = field(default_factory=PlacementStore)
    sustainment: SustainmentStore = field(default_factory=SustainmentStore)
    payments_store: PaymentsStore = field(default_factory=PaymentsStore)

    def reasons(self) -> dict[str, RejectionReason]:
        """The rejected inputs: source event id (or record position) -> reason.

        A job start withdrawn when a later leaver arrived is here too
        (``after_programme_end``), like a job start rejected on arrival. A message
        re-using an event id with other content is a message of its own: its
        ``duplicate_event_id`` is keyed ``<event id>:duplicate``, beside whatever the first
        message with that id got (which of the two is decided first must not matter).
        """
        return {_reason_key(r): r.reason for r in self.rejections}

    def of_type(self, kind: type[T]) -> list[T]:
        return [e for _, e in self.published if isinstance(e, kind)]

    @property
    def milestones(self) -> list[MilestoneReached | MilestoneRevoked]:
        return [e for _, e in self.published if isinstance(e, MilestoneReached | MilestoneRevoked)]

    @property
    def payments(self) -> list[ProviderPaymentIssued]:
        """Payments and reversals (negative amounts), in the order issued."""
        return self.of_type(ProviderPaymentIssued)

    @property
    def not_paid(self) -> list[MilestoneNotPaid]:
        return self.of_type(MilestoneNotPaid)

    @property
    def withdrawals(self) -> list[PlacementWithdrawn]:
        return self.of_type(PlacementWithdrawn)

    def net_payments(self) -> dict[PaymentKey, int]:
        """Payments minus reversals per (contract, participant, milestone); zeros left out."""
        net: dict[PaymentKey, int] = defaultdict(int)
        for p in self.payments:
            net[(p.contract_id, p.participant_id, p.milestone)] += p.amount_pence
        return {key: pence for key, pence in sorted(net.items()) if pence}

    def standing(self) -> dict[tuple[str, MilestoneKind], StandingMilestone]:
        """The milestones that stand: (participant_id, milestone) -> what is due for it."""
        standing: dict[tuple[str, MilestoneKind], StandingMilestone] = {}
        for pid, recorded in sorted(self.sustainment.milestones.items()):
            participant = self.sustainment.participants[pid]
            for kind, m in recorded.items():
                if m.active:
                    standing[(pid, kind)] = StandingMilestone(
                        participant.contract_id,
                        pid,
                        kind,
                        m.occurrence,
                        m.reached_on,
                        m.payable,
                        m.not_payable_reason,
                        m.amount_due_pence,
                    )
        return dict(sorted(standing.items()))

    def due(self) -> dict[PaymentKey, int]:
        """The amount due per (contract, participant, milestone) on the standing milestones."""
        return {
            (m.contract_id, m.participant_id, m.milestone): m.amount_due_pence
            for m in self.standing().values()
            if m.amount_due_pence
        }

    def participant_of(self, referral_id: str, provider_id: str | None = None) -> str | None:
        """The participant of a referral (ids are per provider, domain.md v3 §9: name the
        provider when more than one uses ``referral_id``)."""
        found = [
            record.participant_id
            for (provider, ref), record in sorted(self.intake.referrals.items())
            if ref == referral_id and provider_id in (None, provider)
        ]
        if len(found) > 1:
            raise ValueError(f"referral_id {referral_id!r} is used by several providers")
        return found[0] if found else None


def simulate(
    arrivals: Iterable[Arrival | list[Arrival]],
    *,
    contracts: ContractBook | None = None,
    rates: Rates | None = None,
    participant_key: bytes = DEFAULT_PARTICIPANT_KEY,
    batch_size: int = 1,
    expire_holds: bool = True,
    now: datetime = DEFAULT_NOW,
) -> Simulation:
    """Run provider events through the four services in memory (see the module doc)."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    pipeline = _Pipeline(contracts or load_contracts(), rates or load_rates(), participant_key, now)
    for batch in _grouped(pipeline, arrivals, batch_size):
        pipeline.deliver(batch)
    if expire_holds:
        pipeline.expire()
    else:
        pipeline.result.held = [
            (service, message_id)
            for service, node in pipeline.nodes.items()
            for message_id, _ in node.held
        ]
    return pipeline.result


@dataclass
class _Node:
    """One service: its handler over memory storage, its inbox and its hold."""

    handler: Any  # IntakeHandler | PlacementHandler | SustainmentHandler | PaymentsHandler
    seen: dict[str, bytes] = field(default_factory=dict)  # the inbox: id -> content digest
    held: list[tuple[str, tuple[str, RawRecord, str | None]]] = field(default_factory=list)
    """(message id, (waiting for, record, subject)), oldest first."""


class _Pipeline:
    def __init__(self, contracts: ContractBook, rates: Rates, key: bytes, now: datetime) -> None:
        self.now = now
        self.result = Simulation()
        intake = IntakeHandler(contracts, key)
        intake.repository = lambda _conn: MemoryIntakeRepository(
            self.result.intake, lambda: self._held_of("intake")
        )
        placement = PlacementHandler(rates)
        placement.repository = lambda _conn: MemoryPlacementRepository(
            self.result.placement, lambda: self._held_of("placement")
        )
        sustainment = SustainmentHandler(contracts, rates)
        sustainment.repository = lambda _conn: MemorySustainmentRepository(
            self.result.sustainment, lambda: self._held_of("sustainment")
        )
        payments = PaymentsHandler(contracts)
        payments.repository = lambda _conn: MemoryPaymentsRepository(self.result.payments_store)
        handlers: dict[Owner, Any] = {
            "intake": intake,
            "placement": placement,
            "sustainment": sustainment,
            "payments": payments,
        }
        self.nodes = {service: _Node(handlers[service]) for service in SERVICES}
        self._offsets: dict[str, int] = defaultdict(int)
        self._queue: deque[tuple[Owner, list[RawRecord]]] = deque()

    def record_of(self, arrival: Arrival) -> RawRecord:
        if isinstance(arrival, tuple):
            spec, value = arrival[0], arrival[1]
            topic = provider_topic(spec, arrival[2]) if len(arrival) == 3 else spec.name
            return self._record(spec, None, value, topic)
        spec = _provider_spec(arrival)
        key = str(getattr(arrival, spec.key_field, ""))
        provider_id = getattr(arrival, "provider_id", None)
        topic = (
            provider_topic(spec, provider_id) if provider_id and spec.per_provider else spec.name
        )
        return self._record(spec, key, encode(arrival), topic)

    def _record(
        self, spec: TopicSpec, key: str | None, value: bytes, topic: str | None = None
    ) -> RawRecord:
        name = topic or spec.name
        offset = self._offsets[name]
        self._offsets[name] += 1
        return RawRecord(spec, name, 0, offset, key.encode() if key else None, value)

    def deliver(self, records: list[RawRecord]) -> None:
        """Hand a batch to every service that reads its topics (each the records it
        reads, in order), then run until quiet."""
        for service, inputs in CONSUMERS.items():
            mine = [r for r in records if r.spec in inputs]
            if mine:
                self._queue.append((service, mine))
        while self._queue:
            service, batch = self._queue.popleft()
            self._transaction(service, batch)

    def _transaction(self, service: Owner, records: Sequence[RawRecord]) -> None:
        node = self.nodes[service]
        outcome = BatchOutcome(service, self.now)
        items: list[Received] = []
        for record in records:
            decoded = decode(record)
            message_id = (  # as the processor's inbox: per provider for provider topics
                decoded.message_id if isinstance(decoded, Received) else record_id(decoded.record)
            )
            digest = content_digest(decoded)
            earlier = node.seen.get(message_id)
            if earlier is not None:  # the inbox: processed before
                if earlier != digest and isinstance(decoded, Received):
                    outcome.reject(
                        decoded,
                        RejectionReason.DUPLICATE_EVENT_ID,
                        f"event_id {message_id} was already received with other content",
                    )
                continue
            node.seen[message_id] = digest
            if isinstance(decoded, Undecodable):
                outcome.reject_record(record, RejectionReason.INVALID_SCHEMA, decoded.message)
            elif mismatch := provider_mismatch(decoded):  # as the processor does
                outcome.reject(decoded, RejectionReason.PROVIDER_MISMATCH, mismatch)
            else:
                items.append(decoded)
        if items:
            _run(node.handler.handle(None, items, outcome))
            while True:
                node.held.extend(
                    (mid, (waiting, r, subject))
                    for mid, waiting, r, subject in outcome.take_holds()
                )
                released = self._release(node, set(outcome.take_released()))
                if not released:
                    break
                _run(node.handler.handle(None, released, outcome))
            _run(node.handler.finish(None, outcome))
        self._publish(outcome)

    def _release(self, node: _Node, keys: set[str]) -> list[Received]:
        if not keys:
            return []
        out = [h for h in node.held if h[1][0] in keys]
        node.held = [h for h in node.held if h[1][0] not in keys]
        return [d for _, (_, r, _) in out if isinstance(d := decode(r), Received)]

    def _held_of(self, service: Owner) -> list[tuple[str, str | None]]:
        """(waiting for, subject) of what ``service`` holds, oldest first."""
        return [(waiting, subject) for _, (waiting, _, subject) in self.nodes[service].held]

    def _publish(self, outcome: BatchOutcome) -> None:
        self.result.rejections.extend(outcome.rejections)
        by_spec: dict[str, list[RawRecord]] = defaultdict(list)
        specs: dict[str, TopicSpec] = {}
        for out in outcome.outgoing:
            self.result.published.append((out.spec.name, out.event))
            by_spec[out.spec.name].append(self._record(out.spec, out.key, encode(out.event)))
            specs[out.spec.name] = out.spec
        for name, records in by_spec.items():
            for service in _consumers(specs[name]):
                self._queue.append((service, records))

    def expire(self) -> None:
        """The hold time has passed: every held event is rejected with its reason."""
        for service, node in self.nodes.items():
            outcome = BatchOutcome(service, self.now)
            for _, (_, record, _) in node.held:
                item = decode(record)
                if isinstance(item, Received):
                    reason, message = node.handler.expired(item)
                    outcome.reject(item, reason, message)
            node.held = []
            self.result.rejections.extend(outcome.rejections)


def _provider_spec(event: Event) -> TopicSpec:
    """The provider topic of a provider event; else the internal topic of a service's
    event (given to a list arrival, to put it in one batch with provider events)."""
    for owners in (("providers",), tuple(SERVICES)):
        for spec in ALL_TOPICS:
            if spec.owner in owners and type(event) in spec.models:
                return spec
    raise ValueError(f"{type(event).__name__} is not an event of any topic")


def _consumers(spec: TopicSpec) -> list[Owner]:
    return [service for service, inputs in CONSUMERS.items() if spec in inputs]


def _grouped(
    pipeline: _Pipeline, arrivals: Iterable[Arrival | list[Arrival]], size: int
) -> list[list[RawRecord]]:
    """The transactions: a list of arrivals is one; single arrivals are batched by ``size``."""
    batches: list[list[RawRecord]] = []
    singles: list[RawRecord] = []
    for arrival in arrivals:
        if isinstance(arrival, list):
            batches += _batches(singles, size)
            singles = []
            batches.append([pipeline.record_of(a) for a in arrival])
        else:
            singles.append(pipeline.record_of(arrival))
    return batches + _batches(singles, size)


def _batches(records: list[RawRecord], size: int) -> list[list[RawRecord]]:
    """Consecutive records of the same topic, at most ``size`` to a batch."""
    batches: list[list[RawRecord]] = []
    for record in records:
        last = batches[-1] if batches else None
        if last is not None and last[0].spec == record.spec and len(last) < size:
            last.append(record)
        else:
            batches.append([record])
    return batches


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a handler coroutine that never waits (its storage is in memory)."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        result: T = done.value
        return result
    coroutine.close()
    raise RuntimeError("a handler waited for I/O inside the simulator")


def _position(rejected: EventRejected) -> str:
    return f"record:{rejected.source_topic}:{rejected.source_partition}:{rejected.source_offset}"


def _reason_key(rejected: EventRejected) -> str:
    key = rejected.source_event_id or _position(rejected)
    if rejected.reason is RejectionReason.DUPLICATE_EVENT_ID:
        return f"{key}:duplicate"
    return key
