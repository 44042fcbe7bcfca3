"""The placement service's composition root: its handler and its PostgreSQL repository."""

from __future__ import annotations

from services.common.holds import Entity
from services.placement.adapters.postgres import PlacementRepository
from services.placement.handlers import make_handler
from services.runtime.locking import Locking
from services.runtime.service import ServiceDefinition

LOCKING = Locking(
    "placement",
    # Where a provider's referral and placement ids are linked to their participant.
    {
        Entity.REFERRAL: ("participants", "referral_id"),
        Entity.PLACEMENT: ("placements", "placement_id"),
    },
)

SERVICE = ServiceDefinition(
    "placement", make_handler, PlacementRepository, locking=lambda _handler: LOCKING
)
