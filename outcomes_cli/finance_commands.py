"""Finance commands: payments, statement, reconcile."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Annotated, Literal

import typer
from aiokafka.errors import KafkaError

from outcomes_cli.console import err, settings_of
from outcomes_cli.finance_format import (
    format_reconciliation,
    payment_csv_header,
    payment_csv_line,
    payment_json_line,
    statement_csv,
    statement_html,
    statement_summary,
)
from outcomes_cli.finance_io import ledger_entries, read_payments, read_referrals
from schemas.payments import ProviderPaymentIssued
from services.views.ledger import LedgerEntry, PaymentBook, payment_row, reconcile, statements

_MONTH = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")


def payments(
    ctx: typer.Context,
    output: Annotated[
        Literal["csv", "jsonl"], typer.Option("--format", help="csv or jsonl")
    ] = "csv",
    from_beginning: Annotated[
        bool,
        typer.Option("--from-beginning", help="with --follow: start from the first payment"),
    ] = False,
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="keep printing new payments (Ctrl-C stops)")
    ] = False,
    contract: Annotated[str | None, typer.Option(help="only this contract")] = None,
) -> None:
    """The payment stream, de-duplicated by payment_id, reversals linked both ways.

    Without --follow: every payment so far (each payment's reversed_by filled in).
    With --follow: new payments as they come (from the first one with --from-beginning);
    a reversal names what it reverses in `reverses`.
    """
    settings = settings_of(ctx)

    def emit(p: ProviderPaymentIssued, book: PaymentBook) -> None:
        if contract is None or p.contract_id == contract:
            row = payment_row(p, book.reversed_by.get(p.payment_id))
            typer.echo(
                payment_csv_line(row) if output == "csv" else payment_json_line(row),
                nl=output != "csv",
            )

    try:
        if follow:
            if output == "csv":
                typer.echo(payment_csv_header(), nl=False)
            asyncio.run(
                read_payments(settings, from_beginning=from_beginning, follow=True, on_new=emit)
            )
            return
        book = asyncio.run(read_payments(settings))
    except KeyboardInterrupt:
        return
    except KafkaError as exc:
        err.print(f"reading payments failed: {exc!r}")
        raise typer.Exit(1) from exc
    if output == "csv":
        typer.echo(payment_csv_header(), nl=False)
    for p in book.payments.values():
        emit(p, book)
    err.print(f"{len(book.payments):,} payments ({book.duplicates:,} re-sent copies left out)")


def statement(
    ctx: typer.Context,
    contract: Annotated[str, typer.Option(help="contract id, e.g. whp-central")],
    month: Annotated[str, typer.Option(help="YYYY-MM: payments issued in this month (UTC)")],
    out: Annotated[Path, typer.Option(help="directory for the CSV and HTML files")] = Path("."),
) -> None:
    """Monthly statement of a contract, one per provider: every payment and reversal
    issued in the month (the provider's referral id beside the participant id,
    milestone, reached date, base, uplift, amount),
    with totals, as CSV and as a printable HTML page."""
    if not _MONTH.fullmatch(month):
        raise typer.BadParameter(f"expected YYYY-MM, got {month!r}", param_hint="--month")
    settings = settings_of(ctx)
    book = asyncio.run(read_payments(settings))
    found = statements(book, contract, month, asyncio.run(read_referrals(settings)))
    if not found:
        err.print(f"no payments for contract {contract} issued in {month}")
    out.mkdir(parents=True, exist_ok=True)
    for s in found:
        stem = out / f"statement-{s.contract_id}-{s.provider_id}-{s.month}"
        stem.with_suffix(".csv").write_text(statement_csv(s))
        stem.with_suffix(".html").write_text(statement_html(s))
        for line in statement_summary(s):
            typer.echo(line)
        typer.echo(f"  {stem}.csv\n  {stem}.html")


def reconcile_command(ctx: typer.Context) -> None:
    """The payments ledger in PostgreSQL against the de-duplicated payment topic: counts
    and pence per contract and every payment that differs. Exit status 1 on any difference."""
    settings = settings_of(ctx)
    ledger, pending = asyncio.run(ledger_entries(settings.database_url))
    book = asyncio.run(read_payments(settings))
    topic = [LedgerEntry.of(p) for p in book.payments.values()]
    result = reconcile(ledger, topic)
    for line in format_reconciliation(result, pending):
        typer.echo(line)
    if not result.balanced:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("payments")(payments)
    app.command("statement")(statement)
    app.command("reconcile")(reconcile_command)
