"""Operator commands on a service's database (the service may be running).

    python -m tools.admin expire-holds --service placement [--older-than SECONDS]

``expire-holds`` rejects now every held input of the service that has waited at least
``--older-than`` seconds (default 0: every held input), exactly as the service's own
hold sweep does when ``HOLD_SECONDS`` has run out: each is rejected with the reason
its handler gives (e.g. ``unknown_participant``), its original kept in quarantine and
the rejection written to the outbox, which the running service's relay publishes.
Instead of restarting a service with ``HOLD_SECONDS=1``: for operators who know the
missing upstream event will not come, and for tests.

It runs in one transaction under the service's advisory lock, like every batch, so it
never interleaves with the service's own processing (any number of instances). Settings
come from the service's environment variables (DATABASE_URL, TOPIC_NAMESPACE, ...).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from schemas.topics import SERVICES
from services.common import db
from services.common.reference import load_reference
from services.common.settings import ServiceSettings
from services.runtime.ports import Repository
from services.runtime.processor import BatchProcessor
from services.runtime.service import ServiceDefinition
from tools.replay import definition_of

ROOT = Path(__file__).resolve().parents[1]
MAX_AGE_SECONDS = 366 * 24 * 3600


async def expire_holds(
    definition: ServiceDefinition[Repository],
    settings: ServiceSettings,
    pool: db.Pool,
    older_than_seconds: float = 0.0,
) -> int:
    """Reject the held inputs of the service that waited ``older_than_seconds`` or more;
    return how many were rejected."""
    processor = BatchProcessor(
        definition.make_handler(settings, load_reference(settings.reference_dir)),
        pool,
        definition.postgres,
        namespace=settings.topic_namespace,
        hold_seconds=older_than_seconds,
    )
    return await processor.expire_holds()


async def run_expire_holds(service: str, older_than_seconds: float) -> int:
    settings = ServiceSettings()
    await db.migrate(settings.database_url, service, ROOT / "services" / service)
    pool = await db.create_pool(settings.database_url, service)
    try:
        expired = await expire_holds(definition_of(service), settings, pool, older_than_seconds)
    finally:
        await pool.close()
    print(f"{service}: rejected {expired} held input(s) waiting {older_than_seconds:g}s or more")
    return 0


def _age(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got {text!r}") from None
    if not 0 <= value <= MAX_AGE_SECONDS:
        raise argparse.ArgumentTypeError(f"must be between 0 and {MAX_AGE_SECONDS}, got {text}")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.admin", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    expire = commands.add_parser("expire-holds", help="reject held inputs now")
    expire.add_argument("--service", required=True, choices=SERVICES)
    expire.add_argument(
        "--older-than",
        type=_age,
        default=0.0,
        metavar="SECONDS",
        help="only inputs held at least this long (default 0: all)",
    )
    args = parser.parse_args(argv)
    return asyncio.run(run_expire_holds(args.service, args.older_than))


if __name__ == "__main__":
    sys.exit(main())
