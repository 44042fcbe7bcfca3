"""Monthly payment statements (domain.md §11): one implementation for the CLI
(``outcomes statement``) and the web app. Every payment and reversal line names the
provider's own ``referral_id`` beside the ``participant_id``.

Pure: a book of payments (de-duplicated by payment_id, reversals linked) and the
referral ids in; statements, CSV and printable HTML out. Money is integer pence; £ is
only ever a rendering of it.
"""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date
from typing import Any

from schemas.payments import ProviderPaymentIssued

Referrals = Mapping[tuple[str, str], str]
"""(provider_id, participant_id) -> the provider's referral_id."""


def format_pence(pence: int) -> str:
    """Integer pence as pounds, exact: ``-123456`` -> ``-£1,234.56``."""
    sign = "-" if pence < 0 else ""
    p = abs(pence)
    return f"{sign}£{p // 100:,}.{p % 100:02d}"


def csv_text(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


@dataclass
class PaymentBook:
    """Payments in the order first seen; a re-sent payment (same id) is kept once."""

    payments: dict[str, ProviderPaymentIssued] = field(default_factory=dict)
    reversed_by: dict[str, str] = field(default_factory=dict)
    duplicates: int = 0
    conflicts: list[str] = field(default_factory=list)  # same id, other amount

    def add(self, payment: ProviderPaymentIssued) -> bool:
        """Record ``payment``; False when its payment_id was already seen."""
        seen = self.payments.get(payment.payment_id)
        if seen is not None:
            self.duplicates += 1
            if (seen.amount_pence, seen.contract_id) != (payment.amount_pence, payment.contract_id):
                self.conflicts.append(payment.payment_id)
            return False
        self.payments[payment.payment_id] = payment
        if payment.reverses is not None:
            self.reversed_by[payment.reverses] = payment.payment_id
        return True


def paid_on(payment: ProviderPaymentIssued) -> date:
    """The date a payment counts in: when the payments service issued it (UTC)."""
    return payment.produced_at.astimezone(UTC).date()


# ----------------------------------------------------------------------------- statement


@dataclass(frozen=True)
class Totals:
    payments: int = 0
    paid_pence: int = 0
    reversals: int = 0
    reversed_pence: int = 0
    base_pence: int = 0
    uplift_pence: int = 0

    @property
    def net_pence(self) -> int:
        return self.paid_pence + self.reversed_pence


@dataclass(frozen=True)
class Statement:
    contract_id: str
    provider_id: str
    month: str  # YYYY-MM
    lines: tuple[ProviderPaymentIssued, ...]
    reversed_payments: Mapping[str, ProviderPaymentIssued]  # what the reversals reverse
    referral_ids: Mapping[str, str] = field(default_factory=dict)
    """participant_id -> this provider's referral_id (missing: not known to the reader)."""

    def referral_of(self, p: ProviderPaymentIssued) -> str:
        return self.referral_ids.get(p.participant_id, "")

    def totals(self) -> Totals:
        payments = [p for p in self.lines if p.reverses is None]
        reversals = [p for p in self.lines if p.reverses is not None]
        return Totals(
            payments=len(payments),
            paid_pence=sum(p.amount_pence for p in payments),
            reversals=len(reversals),
            reversed_pence=sum(p.amount_pence for p in reversals),
            base_pence=sum(p.base_pence for p in self.lines),
            uplift_pence=sum(p.uplift_pence for p in self.lines),
        )


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def statements(
    book: PaymentBook, contract_id: str, month: str, referrals: Referrals | None = None
) -> list[Statement]:
    """One statement per provider of ``contract_id``: the payments and reversals issued in
    ``month``, in (paid_on, participant, milestone, occurrence, payment_id) order, each
    line with the provider's referral_id from ``referrals``."""
    referrals = referrals or {}
    chosen = [
        p
        for p in book.payments.values()
        if p.contract_id == contract_id and month_of(paid_on(p)) == month
    ]
    out = []
    for provider in sorted({p.provider_id for p in chosen}):
        lines = sorted(
            (p for p in chosen if p.provider_id == provider),
            key=lambda p: (paid_on(p), p.participant_id, p.milestone, p.occurrence, p.payment_id),
        )
        reversed_payments = {
            p.reverses: book.payments[p.reverses]
            for p in lines
            if p.reverses is not None and p.reverses in book.payments
        }
        referral_ids = {
            p.participant_id: referrals[(provider, p.participant_id)]
            for p in lines
            if (provider, p.participant_id) in referrals
        }
        out.append(
            Statement(contract_id, provider, month, tuple(lines), reversed_payments, referral_ids)
        )
    return out


# ----------------------------------------------------------------------------- statement

STATEMENT_COLUMNS = (
    "paid_on",
    "kind",
    "payment_id",
    "participant_id",
    "referral_id",
    "milestone",
    "occurrence",
    "reached_on",
    "base_pence",
    "uplift_pence",
    "amount_pence",
    "base",
    "uplift",
    "amount",
    "reverses",
    "reversed_payment_paid_on",
)


def _statement_row(s: Statement, p: ProviderPaymentIssued) -> list[Any]:
    reversed_payment = s.reversed_payments.get(p.reverses or "")
    return [
        paid_on(p).isoformat(),
        "reversal" if p.reverses is not None else "payment",
        p.payment_id,
        p.participant_id,
        s.referral_of(p),
        p.milestone.value,
        p.occurrence,
        p.reached_on.isoformat(),
        p.base_pence,
        p.uplift_pence,
        p.amount_pence,
        format_pence(p.base_pence),
        format_pence(p.uplift_pence),
        format_pence(p.amount_pence),
        p.reverses or "",
        paid_on(reversed_payment).isoformat() if reversed_payment is not None else "",
    ]


def _total_row(label: str, base: int | None, uplift: int | None, amount: int) -> list[Any]:
    """A totals row under the columns of STATEMENT_COLUMNS (blank where not summed)."""

    def pounds(pence: int | None) -> str:
        return "" if pence is None else format_pence(pence)

    blank = [""] * 6  # payment_id .. reached_on
    return ["", label, *blank, base if base is not None else "",
            uplift if uplift is not None else "", amount,
            pounds(base), pounds(uplift), pounds(amount), "", ""]  # fmt: skip


def statement_csv(s: Statement) -> str:
    t = s.totals()
    rows = [_statement_row(s, p) for p in s.lines]
    rows += [
        _total_row(f"total payments ({t.payments})", None, None, t.paid_pence),
        _total_row(f"total reversals ({t.reversals})", None, None, t.reversed_pence),
        _total_row("net", t.base_pence, t.uplift_pence, t.net_pence),
    ]
    return csv_text(STATEMENT_COLUMNS, rows)


def _money(pence: int) -> str:
    return (
        f'<td class="money"><span class="gbp">{html.escape(format_pence(pence))}</span>'
        f'<span class="pence">{pence} p</span></td>'
    )


_STYLE = """
body { font-family: "Helvetica Neue", Arial, sans-serif; margin: 2em; color: #111; }
h1 { font-size: 1.4em; margin-bottom: 0.2em; }
p.meta { color: #444; margin-top: 0; }
table { border-collapse: collapse; width: 100%; font-size: 0.85em; }
th, td { border-bottom: 1px solid #ccc; padding: 4px 6px; text-align: left; vertical-align: top; }
th { background: #f2f2f2; }
td.money { text-align: right; white-space: nowrap; }
td.money span { display: block; }
span.pence { color: #666; font-size: 0.8em; }
tr.reversal td { color: #a00; }
tr.total td { font-weight: bold; border-top: 2px solid #111; }
code { font-size: 0.9em; word-break: break-all; }
@media print { body { margin: 0.5cm; } th { background: none; } }
"""


def statement_html(s: Statement) -> str:
    t = s.totals()
    rows = []
    for p in s.lines:
        reversal = p.reverses is not None
        note = ""
        if reversal:
            original = s.reversed_payments.get(p.reverses or "")
            when = f", paid {paid_on(original).isoformat()}" if original is not None else ""
            note = f"<br>reverses <code>{html.escape(p.reverses or '')}</code>{when}"
        rows.append(
            f'<tr class="{"reversal" if reversal else "payment"}">'
            f"<td>{paid_on(p).isoformat()}</td>"
            f"<td><code>{html.escape(p.payment_id)}</code>{note}</td>"
            f"<td>{html.escape(s.referral_of(p))}</td>"
            f"<td><code>{html.escape(p.participant_id)}</code></td>"
            f"<td>{html.escape(p.milestone.value)} #{p.occurrence}</td>"
            f"<td>{p.reached_on.isoformat()}</td>"
            f"{_money(p.base_pence)}{_money(p.uplift_pence)}{_money(p.amount_pence)}</tr>"
        )
    title = f"Payment statement {s.month} — contract {s.contract_id}, provider {s.provider_id}"
    totals = [
        (f"Payments ({t.payments})", None, None, t.paid_pence),
        (f"Reversals ({t.reversals})", None, None, t.reversed_pence),
        ("Net", t.base_pence, t.uplift_pence, t.net_pence),
    ]
    for label, base, uplift, amount in totals:
        cells = "".join(_money(v) if v is not None else "<td></td>" for v in (base, uplift))
        label_cell = f'<td colspan="6">{html.escape(label)}</td>'
        rows.append(f'<tr class="total">{label_cell}{cells}{_money(amount)}</tr>')
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>"
        f'<p class="meta">Payments and reversals issued in {s.month} (UTC date of issue). '
        "Amounts in pounds, exact integer pence underneath.</p>"
        "<table><thead><tr><th>Paid on</th><th>Payment</th><th>Referral</th><th>Participant</th>"
        "<th>Milestone</th><th>Reached on</th><th>Base</th><th>LLW uplift</th><th>Amount</th>"
        "</tr></thead><tbody>" + "\n".join(rows) + "</tbody></table></body></html>\n"
    )


def statement_summary(s: Statement) -> list[str]:
    t = s.totals()
    return [
        f"{s.contract_id} / {s.provider_id} / {s.month}: "
        f"{t.payments} payments {format_pence(t.paid_pence)}, "
        f"{t.reversals} reversals {format_pence(t.reversed_pence)}, "
        f"net {format_pence(t.net_pence)}"
    ]
