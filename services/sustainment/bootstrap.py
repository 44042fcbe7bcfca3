"""The sustainment service's composition root: its handler and its PostgreSQL repository."""

from __future__ import annotations

from services.common.holds import Entity
from services.runtime.locking import Locking
from services.runtime.service import ServiceDefinition
from services.sustainment.adapters.postgres import SustainmentRepository
from services.sustainment.handlers import make_handler

LOCKING = Locking(
    "sustainment",
    # Where a provider's placement and evidence ids are linked to their participant.
    {
        Entity.PLACEMENT: ("placements", "placement_id"),
        Entity.EVIDENCE: ("evidence", "evidence_id"),
    },
)

SERVICE = ServiceDefinition(
    "sustainment", make_handler, SustainmentRepository, locking=lambda _handler: LOCKING
)
