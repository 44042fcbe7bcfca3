"""The payments service's composition root: its handler and its PostgreSQL repository."""

from __future__ import annotations

from services.payments.adapters.postgres import PaymentsRepository
from services.payments.handlers import make_handler
from services.runtime.locking import Locking
from services.runtime.service import ServiceDefinition

LOCKING = Locking("payments")  # every input names its participant

SERVICE = ServiceDefinition(
    "payments", make_handler, PaymentsRepository, locking=lambda _handler: LOCKING
)
