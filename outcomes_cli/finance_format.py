"""Finance output: payment rows as CSV/JSON Lines, the reconciliation as text. Money is
integer pence; £ is only ever a rendering of it. Statements (CSV, printable HTML) are
services/views/statements.py, re-exported here."""

from __future__ import annotations

import json
from typing import Any

from services.views.ledger import PAYMENT_COLUMNS, Reconciliation
from services.views.statements import (
    csv_text,
    format_pence,
    statement_csv,
    statement_html,
    statement_summary,
)

__all__ = [
    "format_reconciliation",
    "payment_csv_header",
    "payment_csv_line",
    "payment_json_line",
    "statement_csv",
    "statement_html",
    "statement_summary",
]


def payment_csv_header() -> str:
    return csv_text(PAYMENT_COLUMNS, [])


def payment_csv_line(row: dict[str, Any]) -> str:
    return csv_text([], [[("" if row[c] is None else row[c]) for c in PAYMENT_COLUMNS]]).lstrip(
        "\n"
    )


def payment_json_line(row: dict[str, Any]) -> str:
    return json.dumps(row, separators=(",", ":"))


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
