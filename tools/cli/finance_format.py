"""Finance output: payment rows as CSV/JSON Lines, statements as CSV and printable HTML,
the reconciliation as text. Money is integer pence; £ is only ever a rendering of it."""

from __future__ import annotations

import csv
import html
import io
import json
from collections.abc import Iterable
from typing import Any

from schemas.payments import ProviderPaymentIssued
from tools.cli.ledger import (
    PAYMENT_COLUMNS,
    Reconciliation,
    Statement,
    paid_on,
)
from tools.summary import format_pence


def csv_text(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def payment_csv_header() -> str:
    return csv_text(PAYMENT_COLUMNS, [])


def payment_csv_line(row: dict[str, Any]) -> str:
    return csv_text([], [[("" if row[c] is None else row[c]) for c in PAYMENT_COLUMNS]]).lstrip(
        "\n"
    )


def payment_json_line(row: dict[str, Any]) -> str:
    return json.dumps(row, separators=(",", ":"))


# ----------------------------------------------------------------------------- statement

STATEMENT_COLUMNS = (
    "paid_on",
    "kind",
    "payment_id",
    "participant_id",
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

    blank = [""] * 5  # payment_id .. reached_on
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
        label_cell = f'<td colspan="5">{html.escape(label)}</td>'
        rows.append(f'<tr class="total">{label_cell}{cells}{_money(amount)}</tr>')
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>"
        f'<p class="meta">Payments and reversals issued in {s.month} (UTC date of issue). '
        "Amounts in pounds, exact integer pence underneath.</p>"
        "<table><thead><tr><th>Paid on</th><th>Payment</th><th>Participant</th>"
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


# ------------------------------------------------------------------------- reconciliation


def format_reconciliation(r: Reconciliation, outbox_pending: int = 0) -> list[str]:
    header = f"{'contract':<18} {'ledger':>7} {'ledger £':>15} {'topic':>7} {'topic £':>15}  status"
    out = [header, "-" * len(header)]
    for contract, c in r.contracts.items():
        same = (c.ledger_count, c.ledger_pence) == (c.topic_count, c.topic_pence)
        differs = any(d.contract_id == contract for d in r.differences)
        out.append(
            f"{contract:<18} {c.ledger_count:>7,} {format_pence(c.ledger_pence):>15} "
            f"{c.topic_count:>7,} {format_pence(c.topic_pence):>15}  "
            + ("ok" if same and not differs else "DIFFERENT")
        )
    ledger_total = sum(c.ledger_pence for c in r.contracts.values())
    topic_total = sum(c.topic_pence for c in r.contracts.values())
    out.append(
        f"{'total':<18} {sum(c.ledger_count for c in r.contracts.values()):>7,} "
        f"{format_pence(ledger_total):>15} {sum(c.topic_count for c in r.contracts.values()):>7,} "
        f"{format_pence(topic_total):>15}"
    )
    if r.differences:
        out.append("")
        out.append(f"{len(r.differences)} differences:")
        out += [
            f"  {d.what:<15} {d.contract_id:<18} {d.payment_id}  {d.detail}" for d in r.differences
        ]
        if outbox_pending:
            out.append(
                f"note: {outbox_pending} payment events are still in the payments outbox "
                "(not yet published); run again when the pipeline is quiet"
            )
    else:
        out.append("")
        out.append("ledger and payment topic agree")
    return out
