"""A database that is down or restarting delays a service; it never crashes it.

Start-up migrations wait and retry, the hold sweep and the gauge refresher skip a tick.
Errors about the statement (data errors, bugs) still surface.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg.exceptions as pg
import pytest

from services.common import observe
from services.runtime import app


class Sleeps:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


class FlakyMigrate:
    """Fails with ``errors`` in turn, then answers."""

    def __init__(self, *errors: BaseException) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self) -> list[str]:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return ["001_init.sql"]


def test_migrate_waits_for_a_database_that_refuses_connections(
    caplog: pytest.LogCaptureFixture,
) -> None:
    migrate = FlakyMigrate(ConnectionRefusedError(111, "refused"), ConnectionRefusedError())
    sleeps = Sleeps()

    with caplog.at_level(logging.WARNING, logger=app.__name__):
        applied = asyncio.run(app.until_database_answers(migrate, "payments migrate", sleep=sleeps))

    assert applied == ["001_init.sql"]
    assert migrate.calls == 3
    assert sleeps.delays == [0.5, 1.0]
    retries = [r.getMessage() for r in caplog.records]
    assert len(retries) == 2
    assert "attempt 1" in retries[0]
    assert "ConnectionRefusedError" in retries[0]
    assert "attempt 2" in retries[1]


def test_the_backoff_doubles_up_to_its_cap() -> None:
    migrate = FlakyMigrate(*[pg.CannotConnectNowError("starting up") for _ in range(7)])
    sleeps = Sleeps()

    asyncio.run(app.until_database_answers(migrate, "m", sleep=sleeps))

    assert sleeps.delays == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0, 5.0]
    assert max(sleeps.delays) == app.RETRY_MAX_SECONDS


def test_migrate_does_not_retry_an_error_in_the_migration_itself() -> None:
    migrate = FlakyMigrate(pg.PostgresSyntaxError("syntax error at or near"))
    sleeps = Sleeps()

    with pytest.raises(pg.PostgresSyntaxError):
        asyncio.run(app.until_database_answers(migrate, "m", sleep=sleeps))
    assert (migrate.calls, sleeps.delays) == (1, [])


class Sweeper:
    def __init__(self, error: BaseException | None = None) -> None:
        self.error = error

    async def expire_holds(self) -> int:
        if self.error is not None:
            raise self.error
        return 3


def test_hold_sweep_skips_a_tick_while_the_database_restarts(
    caplog: pytest.LogCaptureFixture,
) -> None:
    restarting = Sweeper(pg.CannotConnectNowError("the database system is starting up"))

    with caplog.at_level(logging.WARNING, logger=app.__name__):
        assert asyncio.run(app.sweep_holds_once(restarting)) == 0
    [warning] = caplog.records
    assert "CannotConnectNowError [57P03]" in warning.getMessage()
    assert asyncio.run(app.sweep_holds_once(Sweeper())) == 3


def test_hold_sweep_surfaces_data_errors() -> None:
    broken = Sweeper(pg.NumericValueOutOfRangeError("numeric field overflow"))

    with pytest.raises(pg.NumericValueOutOfRangeError):
        asyncio.run(app.sweep_holds_once(broken))


class FailingPool:
    def __init__(self, error: BaseException) -> None:
        self.error = error

    @asynccontextmanager
    async def acquire(self) -> AsyncIterator[Any]:
        raise self.error
        yield  # pragma: no cover


def test_gauge_refresh_skips_a_tick_while_the_database_restarts(
    caplog: pytest.LogCaptureFixture,
) -> None:
    refresher = observe.GaugeRefresher("obs-transient-test", ["topic"])
    pool: Any = FailingPool(pg.CannotConnectNowError("the database system is starting up"))

    with caplog.at_level(logging.WARNING, logger=observe.__name__):
        asyncio.run(refresher.refresh(pool, None))
    [warning] = caplog.records
    assert "database gauges not refreshed" in warning.getMessage()
    assert "57P03" in warning.getMessage()


def test_gauge_refresh_surfaces_data_errors() -> None:
    refresher = observe.GaugeRefresher("obs-transient-test", ["topic"])
    pool: Any = FailingPool(pg.UndefinedTableError('relation "held" does not exist'))

    with pytest.raises(pg.UndefinedTableError):
        asyncio.run(refresher.refresh(pool, None))
