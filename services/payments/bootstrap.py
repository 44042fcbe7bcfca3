"""The payments service's composition root: its handler and its PostgreSQL repository."""

from __future__ import annotations

from services.common.holds import Entity
from services.payments.adapters.postgres import PaymentsRepository
from services.payments.handlers import make_handler
from services.runtime.locking import Locking
from services.runtime.service import ServiceDefinition

# State per participant; every input names its participant.
LOCKING = Locking("payments", entities=frozenset({Entity.PARTICIPANT}))

SERVICE = ServiceDefinition(
    "payments", make_handler, PaymentsRepository, locking=lambda _handler: LOCKING
)
