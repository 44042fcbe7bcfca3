"""Finance's reads: the payment topic (into a de-duplicated book) and the ledger tables."""

from __future__ import annotations

from collections.abc import Callable

import asyncpg

from outcomes_cli.kafka_io import read_topics
from outcomes_cli.settings import CliSettings
from schemas.intake import ParticipantStarted
from schemas.payments import ProviderPaymentIssued
from schemas.topics import PARTICIPANTS, PAYMENTS, qualified
from services.insights.adapters.finance import ledger
from services.views.ledger import LedgerEntry, PaymentBook
from services.views.statements import Referrals


async def read_payments(
    settings: CliSettings,
    *,
    from_beginning: bool = True,
    follow: bool = False,
    on_new: Callable[[ProviderPaymentIssued, PaymentBook], None] | None = None,
) -> PaymentBook:
    """The payment topic into a book; ``on_new`` sees each payment the first time."""
    book = PaymentBook()
    topic = qualified(PAYMENTS, settings.topic_namespace)
    async for record in read_topics(
        settings, [topic], from_beginning=from_beginning, follow=follow
    ):
        if record.value is None:
            continue
        event = PAYMENTS.adapter.validate_json(record.value)
        if isinstance(event, ProviderPaymentIssued) and book.add(event) and on_new is not None:
            on_new(event, book)
    return book


async def read_referrals(settings: CliSettings) -> Referrals:
    """(provider_id, participant_id) -> referral_id, from the participants topic: what
    names each statement line by the provider's own reference (domain.md §11)."""
    referrals: dict[tuple[str, str], str] = {}
    topic = qualified(PARTICIPANTS, settings.topic_namespace)
    async for record in read_topics(settings, [topic], from_beginning=True, follow=False):
        if record.value is None:
            continue
        event = PARTICIPANTS.adapter.validate_json(record.value)
        if isinstance(event, ParticipantStarted):
            referrals[(event.provider_id, event.participant_id)] = event.referral_id
    return referrals


async def ledger_entries(database_url: str) -> tuple[list[LedgerEntry], int]:
    """Every payment in the payments service's ledger, and its outbox backlog."""
    conn = await asyncpg.connect(database_url)
    try:
        return await ledger(conn)
    finally:
        await conn.close()
