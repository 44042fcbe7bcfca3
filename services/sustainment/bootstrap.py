"""The sustainment service's composition root: its handler and its PostgreSQL repository."""

from __future__ import annotations

from services.runtime.service import ServiceDefinition
from services.sustainment.adapters.postgres import SustainmentRepository
from services.sustainment.handlers import make_handler

SERVICE = ServiceDefinition("sustainment", make_handler, SustainmentRepository)
