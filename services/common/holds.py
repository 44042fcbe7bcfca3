"""The hold protocol's names: the one place that builds them (domain.md §9, §10).

A held event *waits for* an entity to become known (:class:`WaitFor`, e.g. the
placement ``plc-1``); the handler that makes it known *releases* the same key. The
inputs of one *subject* (:class:`Subject`, a provider's referral, placement or
evidence id) are applied in arrival order: a later input is held behind the held ones.

Both are strings on the wire (the ``held`` table's ``waiting_for`` and ``subject``
columns), built only here: ``<entity>:<id>`` for a participant (its id is global),
``<entity>:<provider_id>:<id>`` for what a provider's ids name (domain.md v3 §9).
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import NewType

WaitFor = NewType("WaitFor", str)
"""What a held event waits for, released when the entity is known."""

Subject = NewType("Subject", str)
"""Whose arrival order an input keeps: ``<entity>:<provider_id>:<id>``."""


class Entity(StrEnum):
    """What can be waited for, and whose inputs keep their arrival order."""

    REFERRAL = "referral"  # a referral accepted by intake; or a participant placement waits
    STARTED = "started"  # a referral's programme start accepted (a leaver waits for it)
    PARTICIPANT = "participant"  # a participant known to placement or sustainment
    PLACEMENT = "placement"  # a placement confirmed
    EVIDENCE = "evidence"  # a version of an evidence id accepted (a retraction waits)


def wait_for(entity: Entity, entity_id: str) -> WaitFor:
    """The key a held event waits under, and its releaser releases: an entity whose id
    is global (a participant)."""
    return WaitFor(f"{entity}:{entity_id}")


def provider_wait_for(entity: Entity, provider_id: str, entity_id: str) -> WaitFor:
    """The key of a provider's own referral, programme start, placement or evidence id
    (``services.common.provider_keys.release_key``)."""
    return WaitFor(f"{entity}:{provider_id}:{entity_id}")


def subject(entity: Entity, provider_id: str, entity_id: str) -> Subject:
    """The subject of a provider's inputs about one id: their arrival order matters.

    Per provider: order exists only within a provider's topic, and another provider's
    held input must not hold a provider's back.
    """
    return Subject(f"{entity}:{provider_id}:{entity_id}")


def first_blocker(held_before: Sequence[str], releases: WaitFor | None = None) -> WaitFor | None:
    """What the next input of a subject must wait for to stay behind its held inputs.

    ``held_before`` is what those inputs wait for, oldest first. Inputs waiting for what
    this input itself releases (``releases``) wait for it, so they hold nothing back; any
    other does, and the input waits for the same thing, so one release hands them over
    in arrival order. None: nothing holds it back.
    """
    for waiting in held_before:  # usually none: most subjects have nothing held
        if waiting != releases:
            return WaitFor(waiting)
    return None
