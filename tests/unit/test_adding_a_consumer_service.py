"""A new consumer service is one package: a rules table, a handler, a repository.

The runtime core gives it the inbox, the provider check, holds and releases, ``finish``
and expiry; here a tally of payments per provider, run by the core over memory as the
simulator runs the four services (docs/architecture.md, "Adding a service").
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from schemas.base import Event
from schemas.common import RejectionReason
from schemas.payments import ProviderPaymentIssued
from schemas.topics import PAYMENTS, Owner, TopicSpec
from services.common.codec import encode
from services.common.messages import RawRecord, Received
from services.common.outcome import BatchOutcome, Masker, identity
from services.runtime.batch import apply_batch
from services.runtime.memory import MemoryNode, MemoryUnitOfWork
from services.runtime.rules import Rules, run_round
from services.simulation import simulate
from tests.builders import REPEATABLE

NOW = datetime(2026, 1, 1, tzinfo=UTC)


class TallyRepository:
    """The new service's storage (in memory here; a PostgreSQL one has the same port)."""

    def __init__(self, pence: Counter[str]) -> None:
        self.pence = pence

    async def load(self, provider_ids: Iterable[str]) -> None:
        return None

    async def held_waiting(self, subjects: Iterable[str]) -> dict[str, list[str]]:
        return {}

    async def flush(self) -> None:
        return None


@dataclass(frozen=True)
class Round:
    repo: TallyRepository
    outcome: BatchOutcome


RULES: Rules[Round] = Rules()


@RULES.on(ProviderPaymentIssued)
def payment_issued(round_: Round, item: Received[ProviderPaymentIssued]) -> None:
    round_.repo.pence[item.event.provider_id] += item.event.amount_pence


class TallyHandler:
    service: Owner = "payments"  # a registry name; a real fifth service adds its own
    inputs: tuple[TopicSpec, ...] = (PAYMENTS,)
    mask_original: Masker = staticmethod(identity)
    keeps_personal_data = False

    async def handle(
        self, repo: TallyRepository, items: Sequence[Received[Event]], outcome: BatchOutcome
    ) -> None:
        loaded = repo.load(ids for i in items if (ids := getattr(i.event, "provider_id", "")))
        await run_round(repo, loaded, items, RULES, lambda _held: Round(repo, outcome))

    async def finish(self, repo: TallyRepository, outcome: BatchOutcome) -> None:
        return None

    def expired(self, item: Received[Event]) -> tuple[RejectionReason, str]:
        return RejectionReason.PROCESSING_FAILED, "the tally holds nothing"


async def test_a_new_consumer_runs_on_the_core_with_its_inbox() -> None:
    # given the payments of a history (an earnings outcome paid with its LLW uplift)
    result = simulate(
        [
            REPEATABLE.referral(),
            REPEATABLE.programme_start(),
            REPEATABLE.job_start(),
            REPEATABLE.evidence("ev-1", date(2024, 4, 15), date(2024, 5, 14), 200_000),
            REPEATABLE.evidence("ev-2", date(2024, 5, 15), date(2024, 6, 14), 200_000),
            REPEATABLE.evidence("ev-3", date(2024, 6, 15), date(2024, 7, 14), 100_000),
        ]
    )
    records = [
        RawRecord(PAYMENTS, PAYMENTS.name, 0, n, None, encode(p))
        for n, p in enumerate(result.payments)
    ]
    pence: Counter[str] = Counter()
    node = MemoryNode()

    async def deliver() -> None:
        uow = MemoryUnitOfWork(node, lambda: TallyRepository(pence), lambda _o: 0)
        await apply_batch(uow, TallyHandler(), records, BatchOutcome("payments", NOW))

    # when the new service consumes them, and then the same records again
    await deliver()
    await deliver()

    # then it counted each payment once: the core's inbox kept out the redelivery
    assert dict(pence) == {"prov-whp-central": 500_000}
