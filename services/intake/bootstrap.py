"""The intake service's composition root: its handler and its PostgreSQL repository."""

from __future__ import annotations

from services.intake.adapters.postgres import IntakeRepository
from services.intake.handlers import make_handler
from services.runtime.service import ServiceDefinition

SERVICE = ServiceDefinition("intake", make_handler, IntakeRepository)
