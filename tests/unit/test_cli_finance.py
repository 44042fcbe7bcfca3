"""Finance logic of the CLI: de-duplication, reversal links, statements, reconciliation."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, date, datetime

from outcomes_cli.finance_format import format_reconciliation, statement_csv, statement_html
from schemas.common import MilestoneKind
from schemas.payments import PaymentLineage, ProviderPaymentIssued
from services.views.ledger import LedgerEntry, PaymentBook, payment_row, reconcile, statements


def payment(
    payment_id: str,
    amount: int,
    issued: datetime,
    *,
    reverses: str | None = None,
    contract: str = "whp-central",
    participant: str = "pt-1",
) -> ProviderPaymentIssued:
    base = amount * 4 // 5
    return ProviderPaymentIssued(
        event_id=uuid.uuid4(),
        produced_at=issued,
        payment_id=payment_id,
        contract_id=contract,
        contract_version="2024-01",
        provider_id=f"prov-{contract}",
        participant_id=participant,
        milestone=MilestoneKind.EARNINGS_OUTCOME,
        occurrence=2 if reverses is None and payment_id.endswith("b") else 1,
        reached_on=date(2024, 5, 31),
        amount_pence=amount,
        base_pence=base,
        uplift_pence=amount - base,
        lineage=PaymentLineage(milestone_event_id="m-1"),
        reverses=reverses,
    )


MARCH = datetime(2024, 3, 30, 23, 59, tzinfo=UTC)
APRIL = datetime(2024, 4, 2, 10, tzinfo=UTC)


def book_of(*payments: ProviderPaymentIssued) -> PaymentBook:
    book = PaymentBook()
    for p in payments:
        book.add(p)
    return book


def test_a_resent_payment_is_kept_once_and_reversals_are_linked_both_ways() -> None:
    paid = payment("pay-a", 500000, MARCH)
    book = book_of(paid, paid.model_copy(update={"event_id": uuid.uuid4()}))
    book.add(payment("rev-a", -500000, APRIL, reverses="pay-a"))

    assert list(book.payments) == ["pay-a", "rev-a"]
    assert book.duplicates == 1
    assert book.reversed_by == {"pay-a": "rev-a"}
    row = payment_row(book.payments["pay-a"], book.reversed_by.get("pay-a"))
    assert (row["kind"], row["reversed_by"], row["paid_on"]) == ("payment", "rev-a", "2024-03-30")
    reversal = payment_row(book.payments["rev-a"], None)
    assert (reversal["kind"], reversal["reverses"]) == ("reversal", "pay-a")


def test_a_statement_holds_what_was_issued_in_the_month_with_totals() -> None:
    book = book_of(
        payment("pay-a", 500000, MARCH),
        payment("rev-a", -500000, APRIL, reverses="pay-a"),
        payment("pay-b", 480000, APRIL),
        payment("pay-other", 400000, APRIL, contract="whp-west"),
    )
    referrals = {("prov-whp-central", "pt-1"): "REF-0001", ("prov-whp-west", "pt-1"): "W-9"}
    [april] = statements(book, "whp-central", "2024-04", referrals)

    # by date, participant, milestone, occurrence: the reversal of #1 before payment #2
    assert [p.payment_id for p in april.lines] == ["rev-a", "pay-b"]
    totals = april.totals()
    assert (totals.payments, totals.paid_pence) == (1, 480000)
    assert (totals.reversals, totals.reversed_pence) == (1, -500000)
    assert totals.net_pence == -20000
    assert april.reversed_payments["pay-a"].produced_at == MARCH

    rows = list(csv.DictReader(io.StringIO(statement_csv(april))))
    assert [(r["kind"], r["amount_pence"], r["amount"]) for r in rows] == [
        ("reversal", "-500000", "-£5,000.00"),
        ("payment", "480000", "£4,800.00"),
        ("total payments (1)", "480000", "£4,800.00"),
        ("total reversals (1)", "-500000", "-£5,000.00"),
        ("net", "-20000", "-£200.00"),
    ]
    assert rows[0]["reverses"] == "pay-a"
    assert [(r["participant_id"], r["referral_id"]) for r in rows[:2]] == [
        ("pt-1", "REF-0001"),
        ("pt-1", "REF-0001"),  # the provider's own reference, not another provider's
    ]
    assert rows[0]["reversed_payment_paid_on"] == "2024-03-30"

    page = statement_html(april)
    assert "£4,800.00" in page
    assert "480000 p" in page
    assert "reverses <code>pay-a</code>, paid 2024-03-30" in page
    assert page.count("<td>REF-0001</td>") == 2
    assert statements(book, "whp-central", "2024-05") == []


def test_a_line_whose_referral_is_unknown_leaves_the_column_empty() -> None:
    [march] = statements(book_of(payment("pay-a", 500000, MARCH)), "whp-central", "2024-03")
    [row, *_] = csv.DictReader(io.StringIO(statement_csv(march)))
    assert (row["participant_id"], row["referral_id"]) == ("pt-1", "")


def entry(pid: str, contract: str, amount: int) -> LedgerEntry:
    return LedgerEntry(pid, contract, f"prov-{contract}", "pt", "job_start", 1, amount, None)


def test_reconciliation_lists_every_difference_and_totals_per_contract() -> None:
    ledger = [entry("a", "c1", 100), entry("b", "c1", 200), entry("c", "c2", 300)]
    topic = [entry("a", "c1", 100), entry("b", "c1", 250), entry("d", "c2", 400)]

    result = reconcile(ledger, topic)

    assert not result.balanced
    assert [(d.payment_id, d.what) for d in result.differences] == [
        ("b", "differs"),
        ("c", "only_in_ledger"),
        ("d", "only_on_topic"),
    ]
    assert result.differences[0].detail == "amount_pence: ledger 200, topic 250"
    assert result.contracts["c1"].ledger_pence == 300
    assert result.contracts["c1"].topic_pence == 350
    text = format_reconciliation(result)
    assert any(line.startswith("c1 ") and line.endswith("DIFFERENT") for line in text)
    assert "3 differences:" in text


def test_equal_sides_reconcile() -> None:
    same = [entry("a", "c1", 100)]
    result = reconcile(same, list(same))
    assert result.balanced
    assert format_reconciliation(result)[-1] == "ledger and payment topic agree"
