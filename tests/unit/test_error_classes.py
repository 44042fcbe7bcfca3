"""Every database error is transient (retry) or the record's (processing_failed)."""

from __future__ import annotations

import asyncpg
import asyncpg.exceptions as pg
import pytest

from services.common.errors import describe, is_transient, sqlstate

TRANSIENT_SERVER_ERRORS: list[type[asyncpg.PostgresError]] = [
    pg.ConnectionFailureError,  # 08006
    pg.ConnectionDoesNotExistError,  # 08003
    pg.CannotConnectNowError,  # 57P03
    pg.SerializationError,  # 40001
    pg.DeadlockDetectedError,  # 40P01
    pg.LockNotAvailableError,  # 55P03
    pg.QueryCanceledError,  # 57014
    pg.AdminShutdownError,  # 57P01
    pg.CrashShutdownError,  # 57P02
    pg.ReadOnlySQLTransactionError,  # 25006
    pg.DiskFullError,  # 53100
    pg.OutOfMemoryError,  # 53200
    pg.TooManyConnectionsError,  # 53300
    pg.ConfigurationLimitExceededError,  # 53400
    pg.IdleInTransactionSessionTimeoutError,  # 25P03
    pg.InvalidPasswordError,  # 28P01
    pg.InvalidCatalogNameError,  # 3D000
    pg.InsufficientPrivilegeError,  # 42501
    pg.ObjectInUseError,  # 55006
    pg.PostgresIOError,  # 58030
    pg.InternalServerError,  # XX000
]
DATA_SERVER_ERRORS: list[type[asyncpg.PostgresError]] = [
    pg.CharacterNotInRepertoireError,  # 22021: a NUL in text
    pg.NumericValueOutOfRangeError,  # 22003: numeric overflow
    pg.StringDataRightTruncationError,  # 22001
    pg.InvalidTextRepresentationError,  # 22P02
    pg.UniqueViolationError,  # 23505
    pg.NotNullViolationError,  # 23502
    pg.CheckViolationError,  # 23514
    pg.ProgramLimitExceededError,  # 54000
    pg.UndefinedTableError,  # 42P01
    pg.FeatureNotSupportedError,  # 0A000
]


@pytest.mark.parametrize("error", TRANSIENT_SERVER_ERRORS, ids=lambda e: e.sqlstate)
def test_server_errors_about_the_environment_are_transient(
    error: type[asyncpg.PostgresError],
) -> None:
    exc = error("the server said so")
    assert sqlstate(exc) == error.sqlstate
    assert is_transient(exc)


@pytest.mark.parametrize("error", DATA_SERVER_ERRORS, ids=lambda e: e.sqlstate)
def test_server_errors_about_the_statement_blame_the_record(
    error: type[asyncpg.PostgresError],
) -> None:
    assert not is_transient(error("the server said so"))


@pytest.mark.parametrize(
    "exc",
    [
        asyncpg.InterfaceError("connection is closed"),
        pg.OutdatedSchemaCacheError("cached statement plan is invalid"),
        ConnectionResetError(),
        OSError("network unreachable"),
        TimeoutError(),
    ],
    ids=type,
)
def test_client_side_connection_trouble_is_transient(exc: BaseException) -> None:
    assert is_transient(exc)


@pytest.mark.parametrize(
    "exc",
    [
        asyncpg.DataError("invalid input for query argument $1: 10**30 (value out of int64 range)"),
        RuntimeError("a bug"),
        KeyError("missing"),
        ValueError("bad"),
    ],
    ids=type,
)
def test_values_asyncpg_cannot_encode_and_bugs_blame_the_record(exc: BaseException) -> None:
    assert not is_transient(exc)


def test_an_error_is_described_with_its_sqlstate() -> None:
    text = describe(pg.CharacterNotInRepertoireError('invalid byte sequence for encoding "UTF8"'))
    assert (
        text == 'CharacterNotInRepertoireError [22021]: invalid byte sequence for encoding "UTF8"'
    )
    assert describe(RuntimeError("boom")) == "RuntimeError: boom"
