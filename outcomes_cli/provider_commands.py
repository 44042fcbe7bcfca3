"""Provider commands: validate, publish, rejections, status."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Literal

import typer
from aiokafka.errors import KafkaError

from outcomes_cli.console import err, parse_instant, progress_bar, settings_of, tracked
from outcomes_cli.kafka_io import read_topics
from outcomes_cli.lines import read_lines
from outcomes_cli.publish import NoSuchTopics, Receipt, publish, receipt_path
from outcomes_cli.rejections import decode_rejection, format_line, parse_since, readable
from outcomes_cli.rules import reference
from outcomes_cli.settings import CliSettings
from outcomes_cli.status import (
    connect_database,
    end_targets,
    held_events,
    provider_rejections,
    provider_topics,
    receipt_targets,
    wait_processed,
)
from outcomes_cli.status_logic import classify, format_backlog, format_statuses
from outcomes_cli.topology import rejection_topics
from outcomes_cli.validation import Report, build_report, format_report

FileArgument = Annotated[
    Path,
    typer.Argument(
        exists=True, dir_okay=False, readable=True, help="JSON Lines (.jsonl) or CSV (.csv) file"
    ),
]
ProviderOption = Annotated[
    str,
    typer.Option("--provider", "-p", envvar="OUTCOMES_PROVIDER", help="your provider id"),
]
ProducedAtOption = Annotated[
    str | None,
    typer.Option(
        "--produced-at",
        help="produced_at for lines without one (ISO instant); default: the event's own date "
        "at 09:00 UTC",
    ),
]


RulesOption = Annotated[
    bool,
    typer.Option(
        "--rules/--no-rules",
        help="also check the rules that need nothing but the event (NINO, age, contract, "
        "borough, job hours and wage, evidence period) against REFERENCE_DIR",
    ),
]


def _report(
    settings: CliSettings,
    file: Path,
    provider: str | None,
    produced_at: str | None,
    rules: bool = True,
) -> Report:
    data = file.read_bytes()
    lines = list(read_lines(file.name, data))
    stamp = parse_instant(produced_at, "--produced-at")
    ref = reference(settings.reference_dir) if rules else None
    with progress_bar(len(lines), f"validating {file.name}") as progress:
        return build_report(tracked(lines, progress), provider, stamp, ref)


def validate(
    ctx: typer.Context,
    file: FileArgument,
    provider: Annotated[
        str | None,
        typer.Option(
            "--provider", "-p", envvar="OUTCOMES_PROVIDER", help="fill provider_id where absent"
        ),
    ] = None,
    produced_at: ProducedAtOption = None,
    max_errors: Annotated[
        int | None, typer.Option(help="show at most this many errors (all by default)")
    ] = None,
    rules: RulesOption = True,
) -> None:
    """Check every line against the event models and bounds the services use.

    Prints each bad line as `line N, field F: message (reason code)`, then a summary by
    reason. Exit status 1 when any line is invalid.
    """
    report = _report(settings_of(ctx), file, provider, produced_at, rules)
    for line in format_report(report, max_errors):
        typer.echo(line)
    if report.errors:
        raise typer.Exit(1)


def publish_command(
    ctx: typer.Context,
    file: FileArgument,
    provider: ProviderOption,
    produced_at: ProducedAtOption = None,
    skip_invalid: Annotated[
        bool, typer.Option("--skip-invalid", help="send the valid lines even if some are not")
    ] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="validate and stop")] = False,
    rules: RulesOption = True,
) -> None:
    """Validate FILE, then send every event to your own topics.

    Nothing is sent when any line is invalid (unless --skip-invalid). Missing event_id /
    produced_at / provider_id are filled deterministically, so publishing the same file
    again changes nothing downstream. Writes FILE.receipt.json for `outcomes status`.
    """
    settings = settings_of(ctx)
    report = _report(settings, file, provider, produced_at, rules)
    if report.errors:
        for line in format_report(report, 50):
            err.print(line, markup=False)
        if not skip_invalid:
            err.print("nothing sent: fix the lines above, or use --skip-invalid")
            raise typer.Exit(1)
        err.print(f"skipping {report.invalid_lines:,} invalid lines")
    if dry_run:
        err.print(f"dry run: {len(report.valid):,} events would be sent")
        return
    with progress_bar(len(report.valid), "publishing") as progress:
        task = progress.task_ids[0]
        try:
            receipt = asyncio.run(
                publish(
                    settings,
                    provider,
                    report.valid,
                    on_sent=lambda n: progress.advance(task, n),
                )
            )
        except (KafkaError, NoSuchTopics) as exc:
            err.print(f"publishing failed, nothing sent: {exc}")
            raise typer.Exit(1) from exc
    receipt_path(file).write_text(receipt.to_json())
    typer.echo(f"sent {len(receipt.sent):,} events as {provider}:")
    for topic, kind, count in receipt.counts():
        typer.echo(f"  {topic:<45} {kind:<20} {count:>8,}")
    typer.echo(f"receipt: {receipt_path(file)}")


def rejections(
    ctx: typer.Context,
    provider: ProviderOption,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="keep printing new ones")] = False,
    since: Annotated[
        str | None,
        typer.Option(help="only rejections from this date/instant, or this long ago (2h, 7d)"),
    ] = None,
    output: Annotated[
        Literal["table", "jsonl"], typer.Option("--format", help="table or jsonl")
    ] = "table",
) -> None:
    """Your rejections: reason, message, where the event was and the original event."""
    settings = settings_of(ctx)
    since_ms = None
    if since is not None:
        try:
            since_ms = int(parse_since(since, datetime.now(UTC)).timestamp() * 1000)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--since") from None

    async def show() -> int:
        count = 0
        async for record in _read_rejections(settings, provider, follow, since_ms):
            rejection = decode_rejection(record)
            if rejection is None:
                err.print("a record on the rejection topic is not a rejection this tool reads")
                continue
            item = readable(rejection)
            count += 1
            if output == "jsonl":
                typer.echo(json.dumps(item.as_json(), separators=(",", ":")))
            else:
                typer.echo(format_line(item))
        return count

    try:
        count = asyncio.run(show())
    except KeyboardInterrupt:
        return
    if output == "table":
        err.print(f"{count:,} rejections")


async def _read_rejections(
    settings: CliSettings, provider: str, follow: bool, since_ms: int | None
) -> AsyncIterator[bytes | None]:
    async for record in read_topics(
        settings,
        rejection_topics(provider, settings.topic_namespace),
        from_beginning=True,
        follow=follow,
        since_ms=since_ms,
    ):
        yield record.value


def status(
    ctx: typer.Context,
    provider: ProviderOption,
    file: Annotated[
        Path | None,
        typer.Argument(help="a file you published (its receipt says where its events went)"),
    ] = None,
    wait: Annotated[bool, typer.Option("--wait", "-w", help="wait until processed")] = False,
    timeout: Annotated[float, typer.Option(help="give up waiting after this many seconds")] = 600.0,
) -> None:
    """Has everything you sent been processed (accepted, rejected or held)?

    With FILE: the events of its last publish, each accepted, rejected (why) or held (what
    it waits for). Without: everything on your topics so far. Exit status 1 while
    anything is still unprocessed (after --timeout with --wait).
    """
    settings = settings_of(ctx)
    receipt = None
    if file is not None:
        path = receipt_path(file)
        if not path.exists():
            raise typer.BadParameter(
                f"no receipt {path}: publish the file first", param_hint="FILE"
            )
        receipt = Receipt.from_json(path.read_text())
    topics = provider_topics(settings, provider)

    async def check() -> int:
        if receipt is not None:
            targets = receipt_targets(receipt)
        else:
            targets = await end_targets(settings, {t: [s] for t, s in topics.items()})
        conn = await connect_database(settings)
        if conn is None:
            err.print("no database access (DATABASE_URL): held events cannot be told apart")
        try:
            left = await wait_processed(
                settings,
                targets,
                wait=wait,
                timeout=timeout,
                on_progress=_ProgressNotes() if wait else None,
                conn=conn,
            )
            if any(left.values()):
                typer.echo("not yet processed — " + format_backlog(left))
                return 1
            held = None if conn is None else await held_events(conn, topics)
        finally:
            if conn is not None:
                await conn.close()
        rejected = await provider_rejections(settings, provider)
        if receipt is not None:
            for line in format_statuses(classify(receipt.sent, rejected, held)):
                typer.echo(line)
            return 0
        shown = "unknown" if held is None else f"{len(held):,}"
        typer.echo(
            f"everything sent by {provider} is processed; {len(rejected):,} rejected, {shown} held"
        )
        for item in held or ():
            typer.echo(f"  held: {item.describe()}")
        return 0

    raise typer.Exit(asyncio.run(check()))


class _ProgressNotes:
    """Says on stderr what is still to be processed, each time it changes."""

    def __init__(self) -> None:
        self.last = ""

    def __call__(self, behind: dict[str, int]) -> None:
        note = format_backlog(behind)
        if any(behind.values()) and note != self.last:
            err.print(note)
        self.last = note


def register(app: typer.Typer) -> None:
    app.command("validate")(validate)
    app.command("publish")(publish_command)
    app.command("rejections")(rejections)
    app.command("status")(status)
