"""``outcomes``: the provider and finance command line (``outcomes --help``)."""

from __future__ import annotations

import sys
from typing import Annotated

import asyncpg
import typer
from aiokafka.errors import KafkaError
from pydantic import ValidationError

from outcomes_cli import finance_commands, provider_commands, user_commands
from outcomes_cli.console import err
from outcomes_cli.settings import CliSettings

app = typer.Typer(
    name="outcomes",
    help="Provider and finance tools of the outcomes platform.\n\n"
    "Connection settings come from KAFKA_BOOTSTRAP_SERVERS, KAFKA_SECURITY_PROTOCOL, "
    "KAFKA_SASL_MECHANISM / _USERNAME / _PASSWORD, DATABASE_URL and TOPIC_NAMESPACE.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def connection(
    ctx: typer.Context,
    bootstrap: Annotated[
        str | None, typer.Option(help="Kafka bootstrap servers [env KAFKA_BOOTSTRAP_SERVERS]")
    ] = None,
    namespace: Annotated[
        str | None, typer.Option(help="topic namespace prefix [env TOPIC_NAMESPACE]")
    ] = None,
    database_url: Annotated[
        str | None, typer.Option(help="PostgreSQL of the services [env DATABASE_URL]")
    ] = None,
) -> None:
    """Options common to every command."""
    overrides = {
        "kafka_bootstrap_servers": bootstrap,
        "topic_namespace": namespace,
        "database_url": database_url,
    }
    try:
        settings = CliSettings()
    except ValidationError as exc:
        problems = "; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors())
        raise typer.BadParameter(problems, param_hint="environment") from None
    ctx.obj = settings.model_copy(update={k: v for k, v in overrides.items() if v is not None})


provider_commands.register(app)
finance_commands.register(app)
user_commands.register(app)


def main() -> None:
    """The console entry point: unreachable servers end with a one-line message."""
    try:
        app()
    except (KafkaError, OSError, asyncpg.PostgresError) as exc:
        err.print(f"outcomes: {type(exc).__name__}: {exc}", markup=False)
        err.print(
            "check KAFKA_BOOTSTRAP_SERVERS / KAFKA_SASL_* / DATABASE_URL (or --bootstrap, "
            "--database-url) and that the servers are up (make up)"
        )
        sys.exit(2)


if __name__ == "__main__":
    main()
