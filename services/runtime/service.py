"""What a service is to the runtime: one value its package declares (``bootstrap.SERVICE``).

The composition root of a service builds it from the settings and the reference data
read once at start; the runtime runs it on PostgreSQL (``postgres``: its repository on a
connection) behind Kafka, or the simulator over memory.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic

from schemas.topics import Owner
from services.common.db import Connection
from services.common.reference import Reference
from services.common.settings import ServiceSettings
from services.runtime.locking import Locking
from services.runtime.ports import Handler, R


@dataclass(frozen=True)
class ServiceDefinition(Generic[R]):
    name: Owner
    make_handler: Callable[[ServiceSettings, Reference], Handler[R]]
    """The handler, from the settings and the reference data (read once, passed in)."""
    postgres: Callable[[Connection], R]
    """The service's repository on a connection in a transaction."""
    locking: Callable[[Handler[R]], Locking | None] | None = None
    """What its transactions lock, given its handler (runtime/locking.py); None: the
    whole service, one transaction at a time."""
