"""The payments service's composition root: its handler and its PostgreSQL repository."""

from __future__ import annotations

from services.payments.adapters.postgres import PaymentsRepository
from services.payments.handlers import make_handler
from services.runtime.service import ServiceDefinition

SERVICE = ServiceDefinition("payments", make_handler, PaymentsRepository)
