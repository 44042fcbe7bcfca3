"""``outcomes users add|remove|passwd|list``: who may sign in to the web app.

Passwords are asked twice at the terminal (never on the command line, where other users
of the machine could read them), or read as one line from standard input with
``--password-stdin`` (scripts). They are stored only as argon2 hashes.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime
from typing import Annotated

import asyncpg
import typer

from outcomes_cli.console import err, settings_of
from services.web.accounts_admin import (
    add_account,
    change_account_password,
    list_accounts,
    remove_account,
)
from services.web.adapters.users import InvalidUsername, UnknownUser, UserExists
from services.web.roles import InvalidRole
from services.web.security.passwords import WeakPassword

users_app = typer.Typer(help="Users of the web app (roles, passwords).", no_args_is_help=True)

PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="read the password as one line from stdin")
]


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


def _run(ctx: typer.Context, action: str, work: object) -> None:
    settings = settings_of(ctx)
    try:
        message = asyncio.run(work(settings.database_url))  # type: ignore[operator]
    except (InvalidUsername, InvalidRole, WeakPassword, UserExists, UnknownUser) as exc:
        err.print(f"outcomes users {action}: {exc}", markup=False)
        raise typer.Exit(1) from None
    except asyncpg.PostgresError as exc:
        err.print(f"outcomes users {action}: {type(exc).__name__}: {exc}", markup=False)
        raise typer.Exit(2) from None
    typer.echo(message)


@users_app.command("add")
def add(
    ctx: typer.Context,
    username: str,
    role: Annotated[
        str,
        typer.Option(
            help="provider:<provider_id>, commissioner:<sub_region>|london,"
            " enforcement:<borough>, finance or ops"
        ),
    ],
    password_stdin: PasswordStdin = False,
) -> None:
    """Add a user with a role and a password."""
    password = _password(password_stdin)

    async def work(database_url: str) -> str:
        user = await add_account(database_url, username, role, password, datetime.now(UTC))
        return f"added {user.username} ({user.role})"

    _run(ctx, "add", work)


@users_app.command("remove")
def remove(ctx: typer.Context, username: str) -> None:
    """Remove a user; their sessions end at once."""

    async def work(database_url: str) -> str:
        await remove_account(database_url, username)
        return f"removed {username}"

    _run(ctx, "remove", work)


@users_app.command("passwd")
def passwd(ctx: typer.Context, username: str, password_stdin: PasswordStdin = False) -> None:
    """Set a user's password; their sessions end at once."""
    password = _password(password_stdin)

    async def work(database_url: str) -> str:
        await change_account_password(database_url, username, password, datetime.now(UTC))
        return f"password changed for {username}; their sessions have ended"

    _run(ctx, "passwd", work)


@users_app.command("list")
def list_command(ctx: typer.Context) -> None:
    """Every user and their role."""

    async def work(database_url: str) -> str:
        return "\n".join(f"{u.username}\t{u.role}" for u in await list_accounts(database_url))

    _run(ctx, "list", work)


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")
