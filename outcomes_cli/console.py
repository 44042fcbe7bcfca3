"""Terminal output shared by the commands: data on stdout, progress and notes on stderr."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from outcomes_cli.settings import CliSettings

T = TypeVar("T")
err = Console(stderr=True, highlight=False, soft_wrap=True)
PROGRESS_FROM = 5_000  # lines; shorter files get no progress bar


def settings_of(ctx: typer.Context) -> CliSettings:
    settings = ctx.obj
    if not isinstance(settings, CliSettings):
        settings = CliSettings()
    return settings


@contextmanager
def progress_bar(total: int, description: str) -> Iterator[Progress]:
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=total < PROGRESS_FROM or not err.is_terminal,
    )
    with progress:
        progress.add_task(description, total=total)
        yield progress


def tracked(items: Iterable[T], progress: Progress, every: int = 1000) -> Iterator[T]:
    """``items``, advancing the progress bar's task every ``every`` items."""
    task = progress.task_ids[0]
    count = 0
    for item in items:
        yield item
        count += 1
        if count % every == 0:
            progress.update(task, completed=count)
    progress.update(task, completed=count)


def parse_instant(text: str | None, option: str) -> datetime | None:
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(
            f"expected an ISO instant, got {text!r}", param_hint=option
        ) from None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
