"""The views service's composition root: its handler and its PostgreSQL repository."""

from __future__ import annotations

from services.common.holds import Entity
from services.runtime.locking import Locking
from services.runtime.service import ServiceDefinition
from services.views.adapters.repository import ViewsRepository
from services.views.handlers import make_handler

# State per participant; every input names its participant; rejections are only added.
LOCKING = Locking("views", entities=frozenset({Entity.PARTICIPANT}))

SERVICE = ServiceDefinition(
    "views", make_handler, ViewsRepository, locking=lambda _handler: LOCKING
)
