"""The intake service's composition root: its handler and its PostgreSQL repository."""

from __future__ import annotations

from schemas.base import Event
from schemas.provider import ReferralMade
from services.common.holds import Entity
from services.intake.adapters.postgres import IntakeRepository
from services.intake.domain import normalise_nino, participant_id_for
from services.intake.handlers import IntakeHandler, make_handler
from services.intake.records import IntakeStorage
from services.runtime.locking import Locking
from services.runtime.ports import Handler
from services.runtime.service import ServiceDefinition


def locking(handler: Handler[IntakeStorage]) -> Locking | None:
    """Intake decides a start per person: a referral's participant (its NINO's id) is
    locked with it, a programme start's or end's is read from its stored referral.
    (A handler of another kind, whose participant ids are not known: None, the whole
    service.)"""
    if not isinstance(handler, IntakeHandler):
        return None
    key = handler.key

    def person(event: Event) -> str | None:
        nino = normalise_nino(event.nino) if isinstance(event, ReferralMade) else None
        return participant_id_for(nino, key) if nino else None

    return Locking("intake", {Entity.REFERRAL: ("referrals", "referral_id")}, person)


SERVICE = ServiceDefinition("intake", make_handler, IntakeRepository, locking=locking)
