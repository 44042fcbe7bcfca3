"""Which failures are transient (retry the batch, never reject) and which are the record's.

A database error is **transient** when the same statement on the same input may succeed
later: the connection, the server, its resources, locks and concurrency, permissions,
failover. These are retried with exponential backoff and never turn into a rejection:

=========  =====================================================================
SQLSTATE   meaning
=========  =====================================================================
08xxx      connection exception (lost, refused, protocol)
28xxx      invalid authorisation (password rotated, role changed)
3D000      database does not exist (yet / any more)
40xxx      transaction rollback: 40001 serialization failure, 40P01 deadlock, ...
53xxx      insufficient resources: 53100 disk full, 53200 out of memory,
           53300 too many connections, 53400 configuration limit
57xxx      operator intervention: 57014 query cancelled (statement_timeout),
           57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect now
58xxx      system error (I/O)
XXxxx      internal error, data corrupted (the server's fault, not the record's)
25006      read-only SQL transaction (a replica after failover)
25P03/04   idle-in-transaction / transaction timeout
55P03      lock not available (lock_timeout)
55006      object in use
42501      insufficient privilege (a grant missing)
=========  =====================================================================

Client-side: ``asyncpg.InterfaceError`` (connection closed, pool), asyncpg's internal
client errors (e.g. an outdated statement cache), ``OSError``, ``ConnectionError``,
``TimeoutError`` are transient too.

Any other server error is deterministic for the input — 22xxx data exception (numeric
overflow, a character not in the encoding, ...), 23xxx integrity constraint, 54xxx
program limit, 42xxx syntax or undefined object, 0Axxx feature not supported — and so
is ``asyncpg.DataError`` (a value asyncpg cannot encode, e.g. an integer over int8) and
any other exception the handler raises: input validation failed to catch something, or
there is a bug. Those records (only those: the processor bisects a failing batch) are
rejected ``processing_failed`` with the error text, their full original is kept in the
quarantine table, and ``python -m tools.replay`` processes them again after a fix.
"""

from __future__ import annotations

from typing import Final

import asyncpg
import asyncpg.exceptions

TRANSIENT_SQLSTATE_CLASSES: Final = frozenset({"08", "28", "3D", "40", "53", "57", "58", "XX"})
TRANSIENT_SQLSTATES: Final = frozenset({"25006", "25P03", "25P04", "55P03", "55006", "42501"})

_TRANSIENT_CLIENT_ERRORS: Final[tuple[type[BaseException], ...]] = (
    asyncpg.InterfaceError,
    asyncpg.exceptions.InternalClientError,
    ConnectionError,
    OSError,
    TimeoutError,
)


def sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE of a server error (None for anything else)."""
    if isinstance(exc, asyncpg.PostgresError):
        state = getattr(exc, "sqlstate", None)
        return state if isinstance(state, str) else None
    return None


def is_transient(exc: BaseException) -> bool:
    """Retry (True) or blame the record (False); see the module documentation."""
    if isinstance(exc, asyncpg.PostgresError):
        state = sqlstate(exc) or ""
        return state in TRANSIENT_SQLSTATES or state[:2] in TRANSIENT_SQLSTATE_CLASSES
    if isinstance(exc, asyncpg.DataError):  # an InterfaceError, but about the value
        return False
    return isinstance(exc, _TRANSIENT_CLIENT_ERRORS)


def describe(exc: BaseException) -> str:
    """The error as text for a rejection: class, SQLSTATE when there is one, message."""
    state = sqlstate(exc)
    code = f" [{state}]" if state else ""
    return f"{type(exc).__name__}{code}: {exc}"
