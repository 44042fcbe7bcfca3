"""The placement service's composition root: its handler and its PostgreSQL repository."""

from __future__ import annotations

from services.placement.adapters.postgres import PlacementRepository
from services.placement.handlers import make_handler
from services.runtime.service import ServiceDefinition

SERVICE = ServiceDefinition("placement", make_handler, PlacementRepository)
