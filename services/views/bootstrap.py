"""The views service's composition root: its handler and its PostgreSQL repository."""

from __future__ import annotations

from services.runtime.service import ServiceDefinition
from services.views.adapters.repository import ViewsRepository
from services.views.handlers import make_handler

SERVICE = ServiceDefinition("views", make_handler, ViewsRepository)
